// Answer extraction for the math reward, after Hugging Face Math-Verify's: text → the candidate
// answers, in the order they are tried (the caller takes the first that parses).
// Targets (either or both, per call): 'latex' — \boxed{} answers, LaTeX math ($…$, $$…$$, \(…\),
// \[…\], " […] ") and a bare \frac{a}{b}; 'expr' — plain numbers as people write them (1,000 · 1 000
// · 1000,99 · .5 · 4 4/9 · 28 percent · $3.75) and plain arithmetic (3/4, 2*5+1).
// Priority groups, lowest first (PRIORITIES: the table below):
//   0   "final answer is X. I hope …"           (Minerva / lm-eval style)
//   50  "final answer … is X", and boxes         (several boxes joined by , / and / or, or sharing one
//                                                 math environment, are one set of answers)
//   100 "answer: … X"                           (X within 50 characters; for expr, after an "=")
//   200 "answer … X"
//   300 X anywhere
// Within a group the candidate that ends last comes first (an answer is the last thing said).
// A number is read only where it stands alone: after a space, "=", "**", a currency sign or the
// start, never from inside a word ("AZYUK2", "COVID-19"), and never from inside a math environment
// (the environment is the candidate, "\frac{1+\sqrt{5}}{2}" is not 2) or a mixed number ("11 6/6").
// Linear time: one pass per kind of span, closers looked up once per kind, anchors scanned in
// windows of fixed width, expressions capped at MAX_EXPR_OPS operators.
import { findBoxes, type Box } from '../data/boxed.js';

export type ExtractTarget = 'latex' | 'expr';
export type Source = 'final-answer' | 'boxed' | 'answer' | 'latex' | 'expr';

export interface Candidate {
  /** The answer text (a set of answers joined by ", "); '' for an empty box. */
  answer: string;
  source: Source;
  /** How many answers the candidate joins (boxes of one run, environments joined by "and"). */
  parts: number;
  /** For a run of boxes: how many earlier boxes with other contents it leaves out. */
  skippedBoxes?: number;
  start: number;
  end: number;
}

/** Priority of each way of finding an answer (lower is tried first). */
export const PRIORITIES: Readonly<Record<string, number>> = {
  'final answer is … I hope': 0,
  'final answer … is': 50,
  boxed: 50,
  'answer:': 100,
  answer: 200,
  anywhere: 300,
};
/** Words that join several answers ("1, 2 and 3"). */
const JOINERS = new Set([',', 'and', 'or', ',and', ',or']);
const ANSWER_WINDOW = 50;
const FINAL_WINDOW = 100;
const MAX_EXPR_OPS = 20;

interface Span {
  start: number;
  end: number;
  content: string;
  percent: boolean;
}

// ── math environments ─────────────────────────────────────────────────────────────────────────────

interface EnvKind {
  open: string;
  close: string;
  oneLine: boolean;
}
/** Tried in this order at each position (the longer opener first). */
const ENV_KINDS: EnvKind[] = [
  { open: '$$', close: '$$', oneLine: false },
  { open: '\\[', close: '\\]', oneLine: false },
  { open: '\\(', close: '\\)', oneLine: true },
  { open: '$', close: '$', oneLine: true },
];

const PERCENT_AFTER = /^\s*(?:\\?%|[Pp]ercentage|[Pp]ercent|[Pp]ct)(?![A-Za-z])/;

