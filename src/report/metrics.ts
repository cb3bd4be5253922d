// Reading a stage's metrics.jsonl (RunFolder.metrics: one JSON object per line, train and eval lines
// interleaved, any line may lack any field) and deciding what to plot from it. readMetrics never
// throws on content: a missing file, an empty file, or malformed lines (a run still writing its last
// line) come back as a status and a count the report shows. chartsFor picks, per stage kind, which
// of a fixed catalog of charts (loss, reward, accuracy, KL, response length, …) the file has data
// for and builds their series (x = step, or the line number when a line has no step);
// lastValues gives the headline numbers for tables and the terminal.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { LineSeries, Point } from './svg.js';

export type MetricsRecord = Record<string, unknown>;

export interface MetricsFile {
  file: string | null;
  status: 'ok' | 'none' | 'missing' | 'empty' | 'unreadable';
  records: MetricsRecord[];
  /** Lines that were not a JSON object (1-based line numbers, the first 5). */
  malformedLines: number[];
  malformedCount: number;
  /** Why status is 'unreadable'. */
  error?: string;
}

export function readMetrics(file: string | null | undefined): MetricsFile {
  const empty = { records: [], malformedLines: [], malformedCount: 0 };
  if (file == null) return { file: null, status: 'none', ...empty };
  if (!existsSync(file)) return { file, status: 'missing', ...empty };
  let text: string;
  try {
    if (statSync(file).isDirectory()) return { file, status: 'unreadable', ...empty, error: 'is a directory' };
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, status: 'unreadable', ...empty, error: (e as Error).message };
  }
  const records: MetricsRecord[] = [];
  const malformedLines: number[] = [];
  let malformedCount = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) records.push(parsed as MetricsRecord);
    else {
      malformedCount++;
      if (malformedLines.length < 5) malformedLines.push(i + 1);
    }
  }
  return { file, status: records.length === 0 ? 'empty' : 'ok', records, malformedLines, malformedCount };
}

/** A plottable number: finite numbers as they are, booleans as 1 / 0, anything else none. */
export function metricValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

export interface ChartPlan {
  id: string;
  title: string;
  yLabel: string;
  /** Fields drawn as series, in this order, when present. */
  fields: readonly string[];
  /** Also every field starting with this (GRPO's `rewards/<name>`), up to 8. */
  prefix?: string;
  yPercent?: boolean;
  /** EMA-smooth long train series (never `eval_` ones, which are sparse). */
  smooth: boolean;
}

export const CHART_CATALOG: readonly ChartPlan[] = [
  { id: 'loss', title: 'Loss', yLabel: 'loss', fields: ['loss', 'eval_loss'], smooth: true },
  { id: 'reward', title: 'Reward', yLabel: 'mean reward', fields: ['reward', 'eval_reward'], prefix: 'rewards/', smooth: true },
  { id: 'accuracy', title: 'Accuracy', yLabel: 'accuracy', fields: ['accuracy', 'eval_accuracy'], yPercent: true, smooth: true },
  { id: 'kl', title: 'KL to the reference', yLabel: 'KL', fields: ['kl'], smooth: true },
  {
    id: 'length',
    title: 'Response length',
    yLabel: 'tokens',
    fields: ['completion_length_mean', 'eval_completion_length_mean', 'mean_length', 'eval_mean_length'],
    smooth: true,
  },
  { id: 'entropy', title: 'Entropy', yLabel: 'nats / token', fields: ['entropy'], smooth: true },
  { id: 'margin', title: 'Reward margin (chosen − rejected)', yLabel: 'margin', fields: ['margin', 'eval_margin'], smooth: true },
  { id: 'on_policy', title: 'On-policy fraction', yLabel: 'on-policy', fields: ['on_policy'], yPercent: true, smooth: true },
  { id: 'lr', title: 'Learning rate', yLabel: 'lr', fields: ['lr'], smooth: false },
  { id: 'grad_norm', title: 'Gradient norm', yLabel: 'grad norm', fields: ['grad_norm'], smooth: true },
  { id: 'throughput', title: 'Throughput', yLabel: 'tokens / s', fields: ['tokens_per_s', 'sampling_tokens_per_s'], smooth: true },
];

/** Chart order per kind of stage; charts not listed follow in catalog order when the file has them. */
type KindFamily = 'sft' | 'rm' | 'grpo' | 'distill';
const KIND_ORDER: Record<KindFamily, readonly string[]> = {
  sft: ['loss', 'accuracy', 'lr', 'grad_norm', 'throughput'],
  rm: ['accuracy', 'loss', 'margin', 'lr', 'grad_norm'],
  grpo: ['reward', 'accuracy', 'kl', 'length', 'entropy', 'loss', 'lr', 'grad_norm', 'throughput'],
  distill: ['loss', 'on_policy', 'accuracy', 'length', 'lr', 'grad_norm', 'throughput'],
};

