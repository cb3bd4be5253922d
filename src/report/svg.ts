// Inline SVG charts for the run report (report.html), no dependencies: a line chart (one or more
// series of (x, y) points, optional EMA smoothing drawn over the faded raw series, min/max-bucket
// downsampling of long series) and a grouped bar chart (one bar per category and series). Both
// return a complete <svg> string with title, axes with "nice" tick labels, axis labels and a legend.
// Non-finite or null values are skipped; one point draws a marker; a constant series gets a padded
// axis; a chart with nothing to draw renders a "no data" note instead of throwing. Every drawn
// series is a real SVG element with a class a test can count: lines are `path.series` (`.raw` /
// `.smoothed` when smoothed), markers `circle.point`, bars `path.series.bar`. All text is escaped.

export type Point = readonly [x: number, y: number];

export interface LineSeries {
  name: string;
  points: readonly Point[];
  /** EMA weight in [0, 1) (TensorBoard's "smoothing", debiased); 0 or absent draws the raw line only. */
  smoothing?: number;
}

export interface ChartFrame {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Tick labels as percentages of 1 (0.25 → 25%). */
  yPercent?: boolean;
}

export interface LineChartOptions extends ChartFrame {
  series: readonly LineSeries[];
  /** Ticks on x only at integers (training steps). */
  xInteger?: boolean;
  /** Most points drawn per series; longer series are downsampled keeping each bucket's min and max. */
  maxPoints?: number;
  /** Markers are drawn on unsmoothed series with at most this many points (sparse eval series). */
  markersUpTo?: number;
}

export interface BarChartOptions extends ChartFrame {
  categories: readonly string[];
  series: readonly { name: string; values: readonly (number | null)[] }[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Removes floating-point fuzz from a computed tick (0.30000000000000004 → 0.3). */
function clean(v: number): number {
  return Number.parseFloat(v.toPrecision(12));
}

/** The tick step for a span: 1, 2 or 5 times a power of ten, about span / target; at least minStep. */
export function niceStep(span: number, target = 5, minStep = 0): number {
  if (!(span > 0) || !Number.isFinite(span)) throw new Error(`niceStep: span must be finite and > 0, got ${span}`);
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude;
  return clean(Math.max(step, minStep));
}

/** Ticks at multiples of a nice step inside [min, max] (inclusive up to rounding). Equal ends give [min]. */
export function niceTicks(min: number, max: number, target = 5, minStep = 0): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`niceTicks: bounds must be finite, got [${min}, ${max}]`);
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const step = niceStep(max - min, target, minStep);
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(clean(i * step));
  return ticks;
}

/** A domain that contains [min, max], ends on nice ticks, and is never empty (a constant gets padding). */
export function niceDomain(min: number, max: number, target = 5, minStep = 0): { domain: [number, number]; ticks: number[]; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`niceDomain: bounds must be finite, got [${min}, ${max}]`);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = Math.max(min === 0 ? 1 : Math.abs(min) * 0.1, minStep);
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, target, minStep);
  const lo = clean(Math.floor(min / step + 1e-9) * step),
    hi = clean(Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = Math.round(lo / step); i <= Math.round(hi / step); i++) ticks.push(clean(i * step));
  return { domain: [lo, hi], ticks, step };
}

/** A linear map from domain to range; a zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain,
    [r0, r1] = range;
  if (d0 === d1) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Debiased exponential moving average (TensorBoard): weight 0 returns the values unchanged. */
export function ema(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`ema: weight must be in [0, 1), got ${weight}`);
  const out: number[] = [];
  let acc = 0,
    norm = 0;
  for (const v of values) {
    acc = acc * weight + (1 - weight) * v;
    norm = norm * weight + (1 - weight);
    out.push(acc / norm);
  }
  return out;
}

