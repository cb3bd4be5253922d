// Math ops against hand-computed values: pointwise (binary with broadcasting and scalars, unary),
// comparisons and logic, reductions, matrix products, softmax, in-place updates, dtype rules.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { assertClose, assertTensor } from '../helpers/approx.js';

const f = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float32' });
const d = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float64' });

describe('binary pointwise ops', () => {
  const a = () =>
    f([
      [1, 2],
      [3, 4],
    ]);
  const b = () => f([10, 20]); // broadcasts over rows

  test('add / sub with alpha, tensors and scalars', () => {
    assertTensor(
      a().add(b()),
      [2, 2],
      'float32',
      [
        [11, 22],
        [13, 24],
      ],
      0,
    );
    assertClose(
      a().add(b(), 2),
      [
        [21, 42],
        [23, 44],
      ],
      0,
    ); // a + 2b
    assertClose(
      a().add(1),
      [
        [2, 3],
        [4, 5],
      ],
      0,
    );
    assertClose(
      a().add(1, 3),
      [
        [4, 5],
        [6, 7],
      ],
      0,
    ); // a + 3*1
    assertClose(
      a().sub(b()),
      [
        [-9, -18],
        [-7, -16],
      ],
      0,
    );
    assertClose(
      a().sub(b(), 0.5),
      [
        [-4, -8],
        [-2, -6],
      ],
      0,
    ); // a - 0.5b
    assertClose(
      a().sub(1),
      [
        [0, 1],
        [2, 3],
      ],
      0,
    );
    assertClose(
      f([[1], [2]]).add(f([10, 20, 30])),
      [
        [11, 21, 31],
        [12, 22, 32],
      ],
      0,
    ); // (2,1)+(3,) → (2,3)
  });

  test('rsub: scalar - tensor', () => {
    assertClose(
      a().rsub(10),
      [
        [9, 8],
        [7, 6],
      ],
      0,
    );
  });

  test('mul / div, including rounding modes', () => {
    assertClose(
      a().mul(b()),
      [
        [10, 40],
        [30, 80],
      ],
      0,
    );
    assertClose(
      a().mul(-2),
      [
        [-2, -4],
        [-6, -8],
      ],
      0,
    );
    assertClose(
      a().div(b()),
      [
        [0.1, 0.1],
        [0.3, 0.2],
      ],
      1e-7,
    );
    assertClose(
      a().div(2),
      [
        [0.5, 1],
        [1.5, 2],
      ],
      0,
    );
    const x = f([7, -7, 7.5, -7.5]);
    // 7/2 = 3.5, -3.5, 3.75, -3.75
    assertClose(x.div(2, 'trunc'), [3, -3, 3, -3], 0);
    assertClose(x.div(2, 'floor'), [3, -4, 3, -4], 0);
    assertClose(x.div(f([2, 2, -2, -2]), 'floor'), [3, -4, -4, 3], 0); // -3.75 → -4, 3.75 → 3
    const i = pt.tensor([7, -7]);
    assertTensor(i.div(2), [2], 'float32', [3.5, -3.5], 0); // true division of ints is float
    assertTensor(i.div(2, 'floor'), [2], 'int64', [3, -4], 0);
    assertTensor(i.div(2, 'trunc'), [2], 'int64', [3, -3], 0);
  });

  test('pow / rpow', () => {
    assertClose(f([1, 2, 3]).pow(2), [1, 4, 9], 0);
    assertClose(f([4, 9]).pow(0.5), [2, 3], 1e-7);
    assertClose(
      f([1, 2, 3]).pow(f([[0], [1], [2]])),
      [
        [1, 1, 1],
        [1, 2, 3],
        [1, 4, 9],
      ],
      0,
    );
    assertClose(f([2]).pow(-1), [0.5], 0);
    assertClose(f([0, 1, 3, -1]).rpow(2), [1, 2, 8, 0.5], 0); // 2 ** x
  });

  test('remainder follows the sign of the divisor (Python %)', () => {
    assertClose(f([5, -5, 5.5]).remainder(3), [2, 1, 2.5], 1e-6);
    assertClose(f([5, -5, 5.5]).remainder(-3), [-1, -2, -0.5], 1e-6);
    assertClose(pt.tensor([7, -7]).remainder(pt.tensor([4, 4])), [3, 1], 0);
  });

  test('maximum / minimum with broadcasting', () => {
    assertClose(f([1, 5, 3]).maximum(f([4, 2, 3])), [4, 5, 3], 0);
    assertClose(f([1, 5, 3]).minimum(f([4, 2, 3])), [1, 2, 3], 0);
    assertClose(
      f([[1], [6]]).maximum(f([2, 5])),
      [
        [2, 5],
        [6, 6],
      ],
      0,
    );
    assertClose(
      f([[1], [6]]).minimum(f([2, 5])),
      [
        [1, 1],
        [2, 5],
      ],
      0,
    );
  });

  test('clamp with numbers, one side only, and tensors', () => {
    const x = () => f([-2, 0.5, 3]);
    assertClose(x().clamp(0, 1), [0, 0.5, 1], 0);
    assertClose(x().clamp(null, 1), [-2, 0.5, 1], 0);
    assertClose(x().clamp(0), [0, 0.5, 3], 0);
    // max(x, lo) = [-2, 1, 3], then min(·, hi) = [-2, 1, 2]
    assertClose(x().clamp(f([-3, 1, 0]), f([5, 2, 2])), [-2, 1, 2], 0);
    assertClose(
      f([[-1, 4]]).clamp(f([[0], [2]])),
      [
        [0, 4],
        [2, 4],
      ],
      0,
    ); // broadcast tensor bound
  });

  test('lerp: start + w (end - start), weight scalar or tensor, broadcasting', () => {
    assertClose(f([0, 10]).lerp(f([10, 20]), 0.25), [2.5, 12.5], 1e-7);
    assertClose(f([0, 10]).lerp(f([10, 20]), f([0, 1])), [0, 20], 0);
    assertClose(
      f([0, 10]).lerp(f([[4], [8]]), 0.5),
      [
        [2, 7],
        [4, 9],
      ],
      0,
    );
  });

  test('integer tensors: + integer scalar stays int64, * 0.5 becomes float32', () => {
    const i = pt.tensor([1, 2, 3]);
    assertTensor(i.add(3), [3], 'int64', [4, 5, 6], 0);
    assertTensor(i.mul(2), [3], 'int64', [2, 4, 6], 0);
    assertTensor(i.sub(1), [3], 'int64', [0, 1, 2], 0);
    assertTensor(i.mul(0.5), [3], 'float32', [0.5, 1, 1.5], 0);
    assertTensor(i.add(0.5), [3], 'float32', [1.5, 2.5, 3.5], 0);
    assertTensor(i.add(f([0.5, 0.5, 0.5])), [3], 'float32', [1.5, 2.5, 3.5], 0);
    assertTensor(i.add(d([1, 1, 1])), [3], 'float64', [2, 3, 4], 0);
    assertTensor(f([1]).add(d([1])), [1], 'float64', [2], 0);
  });
});

