// Equality of two parsed math answers (see math_normalize.ts for the Value kinds).
// Scalars: exact numbers first (integers, decimals, fractions a/b and \frac{a}{b}, mixed numbers
// "2 1/2" and "2\frac{1}{2}", scientific 1e3 / 1.5 \times 10^{3}); two integers compare exactly
// (BigInt, so big numbers never match by tolerance), anything else with the relative tolerance.
// Then closed forms through the CAS (\sqrt, \pi, powers), then symbolic/numeric equality of
// expressions with variables, then, last, identical cleaned text.
// Percent: a side written with % may mean either its number or a hundredth of it: "50%" equals
// "50%", "50" and 0.5; a plain "50" never equals 0.5 (no % on either side).
// Relations: same operator sequence and pairwise-equal operands (x \le 5 ≠ x \ge 5; 5 \ge x = x \le 5),
// or one relation each whose sides' differences are proportional (2x + 4y = 8 is x + 2y = 4; -x > -1
// is x < 1: a positive factor for inequalities). An assignment to a name (y = 2x + 1, (p,q) = (3,2),
// \frac{NO}{BO} = …) equals its value; an inequality on a name equals its interval (x \ge 2 is [2, ∞)).
// Tuples/intervals: same delimiters and items in order. Matrices: same shape, equal entries. Sets,
// bare lists, unions: same items in any order (a multiset match).
import { CasClock, closeEnough, evalNumber, exprEqual, proportional } from './math_cas.js';
import { parseCleaned, type Value } from './math_normalize.js';

interface Num {
  value: number;
  int: bigint | null;
}

