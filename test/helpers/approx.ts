// Approximate comparison of tensors / nested arrays against hand-computed expectations.
import assert from 'node:assert/strict';
import { Tensor, type NestedArray } from '../../src/tensor/index.js';

export type Expected = number | boolean | readonly Expected[];

function nested(x: Tensor | NestedArray | readonly NestedArray[] | ArrayLike<number>): unknown {
  if (x instanceof Tensor) return x.toArray();
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>, Number);
  return x;
}

function compare(a: unknown, e: Expected, tol: number, path: string, fails: string[]): void {
  if (fails.length > 5) return;
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) {
      fails.push(`${path || 'value'}: expected an array of length ${e.length}, got ${JSON.stringify(a)}`);
      return;
    }
    if (a.length !== e.length) {
      fails.push(`${path || 'value'}: expected length ${e.length}, got ${a.length}`);
      return;
    }
    for (let i = 0; i < e.length; i++) compare(a[i], e[i] as Expected, tol, `${path}[${i}]`, fails);
    return;
  }
  if (typeof e === 'boolean') {
    if (a !== e) fails.push(`${path || 'value'}: expected ${e}, got ${JSON.stringify(a)}`);
    return;
  }
  const en = e as number;
  if (typeof a !== 'number') {
    fails.push(`${path || 'value'}: expected a number ${en}, got ${JSON.stringify(a)}`);
    return;
  }
  if (Number.isNaN(en)) {
    if (!Number.isNaN(a)) fails.push(`${path || 'value'}: expected NaN, got ${a}`);
    return;
  }
  if (!Number.isFinite(en)) {
    if (a !== en) fails.push(`${path || 'value'}: expected ${en}, got ${a}`);
    return;
  }
  if (!(Math.abs(a - en) <= tol * (1 + Math.abs(en)))) fails.push(`${path || 'value'}: expected ${en} ± ${tol}, got ${a}`);
}

/**
 * Asserts that `actual` (a Tensor, nested array, typed array or number) matches `expected`
 * elementwise within |a - e| <= tol * (1 + |e|); NaN matches NaN, infinities must match exactly,
 * booleans must be equal. Nesting (the shape) must match exactly.
 */
export function assertClose(
  actual: Tensor | NestedArray | readonly NestedArray[] | ArrayLike<number>,
  expected: Expected,
  tol = 1e-5,
  message?: string,
): void {
  const fails: string[] = [];
  compare(nested(actual), expected, tol, '', fails);
  if (fails.length) assert.fail(`${message ? message + ': ' : ''}${fails.join('; ')}`);
}

/** Asserts a tensor's shape and dtype, then its values (exactly for integer/bool expectations with tol 0). */
export function assertTensor(t: Tensor, shape: readonly number[], dtype: string, expected?: Expected, tol = 1e-5): void {
  assert.deepEqual(t.shape, shape, `shape of ${t.describe()}`);
  assert.equal(t.dtype, dtype, `dtype of ${t.describe()}`);
  if (expected !== undefined) assertClose(t, expected, tol);
}
