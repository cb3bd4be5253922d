// Math answer normalisation: answer text → a structured value the comparer understands.
// cleanLatex strips presentation, by the rewrite tables below (data, applied in order): unicode
// (≤ ≥ ≠ − × π √ ∞), $…$ / \(…\) / \[…\] delimiters, \left/\right and sizes, \displaystyle,
// \dfrac/\tfrac/\cfrac → \frac, text commands (\textnormal \mbox \mathrm \textbf …) → \text,
// thousands separators ("1,000", "1{,}000", "1\,000", "32,\! 349"), spacing (\! \, \; \quad ~),
// degrees, \$, relation spellings (<= \leq \geqslant \lt …), list words ("or", "and", ";"), a unit
// (\text{…} or a unit word) after a number, "percent" → %, a trailing full stop.
// parseAnswer then classifies: matrix (pmatrix / bmatrix / array …: rows of entries), relation
// (x \le 5, a < x < b, y = 2x + 1; > / \ge are flipped to < / \le with sides swapped), union of
// intervals (\cup), set (\{…\}: order ignored), tuple/interval ((…), […], (…], […): delimiters and
// order must match), bare comma list (order ignored), or scalar (with a percent flag). "a ± b"
// is the set {a + b, a - b}. "x \in S" is S; redundant outer braces/parentheses are dropped.
// Nesting deeper than 20 levels of sets/tuples is left as text (never equal to a number).
// Ambiguity decided here: a comma between digit groups of exactly three ("1,000") is a thousands
// separator, except as the whole content of brackets ("(12,102)" is a pair); "32, 349" is a list.

export type Value =
  | { kind: 'scalar'; text: string; percent: boolean }
  | { kind: 'relation'; ops: string[]; operands: string[] }
  | { kind: 'seq'; open: string; close: string; items: Value[] }
  | { kind: 'set'; items: Value[]; plusMinus?: true }
  | { kind: 'union'; parts: Value[] }
  | { kind: 'matrix'; rows: Value[][] };

const UNIT_WORDS = [
  'cm',
  'mm',
  'km',
  'm',
  'kg',
  'g',
  'mg',
  'lb',
  'lbs',
  'pounds',
  'ounces',
  'oz',
  'inches',
  'inch',
  'in',
  'feet',
  'foot',
  'ft',
  'yards',
  'yd',
  'miles',
  'mile',
  'mph',
  'meters',
  'meter',
  'metres',
  'centimeters',
  'dollars',
  'dollar',
  'cents',
  'cent',
  'euros',
  'yuan',
  'hours',
  'hour',
  'hrs',
  'minutes',
  'minute',
  'min',
  'seconds',
  'second',
  'sec',
  's',
  'days',
  'day',
  'weeks',
  'years',
  'year',
  'units',
  'unit',
  'degrees',
  'degree',
  'people',
  'students',
  'apples',
  'books',
  'times',
  'liters',
  'litres',
  'l',
  'ml',
  'gallons',
  'sq',
  'square',
  'cubic',
  'km/h',
  'm/s',
  'percent',
];
const UNIT_SET = new Set(UNIT_WORDS);

/** Rewrites applied in order by cleanLatex: [pattern, replacement]. */
const REWRITES: [RegExp, string][] = [
  // unicode
  [/\u2212/g, '-'],
  [/≤|⩽/g, '\\le '],
  [/≥|⩾/g, '\\ge '],
  [/≠/g, '\\ne '],
  [/×/g, '\\times '],
  [/·/g, '\\cdot '],
  [/π/g, '\\pi '],
  [/∞/g, '\\infty '],
  [/√/g, '\\sqrt'],
  [/∪/g, '\\cup '],
  [/±/g, '\\pm '],
  // delimiters of a whole math answer
  [/^\$+|\$+$/g, ''],
  [/^\\\(|\\\)$/g, ''],
  [/^\\\[|\\\]$/g, ''],
  // sizes and styles
  [/\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])\s*\.?/g, ''],
  [/\\displaystyle/g, ''],
  [/\\[dtc]frac/g, '\\frac'],
  [/\\(?:textnormal|textrm|textit|textbf|mathrm|mathbf|mathit|mathsf|mbox|operatorname)(?![A-Za-z])/g, '\\text'],
  // thousands separators: 1{,}000, 1\,000, 32,\! 349
  [/\{,\}/g, ','],
  [/(\d)\\,(?=\d{3}(?!\d))/g, '$1'],
  [/(\d),\\!\s*(?=\d{3}(?!\d))/g, '$1'],
  // spacing
  [/(?<!\\)\\[!,;:]|\\quad|\\qquad|~/g, ' '],
  [/(?<!\\)\\ /g, ' '],
  // degrees, currency
  [/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\circ|\\degree/g, ''],
  [/\\\$/g, ''],
  [/\\lbrack/g, '['],
  [/\\rbrack/g, ']'],
  [/\\lbrace/g, '\\{'],
  [/\\rbrace/g, '\\}'],
  // relations
  [/\\leq(?![A-Za-z])|\\leqslant/g, '\\le'],
  [/\\geq(?![A-Za-z])|\\geqslant/g, '\\ge'],
  [/\\neq(?![A-Za-z])/g, '\\ne'],
  [/\\lt(?![A-Za-z])/g, '<'],
  [/\\gt(?![A-Za-z])/g, '>'],
  [/<=/g, '\\le'],
  [/>=/g, '\\ge'],
  [/!=/g, '\\ne'],
  [/\+\s*\\infty/g, '\\infty'],
  // list words: \text{or} / "or" / "and" / ";" between answers act as commas
  [/\\text\{\s*(?:or|and)\s*\}/g, ','],
  [/\s+(?:or|and)\s+/g, ','],
  [/\)\s*(?:or|and)\s*\(/g, '),('],
  [/;/g, ','],
];

