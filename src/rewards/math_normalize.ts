// Math answer normalisation: answer text → a structured value the comparer understands.
// cleanLatex strips presentation: $…$, \left/\right, spacing commands (\! \, \; \quad), \displaystyle,
// \dfrac/\tfrac → \frac, thousands separators ("1,000", "1{,}000", "1\,000"), degrees, \text{…}
// and trailing units ("5 \text{ cm}", "5 dollars", "5 cm"), unicode (≤ ≥ ≠ − × π √).
// parseAnswer then classifies: relation (x \le 5, a < x < b; > / \ge are flipped to < / \le with
// sides swapped), union of intervals (\cup), set (\{…\}: order ignored), tuple/interval ((…), […],
// (…], […): delimiters and order must match), bare comma list ("1, 2" or "1 or 2": order ignored),
// or scalar (with a percent flag). "x = 3" (x, x_1, \theta or f(x) on the left) becomes "3",
// "x \in [1, 3)" becomes "[1, 3)"; redundant outer braces/parentheses are dropped. Nesting deeper
// than 20 levels of sets/tuples is left as text (never equal to a number).
// Ambiguity decided here: a comma between digit groups of exactly three ("1,000") is a thousands
// separator, so "(1,000)" is the number 1000, not a tuple.

export type Value =
  | { kind: 'scalar'; text: string; percent: boolean }
  | { kind: 'relation'; ops: string[]; operands: string[] }
  | { kind: 'seq'; open: string; close: string; items: Value[] }
  | { kind: 'set'; items: Value[] }
  | { kind: 'union'; parts: Value[] };

const UNIT_WORDS = [
  'cm', 'mm', 'km', 'm', 'kg', 'g', 'mg', 'lb', 'lbs', 'pounds', 'ounces', 'oz', 'inches', 'inch', 'in',
  'feet', 'foot', 'ft', 'yards', 'yd', 'miles', 'mile', 'mph', 'meters', 'meter', 'metres', 'centimeters',
  'dollars', 'dollar', 'cents', 'cent', 'euros', 'hours', 'hour', 'hrs', 'minutes', 'minute', 'min',
  'seconds', 'second', 'sec', 's', 'days', 'day', 'weeks', 'years', 'year', 'units', 'unit', 'degrees',
  'degree', 'people', 'students', 'apples', 'books', 'times', 'liters', 'litres', 'l', 'ml', 'gallons',
  'sq', 'square', 'cubic', 'km/h', 'm/s', 'percent',
];
const UNIT_SET = new Set(UNIT_WORDS);

/** Strip a trailing run of unit words ("5 square feet" → "5"), only after a number. */
function stripUnits(s: string): string {
  const m = /^(.*\d)\s*([A-Za-z][A-Za-z/^0-9\s]*)$/.exec(s);
  if (!m) return s;
  const words = m[2]!.trim().split(/\s+/);
  // "5m" may be 5·m: a one-letter unit needs a space before it
  if (words.length === 1 && words[0]!.length === 1 && s[m[1]!.length] !== ' ') return s;
  const allUnits = words.every((w) => UNIT_SET.has(w.toLowerCase().replace(/\^?[23]$/, '')));
  return allUnits ? m[1]! : s;
}

export function cleanLatex(input: string): string {
  let s = input.trim();
  s = s.replace(/\u2212/g, '-').replace(/≤|⩽/g, '\\le ').replace(/≥|⩾/g, '\\ge ').replace(/≠/g, '\\ne ')
    .replace(/×/g, '\\times ').replace(/·/g, '\\cdot ').replace(/π/g, '\\pi ').replace(/∞/g, '\\infty ')
    .replace(/√/g, '\\sqrt').replace(/∪/g, '\\cup ');
  s = s.replace(/^\$+|\$+$/g, '').replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '');
  s = s.replace(/\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])\s*/g, '');
  s = s.replace(/\\displaystyle/g, '').replace(/\\[dt]frac/g, '\\frac').replace(/\\mathrm|\\mathbf|\\textbf/g, '\\text');
  s = s.replace(/\{,\}/g, ',').replace(/(\d)\\,(?=\d{3}(?!\d))/g, '$1');
  s = s.replace(/\\[!,;:]|\\quad|\\qquad|~/g, ' ').replace(/\\ /g, ' ');
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\circ|\\degree/g, '');
  s = s.replace(/\\lbrack/g, '[').replace(/\\rbrack/g, ']').replace(/\\lbrace/g, '\\{').replace(/\\rbrace/g, '\\}');
  s = s.replace(/\\leq(?![A-Za-z])|\\leqslant/g, '\\le').replace(/\\geq(?![A-Za-z])|\\geqslant/g, '\\ge')
    .replace(/\\neq(?![A-Za-z])/g, '\\ne').replace(/\\lt(?![A-Za-z])/g, '<').replace(/\\gt(?![A-Za-z])/g, '>')
    .replace(/<=/g, '\\le').replace(/>=/g, '\\ge').replace(/!=/g, '\\ne');
  // \text{or} / "or" / "and" between answers act as commas
  s = s.replace(/\\text\{\s*(or|and)\s*\}/g, ',').replace(/\s+(or|and)\s+/g, ',');
  // \text{...}: a unit after a number is dropped, otherwise its content is kept
  s = s.replace(/(\d|\})\s*\\text\{[^{}]*\}\s*(\^\s*\{?[23]\}?)?\s*$/, '$1');
  s = s.replace(/\\text\{([^{}]*)\}/g, '$1');
  s = s.replace(/\\%|%/g, '%').replace(/\\\$|\$/g, '').replace(/(\d)\s*percent$/, '$1%');
  s = s.replace(/\s+/g, ' ').trim();
  s = stripUnits(s);
  // thousands separators: 1,000 / 12,345,678.5 (exactly three digits per group)
  s = s.replace(/(^|[^\d.])(\d{1,3}(?:,\d{3})+)(?![\d])/g, (_m, pre: string, num: string) => pre + num.replace(/,/g, ''));
  s = s.replace(/\.$/, '').trim();
  return s;
}

