// Guarded access to the computer algebra system (@cortex-js/compute-engine) for the math reward.
// evalNumber: a closed-form expression (\sqrt{2}, 2^{10}, \pi/4) → a real number, or null.
// exprEqual: two expressions (possibly with variables) → true / false / null (undecided):
// structural identity of the canonical forms, then a numeric check at several seeded sample points
// (x ∈ [0.5, 2.5], so sqrt/log stay real; 3 usable points needed), then, only if too few points
// were usable and the input is small with exponents < 5, an expanded difference of 0.
// Never hangs: the CAS is synchronous and cannot be interrupted, so inputs are screened first
// (length ≤ MAX_CAS_CHARS, no factorials/sums/products/integrals/limits/binomials with big
// literals, no exponent literal above 1000, no power towers deeper than 2); each call is timed and,
// once a verification has spent CAS_BUDGET_MS, further CAS calls are refused (null).
import { ComputeEngine } from '@cortex-js/compute-engine';
import { mulberry32 } from '../common/rng.js';

export const MAX_CAS_CHARS = 300;
export const CAS_BUDGET_MS = 500;

let engine: ComputeEngine | null = null;
function ce(): ComputeEngine {
  if (!engine) engine = new ComputeEngine();
  return engine;
}

/** A per-verification time budget shared by all CAS calls. */
export class CasClock {
  private spent = 0;
  exhausted(): boolean {
    return this.spent >= CAS_BUDGET_MS;
  }
  run<T>(f: () => T): T | null {
    if (this.exhausted()) return null;
    const t0 = performance.now();
    try {
      return f();
    } catch {
      return null;
    } finally {
      this.spent += performance.now() - t0;
    }
  }
}