/** Strip a trailing run of unit words ("5 square feet" → "5"), only after a number. */
function stripUnits(s: string): string {
  const m = /^(.*[\d}])\s*([A-Za-z][A-Za-z/^0-9\s]*)$/.exec(s);
  if (!m) return s;
  const words = m[2]!.trim().split(/\s+/);
  // "5m" may be 5·m: a one-letter unit needs a space before it
  if (words.length === 1 && words[0]!.length === 1 && s[m[1]!.length] !== ' ') return s;
  const allUnits = words.every((w) => UNIT_SET.has(w.toLowerCase().replace(/\^?[23]$/, '')));
  return allUnits ? m[1]! : s;
}

export function cleanLatex(input: string): string {
  let s = input.trim();
  for (const [re, to] of REWRITES) s = s.replace(re, to);
  // \text{...}: a unit after a number is dropped, otherwise its content is kept ("\text{(C)}" → C)
  s = s.replace(/(\d|\})\s*\\text\{[^{}]*\}\s*(\^\s*\{?[23]\}?)?\s*\.?$/, '$1');
  s = s.replace(/\\text\{\s*\(?([A-Za-z])\)?\s*\}/g, '$1').replace(/\\text\{([^{}]*)\}/g, '$1');
  s = s
    .replace(/\\%|%/g, '%')
    .replace(/\$/g, '')
    .replace(/(\d)\s*(?:percentage|percent|pct)$/, '$1%');
  s = s.replace(/\s+/g, ' ').trim();
  s = stripUnits(s);
  // thousands separators: 1,000 / 12,345,678.5 (exactly three digits per group), except as the
  // whole content of brackets: (12,102) is a pair, an interval or a point, not twelve thousand
  s = s.replace(/(^|[^\d.])(\d{1,3}(?:,\d{3})+)(?![\d])/g, (m, pre: string, num: string, at: number) => {
    const next = s[at + m.length];
    return (pre === '(' || pre === '[') && (next === ')' || next === ']') ? m : pre + num.replace(/,/g, '');
  });
  s = s.replace(/[.,]$/, '').trim();
  return s;
}

/** Split at top-level occurrences of `sep` (outside (), [], {} and \{ \}). */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      out.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim());
}

/** Index of the bracket matching the opener at 0, or -1. */
function matchingClose(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const REL_RE = /\\le(?![A-Za-z])|\\ge(?![A-Za-z])|\\ne(?![A-Za-z])|<|>|=/g;
const MATRIX_RE = /^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/;
const MAX_MATRIX_CELLS = 400;

/** A matrix environment (optionally inside [ ] or ( )) → rows of entry texts, or null. */
function matrixRows(s: string): string[][] | null {
  let t = s.trim();
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('(') && t.endsWith(')'))) {
    const inner = t.slice(1, -1).trim();
    if (inner.startsWith('\\begin{')) t = inner;
  }
  const m = MATRIX_RE.exec(t);
  if (!m) return null;
  const rows = m[2]!
    .split(/\\\\/)
    .map((r) => r.trim())
    .filter((r) => r !== '' && r !== '\\hline');
  const cells = rows.map((r) => r.split('&').map((c) => c.trim()));
  if (cells.length === 0 || cells.reduce((n, r) => n + r.length, 0) > MAX_MATRIX_CELLS) return null;
  return cells;
}

