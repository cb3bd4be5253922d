// report.ts and metrics.ts: a run folder of synthetic metrics files (SFT with interleaved eval lines
// and 3000 steps, RM, GRPO, distillation with boolean on_policy, a missing, an empty and a partly
// malformed file) rendered to HTML and to the terminal; escaping; atomic writes; input checks; and
// the page opened in headless Chromium from a file:// URL: every expected chart drawn with real
// geometry, the distillation table's numbers on screen, no console errors, no other requests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  accuracyDelta,
  checkReportInput,
  formatDuration,
  lengthRatio,
  renderReport,
  terminalSummary,
  writeReport,
  type ReportInput,
} from '../../src/report/report.js';
import { chartsFor, lastValues, readMetrics } from '../../src/report/metrics.js';
import { withBrowser } from '../helpers/browser.js';

const root = mkdtempSync(join(tmpdir(), 'posttrain-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A run folder like the recipe's: one folder per stage with the metrics.jsonl its trainer writes. */
function makeRun(name: string): string {
  const run = join(root, name);
  const write = (stage: string, text: string) => {
    mkdirSync(join(run, stage), { recursive: true });
    writeFileSync(join(run, stage, 'metrics.jsonl'), text);
  };
  const sft: unknown[] = [];
  for (let step = 1; step <= 3000; step++) {
    sft.push({
      time: 't',
      step,
      epoch: 0,
      loss: 4 * Math.exp(-step / 600) + 0.2 + 0.05 * Math.sin(step),
      lr: step < 100 ? step * 1e-6 : 1e-4,
      grad_norm: 1 + Math.cos(step / 30),
      tokens_per_s: 1500 + (step % 13),
    });
    if (step % 500 === 0) sft.push({ time: 't', step, eval_loss: 3 * Math.exp(-step / 700) + 0.3 });
  }
  write('sft', jsonl(sft));
  write(
    'rm',
    jsonl([
      ...Array.from({ length: 60 }, (_, i) => ({
        step: i + 1,
        loss: 0.7 - i * 0.003,
        accuracy: 0.5 + i * 0.004,
        margin: i * 0.01,
        lr: 1e-4,
        grad_norm: 2,
      })),
      { step: 60, eval_accuracy: 0.71, eval_margin: 0.5, eval_pairs: 200 },
    ]),
  );
  write(
    'grpo',
    jsonl(
      Array.from({ length: 40 }, (_, i) => ({
        step: i + 1,
        reward: 0.4 + i * 0.01,
        'rewards/math': 0.2 + i * 0.008,
        'rewards/format': 0.9 - (i % 3) * 0.05,
        accuracy: 0.2 + i * 0.005,
        kl: i * 1e-4,
        entropy: 0.3 - i * 0.002,
        completion_length_mean: 30 + i * 0.5,
        loss: 0.01 * Math.sin(i),
        'routing/rule': 144,
        'routing/model_length_correlation': null,
      })),
    ),
  );
  write('distill', jsonl(Array.from({ length: 25 }, (_, i) => ({ step: i + 1, loss: 2 - i * 0.05, lr: 5e-5, on_policy: i % 2 === 0 }))));
  write('empty', '');
  write('broken', '{"step":1,"loss":1.5}\nnot json\n{"step":2,"loss":1.2}\n[1,2]\n{"step":3,"lo');
  return run;
}

const PROMPT = `Is 1 < 2 && "a" > 'b'? <script>alert(1)</script>`;

function inputFor(): ReportInput {
  return {
    title: 'Run <demo> & "friends"',
    createdAt: '2026-01-02T03:04:05Z',
    stages: [
      { name: 'pretrain', kind: 'pretrain', dir: 'pretrain', seconds: 400, note: 'folder missing' },
      { name: 'sft', kind: 'sft', dir: 'sft', seconds: 1200 },
      { name: 'rm', kind: 'rm', metricsFile: 'rm/metrics.jsonl', seconds: 300 },
      { name: 'grpo', kind: 'grpo', dir: 'grpo', seconds: 1800 },
      { name: 'distill', kind: 'distill', dir: 'distill', seconds: 600 },
      { name: 'generate', kind: 'data', metricsFile: null, seconds: 90 },
      { name: 'empty', kind: 'sft', dir: 'empty', seconds: null },
      { name: 'broken', kind: 'sft', dir: 'broken' },
    ],
    evaluations: [
      { model: 'base', stage: 'pretrain', accuracy: 0.03, meanLength: 57.9 },
      { model: 'sft', stage: 'sft', accuracy: 0.214, meanLength: 35.2, extra: { 'pass@4': 0.41, note: 'greedy' } },
      { model: 'grpo', stage: 'grpo', accuracy: 0.318, meanLength: 48.5 },
      { model: 'student', stage: 'distill', accuracy: 0.276, meanLength: 57.1 },
    ],
    distillation: {
      benchmark: 'math',
      rows: [
        { model: 'student (before)', accuracy: 0.2, meanLength: 30 },
        { model: 'student + distill', accuracy: 0.276, meanLength: 57.1 },
        { model: 'teacher', accuracy: 0.318, meanLength: null },
      ],
      settings: { temperature: 0.7, 'kl direction': 'reverse' },
    },
    samples: [
      { stage: 'grpo', prompt: PROMPT, response: 'Yes & no </pre> \\boxed{1}', correct: true, reward: 1.25 },
      { stage: 'grpo', prompt: 'Second prompt', response: 'wrong', correct: false, reward: 0 },
      { stage: 'distill', prompt: 'Third', response: 'ok' },
    ],
    notes: ['Pretrain folder <was> deleted.'],
  };
}

test('the delta and duration formats', () => {
  assert.equal(accuracyDelta(0.2, 0.276), '+7.6 points');
  assert.equal(accuracyDelta(0.3, 0.25), '−5.0 points');
  assert.equal(accuracyDelta(null, 0.25), '—');
  assert.equal(lengthRatio(30, 57.1), '×1.9 length');
  assert.equal(lengthRatio(0, 5), '—');
  assert.equal(formatDuration(12.34), '12.3s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(formatDuration(null), '—');
});

test('readMetrics: statuses, malformed lines counted, booleans plotted as 1/0', () => {
  const run = makeRun('read');
  assert.equal(readMetrics(null).status, 'none');
  assert.equal(readMetrics(join(run, 'nope.jsonl')).status, 'missing');
  assert.equal(readMetrics(join(run, 'empty', 'metrics.jsonl')).status, 'empty');
  assert.equal(readMetrics(join(run, 'sft')).status, 'unreadable');
  const broken = readMetrics(join(run, 'broken', 'metrics.jsonl'));
  assert.equal(broken.status, 'ok');
  assert.equal(broken.records.length, 2);
  assert.deepEqual(broken.malformedLines, [2, 4, 5]);
  const distill = chartsFor('distill', readMetrics(join(run, 'distill', 'metrics.jsonl')).records);
  const onPolicy = distill.find((c) => c.plan.id === 'on_policy');
  assert.deepEqual(onPolicy?.series[0]?.points.slice(0, 3), [
    [1, 1],
    [2, 0],
    [3, 1],
  ]);
});

test('chartsFor: per-kind order, only charts with data, eval series unsmoothed, rewards/* included', () => {
  const run = makeRun('charts');
  const grpo = chartsFor('grpo', readMetrics(join(run, 'grpo', 'metrics.jsonl')).records);
  assert.deepEqual(
    grpo.map((c) => c.plan.id),
    ['reward', 'accuracy', 'kl', 'length', 'entropy', 'loss'],
  );
  assert.deepEqual(
    grpo[0]!.series.map((s) => s.name),
    ['reward', 'rewards/format', 'rewards/math'],
  );
  assert.ok(
    grpo[0]!.series.every((s) => s.smoothing === 0.6),
    '40 points are smoothed',
  );
  const rm = chartsFor('rm', readMetrics(join(run, 'rm', 'metrics.jsonl')).records);
  assert.deepEqual(
    rm.map((c) => c.plan.id),
    ['accuracy', 'loss', 'margin', 'lr', 'grad_norm'],
  );
  assert.deepEqual(
    rm[0]!.series.map((s) => [s.name, s.points.length, s.smoothing ?? 0]),
    [
      ['accuracy', 60, 0.6],
      ['eval_accuracy', 1, 0],
    ],
  );
  const sft = chartsFor('expert-sft', readMetrics(join(run, 'sft', 'metrics.jsonl')).records);
  assert.deepEqual(
    sft.map((c) => c.plan.id),
    ['loss', 'lr', 'grad_norm', 'throughput'],
  );
  assert.deepEqual(
    sft[0]!.series.map((s) => [s.name, s.points.length]),
    [
      ['loss', 3000],
      ['eval_loss', 6],
    ],
  );
  assert.deepEqual(lastValues('rm', readMetrics(join(run, 'rm', 'metrics.jsonl')).records).slice(0, 2), [
    { field: 'accuracy', value: 0.5 + 59 * 0.004, percent: true },
    { field: 'eval_accuracy', value: 0.71, percent: true },
  ]);
});

test('renderReport: all sections, escaped text, no scripts or external references, downsampled curves', () => {
  const run = makeRun('render');
  const html = renderReport(inputFor(), { baseDir: run });
  assert.doesNotMatch(html, /<script/i, 'no script element, not even from a prompt');
  assert.ok(
    html.includes('Is 1 &lt; 2 &amp;&amp; &quot;a&quot; &gt; &#39;b&#39;? &lt;script&gt;alert(1)&lt;/script&gt;'),
    'prompt escaped as text',
  );
  assert.ok(html.includes('Yes &amp; no &lt;/pre&gt;'), 'a response cannot close its <pre>');
  assert.ok(html.includes('<h1>Run &lt;demo&gt; &amp; &quot;friends&quot;</h1>'));
  assert.ok(html.includes('Pretrain folder &lt;was&gt; deleted.'));
  assert.doesNotMatch(
    html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ''),
    /https?:|\ssrc=|@import|url\(/,
    'nothing loaded from anywhere',
  );
  for (const id of ['evaluations', 'distillation', 'curves', 'samples', 'timings', 'notes'])
    assert.match(html, new RegExp(`<section id="${id}"`));
  assert.equal((html.match(/<details class="sample">/g) ?? []).length, 3);
  for (const text of ['+7.6 points', '×1.9 length', '27.6%', '20.0%', '31.8%', 'temperature', '0.41', 'greedy', '20m'])
    assert.ok(html.includes(text), `has ${text}`);
  // Missing, empty, unmetered and malformed stages get a note, not a crash.
  assert.match(html, /pretrain\/metrics.jsonl does not exist/);
  assert.match(html, /empty\/metrics.jsonl is empty/);
  assert.match(html, /no metrics \(this stage writes no metrics file\)/);
  assert.match(html, /3 malformed line\(s\) in [^<]*broken\/metrics.jsonl skipped \(lines 2, 4, 5\)/);
  // 3000 SFT steps are drawn with at most 500 points per path.
  const sftLoss = html.match(/data-chart="sft\/loss">(.*?)<\/figure>/s)?.[1] ?? '';
  const paths = [...sftLoss.matchAll(/<path class="series[^"]*"[^>]* d="([^"]*)"/g)].map((m) => (m[1]!.match(/[ML]/g) ?? []).length);
  assert.equal(paths.length, 3, 'raw and smoothed loss, eval_loss');
  assert.ok(paths[0]! > 100 && paths[0]! <= 500 && paths[1]! > 100 && paths[1]! <= 500, `points per path ${paths}`);
  assert.equal(paths[2], 6, 'eval_loss: 6 evaluations');
});

test('writeReport writes report.html atomically into the run folder, resolving relative paths against it', () => {
  const run = makeRun('write');
  const path = writeReport(run, inputFor());
  assert.equal(path, join(run, 'report.html'));
  assert.deepEqual(
    readdirSync(run).filter((f) => f.includes('report')),
    ['report.html'],
    'no temp file left',
  );
  const html = readFileSync(path, 'utf8');
  assert.match(html, /data-chart="rm\/accuracy"/, 'rm/metrics.jsonl found relative to the run folder');
  writeReport(run, { ...inputFor(), title: 'second' });
  assert.match(readFileSync(path, 'utf8'), /<h1>second<\/h1>/, 'replaced');
  assert.throws(() => writeReport(join(path, 'sub'), inputFor()), /report\.html|ENOTDIR|EEXIST/);
});

test('terminalSummary: the key tables as plain text', () => {
  const run = makeRun('terminal');
  const text = terminalSummary(inputFor(), { baseDir: run });
  assert.doesNotMatch(text, /<\/?(td|tr|table|svg)/);
  assert.match(text, /^Run <demo> & "friends"\n/);
  assert.match(text, /student \+ distill\s+27\.6%\s+\+7\.6 points\s+57\.1\s+×1\.9 length/);
  assert.match(text, /teacher\s+31\.8%\s+\+11\.8 points\s+—\s+—/);
  assert.match(text, /grpo\s+grpo\s+31\.8%\s+48\.5/);
  assert.match(text, /rm\s+rm\s+5m00s\s+accuracy 73\.6%, eval_accuracy 71\.0%/);
  assert.match(text, /pretrain\s+pretrain\s+6m40s\s+no metrics: .*does not exist/);
  assert.match(text, /total\s+1h13m/);
  assert.match(text, /- Pretrain folder <was> deleted\./);
});

test('a bad input names the field', () => {
  const bad = inputFor();
  bad.evaluations[2]!.accuracy = 31.8;
  assert.throws(
    () => checkReportInput(bad),
    /report input: evaluations\[2\] \(model "grpo"\)\.accuracy: must be a fraction in 0\.\.1 or null, got 31\.8/,
  );
  const bad2 = inputFor();
  bad2.stages[1]!.seconds = -1;
  assert.throws(() => renderReport(bad2), /stages\[1\] \("sft"\)\.seconds/);
  const bad3 = { ...inputFor(), distillation: { benchmark: 'math', rows: [{ model: 'x', accuracy: 0.2, meanLength: Number.NaN }] } };
  assert.throws(() => renderReport(bad3), /distillation\.rows\[0\] \(model "x"\)\.meanLength/);
});

test('an empty run renders notes instead of charts', () => {
  const html = renderReport({ title: 'nothing yet', stages: [], evaluations: [] });
  assert.match(html, /No evaluations were recorded/);
  assert.match(html, /No stages\./);
  assert.doesNotMatch(html, /<section id="distillation"|<section id="samples"/);
});

test('in Chromium from file://: every chart drawn, the distillation table on screen, no errors, no requests', async () => {
  const run = makeRun('browser');
  const url = pathToFileURL(writeReport(run, inputFor())).href;
  const expected: Record<string, number> = {
    'evaluations/accuracy': 4,
    'evaluations/length': 4,
    'sft/loss': 3,
    'sft/lr': 1,
    'sft/grad_norm': 2,
    'sft/throughput': 2,
    'rm/accuracy': 2,
    'rm/loss': 2,
    'rm/margin': 2,
    'grpo/reward': 6,
    'grpo/accuracy': 2,
    'grpo/kl': 2,
    'grpo/length': 2,
    'grpo/entropy': 2,
    'distill/loss': 1,
    'distill/on_policy': 1,
    'broken/loss': 1,
  };
  await withBrowser(async (page) => {
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    // Runs in the page (a string, since this project compiles without DOM types).
    const charts = (await page.evaluate(`[...document.querySelectorAll('figure.chart-figure')].map((f) => ({
      id: f.getAttribute('data-chart'),
      series: [...f.querySelectorAll('path.series')].map((p) => {
        const box = p.getBBox();
        return { width: box.width, height: box.height, length: p.getTotalLength() };
      }),
    }))`)) as { id: string; series: { width: number; height: number; length: number }[] }[];
    const byId = new Map(charts.map((c) => [c.id, c.series]));
    for (const [id, n] of Object.entries(expected)) {
      const series = byId.get(id);
      assert.ok(series, `chart ${id} present (have ${[...byId.keys()].join(', ')})`);
      assert.equal(series.length, n, `${id}: path.series count`);
      for (const s of series) assert.ok(s.width > 0 && s.height > 0 && s.length > 0, `${id}: drawn with geometry ${JSON.stringify(s)}`);
    }
    const table = await page.locator('table.distillation').innerText();
    for (const text of [
      'student (before)',
      '20.0%',
      '30.0',
      'student + distill',
      '27.6%',
      '+7.6 points',
      '57.1',
      '×1.9 length',
      'teacher',
      '31.8%',
    ]) {
      assert.ok(table.includes(text), `distillation table shows ${text}: ${table}`);
    }
    assert.equal(await page.locator('script').count(), 0);
    await page.locator('details.sample summary').first().click();
    assert.equal(await page.locator('pre.prompt').first().innerText(), PROMPT);
    assert.ok(await page.locator('section.stage[data-stage="pretrain"] .no-metrics').isVisible());
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
  });
});