/** Every math environment of the text, left to right, non-overlapping. */
export function mathEnvironments(text: string): Span[] {
  const out: Span[] = [];
  // per kind: the last closer search (from, found at); a search from later than `from` and not past
  // `at` finds the same closer, and no closer after `from` means none after any later position
  const memo = ENV_KINDS.map(() => ({ from: -1, at: -2 }));
  const closerAfter = (k: number, from: number): number => {
    const m = memo[k]!;
    if (m.from >= 0 && from >= m.from && (m.at < 0 || from <= m.at)) return m.at;
    const kind = ENV_KINDS[k]!;
    let j = from;
    for (;;) {
      j = text.indexOf(kind.close, j);
      if (j < 0 || text[j - 1] !== '\\' || kind.close[0] === '\\') break;
      j += 1; // an escaped \$ is content
    }
    m.from = from;
    m.at = j;
    return j;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$' && c !== '\\') {
      i++;
      continue;
    }
    let found = false;
    for (let k = 0; k < ENV_KINDS.length; k++) {
      const kind = ENV_KINDS[k]!;
      if (!text.startsWith(kind.open, i)) continue;
      if (kind.open[0] === '$' && i > 0 && (text[i - 1] === '\\' || (kind.open === '$' && /\d/.test(text[i - 1]!)))) continue;
      const from = i + kind.open.length;
      const j = closerAfter(k, from);
      if (j < 0 || j === from) continue;
      const content = text.slice(from, j);
      if (kind.oneLine && content.includes('\n')) continue;
      if (kind.open === '$' && content.trim() === '') continue;
      let end = j + kind.close.length;
      const pm = PERCENT_AFTER.exec(text.slice(end, end + 16));
      if (pm) end += pm[0].length;
      out.push({ start: i, end, content, percent: pm !== null });
      i = j + kind.close.length;
      found = true;
      break;
    }
    if (!found) i++;
  }
  // " [ … ] ": an inline bracket environment between spaces, one line, no nested brackets
  const re = /(?<=\s)\[([^\n[\]]+)\](?=\s)/g;
  const brackets: Span[] = [];
  for (const m of text.matchAll(re)) {
    const start = m.index!;
    if (containing(out, start) === null) brackets.push({ start, end: start + m[0].length, content: m[1]!, percent: false });
  }
  return brackets.length === 0 ? out : [...out, ...brackets].sort((a, b) => a.start - b.start);
}

// ── plain numbers and expressions ────────────────────────────────────────────────────────────────

const NUM = String.raw`(?:-?[1-9]\d{0,2}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?(?![\d,]\d)|-?\d+[.,]\d+|-?\.\d+|-?\d+)`;
const PERCENT_WORD = String.raw`(?:\s*(?:%|[Pp]ercentage|[Pp]ercent|[Pp]ct)(?![A-Za-z]))?`;
const OPERAND = String.raw`\(?-?\d+(?:\.\d+)?\)?`;
const CURRENCY = '[$€£¥₹₽₪₩₫฿]';
// a token: a mixed number "4 4/9", an expression "3/4", "2*5 + 1", or a number; standing alone
const TOKEN = new RegExp(
  String.raw`(?<=^|[\s=]|\*\*)${CURRENCY}?(?:(?<mixed>-?\d{1,3}(?: \d{3})*|-?\d+) (?<mnum>\d+)/(?<mden>\d+)` +
    String.raw`|(?<expr>${OPERAND}(?:\s*[-+*×/^÷]\s*${OPERAND}){1,${MAX_EXPR_OPS}})(?=(?:\*\*)?(?:[.,:;\s)$]|$))` +
    String.raw`|(?<num>${NUM})(?<pct>${PERCENT_WORD}))`,
  'g',
);

/** Every standalone number, mixed number or expression (a mixed number that is not one — "11 6/6",
 *  "4 0/0" — is kept, with content null: it claims its digits, so none of them is read alone). */
export function plainNumbers(text: string): (Span & { valid: boolean })[] {
  const out: (Span & { valid: boolean })[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const g = m.groups!;
    const start = m.index!;
    const end = start + m[0].length;
    if (g['mixed'] !== undefined) {
      const whole = g['mixed']!.replace(/ /g, '');
      const num = Number(g['mnum']);
      const den = Number(g['mden']);
      const ok = den > 0 && num < den;
      const neg = whole.startsWith('-');
      const w = BigInt(whole.replace('-', ''));
      const top = w * BigInt(den) + BigInt(num);
      out.push({ start, end, content: ok ? `${neg ? '-' : ''}${top}/${den}` : '', percent: false, valid: ok });
    } else if (g['expr'] !== undefined) {
      out.push({ start, end, content: g['expr']!, percent: false, valid: true });
    } else {
      out.push({ start, end, content: numberText(g['num']!), percent: (g['pct'] ?? '').trim() !== '', valid: true });
    }
  }
  return out;
}

/** "1,000" / "1 000" → 1000; "1000,99" → 1000.99 (a comma not grouping three digits is decimal). */
function numberText(s: string): string {
  if (/^-?[1-9]\d{0,2}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?$/.test(s)) return s.replace(/[, ]/g, '');
  return s.replace(',', '.');
}

