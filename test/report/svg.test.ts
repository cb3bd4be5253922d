// svg.ts: nice ticks and domains, scales, EMA, downsampling, tick labels, and the charts' edge cases
// (non-finite values, one point, a constant series, empty series, many points, escaping), counted by
// the classes the report's browser test relies on (path.series, circle.point, path.series.bar).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barChart,
  downsample,
  ema,
  escapeXml,
  formatTick,
  lineChart,
  linearScale,
  niceDomain,
  niceStep,
  niceTicks,
  type Point,
} from '../../src/report/svg.js';

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;
const seriesPaths = (svg: string) => [...svg.matchAll(/<path class="series[^"]*"[^>]* d="([^"]*)"/g)].map((m) => m[1]!);
const coordinates = (d: string) => [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);

test('niceStep and niceTicks choose 1-2-5 steps without floating-point fuzz', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.13, 0.87), [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.deepEqual(niceTicks(0.13, 0.87, 3), [0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(0, 0.7, 7), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  assert.deepEqual(niceTicks(-3, 7), [-2, 0, 2, 4, 6]);
  assert.deepEqual(niceTicks(7, -3), [-2, 0, 2, 4, 6], 'swapped bounds');
  assert.deepEqual(niceTicks(1, 3, 6, 1), [1, 2, 3], 'integer steps for training steps');
  assert.deepEqual(niceTicks(0, 3000, 6), [0, 500, 1000, 1500, 2000, 2500, 3000]);
  assert.deepEqual(niceTicks(4, 4), [4]);
  assert.equal(niceStep(2e-4, 5), 5e-5);
  assert.throws(() => niceTicks(0, Number.NaN), /niceTicks: bounds must be finite/);
  assert.throws(() => niceStep(0), /span must be finite and > 0/);
});

test('niceDomain contains the data, ends on ticks, and pads a constant', () => {
  const d = niceDomain(0.13, 0.87, 3);
  assert.deepEqual(d.domain, [0, 1]);
  assert.deepEqual(d.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceDomain(0.13, 0.87).domain, [0.1, 0.9]);
  const c = niceDomain(5, 5);
  assert.ok(c.domain[0] < 5 && c.domain[1] > 5, `constant 5 inside ${c.domain}`);
  const z = niceDomain(0, 0);
  assert.ok(z.domain[0] < 0 && z.domain[1] > 0, `constant 0 inside ${z.domain}`);
  const neg = niceDomain(-0.021, 0.045);
  assert.ok(neg.domain[0] <= -0.021 && neg.domain[1] >= 0.045 && neg.ticks.includes(0));
});

test('linearScale maps ends to ends and a zero-width domain to the middle', () => {
  const s = linearScale([0, 10], [100, 0]);
  assert.equal(s(0), 100);
  assert.equal(s(10), 0);
  assert.equal(s(2.5), 75);
  assert.equal(linearScale([3, 3], [0, 50])(3), 25);
});

test('ema is debiased (a constant stays constant) and weight 0 is the identity', () => {
  assert.deepEqual(
    ema([2, 2, 2, 2], 0.9).map((v) => Math.round(v * 1e9) / 1e9),
    [2, 2, 2, 2],
  );
  assert.deepEqual(ema([1, 5, 3], 0), [1, 5, 3]);
  const [a, b] = ema([0, 10], 0.5);
  assert.equal(a, 0);
  assert.ok(Math.abs(b! - 20 / 3) < 1e-12, `second value ${b}`);
  assert.throws(() => ema([1], 1), /weight must be in \[0, 1\)/);
});

test('downsample keeps ends, spikes and x order, within the budget', () => {
  const points: Point[] = Array.from({ length: 10_000 }, (_, i) => [i + 1, Math.sin(i / 50)]);
  points[4321] = [4322, 50];
  points[777] = [778, -40];
  const d = downsample(points, 300);
  assert.ok(d.length <= 300 && d.length > 200, `length ${d.length}`);
  assert.deepEqual(d[0], points[0]);
  assert.deepEqual(d[d.length - 1], points[points.length - 1]);
  assert.ok(d.some((p) => p[1] === 50) && d.some((p) => p[1] === -40), 'spikes kept');
  for (let i = 1; i < d.length; i++) assert.ok(d[i]![0] > d[i - 1]![0], `x increases at ${i}`);
  assert.equal(downsample(points.slice(0, 10), 300).length, 10);
  assert.throws(() => downsample(points, 2), /maxPoints must be >= 4/);
});

test('formatTick: decimals from the step, exponents for tiny steps, percentages', () => {
  assert.equal(formatTick(0.3, 0.1), '0.3');
  assert.equal(formatTick(1500, 500), '1500');
  assert.equal(formatTick(0, 0.1), '0');
  assert.equal(formatTick(2e-4, 5e-5), '2.0e-4');
  assert.equal(formatTick(1.5e-4, 5e-5), '1.5e-4');
  assert.equal(formatTick(5e-5, 5e-5), '5e-5');
  assert.equal(formatTick(0.25, 0.05, true), '25%');
  assert.equal(formatTick(0.005, 0.005, true), '0.5%');
});

test('lineChart draws one path.series per series, two when smoothed, with title, legend and axes', () => {
  const up: Point[] = Array.from({ length: 50 }, (_, i) => [i + 1, 1 / (i + 1)]);
  const svg = lineChart({
    title: 'Loss',
    xLabel: 'step',
    yLabel: 'loss',
    xInteger: true,
    series: [
      { name: 'loss', points: up, smoothing: 0.6 },
      {
        name: 'eval_loss',
        points: [
          [10, 0.3],
          [50, 0.1],
        ],
      },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart line-chart"/);
  assert.equal(count(svg, /<path class="series raw"/g), 1);
  assert.equal(count(svg, /<path class="series smoothed"/g), 1);
  assert.equal(count(svg, /<path class="series"/g), 1, 'the unsmoothed eval series');
  assert.equal(count(svg, /<circle class="point"/g), 2, 'markers on the sparse unsmoothed series only');
  assert.equal(count(svg, /class="legend-item"/g), 2);
  assert.match(svg, /loss \(EMA 0.6\)/);
  assert.ok(count(svg, /class="tick"/g) >= 6, 'tick labels on both axes');
  assert.match(svg, />step</);
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  // Every coordinate lies inside the viewBox.
  for (const d of seriesPaths(svg))
    for (const [x, y] of coordinates(d)) assert.ok(x >= 0 && x <= 560 && y >= 0 && y <= 300, `(${x}, ${y}) inside`);
});

test('lineChart skips non-finite values and nulls', () => {
  const pts = [
    [1, 1],
    [2, Number.NaN],
    [3, Number.POSITIVE_INFINITY],
    [4, 2],
    [Number.NaN, 5],
    [5, 3],
  ] as Point[];
  const svg = lineChart({ title: 'gaps', series: [{ name: 'y', points: [...pts, null as unknown as Point] }] });
  const [d] = seriesPaths(svg);
  assert.equal(coordinates(d!).length, 3);
  assert.equal(count(svg, /<circle class="point"/g), 3);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test('lineChart: one point is a marker, a constant series a flat line, empty series a "no data" note', () => {
  const one = lineChart({ title: 'one', series: [{ name: 'eval_loss', points: [[100, 0.25]] }], xInteger: true });
  assert.equal(count(one, /<path class="series/g), 0);
  assert.equal(count(one, /<circle class="point"/g), 1);
  assert.doesNotMatch(one, /NaN|Infinity/);

  const flat = lineChart({
    title: 'flat',
    series: [
      {
        name: 'kl',
        points: [
          [1, 0],
          [2, 0],
          [3, 0],
        ],
      },
    ],
  });
  const ys = new Set(coordinates(seriesPaths(flat)[0]!).map(([, y]) => y));
  assert.equal(ys.size, 1, 'one y for a constant');
  assert.doesNotMatch(flat, /NaN|Infinity/);

  for (const series of [[], [{ name: 'a', points: [] }], [{ name: 'b', points: [[1, Number.NaN]] as Point[] }]]) {
    const empty = lineChart({ title: 'nothing', series });
    assert.match(empty, /class="no-data"[^>]*>no data</);
    assert.equal(count(empty, /<path class="series/g), 0);
  }
  const partly = lineChart({
    title: 'partly',
    series: [
      {
        name: 'a',
        points: [
          [1, 1],
          [2, 2],
        ],
      },
      { name: 'b', points: [] },
    ],
  });
  assert.match(partly, /b \(no data\)/);
  assert.equal(count(partly, /<path class="series"/g), 1);
});

test('lineChart downsamples long series to maxPoints, and the smoothed line from the full series', () => {
  const many: Point[] = Array.from({ length: 5000 }, (_, i) => [i + 1, Math.cos(i / 100) + (i % 7) * 0.01]);
  const svg = lineChart({ title: 'many', series: [{ name: 'loss', points: many, smoothing: 0.9 }], maxPoints: 200 });
  for (const d of seriesPaths(svg)) assert.ok(coordinates(d).length <= 200, `${coordinates(d).length} points`);
  assert.equal(count(svg, /<circle class="point"/g), 0);
});

test('chart text is escaped', () => {
  const svg = lineChart({
    title: '<b>"A&B"</b>',
    yLabel: "it's",
    series: [
      {
        name: '<script>alert(1)</script>',
        points: [
          [1, 1],
          [2, 2],
        ],
      },
    ],
  });
  assert.doesNotMatch(svg, /<script|<b>/);
  assert.match(svg, /&lt;b&gt;&quot;A&amp;B&quot;&lt;\/b&gt;/);
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(svg, /it&#39;s/);
  assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

test('barChart draws a bar per present value (zero included), n/a for null, and checks its input', () => {
  const svg = barChart({
    title: 'Accuracy',
    yPercent: true,
    categories: ['base', 'sft', 'rl'],
    series: [{ name: 'accuracy', values: [0, 0.21, null] }],
  });
  assert.equal(count(svg, /<path class="series bar"/g), 2);
  assert.equal(count(svg, /class="bar-missing"/g), 1);
  assert.match(svg, />21.0%</);
  for (const d of [...svg.matchAll(/<path class="series bar"[^>]* d="M[\d.]+ [\d.]+h([\d.]+)v([\d.]+)/g)]) {
    assert.ok(Number(d[1]) > 0 && Number(d[2]) > 0, `bar ${d[0]} has width and height`);
  }
  const grouped = barChart({
    title: 'g',
    categories: ['a', 'b'],
    series: [
      { name: 'x', values: [1, 2] },
      { name: 'y', values: [3, -1] },
    ],
  });
  assert.equal(count(grouped, /<path class="series bar"/g), 4);
  assert.equal(count(grouped, /class="legend-item"/g), 2);
  assert.match(barChart({ title: 'none', categories: ['a'], series: [{ name: 'x', values: [null] }] }), /no data/);
  assert.match(barChart({ title: 'none', categories: [], series: [] }), /no data/);
  assert.throws(
    () => barChart({ title: 'T', categories: ['a', 'b'], series: [{ name: 'x', values: [1] }] }),
    /barChart "T": series "x" has 1 values for 2 categories/,
  );
});