/** Split at top-level occurrences of `sep` (outside (), [], {} and \{ \}). */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) { depth += s[i + 1] === '{' ? 1 : -1; i++; continue; }
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
    else if (c === ')' || c === ']' || c === '}') { depth--; if (depth === 0) return i; }
  }
  return -1;
}

const REL_RE = /\\le(?![A-Za-z])|\\ge(?![A-Za-z])|\\ne(?![A-Za-z])|<|>|=/g;

function stripVarEquals(s: string): string {
  const parts = splitTop(s, '=');
  // x = 3, x_1 = 3, \theta = 3, f(x) = 3
  if (parts.length === 2 && /^(?:[A-Za-z](?:_\{?\w+\}?)?|\\[A-Za-z]+|[A-Za-z]\([A-Za-z]\))$/.test(parts[0]!) && parts[1] !== '') {
    return parts[1]!;
  }
  // x \in [1, 3)
  const inSet = /^[A-Za-z]\s*\\in\s*(.+)$/.exec(s);
  return inSet ? inSet[1]! : s;
}

export function parseAnswer(raw: string, depth = 0): Value {
  let s = depth === 0 ? cleanLatex(raw) : raw.trim();
  if (depth > 20) return { kind: 'scalar', text: s, percent: false };
  // redundant outer braces: {{{1}}} → 1
  // and redundant parentheses: ((x+1)) → x+1, but (1, 2) stays a tuple
  while ((s.startsWith('{') || s.startsWith('(')) && matchingClose(s) === s.length - 1
    && (s[0] === '{' || splitTop(s.slice(1, -1), ',').length === 1)) s = s.slice(1, -1).trim();
  s = stripVarEquals(s);
  // union of intervals / sets
  const unionParts = splitTop(s, '\\cup');
  if (unionParts.length > 1) return { kind: 'union', parts: unionParts.map((p) => parseAnswer(p, depth + 1)) };
  // set \{ ... \}
  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    const inner = s.slice(2, -2).trim();
    return { kind: 'set', items: inner === '' ? [] : splitTop(inner, ',').map((p) => parseAnswer(p, depth + 1)) };
  }
  // tuple / interval: the opener's match must be the last char ("[1,3)" counts: kinds are not checked)
  if ((s[0] === '(' || s[0] === '[') && (s.endsWith(')') || s.endsWith(']')) && matchingClose(s) === s.length - 1) {
    const items = splitTop(s.slice(1, -1), ',');
    if (items.length > 1) {
      return { kind: 'seq', open: s[0]!, close: s[s.length - 1]!, items: items.map((p) => parseAnswer(p, depth + 1)) };
    }
  }
  // bare list
  const list = splitTop(s, ',');
  if (list.length > 1 && list.every((p) => p.length > 0)) {
    return { kind: 'set', items: list.map((p) => parseAnswer(p, depth + 1)) };
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
      if (ops.every((o) => o === '>' || o === '\\ge')) {
        return { kind: 'relation', ops: ops.reverse().map((o) => (o === '>' ? '<' : '\\le')), operands: operands.reverse() };
      }
      return { kind: 'relation', ops, operands };
    }
  }
  let percent = false;
  if (s.endsWith('%')) { percent = true; s = s.slice(0, -1).trim(); }
  return { kind: 'scalar', text: s, percent };
}
