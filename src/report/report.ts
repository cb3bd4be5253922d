// The run report: one self-contained HTML page (inline CSS and SVG, no scripts, fonts, images or
// network; a Content-Security-Policy forbids them) for a whole post-training run — evaluations per
// model across stages (table and bar charts), the DeepSeek-V3 Table 9-style distillation table
// (baseline row first, deltas "+x.y points" and "×1.9 length" against it), per-stage training curves
// read from each stage's metrics.jsonl (charts chosen per kind by metrics.ts), sample outputs in
// collapsible <details>, stage timings, notes — and the same key tables as plain text for the
// terminal. All input text is escaped. Missing or empty metrics files render a "no metrics" note;
// the input's shape is checked once and a bad field is reported with where it is.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { barChart, escapeXml as escapeHtml, lineChart } from './svg.js';
import { chartsFor, formatMetric, lastValues, metricsNote, readMetrics, seriesPoints, type MetricsFile } from './metrics.js';

export interface ReportStage {
  name: string;
  /** pretrain, sft, rm, grpo, distill, … (decides which charts come first; see metrics.ts). */
  kind: string;
  /** The stage's run folder; its metrics.jsonl is read when metricsFile is absent. */
  dir?: string;
  /** The metrics file; null: the stage writes none (data generation, evaluation). */
  metricsFile?: string | null;
  seconds?: number | null;
  note?: string | null;
}

export interface ReportEvaluation {
  model: string;
  stage: string;
  /** 0..1 */
  accuracy: number | null;
  /** Mean response length in tokens. */
  meanLength: number | null;
  /** Problems the accuracy is measured on: shown with its standard error √(p(1−p)/n) when given. */
  n?: number | null;
  extra?: Record<string, number | string | null>;
}

export interface ReportInput {
  title: string;
  createdAt?: string;
  stages: ReportStage[];
  /** Evaluations per model: accuracy (0..1) and mean response length in tokens, plus any extra columns. */
  evaluations: ReportEvaluation[];
  /** V3 Table 9 style: the student before and after distillation (and the teacher for reference).
   *  rows[0] is the baseline (the student before) that every other row's deltas are measured against. */
  distillation?: {
    benchmark: string;
    rows: { model: string; accuracy: number | null; meanLength: number | null; n?: number | null }[];
    settings?: Record<string, string | number>;
  } | null;
  samples?: { stage: string; prompt: string; response: string; correct?: boolean | null; reward?: number | null }[];
  notes?: string[];
  /** Overlay the stages' curves: one chart per metric with a line per stage (comparing runs). */
  compare?: boolean;
}

export interface ReportOptions {
  /** Relative stage dirs and metrics files are resolved against this (writeReport passes the run folder). */
  baseDir?: string;
  /** Most points drawn per series; longer series are downsampled. */
  maxPointsPerSeries?: number;
}

function fail(where: string, what: string): never {
  throw new Error(`report input: ${where}: ${what}`);
}

const isNumberOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