describe('unary pointwise ops', () => {
  test('neg / abs / sign / square / reciprocal', () => {
    assertClose(f([-1.5, 0, 2]).neg(), [1.5, 0, -2], 0);
    assertClose(f([-1.5, 0, 2]).abs(), [1.5, 0, 2], 0);
    assertTensor(pt.tensor([-3, 4]).abs(), [2], 'int64', [3, 4], 0);
    assertClose(f([-3, 0, 2.5]).sign(), [-1, 0, 1], 0);
    assertClose(f([-3, 0.5]).square(), [9, 0.25], 0);
    assertClose(f([2, -0.5, 0]).reciprocal(), [0.5, -2, Infinity], 0);
  });

  test('exp / expm1 / log / log1p / log2', () => {
    assertClose(f([0, 1, -1]).exp(), [1, 2.718281828, 0.367879441], 1e-7);
    // expm1 is accurate near 0: expm1(1e-5) = 1.0000050000167e-5 (exp(x) - 1 in float32 would be 1.00136e-5)
    assertClose(f([0, 1e-5]).expm1(), [0, 1.0000050000167e-5], 1e-11);
    assertClose(f([1, Math.E, 0, -1]).log(), [0, 1, -Infinity, NaN], 1e-7);
    assertClose(f([0, 1e-5]).log1p(), [0, 9.9999500003333e-6], 1e-11);
    assertClose(f([1, 8, 0.5]).log2(), [0, 3, -1], 0);
  });

  test('sqrt / rsqrt', () => {
    assertClose(f([0, 4, 2, -1]).sqrt(), [0, 2, 1.414213562, NaN], 1e-7);
    assertClose(f([4, 0.25]).rsqrt(), [0.5, 2], 1e-7);
  });

  test('sin / cos / tanh', () => {
    assertClose(f([0, Math.PI / 2, Math.PI / 6]).sin(), [0, 1, 0.5], 1e-6);
    assertClose(f([0, Math.PI, Math.PI / 3]).cos(), [1, -1, 0.5], 1e-6);
    assertClose(f([0, 1, -2]).tanh(), [0, 0.761594156, -0.96402758], 1e-7);
  });

  test('sigmoid / logSigmoid / silu / relu', () => {
    // sigmoid(2) = 1 / (1 + e^-2) = 0.880797078
    assertClose(f([0, 2, -2]).sigmoid(), [0.5, 0.880797078, 0.119202922], 1e-7);
    // logSigmoid(x) = -log(1 + e^-x): at -100 it is -100 (not -inf: computed stably)
    assertClose(f([0, 2, -100]).logSigmoid(), [-0.693147181, -0.126928011, -100], 1e-6);
    // silu(x) = x sigmoid(x)
    assertClose(f([0, 1, -1, 2]).silu(), [0, 0.731058579, -0.268941421, 1.761594156], 1e-7);
    assertClose(f([-1, 0, 2]).relu(), [0, 0, 2], 0);
  });

  test('gelu exact and tanh-approximate', () => {
    // exact: x Φ(x); Φ(1) = 0.841344746, Φ(2) = 0.977249868, Φ(-3) = 0.001349898
    assertClose(f([0, 1, -1, 2, -3]).gelu(), [0, 0.841344746, -0.158655254, 1.954499736, -0.004049694], 1e-6);
    assertClose(f([1, -3]).gelu('none'), [0.841344746, -0.004049694], 1e-6);
    // tanh: 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
    assertClose(f([0, 1, -1, 2, -3]).gelu('tanh'), [0, 0.841191991, -0.158808009, 1.954597694, -0.003637392], 1e-6);
  });

  test('softplus with beta and threshold', () => {
    // log(1 + e^x): ln 2, ln(1 + e) = 1.313261687; 30 > threshold 20 → linear
    assertClose(f([0, 1, 30]).softplus(), [0.693147181, 1.313261687, 30], 1e-6);
    // beta 2: log(1 + e^2) / 2 = 1.063464006
    assertClose(f([1]).softplus(2), [1.063464006], 1e-6);
    // threshold 0.5: beta*x = 1 > 0.5 → returns x itself
    assertClose(f([1, -1]).softplus(1, 0.5), [1, 0.313261688], 1e-6);
  });

  test('erf', () => {
    assertClose(f([0, 1, -0.5, 2]).erf(), [0, 0.842700793, -0.520499878, 0.995322265], 1e-7);
  });

  test('floor / ceil / round (half to even) / trunc', () => {
    const x = () => f([-1.5, -0.5, 0.5, 1.5, 2.7, 2.5]);
    assertClose(x().floor(), [-2, -1, 0, 1, 2, 2], 0);
    assertClose(x().ceil(), [-1, 0, 1, 2, 3, 3], 0);
    assertClose(x().round(), [-2, 0, 0, 2, 3, 2], 0);
    assertClose(x().trunc(), [-1, 0, 0, 1, 2, 2], 0);
  });

  test('nanToNum: defaults (0, ±float32 max) and explicit replacements', () => {
    const x = () => f([NaN, Infinity, -Infinity, 1]);
    const F32_MAX = 3.4028234663852886e38;
    assertClose(x().nanToNum(), [0, F32_MAX, -F32_MAX, 1], 0);
    assertClose(x().nanToNum(5, 100, -100), [5, 100, -100, 1], 0);
    assertClose(x().nanToNum(-1), [-1, F32_MAX, -F32_MAX, 1], 0);
  });
});