/** At most ~maxPoints points: the first and last kept, each bucket between represented by its min and max (in x order). */
export function downsample(points: readonly Point[], maxPoints: number): Point[] {
  if (maxPoints < 4) throw new Error(`downsample: maxPoints must be >= 4, got ${maxPoints}`);
  if (points.length <= maxPoints) return points.slice();
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = points.length - 2;
  const out: Point[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets),
      end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let lo = start,
      hi = start;
    for (let i = start; i < end; i++) {
      if (points[i]![1] < points[lo]![1]) lo = i;
      if (points[i]![1] > points[hi]![1]) hi = i;
    }
    if (lo === hi) out.push(points[lo]!);
    else for (const i of lo < hi ? [lo, hi] : [hi, lo]) out.push(points[i]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

/** A tick label: decimals enough for the step, exponent notation for very small or large magnitudes. */
export function formatTick(v: number, step: number, percent = false): string {
  if (percent) {
    const decimals = Math.max(0, -Math.floor(Math.log10(step * 100) + 1e-9));
    return `${(v * 100).toFixed(decimals)}%`;
  }
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || step < 1e-3) {
    const mantissaDecimals = Math.max(0, Math.min(3, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
    return v.toExponential(mantissaDecimals).replace('e+', 'e');
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(decimals);
}

const r2 = (v: number) => String(Math.round(v * 100) / 100);
const approxTextWidth = (text: string, fontSize: number) => text.length * fontSize * 0.58;

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`;
}

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  header: string;
}

/** Title and legend (wrapping into rows) at the top; returns the plot box below them. */
function frameLayout(frame: ChartFrame, legend: readonly { name: string; color: string; dashed?: boolean }[]): Layout {
  const width = frame.width ?? 560,
    height = frame.height ?? 300;
  const parts: string[] = [
    `<title>${escapeXml(frame.title)}</title>`,
    `<text class="chart-title" x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(frame.title)}</text>`,
  ];
  let x = 56,
    y = 38;
  const items: string[] = [];
  for (const item of legend) {
    const label = truncate(item.name, 40);
    const itemWidth = 22 + approxTextWidth(label, 11) + 14;
    if (x + itemWidth > width - 8 && x > 56) {
      x = 56;
      y += 16;
    }
    items.push(
      `<g class="legend-item"><line class="legend-swatch" x1="${r2(x)}" y1="${y - 4}" x2="${r2(x + 16)}" y2="${y - 4}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="4 3"' : ''}/>` +
        `<text x="${r2(x + 21)}" y="${y}" font-size="11">${escapeXml(label)}</text></g>`,
    );
    x += itemWidth;
  }
  if (items.length > 0) parts.push(`<g class="legend">${items.join('')}</g>`);
  const top = items.length > 0 ? y + 14 : 32;
  const left = frame.yLabel ? 66 : 52;
  const bottom = height - (frame.xLabel ? 42 : 28);
  return { width, height, left, right: width - 14, top, bottom, header: parts.join('') };
}

function openSvg(width: number, height: number, kind: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif">`;
}

function noDataSvg(frame: ChartFrame, kind: string, message: string): string {
  const width = frame.width ?? 560,
    height = frame.height ?? 300;
  return (
    openSvg(width, height, kind, frame.title) +
    `<title>${escapeXml(frame.title)}</title>` +
    `<text class="chart-title" x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(frame.title)}</text>` +
    `<rect x="8" y="30" width="${width - 16}" height="${height - 38}" fill="#fafafa" stroke="#ddd"/>` +
    `<text class="no-data" x="${width / 2}" y="${height / 2 + 10}" text-anchor="middle" font-size="13" fill="#777">${escapeXml(message)}</text></svg>`
  );
}

function axisLabels(frame: ChartFrame, layout: Layout): string {
  const parts: string[] = [];
  if (frame.xLabel)
    parts.push(
      `<text class="axis-label" x="${r2((layout.left + layout.right) / 2)}" y="${layout.height - 8}" text-anchor="middle" font-size="12" fill="#333">${escapeXml(frame.xLabel)}</text>`,
    );
  if (frame.yLabel) {
    const cy = r2((layout.top + layout.bottom) / 2);
    parts.push(
      `<text class="axis-label" x="14" y="${cy}" transform="rotate(-90 14 ${cy})" text-anchor="middle" font-size="12" fill="#333">${escapeXml(frame.yLabel)}</text>`,
    );
  }
  return parts.join('');
}

function yAxis(layout: Layout, ticks: readonly number[], step: number, y: (v: number) => number, percent: boolean): string {
  const lines = ticks.map((t) => {
    const py = r2(y(t));
    return (
      `<line class="grid" x1="${layout.left}" y1="${py}" x2="${layout.right}" y2="${py}" stroke="#e5e5e5"/>` +
      `<text class="tick" x="${layout.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" fill="#444">${escapeXml(formatTick(t, step, percent))}</text>`
    );
  });
  return `<g class="axis y-axis">${lines.join('')}<line x1="${layout.left}" y1="${layout.top}" x2="${layout.left}" y2="${layout.bottom}" stroke="#888"/></g>`;
}

