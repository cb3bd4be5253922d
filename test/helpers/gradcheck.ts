// Finite-difference gradient checking in float64 for the tensor layer's tests.
//
// gradcheck(f, inputs) compares the autograd gradient of L(x) = sum(f(x) * w), with w a fixed
// random weight shaped like f's output (so every output element is checked, not just their sum),
// against central differences (L(x + eps e_i) - L(x - eps e_i)) / 2 eps, for every element of
// every input that requires grad. Inputs that do not require grad (index tensors, masks) are passed
// to f unchanged and not checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Allowed |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|). */
  rtol?: number;
  atol?: number;
  /** Seed of the weight tensor w. */
  seed?: number;
}

export interface GradcheckResult {
  /** Elements compared, over all checked inputs. */
  checked: number;
  /** Largest |analytic - numeric| seen. */
  maxAbsError: number;
}

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
import { random as prng } from './random.js';
export { prng };

export interface InputOptions {
  lo?: number;
  hi?: number;
  seed?: number;
  /** Points the values must stay away from (kinks, clamp bounds, zero), by at least `margin`. */
  avoid?: readonly number[];
  margin?: number;
  requiresGrad?: boolean;
}

let nextSeed = 1;

/** Restarts the seeds input() draws from, so a test's values do not depend on which tests ran before it. */
export function seedInputs(seed: number): void {
  nextSeed = seed;
}

/** A float64 leaf with uniform values in [lo, hi) (default [-2, 2)), requiring grad by default. */
export function input(shape: readonly number[], o: InputOptions = {}): Tensor {
  const { lo = -2, hi = 2, avoid = [], margin = 1e-3, requiresGrad = true } = o;
  const rand = prng(o.seed ?? nextSeed++);
  const n = shape.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  while (values.length < n) {
    const v = lo + (hi - lo) * rand();
    if (avoid.every((p) => Math.abs(v - p) >= margin)) values.push(v);
  }
  return pt.tensor(values, { dtype: 'float64', shape, requiresGrad });
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function values(t: Tensor): number[] {
  return t.toFlatArray() as number[];
}

/** Throws an AssertionError naming the input, element and both gradients at the first mismatch. */
export function gradcheck(f: (inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7, seed = 12345 } = opts;
  const checkedIdx = inputs.map((x, i) => (x.requiresGrad ? i : -1)).filter((i) => i >= 0);
  assert.ok(checkedIdx.length > 0, 'gradcheck: no input requires grad');
  for (const i of checkedIdx) assert.equal(inputs[i]!.dtype, 'float64', `gradcheck: input ${i} must be float64`);

  // Analytic side: backward of sum(f(x) * w).
  const { weights, analytic } = pt.scope(() => {
    for (const i of checkedIdx) inputs[i]!.grad = null;
    const out = f(inputs);
    assert.equal(out.dtype, 'float64', 'gradcheck: f must return a float64 tensor');
    assert.ok(out.requiresGrad, 'gradcheck: the output does not require grad (no path to any input)');
    const rand = prng(seed);
    const w = Array.from({ length: out.numel }, () => 2 * rand() - 1);
    const wt = pt.tensor(w, { dtype: 'float64', shape: out.shape });
    out.mul(wt).sum().backward();
    const grads = checkedIdx.map((i) => {
      const x = inputs[i]!;
      const g = x.grad;
      if (g === null) return new Array<number>(x.numel).fill(0); // no path: a zero gradient
      assert.deepEqual(g.shape, x.shape, `gradcheck: gradient of input ${i} has the wrong shape`);
      return values(g);
    });
    for (const i of checkedIdx) inputs[i]!.grad = null;
    return { weights: w, analytic: grads };
  });

  // Numeric side: central differences, one element at a time.
  const loss = (xs: Tensor[]): number =>
    pt.scope(() => {
      const out = f(xs);
      assert.equal(out.numel, weights.length, 'gradcheck: f changed its output size');
      return dot(values(out), weights);
    });
  let checked = 0;
  let maxAbsError = 0;
  pt.noGrad(() => {
    checkedIdx.forEach((i, k) => {
      const x = inputs[i]!;
      const shape = x.shape;
      const base = values(x);
      for (let j = 0; j < base.length; j++) {
        const at = (delta: number): number =>
          pt.scope(() => {
            const v = base.slice();
            v[j] = v[j]! + delta;
            const xs = inputs.slice();
            xs[i] = pt.tensor(v, { dtype: 'float64', shape });
            return loss(xs);
          });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const a = analytic[k]![j]!;
        const err = Math.abs(a - numeric);
        maxAbsError = Math.max(maxAbsError, err);
        checked++;
        if (!(err <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))) {
          assert.fail(
            `gradcheck: input ${i} ${JSON.stringify(shape)} element ${j} (value ${base[j]}): ` +
              `autograd ${a} vs finite difference ${numeric} (|diff| ${err.toExponential(2)})`,
          );
        }
      }
    });
  });
  return { checked, maxAbsError };
}

// ---- shared by the gradcheck test files

type Make = () => Tensor[];
type Fn = (x: Tensor[]) => Tensor;

/** A list of gradcheck cases: `c(name, make, f)` adds one; `testCases()` makes one test per case. */
export function gradcheckCases(): { c: (name: string, make: Make, f: Fn) => void; testCases: () => void } {
  const cases: [string, Make, Fn][] = [];
  return {
    c: (name, make, f) => {
      cases.push([name, make, f]);
    },
    testCases: () =>
      cases.forEach(([name, make, f], k) => {
        test(`gradcheck: ${name}`, () => {
          pt.scope(() => {
            seedInputs(1000 * (k + 1));
            const r = gradcheck(f, make());
            assert.ok(r.checked > 0);
          });
        });
      }),
  };
}

/** A float64 input of the shape (requires grad; uniform in [lo, hi)). */
export const x = (shape: number[], o?: InputOptions): Tensor => input(shape, o);
/** An int64 constant (not checked, passed through to f). */
export const ids = (v: number[] | number[][]): Tensor => pt.tensor(v, { dtype: 'int64' });
export const bools = (v: boolean[] | boolean[][] | boolean[][][][]): Tensor => pt.tensor(v, { dtype: 'bool' });
export const f64 = (v: number[][], requiresGrad = true): Tensor => pt.tensor(v, { dtype: 'float64', requiresGrad });
/** Inputs kept positive (log, sqrt, division). */
export const pos = { lo: 0.5, hi: 2 };