/** Index of the first span (sorted by start) that starts at or after p. */
function firstAtOrAfter(spans: readonly { start: number }[], p: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The span (sorted by start, non-overlapping) that contains p, or null. */
function containing<T extends { start: number; end: number }>(spans: readonly T[], p: number): T | null {
  const k = firstAtOrAfter(spans, p + 1) - 1;
  return k >= 0 && p < spans[k]!.end ? spans[k]! : null;
}

// ── boxes as answers ─────────────────────────────────────────────────────────────────────────────

/** The last run of boxes: the last box, the boxes sharing its math environment, and earlier boxes
 *  or environments joined to them by a joiner (, and or). */
function lastBoxRun(text: string, boxes: Box[], envs: Span[]): Candidate | null {
  if (boxes.length === 0) return null;
  const envOf = (b: Box) => {
    const e = containing(envs, b.start);
    return e && b.end <= e.end ? e : null;
  };
  // units: an environment with its boxes, or a bare box
  const units: { start: number; end: number; boxes: Box[]; percent: boolean }[] = [];
  for (const b of boxes) {
    const e = envOf(b);
    const last = units[units.length - 1];
    if (e && last && last.start === e.start) last.boxes.push(b);
    else
      units.push(
        e ? { start: e.start, end: e.end, boxes: [b], percent: e.percent } : { start: b.start, end: b.end, boxes: [b], percent: false },
      );
  }
  let k = units.length - 1;
  while (k > 0 && units[k]!.start - units[k - 1]!.end <= 200) {
    const gap = text
      .slice(units[k - 1]!.end, units[k]!.start)
      .replace(/\s+/g, '')
      .replace(/^[.]/, '');
    if (gap.length > 12 || !JOINERS.has(gap.toLowerCase())) break;
    k--;
  }
  const run = units.slice(k);
  const parts = run.flatMap((u) => u.boxes.map((b) => b.content.trim() + (u.percent && u.boxes.length === 1 ? '%' : '')));
  const kept = new Set(parts.map((p) => p.replace(/\s+/g, '')));
  const skippedBoxes = new Set(
    units
      .slice(0, k)
      .flatMap((u) => u.boxes.map((b) => b.content.replace(/\s+/g, '')))
      .filter((c) => !kept.has(c)),
  ).size;
  return {
    answer: parts.join(', '),
    source: 'boxed',
    parts: parts.length,
    skippedBoxes,
    start: run[0]!.start,
    end: run[run.length - 1]!.end,
  };
}

// ── anchors ───────────────────────────────────────────────────────────────────────────────────────

/** Positions just after each case-insensitive occurrence of `word`. */
function after(lower: string, word: string): number[] {
  const out: number[] = [];
  for (let j = lower.indexOf(word); j >= 0; j = lower.indexOf(word, j + 1)) out.push(j + word.length);
  return out;
}

/**
 * The candidates of `text` in the order they are tried. `targets` chooses what is read (default
 * both); `boxedPriority` moves boxes in the order (0: before everything, as TRL's accuracy reward
 * asks; negative: boxes are not read). Nothing is returned for text without any answer-shaped span.
 */
export function extractCandidates(
  text: string,
  targets: readonly ExtractTarget[] = ['latex', 'expr'],
  opts: { boxedPriority?: number } = {},
): Candidate[] {
  const boxedPriority = opts.boxedPriority ?? PRIORITIES['boxed']!;
  const latex = targets.includes('latex');
  const expr = targets.includes('expr');
  const envs = latex ? mathEnvironments(text) : [];
  const boxes = latex ? findBoxes(text) : [];
  const inEnv = (p: number) => containing(envs, p) !== null;
  const nums = expr ? plainNumbers(text).filter((n) => !inEnv(n.start) && containing(boxes, n.start) === null) : [];
  const fracs = latex
    ? [...text.matchAll(/-?\\[dt]?frac\{-?\d+(?:[.,]\d+)?\}\{-?\d+(?:[.,]\d+)?\}/g)]
        .filter((m) => !inEnv(m.index!))
        .map((m) => ({ start: m.index!, end: m.index! + m[0].length, content: m[0], percent: false }))
    : [];
  const lower = text.toLowerCase();
  // the end of the line holding `from` (anchors come in increasing order: one scan for all of them)
  let lineMemo = { from: -1, at: -1 };
  const lineEnd = (from: number): number => {
    if (from < lineMemo.from || from > lineMemo.at) {
      const j = text.indexOf('\n', from);
      lineMemo = { from, at: j < 0 ? text.length : j };
    }
    return lineMemo.at;
  };
  const groups = new Map<number, Candidate[]>();
  const add = (p: number, c: Candidate) => {
    (groups.get(p) ?? groups.set(p, []).get(p)!).push(c);
  };

  /** An environment's answer: its boxes' contents when it holds boxes ("$\\boxed{12}$" is 12), else its content. */
  const envAnswer = (e: Span): string => {
    const inner: string[] = [];
    for (let b = firstAtOrAfter(boxes, e.start); b < boxes.length && boxes[b]!.end <= e.end; b++) inner.push(boxes[b]!.content.trim());
    return (inner.length > 0 ? inner.join(', ') : e.content.trim()) + (e.percent ? '%' : '');
  };

  const envCandidate = (e: Span, source: Source): Candidate => ({ answer: envAnswer(e), source, parts: 1, start: e.start, end: e.end });
  const numCandidate = (n: Span & { valid: boolean }, source: Source): Candidate => ({
    answer: n.valid ? n.content + (n.percent ? '%' : '') : '',
    source,
    parts: n.valid ? 1 : 0,
    start: n.start,
    end: n.end,
  });
  /** Environments joined by joiners, starting with the environment at index i of `spans`. */
  const joinedFrom = (i: number, source: Source): Candidate => {
    const first = envs[i]!;
    const parts = [envAnswer(first)];
    let end = first.end;
    for (let j = i + 1; j < envs.length && parts.length < 6; j++) {
      const gap = text.slice(end, envs[j]!.start).replace(/\s+/g, '');
      if (!JOINERS.has(gap.toLowerCase())) break;
      parts.push(envAnswer(envs[j]!));
      end = envs[j]!.end;
    }
    return { answer: parts.join(', '), source, parts: parts.length, start: first.start, end };
  };
  /** The first math environment (or environments joined by "and") and the first number starting
   *  within [from, from + width); for `equals`, a number right after the last "=" within the wider
   *  final window is preferred ("Answer: x = 5"); a number followed by "=" is a left side, not an answer. */
  const anchored = (from: number, width: number, source: Source, equals = false): Candidate[] => {
    const found: Candidate[] = [];
    const ei = firstAtOrAfter(envs, from);
    const fi = firstAtOrAfter(fracs, from);
    const env = ei < envs.length && envs[ei]!.start < from + width ? joinedFrom(ei, source) : null;
    const frac = fi < fracs.length && fracs[fi]!.start < from + width ? envCandidate(fracs[fi]!, source) : null;
    const latexFirst = env && frac ? (env.start <= frac.start ? env : frac) : (env ?? frac);
    if (latexFirst) found.push(latexFirst);
    if (nums.length > 0) {
      const line = lineEnd(from);
      const stop = Math.min(line, from + FINAL_WINDOW);
      const eq = equals ? text.lastIndexOf('=', stop - 1) : -1;
      const lo = eq >= from ? eq + 1 : from;
      const hi = eq >= from ? Math.min(stop, eq + 4) : from + width;
      for (let k = firstAtOrAfter(nums, lo); k < nums.length && nums[k]!.start < hi; k++) {
        const n = nums[k]!;
        if (/^\s*=/.test(text.slice(n.end, n.end + 8))) continue;
        found.push(numCandidate(n, source));
        break;
      }
    }
    return found;
  };

  // 0 and 50: "final answer is X. I hope", "final answer … is X"
  for (const p of after(lower, 'final answer')) {
    const is = lower.slice(p, p + FINAL_WINDOW + 4).search(/\sis\b/);
    if (is < 0) continue;
    let from = p + is + 3;
    while (text[from] === ':' || text[from] === ' ') from++;
    for (const c of anchored(from, 3, 'final-answer')) {
      const hope = /^\.?\s?i hope/.test(lower.slice(c.end, c.end + 10));
      add(hope ? PRIORITIES['final answer is … I hope']! : PRIORITIES['final answer … is']!, c);
    }
  }
  // 50: boxes
  const run = lastBoxRun(text, boxes, envs);
  if (run && boxedPriority >= 0) add(boxedPriority, run);
  // 100 and 200: "answer:" and "answer"
  for (const p of after(lower, 'answer')) {
    const colon = /^\**:/.exec(text.slice(p, p + 3));
    for (const c of anchored(colon ? p + colon[0].length : p, ANSWER_WINDOW, 'answer', true))
      add(colon ? PRIORITIES['answer:']! : PRIORITIES['answer']!, c);
  }
  // 300: anywhere
  for (let i = 0; i < envs.length; i++) add(PRIORITIES['anywhere']!, joinedFrom(i, 'latex'));
  for (const f of fracs) add(PRIORITIES['anywhere']!, envCandidate(f, 'latex'));
  for (const n of nums) add(PRIORITIES['anywhere']!, numCandidate(n, 'expr'));

  const out: Candidate[] = [];
  for (const p of [...groups.keys()].sort((a, b) => a - b)) {
    out.push(...groups.get(p)!.sort((a, b) => b.end - a.end || a.start - b.start));
  }
  return out;
}