/** Why an expression may not go to the CAS, or null if it may. */
export function casRefusal(latex: string): string | null {
  if (latex.length > MAX_CAS_CHARS) return 'expression too long for CAS';
  if (/!|\\(?:sum|prod|int|iint|lim|binom|choose|Gamma|operatorname|mathrm)(?![A-Za-z])/.test(latex) && /\d{4,}/.test(latex)) {
    return 'expensive operator with big literal';
  }
  if (/!/.test(latex) && /\d{3,}\s*!/.test(latex)) return 'big factorial';
  const exps = latex.matchAll(/\^\s*\{?\s*-?(\d+(?:\.\d+)?)/g);
  for (const m of exps) if (Number(m[1]) > 1000) return 'exponent too large';
  // power towers: a ^ inside an exponent inside an exponent
  let depth = 0;
  let maxDepth = 0;
  const stack: boolean[] = [];
  for (let i = 0; i < latex.length; i++) {
    const c = latex[i];
    if (c === '^') {
      if (latex[i + 1] === '{') {
        stack.push(true);
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        i++;
      } else maxDepth = Math.max(maxDepth, depth + 1);
    } else if (c === '{') stack.push(false);
    else if (c === '}') {
      if (stack.pop()) depth--;
    }
  }
  if (maxDepth > 2) return 'power tower';
  let nest = 0;
  let maxNest = 0;
  for (const c of latex) {
    if (c === '{' || c === '(') maxNest = Math.max(maxNest, ++nest);
    else if (c === '}' || c === ')') nest--;
  }
  if (maxNest > 30) return 'nesting too deep';
  return null;
}

/** Plain-text math → LaTeX the CAS reads (sqrt(2) → \sqrt{2}, pi → \pi, ** → ^). */
export function toCasLatex(s: string): string {
  let t = s.replace(/\*\*/g, '^').replace(/(?<![\\A-Za-z])sqrt\s*\(([^()]*)\)/g, '\\sqrt{$1}');
  t = t.replace(/(?<![\\A-Za-z])pi(?![A-Za-z])/g, '\\pi').replace(/\\cdot|\*/g, '\\cdot ');
  // models write 2^10 meaning 2^{10} (TeX would read 2^1·0)
  t = t.replace(/\^(\d{2,})/g, '^{$1}');
  t = t.replace(/\\sqrt(\d)/g, '\\sqrt{$1}').replace(/\\frac(\d)(\d)/g, '\\frac{$1}{$2}');
  // binomial coefficients the CAS does not read: \binom{n}{k} with small literals, evaluated here
  t = t.replace(/\\[dt]?binom\s*\{\s*(\d{1,3})\s*\}\s*\{\s*(\d{1,3})\s*\}/g, (_m, n: string, k: string) =>
    String(binomial(Number(n), Number(k))),
  );
  return t;
}

/** n choose k, exact for n ≤ 999 when the result fits a double; 0 for k > n. */
function binomial(n: number, k: number): number {
  if (k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}

type Boxed = ReturnType<ComputeEngine['parse']>;

function parse(latex: string): Boxed | null {
  const e = ce().parse(toCasLatex(latex));
  return e.isValid ? e : null;
}

function realOf(e: Boxed): number | null {
  const v = e.N();
  const re = v.re;
  const im = v.im;
  if (typeof re !== 'number' || !Number.isFinite(re)) return null;
  if (typeof im === 'number' && Math.abs(im) > 1e-12 * Math.max(1, Math.abs(re))) return null;
  return re;
}

export function evalNumber(latex: string, clock: CasClock): number | null {
  if (casRefusal(latex)) return null;
  return clock.run(() => {
    const e = parse(latex);
    if (!e || e.unknowns.length > 0) return null;
    return realOf(e);
  });
}

export function closeEnough(a: number, b: number, tol: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

/** Deterministic PRNG (mulberry32 from the raw seed) so verification is reproducible. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const draw = mulberry32(state);
    state = draw.state;
    return draw.u;
  };
}

/** Non-strict comparison: b's variables renamed to a's, in sorted order, when both have as many
 *  and they differ (2y reads as 2x); strict keeps the names (variables must match, as Math-Verify). */
function renamed(ea: Boxed, eb: Boxed, strict: boolean): Boxed {
  if (strict) return eb;
  const ua = [...ea.unknowns].sort();
  const ub = [...eb.unknowns].sort();
  if (ua.length === 0 || ua.length !== ub.length || ua.every((v, i) => v === ub[i])) return eb;
  return eb.subs(Object.fromEntries(ub.map((v, i) => [v, ce().box(ua[i]!)])));
}

export function exprEqual(a: string, b: string, tol: number, clock: CasClock, strict = true): boolean | null {
  if (casRefusal(a) || casRefusal(b)) return null;
  const r = clock.run(() => {
    const ea = parse(a);
    const pb = parse(b);
    if (!ea || !pb) return null;
    const eb = renamed(ea, pb, strict);
    if (ea.isSame(eb)) return true;
    const vars = [...new Set([...ea.unknowns, ...eb.unknowns])];
    if (vars.length === 0) {
      const x = realOf(ea);
      const y = realOf(eb);
      return x === null || y === null ? null : closeEnough(x, y, tol);
    }
    if (vars.length > 6) return null;
    const next = rng(12345);
    let good = 0;
    for (let k = 0; k < 8 && good < 5; k++) {
      const point: Record<string, number> = {};
      for (const v of vars) point[v] = 0.5 + 2 * next();
      const x = realOf(ea.subs(point));
      const y = realOf(eb.subs(point));
      if (x === null || y === null) continue;
      if (!closeEnough(x, y, Math.max(tol, 1e-9))) return false;
      good++;
    }
    if (good >= 3) return true;
    // too few usable sample points (domain trouble): try expanding the difference, only for small
    // polynomial-sized inputs (Expand of (a+b+c)^{30} runs for minutes)
    if (a.length + b.length > 120 || /\^\s*\{?\s*(?:[5-9]|\d\d)/.test(a + b)) return null;
    const diff = ce()
      .box(['Expand', ['Subtract', ea, eb]])
      .evaluate();
    return diff.json === 0 ? true : null;
  });
  return r;
}

/**
 * Whether a = c·b for one constant c ≠ 0 (c > 0 for 'positive'), at seeded sample points of their
 * variables: two equations (or inequalities) whose sides' differences are proportional have the
 * same solutions. Strict: both must have the same variables (else b's are renamed to a's, as in
 * exprEqual). true / false / null (undecided).
 */
export function proportional(a: string, b: string, sign: 'any' | 'positive', clock: CasClock, strict = true): boolean | null {
  if (casRefusal(a) || casRefusal(b)) return null;
  return clock.run(() => {
    const ea = parse(a);
    const pb = parse(b);
    if (!ea || !pb) return null;
    const eb = renamed(ea, pb, strict);
    const va = [...ea.unknowns].sort();
    const vb = [...eb.unknowns].sort();
    if (va.length !== vb.length || va.some((v, i) => v !== vb[i]) || va.length > 6) return false;
    const next = rng(54321);
    let ratio: number | null = null;
    let good = 0;
    for (let k = 0; k < 10 && good < 5; k++) {
      const point: Record<string, number> = {};
      for (const v of va) point[v] = 0.5 + 2 * next();
      const x = va.length > 0 ? realOf(ea.subs(point)) : realOf(ea);
      const y = va.length > 0 ? realOf(eb.subs(point)) : realOf(eb);
      if (x === null || y === null || Math.abs(y) < 1e-9) continue;
      const r = x / y;
      if (ratio === null) ratio = r;
      else if (!closeEnough(r, ratio, 1e-6)) return false;
      good++;
    }
    if (ratio === null || good < 3 || Math.abs(ratio) < 1e-9) return null;
    return sign === 'any' || ratio > 0;
  });
}