describe('comparisons and logic', () => {
  const a = () => f([1, 2, 3]);
  const b = () => f([3, 2, 1]);
  test('eq / ne / lt / le / gt / ge against tensors, scalars and broadcasts', () => {
    assertTensor(a().eq(b()), [3], 'bool', [false, true, false]);
    assertClose(a().ne(b()), [true, false, true]);
    assertClose(a().lt(b()), [true, false, false]);
    assertClose(a().le(b()), [true, true, false]);
    assertClose(a().gt(b()), [false, false, true]);
    assertClose(a().ge(b()), [false, true, true]);
    assertClose(a().gt(1.5), [false, true, true]);
    assertClose(a().eq(2), [false, true, false]);
    assertClose(a().le(1), [true, false, false]);
    assertClose(f([[1], [3]]).eq(f([1, 3])), [
      [true, false],
      [false, true],
    ]);
  });

  test('logicalAnd / Or / Xor / Not (numbers count as non-zero)', () => {
    const p = pt.tensor([true, true, false, false]);
    const q = pt.tensor([true, false, true, false]);
    assertClose(p.logicalAnd(q), [true, false, false, false]);
    assertClose(p.logicalOr(q), [true, true, true, false]);
    assertClose(p.logicalXor(q), [false, true, true, false]);
    assertClose(p.logicalNot(), [false, false, true, true]);
    assertTensor(f([0, 2]).logicalAnd(f([1, 1])), [2], 'bool', [false, true]);
    assertClose(f([0, -1]).logicalNot(), [true, false]);
  });

  test('isfinite / isnan / isinf', () => {
    const x = () => f([1, Infinity, -Infinity, NaN]);
    assertClose(x().isfinite(), [true, false, false, false]);
    assertClose(x().isnan(), [false, false, false, true]);
    assertClose(x().isinf(), [false, true, true, false]);
  });
});