/** The family a stage kind belongs to ("expert-grpo" → grpo, "judge-sft" → sft, "pretrain" → sft). */
export function kindFamily(kind: string): KindFamily | 'other' {
  const k = kind.toLowerCase();
  if (/distil/.test(k)) return 'distill';
  if (/grpo|\brl\b|ppo/.test(k)) return 'grpo';
  if (/\brm\b|reward/.test(k)) return 'rm';
  if (/sft|pretrain|judge/.test(k)) return 'sft';
  return 'other';
}

export function orderedCatalog(kind: string): ChartPlan[] {
  const family = kindFamily(kind);
  const preferred = family === 'other' ? [] : KIND_ORDER[family];
  const byId = new Map(CHART_CATALOG.map((c) => [c.id, c]));
  const first = preferred.map((id) => byId.get(id)!);
  return [...first, ...CHART_CATALOG.filter((c) => !preferred.includes(c.id))];
}

/** The x of a record: its `step`, or its 1-based line position among records when it has none. */
function xOf(record: MetricsRecord, index: number): number {
  return metricValue(record['step']) ?? index + 1;
}

export function seriesPoints(records: readonly MetricsRecord[], field: string): Point[] {
  const points: Point[] = [];
  records.forEach((r, i) => {
    const v = metricValue(r[field]);
    if (v !== null) points.push([xOf(r, i), v]);
  });
  return points;
}

export interface PlannedChart {
  plan: ChartPlan;
  series: LineSeries[];
}

const SMOOTHING = 0.6;
const SMOOTH_FROM = 30;

/** The charts a metrics file has data for, in the kind's order, each with its non-empty series. */
export function chartsFor(kind: string, records: readonly MetricsRecord[]): PlannedChart[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  const charts: PlannedChart[] = [];
  for (const plan of orderedCatalog(kind)) {
    const fields = [...plan.fields.filter((f) => keys.has(f))];
    if (plan.prefix)
      fields.push(
        ...[...keys]
          .filter((k) => k.startsWith(plan.prefix!))
          .sort()
          .slice(0, 8),
      );
    const series: LineSeries[] = [];
    for (const field of fields) {
      const points = seriesPoints(records, field);
      if (points.length === 0) continue;
      const smooth = plan.smooth && !field.startsWith('eval_') && points.length >= SMOOTH_FROM;
      series.push(smooth ? { name: field, points, smoothing: SMOOTHING } : { name: field, points });
    }
    if (series.length > 0) charts.push({ plan, series });
  }
  return charts;
}

/** The last finite value of each headline field present (the first fields of the kind's first charts). */
export function lastValues(
  kind: string,
  records: readonly MetricsRecord[],
  maxFields = 5,
): { field: string; value: number; percent: boolean }[] {
  const out: { field: string; value: number; percent: boolean }[] = [];
  for (const plan of orderedCatalog(kind)) {
    if (plan.id === 'lr' || plan.id === 'grad_norm' || plan.id === 'throughput') continue;
    for (const field of plan.fields) {
      if (out.length >= maxFields) return out;
      for (let i = records.length - 1; i >= 0; i--) {
        const v = metricValue(records[i]![field]);
        if (v !== null) {
          out.push({ field, value: v, percent: plan.yPercent ?? false });
          break;
        }
      }
    }
  }
  return out;
}

/** A metric value for a table: 4 significant digits, exponent notation outside [1e-3, 1e6). */
export function formatMetric(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  if (Number.isInteger(v)) return String(v);
  return String(Number.parseFloat(v.toPrecision(4)));
}

/** One line explaining why a stage has no plots (or what was skipped), for the page and the terminal. */
export function metricsNote(m: MetricsFile): string | null {
  switch (m.status) {
    case 'none':
      return 'no metrics (this stage writes no metrics file)';
    case 'missing':
      return `no metrics: ${m.file} does not exist`;
    case 'unreadable':
      return `no metrics: cannot read ${m.file} (${m.error})`;
    case 'empty':
      return m.malformedCount > 0
        ? `no metrics: ${m.file} has no JSON object lines (${m.malformedCount} malformed, first at line ${m.malformedLines[0]})`
        : `no metrics: ${m.file} is empty`;
    case 'ok':
      return m.malformedCount > 0
        ? `${m.malformedCount} malformed line(s) in ${m.file} skipped (lines ${m.malformedLines.join(', ')}${m.malformedCount > m.malformedLines.length ? ', …' : ''})`
        : null;
  }
}