/** Split "a \pm b" at its one top-level \pm into [a + b, a - b], or null. */
function plusMinus(s: string): [string, string] | null {
  const parts = splitTop(s, '\\pm');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return null;
  return [`${parts[0]}+${parts[1]}`, `${parts[0]}-${parts[1]}`];
}

export function parseAnswer(raw: string): Value {
  return parseCleaned(cleanLatex(raw));
}

/** parseAnswer of text cleanLatex already cleaned (or a part of such text, `depth` levels in). */
export function parseCleaned(clean: string, depth = 0): Value {
  let s = clean.trim();
  if (depth > 20) return { kind: 'scalar', text: s, percent: false };
  const rows = matrixRows(s);
  if (rows) return { kind: 'matrix', rows: rows.map((r) => r.map((c) => parseCleaned(c, depth + 1))) };
  // redundant outer braces: {{{1}}} → 1
  // and redundant parentheses: ((x+1)) → x+1, but (1, 2) stays a tuple
  while (
    (s.startsWith('{') || s.startsWith('(')) &&
    matchingClose(s) === s.length - 1 &&
    (s[0] === '{' || splitTop(s.slice(1, -1), ',').length === 1)
  )
    s = s.slice(1, -1).trim();
  // x \in [1, 3)
  const inSet = /^[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*(.+)$/.exec(s);
  if (inSet) s = inSet[1]!;
  // union of intervals / sets
  const unionParts = splitTop(s, '\\cup');
  if (unionParts.length > 1) return { kind: 'union', parts: unionParts.map((p) => parseCleaned(p, depth + 1)) };
  // set \{ ... \}
  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    const inner = s.slice(2, -2).trim();
    return { kind: 'set', items: inner === '' ? [] : flatten(splitTop(inner, ',').map((p) => parseCleaned(p, depth + 1))) };
  }
  // tuple / interval: the opener's match must be the last char ("[1,3)" counts: kinds are not checked)
  if ((s[0] === '(' || s[0] === '[') && (s.endsWith(')') || s.endsWith(']')) && matchingClose(s) === s.length - 1) {
    const items = splitTop(s.slice(1, -1), ',');
    if (items.length > 1) {
      return { kind: 'seq', open: s[0]!, close: s[s.length - 1]!, items: items.map((p) => parseCleaned(p, depth + 1)) };
    }
  }
  // bare list
  const list = splitTop(s, ',');
  if (list.length > 1 && list.every((p) => p.length > 0)) {
    return { kind: 'set', items: flatten(list.map((p) => parseCleaned(p, depth + 1))) };
  }
  // relations (outside brackets): x \le 5, 1 < x < 3, x^2 + y^2 = 1
  const top = s.replace(/\([^()]*\)|\[[^[\]]*\]|\{[^{}]*\}/g, (m) => ' '.repeat(m.length));
  const rels = [...top.matchAll(REL_RE)];
  if (rels.length > 0) {
    const ops: string[] = [];
    const operands: string[] = [];
    let last = 0;
    for (const r of rels) {
      operands.push(s.slice(last, r.index).trim());
      ops.push(r[0]);
      last = r.index! + r[0].length;
    }
    operands.push(s.slice(last).trim());
    if (operands.every((o) => o.length > 0)) {
      // a chain of equalities "a = b = c" stands for its last side when that side is a closed form
      if (ops.length > 1 && ops.every((o) => o === '=')) return parseCleaned(operands[operands.length - 1]!, depth + 1);
      if (ops.every((o) => o === '>' || o === '\\ge')) {
        return { kind: 'relation', ops: ops.reverse().map((o) => (o === '>' ? '<' : '\\le')), operands: operands.reverse() };
      }
      return { kind: 'relation', ops, operands };
    }
  }
  const pm = plusMinus(s);
  if (pm) return { kind: 'set', items: pm.map((p) => parseCleaned(p, depth + 1)), plusMinus: true };
  let percent = false;
  if (s.endsWith('%')) {
    percent = true;
    s = s.slice(0, -1).trim();
  }
  return { kind: 'scalar', text: s, percent };
}

/** A "±" item of a set stands for its two values: {1 ± √5, -2} is {1 + √5, 1 - √5, -2}. */
function flatten(items: Value[]): Value[] {
  return items.flatMap((v) => (v.kind === 'set' && v.plusMinus ? v.items : [v]));
}