describe('reductions', () => {
  const x = () =>
    f([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  test('sum: all, one dim, several dims, negative dim, keepdim, dtype', () => {
    assertTensor(x().sum(), [], 'float32', 21, 0);
    assertClose(x().sum(0), [5, 7, 9], 0);
    assertClose(x().sum(1), [6, 15], 0);
    assertClose(x().sum(-1), [6, 15], 0);
    assertTensor(x().sum([0, 1]), [], 'float32', 21, 0);
    assertTensor(x().sum(1, true), [2, 1], 'float32', [[6], [15]], 0);
    assertTensor(x().sum(null, false, 'float64'), [], 'float64', 21, 0);
    assertTensor(pt.tensor([1, 2]).sum(), [], 'int64', 3, 0);
    assertTensor(pt.tensor([true, true, false]).sum(), [], 'int64', 2, 0);
  });

  test('mean: all, one dim, several dims, keepdim, dtype for ints', () => {
    assertClose(x().mean(), 3.5, 0);
    assertClose(x().mean(0), [2.5, 3.5, 4.5], 0);
    assertClose(x().mean(1), [2, 5], 0);
    assertTensor(x().mean(1, true), [2, 1], 'float32', [[2], [5]], 0);
    // (2,2,2) = [[[0,1],[2,3]],[[4,5],[6,7]]]: over dims 0 and 2 → middle 0: {0,1,4,5}, middle 1: {2,3,6,7}
    const y = pt.arange(8).float().reshape(2, 2, 2);
    assertClose(y.mean([0, 2]), [2.5, 4.5], 0);
    assertTensor(y.mean([0, 2], true), [1, 2, 1], 'float32', [[[2.5], [4.5]]], 0);
    assertTensor(pt.tensor([1, 2]).mean(null, false, 'float32'), [], 'float32', 1.5, 0);
    assertTensor(pt.tensor([1, 2], { dtype: 'bfloat16' }).mean(null, false, 'float32'), [], 'float32', 1.5, 0);
    assert.throws(() => pt.tensor([1, 2]).mean(), pt.TensorError); // mean of int64 needs a float dtype
  });

  test('prod', () => {
    assertClose(x().prod(), 720, 0);
    assertClose(x().prod(1), [6, 120], 0);
    assertTensor(x().prod(0, true), [1, 3], 'float32', [[4, 10, 18]], 0);
  });

  test('var / std with correction 1 and 0', () => {
    // [1,2,3,4]: mean 2.5, Σ(x-m)² = 2.25+0.25+0.25+2.25 = 5 → 5/3 and 5/4
    const v = f([1, 2, 3, 4]);
    assertClose(v.var(), 1.666666667, 1e-6);
    assertClose(v.var(null, 0), 1.25, 1e-7);
    assertClose(v.std(), 1.290994449, 1e-6);
    assertClose(v.std(null, 0), 1.118033989, 1e-6);
    // rows [1,2,3], [4,5,6]: Σ(x-m)² = 2 → 1 (corr 1); columns [1,4]: Σ = 4.5 → 4.5 (corr 1), 2.25 (corr 0)
    assertClose(x().var(1), [1, 1], 1e-7);
    assertClose(x().var(0), [4.5, 4.5, 4.5], 1e-7);
    assertClose(x().var(0, 0), [2.25, 2.25, 2.25], 1e-7);
    assertTensor(x().std(0, 0, true), [1, 3], 'float32', [[1.5, 1.5, 1.5]], 1e-7);
    assertClose(x().var([0, 1]), 3.5, 1e-6); // all six: Σ(x-3.5)² = 17.5, /5 = 3.5
  });

  const m = () =>
    f([
      [3, 7, 1],
      [9, 2, 5],
    ]);
  test('max / min over everything and along a dim with indices', () => {
    assertTensor(m().max(), [], 'float32', 9, 0);
    assertTensor(m().min(), [], 'float32', 1, 0);
    const r = m().max(1);
    assertClose(r.values, [7, 9], 0);
    assertTensor(r.indices, [2], 'int64', [1, 0], 0);
    const c = m().max(0);
    assertClose(c.values, [9, 7, 5], 0);
    assertClose(c.indices, [1, 0, 1], 0);
    const n = m().min(1);
    assertClose(n.values, [1, 2], 0);
    assertClose(n.indices, [2, 1], 0);
    const k = m().min(0, true);
    assertTensor(k.values, [1, 3], 'float32', [[3, 2, 1]], 0);
    assertTensor(k.indices, [1, 3], 'int64', [[0, 1, 0]], 0);
  });

  test('amax / amin / argmax / argmin', () => {
    assertClose(m().amax(), 9, 0);
    assertClose(m().amax(0), [9, 7, 5], 0);
    assertClose(m().amax([0, 1]), 9, 0);
    assertTensor(m().amin(1, true), [2, 1], 'float32', [[1], [2]], 0);
    assertTensor(m().argmax(), [], 'int64', 3, 0); // flat index of 9
    assertTensor(m().argmin(), [], 'int64', 2, 0); // flat index of 1
    assertClose(m().argmax(1), [1, 0], 0);
    assertClose(m().argmin(0), [0, 1, 0], 0);
    assertTensor(m().argmax(1, true), [2, 1], 'int64', [[1], [0]], 0);
  });

  test('logsumexp is stable', () => {
    // log(e^0 + e^ln3) = ln 4; log(2 e^1000) = 1000 + ln 2
    assertClose(
      f([
        [0, Math.log(3)],
        [1000, 1000],
      ]).logsumexp(1),
      [1.386294361, 1000.693147181],
      1e-6,
    );
    assertTensor(
      f([
        [0, 0],
        [0, 0],
      ]).logsumexp([0, 1], true),
      [1, 1],
      'float32',
      [[1.386294361]],
      1e-6,
    );
  });

  test('cumsum / cummax / cumprod', () => {
    assertClose(f([1, 2, 3, 4]).cumsum(0), [1, 3, 6, 10], 0);
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).cumsum(0),
      [
        [1, 2],
        [4, 6],
      ],
      0,
    );
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).cumsum(1),
      [
        [1, 3],
        [3, 7],
      ],
      0,
    );
    assertTensor(pt.tensor([1, 2, 3]).cumsum(0), [3], 'int64', [1, 3, 6], 0);
    assertTensor(pt.tensor([1, 2, 3]).cumsum(0, 'float64'), [3], 'float64', [1, 3, 6], 0);
    assertClose(f([1, 3, 2, 5, 4]).cummax(0), [1, 3, 3, 5, 5], 0);
    assertClose(
      f([
        [1, 5],
        [4, 2],
        [3, 6],
      ]).cummax(0),
      [
        [1, 5],
        [4, 5],
        [4, 6],
      ],
      0,
    );
    assertClose(f([1, 2, 3, 4]).cumprod(0), [1, 2, 6, 24], 0);
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).cumprod(1),
      [
        [1, 2],
        [3, 12],
      ],
      0,
    );
  });

  test('topk largest and smallest', () => {
    const v = f([5, 1, 9, 3, 7]);
    const hi = v.topk(2);
    assertClose(hi.values, [9, 7], 0);
    assertTensor(hi.indices, [2], 'int64', [2, 4], 0);
    const lo = v.topk(2, -1, false);
    assertClose(lo.values, [1, 3], 0);
    assertClose(lo.indices, [1, 3], 0);
    const rows = f([
      [1, 4, 2],
      [8, 6, 7],
    ]).topk(1, 1);
    assertClose(rows.values, [[4], [8]], 0);
    assertClose(rows.indices, [[1], [0]], 0);
    const cols = f([
      [1, 4, 2],
      [8, 6, 7],
    ]).topk(1, 0, false);
    assertClose(cols.values, [[1, 4, 2]], 0);
    assertClose(cols.indices, [[0, 0, 0]], 0);
  });

  test('sort / argsort: ascending, descending, stable ties', () => {
    const s = f([3, 1, 2]).sort();
    assertClose(s.values, [1, 2, 3], 0);
    assertTensor(s.indices, [3], 'int64', [1, 2, 0], 0);
    const ds = f([3, 1, 2]).sort(-1, true);
    assertClose(ds.values, [3, 2, 1], 0);
    assertClose(ds.indices, [0, 2, 1], 0);
    // ties keep their original order when stable
    const ties = () => f([2, 1, 2, 1, 2, 1, 2]);
    const st = ties().sort(0, false, true);
    assertClose(st.values, [1, 1, 1, 2, 2, 2, 2], 0);
    assertClose(st.indices, [1, 3, 5, 0, 2, 4, 6], 0);
    const sd = ties().sort(0, true, true);
    assertClose(sd.values, [2, 2, 2, 2, 1, 1, 1], 0);
    assertClose(sd.indices, [0, 2, 4, 6, 1, 3, 5], 0);
    assertTensor(ties().argsort(), [7], 'int64', [1, 3, 5, 0, 2, 4, 6], 0);
    assertClose(ties().argsort(0, true), [0, 2, 4, 6, 1, 3, 5], 0);
    assertClose(
      f([
        [3, 1],
        [0, 5],
      ]).argsort(0),
      [
        [1, 0],
        [0, 1],
      ],
      0,
    );
  });

  test('all / any', () => {
    const b = pt.tensor([
      [true, false],
      [true, true],
    ]);
    assertTensor(b.all(), [], 'bool', false);
    assertTensor(b.any(), [], 'bool', true);
    assertClose(b.all(1), [false, true]);
    assertClose(b.any(0), [true, true]);
    assertTensor(b.all(0, true), [1, 2], 'bool', [[true, false]]);
    assertClose(pt.tensor([false, false]).any(), false);
    assertClose(f([1, 0]).any(), true);
    assertClose(f([1, 0]).all(), false);
  });

  test('norm: 1, 2 and Infinity, over all elements or a dim', () => {
    const v = f([3, -4]);
    assertClose(v.norm(1), 7, 1e-7);
    assertClose(v.norm(), 5, 1e-7);
    assertClose(v.norm(2), 5, 1e-7);
    assertClose(v.norm(Infinity), 4, 0);
    const m2 = f([
      [3, -4],
      [0, 1],
    ]);
    assertClose(m2.norm(), 5.099019514, 1e-6); // √26
    assertClose(m2.norm(2, 1), [5, 1], 1e-7);
    assertClose(m2.norm(1, 0), [3, 5], 0);
    assertTensor(m2.norm(Infinity, 1, true), [2, 1], 'float32', [[4], [1]], 0);
  });
});