/** Checks the input's shape once; throws naming the field (e.g. `evaluations[2] (model "x").accuracy`). */
export function checkReportInput(input: ReportInput): void {
  if (input === null || typeof input !== 'object') fail('input', 'must be an object');
  if (typeof input.title !== 'string') fail('title', 'must be a string');
  if (!Array.isArray(input.stages)) fail('stages', 'must be an array');
  if (!Array.isArray(input.evaluations)) fail('evaluations', 'must be an array');
  input.stages.forEach((s, i) => {
    if (typeof s?.name !== 'string' || typeof s.kind !== 'string') fail(`stages[${i}]`, 'needs string name and kind');
    if (s.seconds != null && !(typeof s.seconds === 'number' && s.seconds >= 0))
      fail(`stages[${i}] ("${s.name}").seconds`, `must be a number >= 0 or null, got ${s.seconds}`);
  });
  const checkRow = (where: string, r: { accuracy: unknown; meanLength: unknown }) => {
    if (!isNumberOrNull(r.accuracy) || (typeof r.accuracy === 'number' && (r.accuracy < 0 || r.accuracy > 1)))
      fail(`${where}.accuracy`, `must be a fraction in 0..1 or null, got ${r.accuracy}`);
    if (!isNumberOrNull(r.meanLength) || (typeof r.meanLength === 'number' && r.meanLength < 0))
      fail(`${where}.meanLength`, `must be a number >= 0 or null, got ${r.meanLength}`);
  };
  input.evaluations.forEach((e, i) => {
    if (typeof e?.model !== 'string' || typeof e.stage !== 'string') fail(`evaluations[${i}]`, 'needs string model and stage');
    checkRow(`evaluations[${i}] (model "${e.model}")`, e);
  });
  if (input.distillation != null) {
    const d = input.distillation;
    if (typeof d.benchmark !== 'string' || !Array.isArray(d.rows)) fail('distillation', 'needs a benchmark string and a rows array');
    d.rows.forEach((r, i) => {
      if (typeof r?.model !== 'string') fail(`distillation.rows[${i}]`, 'needs a string model');
      checkRow(`distillation.rows[${i}] (model "${r.model}")`, r);
    });
  }
  (input.samples ?? []).forEach((s, i) => {
    if (typeof s?.stage !== 'string' || typeof s.prompt !== 'string' || typeof s.response !== 'string')
      fail(`samples[${i}]`, 'needs string stage, prompt and response');
  });
}

export function formatPercent(fraction: number | null | undefined): string {
  return fraction == null ? '—' : `${(fraction * 100).toFixed(1)}%`;
}