interface PreparedSeries {
  name: string;
  color: string;
  raw: Point[];
  smoothed: Point[] | null;
  weight: number;
}

/** A line chart as an <svg> string. */
export function lineChart(options: LineChartOptions): string {
  const maxPoints = options.maxPoints ?? 500;
  const prepared: PreparedSeries[] = options.series.map((s, i) => {
    const finite = s.points.filter((p) => p != null && Number.isFinite(p[0]) && Number.isFinite(p[1])).map((p): Point => [p[0], p[1]]);
    const weight = s.smoothing ?? 0;
    const smoothedAll =
      weight > 0 && finite.length > 2
        ? ema(
            finite.map((p) => p[1]),
            weight,
          ).map((v, j): Point => [finite[j]![0], v])
        : null;
    return {
      name: s.name,
      color: PALETTE[i % PALETTE.length]!,
      weight,
      raw: downsample(finite, maxPoints),
      smoothed: smoothedAll ? downsample(smoothedAll, maxPoints) : null,
    };
  });
  const all = prepared.flatMap((s) => s.raw);
  if (all.length === 0) return noDataSvg(options, 'line-chart', 'no data');

  const legend = prepared.map((s) => ({
    name: s.smoothed ? `${s.name} (EMA ${s.weight})` : s.raw.length === 0 ? `${s.name} (no data)` : s.name,
    color: s.color,
  }));
  const layout = frameLayout(options, legend);
  let xMin = Infinity,
    xMax = -Infinity,
    yMin = Infinity,
    yMax = -Infinity;
  for (const [px, py] of all) {
    xMin = Math.min(xMin, px);
    xMax = Math.max(xMax, px);
    yMin = Math.min(yMin, py);
    yMax = Math.max(yMax, py);
  }
  const xInteger = options.xInteger ?? false;
  // x: the data's own range (no nice padding, so the lines start at the left axis); y: a nice domain.
  const xDomain: [number, number] = xMin === xMax ? [xMin - (xInteger ? 1 : 0.5), xMax + (xInteger ? 1 : 0.5)] : [xMin, xMax];
  const xTicks = niceTicks(xDomain[0], xDomain[1], 6, xInteger ? 1 : 0);
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : niceStep(xDomain[1] - xDomain[0], 6, xInteger ? 1 : 0);
  const yNice = niceDomain(yMin, yMax, 5);
  const x = linearScale(xDomain, [layout.left, layout.right]);
  const y = linearScale(yNice.domain, [layout.bottom, layout.top]);

  const xAxis = `<g class="axis x-axis">${xTicks
    .map((t) => {
      const px = r2(x(t));
      return (
        `<line x1="${px}" y1="${layout.bottom}" x2="${px}" y2="${layout.bottom + 4}" stroke="#888"/>` +
        `<text class="tick" x="${px}" y="${layout.bottom + 16}" text-anchor="middle" font-size="11" fill="#444">${escapeXml(formatTick(t, xStep))}</text>`
      );
    })
    .join('')}<line x1="${layout.left}" y1="${layout.bottom}" x2="${layout.right}" y2="${layout.bottom}" stroke="#888"/></g>`;

  const pathOf = (pts: readonly Point[]) => pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${r2(x(p[0]))} ${r2(y(p[1]))}`).join('');
  const markersUpTo = options.markersUpTo ?? 40;
  const drawn: string[] = [];
  for (const s of prepared) {
    const name = escapeXml(s.name);
    if (s.raw.length >= 2) {
      const cls = s.smoothed ? 'series raw' : 'series';
      const style = s.smoothed ? `stroke-opacity="0.3" stroke-width="1"` : `stroke-width="1.8"`;
      drawn.push(
        `<path class="${cls}" data-series="${name}" d="${pathOf(s.raw)}" fill="none" stroke="${s.color}" ${style} stroke-linejoin="round"><title>${name}</title></path>`,
      );
    }
    if (s.smoothed && s.smoothed.length >= 2) {
      drawn.push(
        `<path class="series smoothed" data-series="${name}" d="${pathOf(s.smoothed)}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"><title>${name} (EMA ${s.weight})</title></path>`,
      );
    }
    if (s.raw.length > 0 && (s.raw.length === 1 || (!s.smoothed && s.raw.length <= markersUpTo))) {
      for (const p of s.raw) {
        drawn.push(
          `<circle class="point" data-series="${name}" cx="${r2(x(p[0]))}" cy="${r2(y(p[1]))}" r="3" fill="${s.color}"><title>${name}: ${escapeXml(String(p[1]))} at ${escapeXml(String(p[0]))}</title></circle>`,
        );
      }
    }
  }
  return (
    openSvg(layout.width, layout.height, 'line-chart', options.title) +
    layout.header +
    yAxis(layout, yNice.ticks, yNice.step, y, options.yPercent ?? false) +
    xAxis +
    axisLabels(options, layout) +
    `<g class="plot">${drawn.join('')}</g></svg>`
  );
}

/** A grouped bar chart as an <svg> string: bars start at zero; a null value draws "n/a" instead of a bar. */
export function barChart(options: BarChartOptions): string {
  const { categories, series } = options;
  for (const s of series) {
    if (s.values.length !== categories.length)
      throw new Error(`barChart "${options.title}": series "${s.name}" has ${s.values.length} values for ${categories.length} categories`);
  }
  const values = series.flatMap((s) => s.values).filter((v): v is number => v != null && Number.isFinite(v));
  if (categories.length === 0 || values.length === 0) return noDataSvg(options, 'bar-chart', 'no data');

  const legend = series.length > 1 ? series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]! })) : [];
  const layout = frameLayout(options, legend);
  const labelRoom = 18;
  const plotBottom = layout.bottom - labelRoom;
  const yNice = niceDomain(Math.min(0, ...values), Math.max(0, ...values), 5);
  const y = linearScale(yNice.domain, [plotBottom, layout.top + 12]);
  const percent = options.yPercent ?? false;
  const band = (layout.right - layout.left) / categories.length;
  const barWidth = Math.min(48, (band * 0.8) / series.length);
  const maxLabelChars = Math.max(4, Math.floor(band / (11 * 0.58)));
  const zero = y(0);
  const parts: string[] = [];
  categories.forEach((category, c) => {
    const groupLeft = layout.left + c * band + (band - barWidth * series.length) / 2;
    series.forEach((s, k) => {
      const v = s.values[c];
      const bx = groupLeft + k * barWidth + 1,
        bw = Math.max(1, barWidth - 2);
      const label = `${s.name} · ${category}`;
      if (v == null || !Number.isFinite(v)) {
        parts.push(
          `<text class="bar-missing" x="${r2(bx + bw / 2)}" y="${r2(zero - 4)}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`,
        );
        return;
      }
      // A zero value still draws a 1px bar, so every present value is a visible, measurable element.
      const top = Math.min(y(v), zero),
        height = Math.max(1, Math.abs(y(v) - zero));
      const text = percent ? `${(v * 100).toFixed(1)}%` : formatTick(v, yNice.step / 10);
      parts.push(
        `<path class="series bar" data-series="${escapeXml(s.name)}" data-category="${escapeXml(category)}" d="M${r2(bx)} ${r2(top)}h${r2(bw)}v${r2(height)}h${r2(-bw)}Z" fill="${PALETTE[k % PALETTE.length]}"><title>${escapeXml(label)}: ${escapeXml(text)}</title></path>` +
          `<text class="bar-value" x="${r2(bx + bw / 2)}" y="${r2(v >= 0 ? top - 3 : top + height + 11)}" text-anchor="middle" font-size="10" fill="#333">${escapeXml(text)}</text>`,
      );
    });
    parts.push(
      `<text class="tick category" x="${r2(layout.left + (c + 0.5) * band)}" y="${r2(plotBottom + 14)}" text-anchor="middle" font-size="11" fill="#444">${escapeXml(truncate(category, maxLabelChars))}<title>${escapeXml(category)}</title></text>`,
    );
  });
  const baseline = `<line class="zero" x1="${layout.left}" y1="${r2(zero)}" x2="${layout.right}" y2="${r2(zero)}" stroke="#888"/>`;
  const boxLayout = { ...layout, bottom: plotBottom };
  return (
    openSvg(layout.width, layout.height, 'bar-chart', options.title) +
    layout.header +
    yAxis(boxLayout, yNice.ticks, yNice.step, y, percent) +
    baseline +
    axisLabels(options, layout) +
    `<g class="plot">${parts.join('')}</g></svg>`
  );
}