describe('matrix products', () => {
  const A = () =>
    f([
      [1, 2],
      [3, 4],
    ]);
  const B = () =>
    f([
      [5, 6],
      [7, 8],
    ]);
  // A@B = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19, 22], [43, 50]]
  // B@A = [[5+18, 10+24], [7+24, 14+32]] = [[23, 34], [31, 46]]
  test('matmul: 1-d·1-d, 2-d, vector-matrix, batched broadcasting', () => {
    assertTensor(f([1, 2, 3]).matmul(f([4, 5, 6])), [], 'float32', 32, 0);
    assertClose(
      A().matmul(B()),
      [
        [19, 22],
        [43, 50],
      ],
      0,
    );
    assertClose(f([1, 1]).matmul(A()), [4, 6], 0);
    assertClose(A().matmul(f([1, 1])), [3, 7], 0);
    // (2,2,2) @ (2,2): each batch times B; batch 1 is the identity
    const batch = pt.stack([A(), pt.eye(2)]);
    assertClose(
      batch.matmul(B()),
      [
        [
          [19, 22],
          [43, 50],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      0,
    );
    // (2,1,2,2) @ (3,2,2) → (2,3,2,2)
    const left = pt.stack([A(), pt.eye(2)]).unsqueeze(1);
    const right = pt.stack([B(), pt.eye(2), A()]);
    const out = left.matmul(right);
    assert.deepEqual(out.shape, [2, 3, 2, 2]);
    assertClose(
      out.select(0, 0),
      [
        [
          [19, 22],
          [43, 50],
        ],
        [
          [1, 2],
          [3, 4],
        ],
        [
          [7, 10],
          [15, 22],
        ],
      ],
      0,
    ); // A@A = [[7,10],[15,22]]
    assertClose(
      out.select(0, 1),
      [
        [
          [5, 6],
          [7, 8],
        ],
        [
          [1, 0],
          [0, 1],
        ],
        [
          [1, 2],
          [3, 4],
        ],
      ],
      0,
    );
    assert.throws(() => f([[1, 2, 3]]).matmul(A()), pt.ShapeError);
  });

  test('mm / bmm', () => {
    assertClose(
      A().mm(B()),
      [
        [19, 22],
        [43, 50],
      ],
      0,
    );
    assertClose(f([[1, 0, 2]]).mm(f([[1], [2], [3]])), [[7]], 0);
    assertClose(
      pt.stack([A(), B()]).bmm(pt.stack([B(), A()])),
      [
        [
          [19, 22],
          [43, 50],
        ],
        [
          [23, 34],
          [31, 46],
        ],
      ],
      0,
    );
  });

  test('baddbmm / addmm with beta and alpha', () => {
    const ones = pt.ones([2, 2, 2]);
    // 2 * 1 + 0.5 * (A@B) and 2 + 0.5 * (B@A)
    assertClose(
      ones.baddbmm(pt.stack([A(), B()]), pt.stack([B(), A()]), 2, 0.5),
      [
        [
          [11.5, 13],
          [23.5, 27],
        ],
        [
          [13.5, 19],
          [17.5, 25],
        ],
      ],
      0,
    );
    assertClose(
      pt.zeros([2, 2, 2]).baddbmm(pt.stack([A(), B()]), pt.stack([B(), A()])),
      [
        [
          [19, 22],
          [43, 50],
        ],
        [
          [23, 34],
          [31, 46],
        ],
      ],
      0,
    );
    assertClose(
      f([10, 20]).addmm(A(), B()),
      [
        [29, 42],
        [53, 70],
      ],
      0,
    );
    // 0.5 * [10, 20] + 2 * A@B
    assertClose(
      f([10, 20]).addmm(A(), B(), 0.5, 2),
      [
        [43, 54],
        [91, 110],
      ],
      0,
    );
  });

  test('outer', () => {
    assertClose(
      f([1, 2]).outer(f([3, 4, 5])),
      [
        [3, 4, 5],
        [6, 8, 10],
      ],
      0,
    );
  });

  test('einsum', () => {
    assertClose(
      pt.einsum('ij,jk->ik', A(), B()),
      [
        [19, 22],
        [43, 50],
      ],
      0,
    );
    assertClose(
      pt.einsum('bij->bji', pt.stack([A(), B()])),
      [
        [
          [1, 3],
          [2, 4],
        ],
        [
          [5, 7],
          [6, 8],
        ],
      ],
      0,
    );
    assertTensor(pt.einsum('i,i->', f([1, 2, 3]), f([4, 5, 6])), [], 'float32', 32, 0);
    assertClose(pt.einsum('ii->i', A()), [1, 4], 0);
    assertClose(pt.einsum('ij->j', A()), [4, 6], 0);
  });
});

describe('softmax / logSoftmax', () => {
  test('values for a small row, and rows summing to 1', () => {
    // e^1, e^2, e^3 = 2.718281828, 7.389056099, 20.08553692; sum 30.19287485
    assertClose(
      f([
        [1, 2, 3],
        [0, 0, 0],
      ]).softmax(1),
      [
        [0.090030573, 0.244728471, 0.665240956],
        [1 / 3, 1 / 3, 1 / 3],
      ],
      1e-7,
    );
    // x - logsumexp(x), logsumexp([1,2,3]) = 3.407605964
    assertClose(f([1, 2, 3]).logSoftmax(0), [-2.407605964, -1.407605964, -0.407605964], 1e-6);
    assertClose(pt.logSoftmax(f([[1000, 1000]]), -1), [[-0.693147181, -0.693147181]], 1e-6);
    // softmax along dim 0 of a column pair: [0, ln 3] → [0.25, 0.75]
    assertClose(pt.softmax(f([[0], [Math.log(3)]]), 0), [[0.25], [0.75]], 1e-6);
    const r = pt
      .randn([4, 7], { generator: new pt.Generator(0) })
      .mul(5)
      .softmax(-1)
      .sum(-1);
    assertClose(r, [1, 1, 1, 1], 1e-6);
    assertTensor(f([1, 2]).softmax(0, 'float64'), [2], 'float64', [0.268941421, 0.731058579], 1e-8);
    assertTensor(f([1, 2]).logSoftmax(0, 'float64'), [2], 'float64', [-1.313261687, -0.313261687], 1e-8);
  });
});

describe('in-place ops return the same object and mutate it', () => {
  test('add_ / sub_ / mul_ / div_', () => {
    const t = f([1, 2]);
    assert.equal(t.add_(f([10, 20])), t);
    assertClose(t, [11, 22], 0);
    assert.equal(t.add_(1, 2), t);
    assertClose(t, [13, 24], 0);
    assert.equal(t.sub_(f([1, 1]), 3), t);
    assertClose(t, [10, 21], 0);
    assert.equal(t.sub_(1), t);
    assertClose(t, [9, 20], 0);
    assert.equal(t.mul_(2), t);
    assertClose(t, [18, 40], 0);
    assert.equal(t.mul_(f([0.5, 0.25])), t);
    assertClose(t, [9, 10], 0);
    assert.equal(t.div_(f([3, 4])), t);
    assertClose(t, [3, 2.5], 0);
    assert.equal(t.div_(2), t);
    assertClose(t, [1.5, 1.25], 0);
    const i = pt.tensor([1, 2]);
    i.add_(5);
    assertTensor(i, [2], 'int64', [6, 7], 0);
  });

  test('copy_ / fill_ / zero_ / clamp_', () => {
    const t = f([
      [1, 2],
      [3, 4],
    ]);
    assert.equal(t.copy_(f([7, 8])), t); // broadcast source
    assertClose(
      t,
      [
        [7, 8],
        [7, 8],
      ],
      0,
    );
    assert.equal(t.fill_(3), t);
    assertClose(
      t,
      [
        [3, 3],
        [3, 3],
      ],
      0,
    );
    assert.equal(t.zero_(), t);
    assertClose(
      t,
      [
        [0, 0],
        [0, 0],
      ],
      0,
    );
    const c = f([-2, 0.5, 3]);
    assert.equal(c.clamp_(0, 1), c);
    assertClose(c, [0, 0.5, 1], 0);
    assertClose(f([-2, 3]).clamp_(null, 1), [-2, 1], 0);
    assertClose(f([-2, 3]).clamp_(0), [0, 3], 0);
    const b = pt.tensor([true, false]);
    b.fill_(true);
    assertClose(b, [true, true]);
  });

  test('addcmul_ / addcdiv_', () => {
    const t = f([1, 1]);
    // 1 + 0.5 * [2*4, 3*5] = [5, 8.5]
    assert.equal(t.addcmul_(f([2, 3]), f([4, 5]), 0.5), t);
    assertClose(t, [5, 8.5], 0);
    const u = f([1, 1]);
    // 1 + 2 * [2/4, 3/2] = [2, 4]
    assert.equal(u.addcdiv_(f([2, 3]), f([4, 2]), 2), u);
    assertClose(u, [2, 4], 0);
    assertClose(f([0]).addcmul_(f([3]), f([4])), [12], 0); // value defaults to 1
  });
});