const NUM = '[+-]?(?:\\d+\\.?\\d*|\\.\\d+)';
const INT_RE = /^[+-]?\d+$/;
const DEC_RE = new RegExp(`^${NUM}(?:[eE][+-]?\\d+)?$`);
const SCI_RE = new RegExp(`^(${NUM})\\s*(?:\\\\times|\\\\cdot|\\*|x)\\s*10\\s*\\^\\s*\\{?\\s*([+-]?\\d+)\\s*\\}?$`);
const FRAC_RE = /^([+-]?)\\frac\s*\{\s*([+-]?\d+(?:\.\d+)?)\s*\}\s*\{\s*([+-]?\d+(?:\.\d+)?)\s*\}$/;
const FRAC_SHORT_RE = /^([+-]?)\\frac\s*(\d)\s*(\d)$/;
const SLASH_RE = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*([+-]?\d+(?:\.\d+)?)$/;
const MIXED_RE = /^([+-]?)(\d+)\s+(\d+)\s*\/\s*(\d+)$/;
const MIXED_TEX_RE = /^([+-]?)(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$/;

function fromNumber(v: number): Num | null {
  if (!Number.isFinite(v)) return null;
  return { value: v, int: Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? BigInt(v) : null };
}

/** An exact-looking number, or null when the text is not a plain number form. */
export function parseNumber(text: string): Num | null {
  const s = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .trim();
  if (s.length === 0 || s.length > 400) return null;
  const compact = s.replace(/ /g, '');
  if (INT_RE.test(compact)) {
    const int = BigInt(compact);
    return { value: Number(compact), int };
  }
  if (DEC_RE.test(compact)) return fromNumber(Number(compact));
  let m = SCI_RE.exec(s);
  if (m) return fromNumber(Number(`${m[1]}e${m[2]}`));
  m = MIXED_RE.exec(s) ?? MIXED_TEX_RE.exec(s);
  if (m) {
    const d = Number(m[4]);
    if (d === 0) return null;
    const v = Number(m[2]) + Number(m[3]) / d;
    return fromNumber(m[1] === '-' ? -v : v);
  }
  m = FRAC_RE.exec(compact) ?? FRAC_SHORT_RE.exec(compact);
  if (m) {
    const d = Number(m[3]);
    if (d === 0) return null;
    const v = Number(m[2]) / d;
    return fromNumber(m[1] === '-' ? -v : v);
  }
  m = SLASH_RE.exec(compact);
  if (m) {
    const d = Number(m[2]);
    if (d === 0) return null;
    return fromNumber(Number(m[1]) / d);
  }
  return null;
}

function numbersEqual(a: Num, b: Num, tol: number): boolean {
  if (a.int !== null && b.int !== null && Number.isInteger(a.value) && Number.isInteger(b.value)) return a.int === b.int;
  return closeEnough(a.value, b.value, tol);
}

function bigIntText(s: string): bigint | null {
  const c = s.replace(/\s+/g, '');
  return INT_RE.test(c) ? BigInt(c) : null;
}

export interface CompareCtx {
  tol: number;
  clock: CasClock;
  /** Variables must match (2x ≠ 2y), as Math-Verify's strict mode; false renames them. */
  strict: boolean;
}

function scalarNumber(text: string, ctx: CompareCtx): Num | null {
  return (
    parseNumber(text) ??
    (() => {
      const v = evalNumber(text, ctx.clock);
      return v === null ? null : { value: v, int: null };
    })()
  );
}

function scalarsEqual(a: { text: string; percent: boolean }, b: { text: string; percent: boolean }, ctx: CompareCtx): boolean {
  // big integers: exact, whatever their size
  const ia = bigIntText(a.text);
  const ib = bigIntText(b.text);
  if (ia !== null && ib !== null && a.percent === b.percent) return ia === ib;
  const na = scalarNumber(a.text, ctx);
  const nb = scalarNumber(b.text, ctx);
  if (na && nb) {
    if (numbersEqual(na, nb, ctx.tol)) return true;
    if (a.percent !== b.percent) {
      const pa = a.percent ? [na, { value: na.value / 100, int: null }] : [na];
      const pb = b.percent ? [nb, { value: nb.value / 100, int: null }] : [nb];
      return pa.some((x) => pb.some((y) => numbersEqual(x, y, ctx.tol)));
    }
    return false;
  }
  if (na || nb) {
    // one side numeric, other not: still try the CAS on the symbolic side (e.g. "\sqrt{4}")
    const r = exprEqual(a.text, b.text, ctx.tol, ctx.clock, ctx.strict);
    return r === true;
  }
  if (a.percent !== b.percent) return false;
  if (norm(a.text) === norm(b.text)) return true;
  return exprEqual(a.text, b.text, ctx.tol, ctx.clock, ctx.strict) === true;
}

function norm(s: string): string {
  return s.replace(/\s+/g, '').replace(/[{}]/g, '').toLowerCase();
}

function multisetEqual(a: Value[], b: Value[], ctx: CompareCtx): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length; j++) {
      if (!used[j] && valuesEqual(x, b[j]!, ctx)) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** A name that an answer may be assigned to: x, x_1, \theta, f(x), AB, \frac{NO}{BO}, V_1:V_2, (p,q). */
const ATOM = String.raw`(?:(?:[A-Za-z]+|\\[A-Za-z]+)(?:_\{?\w+\}?)?|[A-Za-z]\([A-Za-z]\))`;
const NAME_RE = new RegExp(
  String.raw`^(?:${ATOM}|\\frac\{[A-Za-z\\ ]+\}\{[A-Za-z\\ ]+\}|${ATOM}(?: ?: ?${ATOM})+|\( ?${ATOM}(?: ?, ?${ATOM})+ ?\))$`,
);
export function isName(s: string): boolean {
  return s.length <= 60 && NAME_RE.test(s.replace(/\s+/g, ' ').trim());
}

/** "y = 2x + 1" → the value assigned ("2x + 1"), when the left side is a name; "\sin 60^\circ =
 *  \frac{\sqrt3}{2}" → its right side, when both sides are closed forms (an evaluation); else null. */
function assigned(v: Value, ctx: CompareCtx): Value | null {
  if (v.kind !== 'relation' || v.ops.length !== 1 || v.ops[0] !== '=') return null;
  const [l, r] = v.operands as [string, string];
  if (isName(l)) return parseCleaned(r, 1);
  return scalarNumber(l, ctx) !== null && scalarNumber(r, ctx) !== null ? parseCleaned(r, 1) : null;
}

/** An inequality on a name as an interval: x < 3 → (-\infty, 3); -2 \le x \le 7 → [-2, 7]. */
function asInterval(v: Value): Value | null {
  if (v.kind !== 'relation' || !v.ops.every((o) => o === '<' || o === '\\le')) return null;
  const sc = (t: string): Value => ({ kind: 'scalar', text: t, percent: false });
  const open = (o: string) => (o === '<' ? '(' : '[');
  const close = (o: string) => (o === '<' ? ')' : ']');
  const [a, b, c] = v.operands;
  if (v.ops.length === 1) {
    if (isName(a!)) return { kind: 'seq', open: '(', close: close(v.ops[0]!), items: [sc('-\\infty'), sc(b!)] };
    if (isName(b!)) return { kind: 'seq', open: open(v.ops[0]!), close: ')', items: [sc(a!), sc('\\infty')] };
    return null;
  }
  if (v.ops.length === 2 && isName(b!)) return { kind: 'seq', open: open(v.ops[0]!), close: close(v.ops[1]!), items: [sc(a!), sc(c!)] };
  // a \le |x| \le b (0 \le a): [-b, -a] \cup [a, b]
  const abs = /^\|\s*(.+?)\s*\|$/.exec(b ?? '');
  if (v.ops.length === 2 && abs && isName(abs[1]!) && !a!.trim().startsWith('-')) {
    return {
      kind: 'union',
      parts: [
        { kind: 'seq', open: open(v.ops[1]!), close: close(v.ops[0]!), items: [sc(`-(${c})`), sc(`-(${a})`)] },
        { kind: 'seq', open: open(v.ops[0]!), close: close(v.ops[1]!), items: [sc(a!), sc(c!)] },
      ],
    };
  }
  return null;
}

function relationsEqual(a: Extract<Value, { kind: 'relation' }>, b: Extract<Value, { kind: 'relation' }>, ctx: CompareCtx): boolean {
  if (
    a.ops.length === b.ops.length &&
    a.ops.every((o, i) => o === b.ops[i]) &&
    a.operands.every((o, i) => scalarsEqual({ text: o, percent: false }, { text: b.operands[i]!, percent: false }, ctx))
  )
    return true;
  // one relation each side: the same set of solutions when (right - left) agree up to a constant factor
  // (any non-zero factor for = and \ne, a positive one for < and \le: -x > -1 is x < 1)
  if (a.ops.length !== 1 || b.ops.length !== 1 || a.ops[0] !== b.ops[0]) return false;
  const op = a.ops[0]!;
  const da = `(${a.operands[1]})-(${a.operands[0]})`;
  const db = `(${b.operands[1]})-(${b.operands[0]})`;
  return proportional(da, db, op === '=' || op === '\\ne' ? 'any' : 'positive', ctx.clock, ctx.strict) === true;
}

export function valuesEqual(a: Value, b: Value, ctx: CompareCtx): boolean {
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalarsEqual(a, b, ctx);
  if (a.kind === 'relation' && b.kind === 'relation') return relationsEqual(a, b, ctx);
  if (a.kind === 'relation' || b.kind === 'relation') {
    const [rel, other] = a.kind === 'relation' ? [a, b] : [b, a];
    const value = assigned(rel, ctx);
    if (value) return valuesEqual(value, other, ctx);
    const interval = asInterval(rel);
    return interval !== null && (other.kind === 'seq' || other.kind === 'union') && valuesEqual(interval, other, ctx);
  }
  if (a.kind === 'seq' && b.kind === 'seq') {
    if (a.open !== b.open || a.close !== b.close || a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => valuesEqual(x, b.items[i]!, ctx));
  }
  if (a.kind === 'matrix' && b.kind === 'matrix') {
    return (
      a.rows.length === b.rows.length &&
      a.rows.every((r, i) => r.length === b.rows[i]!.length && r.every((x, j) => valuesEqual(x, b.rows[i]![j]!, ctx)))
    );
  }
  if (a.kind === 'set' && b.kind === 'set') return multisetEqual(a.items, b.items, ctx);
  if (a.kind === 'union' && b.kind === 'union') return multisetEqual(a.parts, b.parts, ctx);
  // a one-element set equals its element ("\{3\}" vs "3")
  if (a.kind === 'set' && a.items.length === 1) return valuesEqual(a.items[0]!, b, ctx);
  if (b.kind === 'set' && b.items.length === 1) return valuesEqual(a, b.items[0]!, ctx);
  return false;
}