export function formatLength(tokens: number | null | undefined): string {
  return tokens == null ? '—' : tokens.toFixed(1);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds),
    h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(rest).padStart(2, '0')}s`;
}

/** "+x.y points" between two accuracies (fractions), "—" when either is missing. */
export function accuracyDelta(baseline: number | null, value: number | null, nBaseline?: number | null, nValue?: number | null): string {
  if (baseline == null || value == null) return '—';
  const points = Math.round((value - baseline) * 1000) / 10;
  const text = `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(1)} points`;
  const a = standardError(baseline, nBaseline),
    b = standardError(value, nValue);
  if (a === null || b === null) return text;
  const se = Math.sqrt(a * a + b * b); // of a difference of independent estimates
  return se > 0 ? `${text} ± ${(100 * se).toFixed(1)} (${(Math.abs(value - baseline) / se).toFixed(1)} SE)` : text;
}

/** The standard error of an accuracy measured on n problems, √(p(1−p)/n); null without n. */
export function standardError(fraction: number | null | undefined, n: number | null | undefined): number | null {
  return fraction == null || n == null || !(n > 0) ? null : Math.sqrt((fraction * (1 - fraction)) / n);
}

/** "72.5% ± 2.2" with the standard error when n is known, else formatPercent. */
export function formatAccuracy(fraction: number | null | undefined, n?: number | null): string {
  const se = standardError(fraction, n);
  return se === null ? formatPercent(fraction) : `${formatPercent(fraction)} ± ${(100 * se).toFixed(1)}`;
}

/** "×1.9 length" between two mean lengths, "—" when either is missing or the baseline is 0. */
export function lengthRatio(baseline: number | null, value: number | null): string {
  if (baseline == null || value == null || baseline === 0) return '—';
  return `×${(value / baseline).toFixed(1)} length`;
}

interface StageData {
  stage: ReportStage;
  metrics: MetricsFile;
}

function stageMetricsPath(stage: ReportStage, baseDir: string): string | null {
  if (stage.metricsFile === null) return null;
  if (stage.metricsFile !== undefined) return resolve(baseDir, stage.metricsFile);
  return stage.dir !== undefined ? join(resolve(baseDir, stage.dir), 'metrics.jsonl') : null;
}

function loadStages(input: ReportInput, options: ReportOptions): StageData[] {
  const baseDir = options.baseDir ?? '.';
  return input.stages.map((stage) => ({ stage, metrics: readMetrics(stageMetricsPath(stage, baseDir)) }));
}

function lastMetricsText(d: StageData): string {
  return lastValues(d.stage.kind, d.metrics.records)
    .map((v) => `${v.field} ${v.percent ? formatPercent(v.value) : formatMetric(v.value)}`)
    .join(', ');
}

function htmlTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  cls: string,
  numericColumns: ReadonlySet<number> = new Set(),
): string {
  const cell = (tag: string, text: string, i: number) => `<${tag}${numericColumns.has(i) ? ' class="num"' : ''}>${text}</${tag}>`;
  return (
    `<table class="${cls}"><thead><tr>${headers.map((h, i) => cell('th', escapeHtml(h), i)).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</tbody></table>`
  );
}

function extraColumns(evaluations: readonly ReportEvaluation[]): string[] {
  const keys: string[] = [];
  for (const e of evaluations) for (const k of Object.keys(e.extra ?? {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}

function formatExtra(v: number | string | null | undefined): string {
  if (v == null) return '—';
  return typeof v === 'number' ? formatMetric(v) : v;
}

/** Model labels for charts: the model name, with its stage when two evaluations share a name. */
function evaluationLabels(evaluations: readonly ReportEvaluation[]): string[] {
  const counts = new Map<string, number>();
  for (const e of evaluations) counts.set(e.model, (counts.get(e.model) ?? 0) + 1);
  return evaluations.map((e) => (counts.get(e.model)! > 1 ? `${e.model} (${e.stage})` : e.model));
}

function evaluationsSection(input: ReportInput): string {
  const evals = input.evaluations;
  if (evals.length === 0)
    return `<section id="evaluations"><h2>Evaluations</h2><p class="empty">No evaluations were recorded.</p></section>`;
  const extras = extraColumns(evals);
  const best = Math.max(...evals.map((e) => e.accuracy ?? -1));
  const rows = evals.map((e) => [
    escapeHtml(e.model),
    escapeHtml(e.stage),
    e.accuracy !== null && e.accuracy === best ? `<strong>${formatAccuracy(e.accuracy, e.n)}</strong>` : formatAccuracy(e.accuracy, e.n),
    formatLength(e.meanLength),
    ...extras.map((k) => escapeHtml(formatExtra(e.extra?.[k]))),
  ]);
  const numeric = new Set([2, 3, ...extras.map((_, i) => 4 + i)]);
  const labels = evaluationLabels(evals);
  const accuracyChart = barChart({
    title: 'Accuracy by model',
    yLabel: 'accuracy',
    yPercent: true,
    categories: labels,
    series: [{ name: 'accuracy', values: evals.map((e) => e.accuracy) }],
    width: 520,
    height: 280,
  });
  const lengthChart = barChart({
    title: 'Mean response length by model',
    yLabel: 'tokens',
    categories: labels,
    series: [{ name: 'mean length', values: evals.map((e) => e.meanLength) }],
    width: 520,
    height: 280,
  });
  return (
    `<section id="evaluations"><h2>Evaluations</h2>` +
    htmlTable(['Model', 'Stage', 'Accuracy', 'Mean length (tokens)', ...extras], rows, 'evaluations', numeric) +
    `<div class="charts"><figure class="chart-figure" data-chart="evaluations/accuracy">${accuracyChart}</figure>` +
    `<figure class="chart-figure" data-chart="evaluations/length">${lengthChart}</figure></div></section>`
  );
}

function distillationRows(d: NonNullable<ReportInput['distillation']>): string[][] {
  const base = d.rows[0];
  return d.rows.map((r, i) => [
    r.model,
    formatAccuracy(r.accuracy, r.n),
    i === 0 ? 'baseline' : accuracyDelta(base?.accuracy ?? null, r.accuracy, base?.n, r.n),
    formatLength(r.meanLength),
    i === 0 ? 'baseline' : lengthRatio(base?.meanLength ?? null, r.meanLength),
  ]);
}

function distillationSection(input: ReportInput): string {
  const d = input.distillation;
  if (d == null) return '';
  const headers = ['Model', `${d.benchmark} accuracy`, 'Δ accuracy', 'Mean length (tokens)', 'Δ length'];
  const body =
    d.rows.length === 0
      ? '<p class="empty">No distillation rows.</p>'
      : htmlTable(
          headers,
          distillationRows(d).map((r) => r.map(escapeHtml)),
          'distillation',
          new Set([1, 2, 3, 4]),
        );
  const settings = Object.entries(d.settings ?? {});
  const settingsTable =
    settings.length === 0
      ? ''
      : `<h3>Settings</h3>${htmlTable(
          ['Setting', 'Value'],
          settings.map(([k, v]) => [escapeHtml(k), escapeHtml(String(v))]),
          'settings',
        )}`;
  return (
    `<section id="distillation"><h2>Distillation (DeepSeek-V3 Table 9 style)</h2>` +
    `<p class="caption">The first row is the baseline; deltas are against it.</p>${body}${settingsTable}</section>`
  );
}

function stageCurves(d: StageData, index: number, options: ReportOptions): string {
  const { stage, metrics } = d;
  const head = `<h3>${escapeHtml(stage.name)} <span class="kind">${escapeHtml(stage.kind)}</span></h3>`;
  const note = metricsNote(metrics);
  const noteHtml = note ? `<p class="${metrics.status === 'ok' ? 'warning' : 'no-metrics'}">${escapeHtml(note)}</p>` : '';
  const open = `<section class="stage" id="stage-${index}" data-stage="${escapeHtml(stage.name)}">${head}`;
  if (metrics.status !== 'ok') return `${open}${noteHtml}</section>`;
  const charts = chartsFor(stage.kind, metrics.records);
  if (charts.length === 0) {
    const fields = [...new Set(metrics.records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'time' && k !== 'step');
    return `${open}${noteHtml}<p class="no-metrics">no plottable fields in ${escapeHtml(metrics.file ?? '')} (${escapeHtml(fields.slice(0, 12).join(', ') || 'none')})</p></section>`;
  }
  const figures = charts.map((c) => {
    const svg = lineChart({
      title: `${stage.name}: ${c.plan.title}`,
      xLabel: 'step',
      yLabel: c.plan.yLabel,
      yPercent: c.plan.yPercent,
      series: c.series,
      xInteger: true,
      maxPoints: options.maxPointsPerSeries ?? 500,
      width: 520,
      height: 280,
    });
    return `<figure class="chart-figure" data-chart="${escapeHtml(stage.name)}/${c.plan.id}">${svg}</figure>`;
  });
  const count = `<p class="caption">${metrics.records.length} metric lines from ${escapeHtml(metrics.file ?? '')}</p>`;
  return `${open}${noteHtml}${count}<div class="charts">${figures.join('')}</div></section>`;
}

/** One chart per metric the stages share, a line per stage (runs compared; the first stage's kind orders the charts). */
function comparisonSection(stages: readonly StageData[], options: ReportOptions): string {
  const withData = stages.filter((d) => d.metrics.status === 'ok');
  if (withData.length < 2) return '';
  const fields: { field: string; title: string; yPercent?: boolean }[] = [];
  const seen = new Set<string>();
  for (const d of withData)
    for (const c of chartsFor(withData[0]!.stage.kind, d.metrics.records).concat(chartsFor(d.stage.kind, d.metrics.records)))
      for (const sr of c.series)
        if (!seen.has(sr.name)) {
          seen.add(sr.name);
          fields.push({ field: sr.name, title: c.plan.title, yPercent: c.plan.yPercent });
        }
  const figures = fields.flatMap(({ field, yPercent }) => {
    const series = withData
      .map((d) => ({ name: d.stage.name, points: seriesPoints(d.metrics.records, field) }))
      .filter((x) => x.points.length > 0);
    if (series.length < 2) return [];
    const svg = lineChart({
      title: field,
      xLabel: 'step',
      yLabel: field,
      yPercent,
      series,
      xInteger: true,
      maxPoints: options.maxPointsPerSeries ?? 500,
      width: 520,
      height: 280,
    });
    return [`<figure class="chart-figure" data-chart="compare/${escapeHtml(field)}">${svg}</figure>`];
  });
  if (figures.length === 0) return '';
  return `<section id="compare"><h2>Runs compared</h2><p class="caption">${withData.length} runs, one line each</p><div class="charts">${figures.join('')}</div></section>`;
}

function preview(text: string, max = 110): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function samplesSection(input: ReportInput): string {
  const samples = input.samples ?? [];
  if (samples.length === 0) return '';
  const stages: string[] = [];
  for (const s of samples) if (!stages.includes(s.stage)) stages.push(s.stage);
  const groups = stages.map((stage) => {
    const items = samples
      .filter((s) => s.stage === stage)
      .map((s) => {
        const badges = [
          s.correct === true ? '<span class="badge ok">correct</span>' : s.correct === false ? '<span class="badge bad">wrong</span>' : '',
          s.reward != null ? `<span class="badge">reward ${escapeHtml(formatMetric(s.reward))}</span>` : '',
        ].join('');
        return (
          `<details class="sample"><summary>${badges}<span class="preview">${escapeHtml(preview(s.prompt))}</span></summary>` +
          `<div class="label">Prompt</div><pre class="prompt">${escapeHtml(s.prompt)}</pre>` +
          `<div class="label">Response</div><pre class="response">${escapeHtml(s.response)}</pre></details>`
        );
      });
    return `<h3>${escapeHtml(stage)}</h3>${items.join('')}`;
  });
  return `<section id="samples"><h2>Sample outputs</h2>${groups.join('')}</section>`;
}

function timingsSection(stages: readonly StageData[]): string {
  const total = stages.reduce((sum, d) => sum + (d.stage.seconds ?? 0), 0);
  const rows = stages.map((d) => {
    const secs = d.stage.seconds;
    const share = secs != null && total > 0 ? secs / total : null;
    const bar = share == null ? '' : `<div class="share"><div style="width:${(share * 100).toFixed(1)}%"></div></div>`;
    return [
      escapeHtml(d.stage.name),
      escapeHtml(d.stage.kind),
      formatDuration(secs),
      share == null ? '—' : `${bar}${(share * 100).toFixed(0)}%`,
      escapeHtml(lastMetricsText(d) || (d.metrics.status === 'ok' ? '—' : 'no metrics')),
      escapeHtml(d.stage.note ?? ''),
    ];
  });
  rows.push(['<strong>total</strong>', '', `<strong>${formatDuration(total)}</strong>`, '', '', '']);
  return `<section id="timings"><h2>Stages and timings</h2>${htmlTable(['Stage', 'Kind', 'Time', 'Share', 'Last metrics', 'Note'], rows, 'timings', new Set([2]))}</section>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1120px;padding:16px 24px 48px;color:#222;background:#fff;line-height:1.45}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.8em}h3{margin:1.2em 0 .4em}
.meta,.caption{color:#666;font-size:.9em}nav a{margin-right:1em;color:#1f5fa8}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure.chart-figure{margin:0;border:1px solid #eee;border-radius:4px;padding:4px}
svg.chart{max-width:100%;height:auto}.kind{font-size:.75em;color:#fff;background:#6b7c93;border-radius:3px;padding:1px 6px;vertical-align:middle}
.no-metrics,.empty{color:#8a5a00;background:#fff7e0;border:1px solid #f0dca0;padding:6px 10px;border-radius:4px}
.warning{color:#8a5a00;font-size:.9em}
details.sample{border:1px solid #e3e3e3;border-radius:4px;margin:6px 0;padding:4px 8px}details.sample summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:8px;border-radius:3px;margin:2px 0 8px;font-size:.88em}
.label{font-size:.8em;color:#666;margin-top:4px}.preview{color:#333}
.badge{display:inline-block;font-size:.78em;border-radius:3px;padding:0 6px;margin-right:6px;background:#e8e8e8}
.badge.ok{background:#d9f2dc;color:#17622a}.badge.bad{background:#fbe0e0;color:#8c1d1d}
table.timings td:nth-child(4){white-space:nowrap}.share{display:inline-block;width:80px;height:8px;background:#eee;margin-right:6px;vertical-align:middle}.share div{height:8px;background:#1f77b4}
`;

/** The complete HTML page. */
export function renderReport(input: ReportInput, options: ReportOptions = {}): string {
  checkReportInput(input);
  const stages = loadStages(input, options);
  const createdAt = input.createdAt ?? new Date().toISOString();
  const total = input.stages.reduce((sum, s) => sum + (s.seconds ?? 0), 0);
  const distillation = distillationSection(input);
  const samples = samplesSection(input);
  const compare = input.compare ? comparisonSection(stages, options) : '';
  const notes = input.notes ?? [];
  const nav = [
    ['evaluations', 'Evaluations'],
    ...(distillation ? [['distillation', 'Distillation']] : []),
    ...(compare ? [['compare', 'Runs compared']] : []),
    ['curves', 'Training curves'],
    ...(samples ? [['samples', 'Samples']] : []),
    ['timings', 'Timings'],
    ...(notes.length ? [['notes', 'Notes']] : []),
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  const curves = stages.length === 0 ? '<p class="empty">No stages.</p>' : stages.map((d, i) => stageCurves(d, i, options)).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(input.title)}</h1>
<p class="meta">Created ${escapeHtml(createdAt)} · ${input.stages.length} stage(s) · ${formatDuration(total)} in total</p><nav>${nav}</nav></header>
${evaluationsSection(input)}
${distillation}
${compare}
<section id="curves"><h2>Training curves</h2>${curves}</section>
${samples}
${timingsSection(stages)}
${notes.length ? `<section id="notes"><h2>Notes</h2><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : ''}
</body></html>
`;
}

/** Writes `<runDir>/report.html` atomically (a temp file beside it, then a rename) and returns its path. */
export function writeReport(runDir: string, input: ReportInput, options: Omit<ReportOptions, 'baseDir'> = {}): string {
  const html = renderReport(input, { ...options, baseDir: runDir });
  mkdirSync(runDir, { recursive: true });
  const target = join(runDir, 'report.html');
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(temp, html);
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new Error(`writeReport: cannot write ${target}: ${(e as Error).message}`);
  }
  return target;
}

/** A plain-text table: columns padded to their widest cell, numbers (right-aligned columns) on the right. */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number> = new Set(),
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report's key tables as plain text: evaluations, distillation with deltas, stages with times and last metrics, notes. */
export function terminalSummary(input: ReportInput, options: ReportOptions = {}): string {
  checkReportInput(input);
  const stages = loadStages(input, options);
  const out: string[] = [input.title, '='.repeat(Math.min(80, Math.max(8, input.title.length)))];
  if (input.evaluations.length > 0) {
    const extras = extraColumns(input.evaluations);
    out.push(
      '',
      'Evaluations',
      textTable(
        ['model', 'stage', 'accuracy', 'mean length', ...extras],
        input.evaluations.map((e) => [
          e.model,
          e.stage,
          formatAccuracy(e.accuracy, e.n),
          formatLength(e.meanLength),
          ...extras.map((k) => formatExtra(e.extra?.[k])),
        ]),
        new Set([2, 3, ...extras.map((_, i) => 4 + i)]),
      ),
    );
  } else out.push('', 'Evaluations: none recorded');
  const d = input.distillation;
  if (d != null && d.rows.length > 0) {
    out.push(
      '',
      `Distillation (${d.benchmark}; first row is the baseline)`,
      textTable(['model', 'accuracy', 'Δ accuracy', 'mean length', 'Δ length'], distillationRows(d), new Set([1, 2, 3, 4])),
    );
    const settings = Object.entries(d.settings ?? {});
    if (settings.length > 0) out.push(`settings: ${settings.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  const total = stages.reduce((sum, s) => sum + (s.stage.seconds ?? 0), 0);
  out.push(
    '',
    'Stages',
    textTable(
      ['stage', 'kind', 'time', 'last metrics'],
      [
        ...stages.map((s) => [
          s.stage.name,
          s.stage.kind,
          formatDuration(s.stage.seconds),
          lastMetricsText(s) || (metricsNote(s.metrics) ?? '—'),
        ]),
        ['total', '', formatDuration(total), ''],
      ],
      new Set([2]),
    ),
  );
  if ((input.notes ?? []).length > 0) out.push('', 'Notes', ...input.notes!.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
