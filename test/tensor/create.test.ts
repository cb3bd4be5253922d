// Tensor creation: from JS values and typed arrays, dtypes, constant fills and ranges, random
// tensors and generator state. Expected values are worked out by hand (comments say how).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { assertClose, assertTensor } from '../helpers/approx.js';

describe('tensor() from nested arrays', () => {
  test('2-d nested ints → int64 with the nested shape', () => {
    const t = pt.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertTensor(t, [2, 3], 'int64');
    assert.deepEqual(t.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(t.ndim, 2);
    assert.equal(t.numel, 6);
    assert.deepEqual(t.strides, [3, 1]);
    assert.equal(t.size(-1), 3);
    assert.equal(t.device, 'cpu');
  });

  test('dtype inference: integers → int64, booleans → bool, anything else → float32', () => {
    assert.equal(pt.tensor([1, -2, 3]).dtype, 'int64');
    assert.equal(pt.tensor([true, false]).dtype, 'bool');
    assert.equal(pt.tensor([1, 2.5]).dtype, 'float32');
    assert.equal(pt.tensor([[0.5], [1]]).dtype, 'float32');
    assert.equal(pt.tensor([1, true]).dtype, 'float32'); // mixed numbers and booleans
    assert.equal(pt.tensor([]).dtype, 'float32'); // empty: float32, like torch.tensor([])
    assert.deepEqual(pt.tensor([]).shape, [0]);
  });

  test('a scalar makes a 0-d tensor; item() and toArray() give the number back', () => {
    const s = pt.tensor(7);
    assertTensor(s, [], 'int64');
    assert.equal(s.item(), 7);
    assert.equal(s.toArray(), 7);
    const f = pt.tensor(2.5);
    assert.equal(f.dtype, 'float32');
    assert.equal(f.item(), 2.5);
    assert.equal(pt.tensor(true).item(), true);
  });

  test('the shape option reshapes flat data; a wrong size throws ArgumentError', () => {
    const t = pt.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    assert.deepEqual(t.toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const f = pt.tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 1, 2] });
    assert.deepEqual(f.toArray(), [[[1, 2]], [[3, 4]]]);
    assert.throws(() => pt.tensor([1, 2, 3], { shape: [2, 2] }), pt.ArgumentError);
    assert.throws(() => pt.tensor(new Float32Array(3), { shape: [2, 2] }), pt.ShapeError);
  });

  test('ragged nested arrays throw ArgumentError', () => {
    assert.throws(() => pt.tensor([[1, 2], [3]]), pt.ArgumentError);
    assert.throws(() => pt.tensor([[1, 2], 3] as pt.NestedArray), pt.ArgumentError);
    assert.throws(() => pt.tensor([1, [2]] as pt.NestedArray), pt.ArgumentError);
    assert.throws(
      () =>
        pt.tensor([
          [[1], [2]],
          [[3], [4, 5]],
        ]),
      pt.ArgumentError,
    );
    assert.throws(() => pt.tensor(['a'] as unknown as number[]), pt.ArgumentError);
  });

  test('a non-integer with dtype int64 throws', () => {
    assert.throws(() => pt.tensor([1.5], { dtype: 'int64' }), pt.ArgumentError);
  });

  test('requiresGrad option', () => {
    const t = pt.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    assert.equal(t.requiresGrad, true);
    assert.equal(pt.tensor([1.5]).requiresGrad, false);
  });
});

describe('tensor() from typed arrays', () => {
  test('each typed array gives its natural dtype and the same values', () => {
    const cases: [pt.TypedArray, pt.DType, number[]][] = [
      [new Float32Array([1.5, -2.25, 0]), 'float32', [1.5, -2.25, 0]],
      [new Float64Array([0.1, -1e300]), 'float64', [0.1, -1e300]],
      [new BigInt64Array([-3n, 2n ** 40n]), 'int64', [-3, 2 ** 40]],
      [new Int32Array([-2147483648, 2147483647]), 'int32', [-2147483648, 2147483647]],
      [new Int16Array([-32768, 32767]), 'int16', [-32768, 32767]],
      [new Int8Array([-128, 127]), 'int8', [-128, 127]],
      [new Uint8Array([0, 255]), 'uint8', [0, 255]],
    ];
    for (const [arr, dtype, values] of cases) {
      const t = pt.tensor(arr);
      assertTensor(t, [values.length], dtype);
      assert.deepEqual(t.toArray(), values, dtype);
    }
  });

  test('the typed array is copied, not shared', () => {
    const a = new Float32Array([1, 2]);
    const t = pt.tensor(a);
    a[0] = 100;
    assert.deepEqual(t.toArray(), [1, 2]);
  });

  test('Uint16Array holds raw float16 / bfloat16 bits and needs the dtype', () => {
    // float16: 0x3C00 = 1.0, 0xC000 = -2.0, 0x3800 = 0.5, 0x7C00 = +inf
    const h = pt.tensor(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7c00]), { dtype: 'float16' });
    assertTensor(h, [4], 'float16', [1, -2, 0.5, Infinity], 0);
    // bfloat16 is the top half of float32: 0x3F80 = 1.0, 0xC000 = -2.0, 0x4049 = 3.140625
    const b = pt.tensor(new Uint16Array([0x3f80, 0xc000, 0x4049]), { dtype: 'bfloat16' });
    assertTensor(b, [3], 'bfloat16', [1, -2, 3.140625], 0);
    assert.throws(() => pt.tensor(new Uint16Array([1])), pt.ArgumentError);
  });

  test('Uint8Array with dtype bool, and conversion to another dtype', () => {
    const b = pt.tensor(new Uint8Array([1, 0, 1]), { dtype: 'bool' });
    assertTensor(b, [3], 'bool', [true, false, true]);
    const d = pt.tensor(new Int32Array([1, 2]), { dtype: 'float64' });
    assertTensor(d, [2], 'float64', [1, 2], 0);
  });
});

describe('every dtype round-trips through toArray() and data()', () => {
  test('float32 / float64', () => {
    const f = pt.tensor([1.5, -0.25, 3 * 2 ** 30], { dtype: 'float32' }); // all exact in float32
    assert.deepEqual(f.toArray(), [1.5, -0.25, 3221225472]);
    assert.ok(f.data() instanceof Float32Array);
    // 0.1 is not a float32: it rounds to 0.100000001490116...
    assert.equal(pt.tensor([0.1]).toArray().toString(), String(Math.fround(0.1)));
    const d = pt.tensor([0.1, 1e-300], { dtype: 'float64' });
    assert.deepEqual(d.toArray(), [0.1, 1e-300]);
    assert.ok(d.data() instanceof Float64Array);
  });

  test('bfloat16 keeps 8 significant bits; data() gives float32 values', () => {
    // 1.01 = 1 + 0.01; 0.01 * 2^7 = 1.28 → 1 ulp of 2^-7 → 1.0078125.  3.140625 is exact.
    const t = pt.tensor([1, -2.5, 1.01, 3.140625], { dtype: 'bfloat16' });
    assert.equal(t.dtype, 'bfloat16');
    assert.deepEqual(t.toArray(), [1, -2.5, 1.0078125, 3.140625]);
    const d = t.data();
    assert.ok(d instanceof Float32Array);
    assert.deepEqual(Array.from(d), [1, -2.5, 1.0078125, 3.140625]);
  });

  test('float16 keeps 11 significant bits and overflows above 65504', () => {
    // 0.1 = 1.6 * 2^-4; 0.6 * 1024 = 614.4 → 614: (1024 + 614) / 1024 / 16 = 0.0999755859375.
    // 70000 > 65520 (the midpoint past the max 65504) → +inf.
    const t = pt.tensor([0.1, 65504, 70000, -1.5], { dtype: 'float16' });
    assert.equal(t.dtype, 'float16');
    assert.deepEqual(t.toArray(), [0.0999755859375, 65504, Infinity, -1.5]);
    assert.ok(t.data() instanceof Float32Array);
  });

  test('int64 / int32 / int16 / int8 / uint8', () => {
    const l = pt.tensor([-3, 0, 2 ** 40], { dtype: 'int64' });
    assert.deepEqual(l.toArray(), [-3, 0, 2 ** 40]);
    assert.deepEqual(Array.from(l.data() as BigInt64Array), [-3n, 0n, 2n ** 40n]);
    const i = pt.tensor([-2147483648, 7], { dtype: 'int32' });
    assert.deepEqual(i.toArray(), [-2147483648, 7]);
    assert.ok(i.data() instanceof Int32Array);
    const s = pt.tensor([-300, 300], { dtype: 'int16' });
    assert.deepEqual(s.toArray(), [-300, 300]);
    const c = pt.tensor([-128, 127], { dtype: 'int8' });
    assert.deepEqual(c.toArray(), [-128, 127]);
    assert.ok(c.data() instanceof Int8Array);
    const u = pt.tensor([0, 200, 255], { dtype: 'uint8' });
    assert.deepEqual(u.toArray(), [0, 200, 255]);
    assert.ok(u.data() instanceof Uint8Array);
  });

  test('bool: toArray gives booleans, data() gives 0/1 bytes', () => {
    const b = pt.tensor([
      [true, false],
      [false, true],
    ]);
    assert.deepEqual(b.toArray(), [
      [true, false],
      [false, true],
    ]);
    assert.deepEqual(Array.from(b.data() as Uint8Array), [1, 0, 0, 1]);
    // numbers with dtype bool: non-zero → true
    assert.deepEqual(pt.tensor([0, 2, -1], { dtype: 'bool' }).toArray(), [false, true, true]);
  });

  test('to() converts dtype: float → int truncates toward zero', () => {
    const t = pt.tensor([1.7, -1.7, 2.5]);
    assert.deepEqual(t.to('int64').toArray(), [1, -1, 2]);
    assert.deepEqual(t.long().dtype, 'int64');
    assert.deepEqual(pt.tensor([0, 3]).bool().toArray(), [false, true]);
    assert.deepEqual(pt.tensor([true, false]).float().toArray(), [1, 0]);
  });

  test('every listed dtype is accepted by zeros()', () => {
    for (const d of pt.DTYPES) {
      const z = pt.zeros([2], { dtype: d });
      assert.equal(z.dtype, d);
      assert.deepEqual(z.toArray(), d === 'bool' ? [false, false] : [0, 0]);
    }
  });
});

describe('constant fills and ranges', () => {
  test('zeros / ones / full / empty', () => {
    assertTensor(
      pt.zeros([2, 3]),
      [2, 3],
      'float32',
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      0,
    );
    assertTensor(pt.zeros(3), [3], 'float32', [0, 0, 0], 0);
    assertTensor(pt.ones([2], { dtype: 'int64' }), [2], 'int64', [1, 1], 0);
    assertTensor(
      pt.full([2, 2], 7),
      [2, 2],
      'float32',
      [
        [7, 7],
        [7, 7],
      ],
      0,
    );
    assertTensor(pt.full([2], true), [2], 'bool', [true, true]);
    assertTensor(pt.full([3], -2, { dtype: 'int32' }), [3], 'int32', [-2, -2, -2], 0);
    const e = pt.empty([4, 5], { dtype: 'float64' });
    assertTensor(e, [4, 5], 'float64');
    assert.deepEqual(pt.zeros([0, 3]).shape, [0, 3]);
  });

  test('arange: int64 for integer arguments, float32 otherwise', () => {
    assertTensor(pt.arange(5), [5], 'int64', [0, 1, 2, 3, 4], 0);
    assertTensor(pt.arange(2, 7, 2), [3], 'int64', [2, 4, 6], 0);
    assertTensor(pt.arange(5, 0, -2), [3], 'int64', [5, 3, 1], 0);
    assertTensor(pt.arange(1, 2, 0.25), [4], 'float32', [1, 1.25, 1.5, 1.75], 0);
    assertTensor(pt.arange(0.5, 3), [3], 'float32', [0.5, 1.5, 2.5], 0);
    assertTensor(pt.arange(0, 3, 1, { dtype: 'float64' }), [3], 'float64', [0, 1, 2], 0);
    assert.throws(() => pt.arange(0, 3, 0), pt.ArgumentError);
  });

  test('linspace includes both ends', () => {
    assertTensor(pt.linspace(0, 1, 5), [5], 'float32', [0, 0.25, 0.5, 0.75, 1], 1e-7);
    assertTensor(pt.linspace(-1, 1, 3, { dtype: 'float64' }), [3], 'float64', [-1, 0, 1], 0);
    assertTensor(pt.linspace(2, 2, 1), [1], 'float32', [2], 0);
  });

  test('eye: square and rectangular', () => {
    assertTensor(
      pt.eye(3),
      [3, 3],
      'float32',
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      0,
    );
    assertTensor(
      pt.eye(2, 3),
      [2, 3],
      'float32',
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      0,
    );
    assertTensor(
      pt.eye(2, 2, { dtype: 'int64' }),
      [2, 2],
      'int64',
      [
        [1, 0],
        [0, 1],
      ],
      0,
    );
  });

  test('zerosLike / onesLike / fullLike keep shape and dtype', () => {
    const t = pt.tensor([[1, 2, 3]], { dtype: 'int32' });
    assertTensor(pt.zerosLike(t), [1, 3], 'int32', [[0, 0, 0]], 0);
    assertTensor(pt.onesLike(t), [1, 3], 'int32', [[1, 1, 1]], 0);
    assertTensor(pt.onesLike(t, { dtype: 'float64' }), [1, 3], 'float64', [[1, 1, 1]], 0);
    assertTensor(pt.zerosLike(t, { dtype: 'bool' }), [1, 3], 'bool', [[false, false, false]]);
    assertTensor(pt.fullLike(t, 9), [1, 3], 'int32', [[9, 9, 9]], 0);
    assertTensor(pt.fullLike(pt.zeros([2]), 0.5), [2], 'float32', [0.5, 0.5], 0);
  });
});

describe('random tensors and generators', () => {
  const flat = (t: pt.Tensor) => t.toFlatArray() as number[];

  test('rand: same seed → same values, different seeds differ, values in [0, 1)', () => {
    const a = flat(pt.rand([1000], { generator: new pt.Generator(42) }));
    const b = flat(pt.rand([1000], { generator: new pt.Generator(42) }));
    const c = flat(pt.rand([1000], { generator: new pt.Generator(43) }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.every((v) => v >= 0 && v < 1));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `uniform mean ${mean}`); // std of the mean ≈ 0.29/√1000 ≈ 0.009
    assert.equal(pt.rand([2], { dtype: 'float64' }).dtype, 'float64');
  });

  test('successive draws from one generator differ', () => {
    const g = new pt.Generator(5);
    assert.notDeepEqual(flat(pt.rand([8], { generator: g })), flat(pt.rand([8], { generator: g })));
  });

  test('Generator.manualSeed restarts the sequence of the same seed', () => {
    const g = new pt.Generator(7);
    const first = flat(pt.randn([16], { generator: g }));
    pt.randn([16], { generator: g });
    g.manualSeed(7);
    assert.deepEqual(flat(pt.randn([16], { generator: g })), first);
  });

  test('randn: mean ≈ 0 and std ≈ 1 on 20k samples; seeds reproduce', () => {
    const x = flat(pt.randn([20000], { generator: new pt.Generator(1) }));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1));
    // std error of the mean = 1/√20000 ≈ 0.007; of the std ≈ 1/√40000 = 0.005
    assert.ok(Math.abs(mean) < 0.04, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
    // (a prefix of a longer draw is not guaranteed: libtorch fills normals in vectorised blocks)
    assert.deepEqual(flat(pt.randn([20000], { generator: new pt.Generator(1) })), x);
    assert.notDeepEqual(flat(pt.randn([20000], { generator: new pt.Generator(2) })), x);
  });

  test('randint: int64 on [low, high), every value reached', () => {
    const t = pt.randint(-2, 3, [2000], { generator: new pt.Generator(3) });
    assertTensor(t, [2000], 'int64');
    const v = flat(t);
    assert.ok(v.every((x) => Number.isInteger(x) && x >= -2 && x < 3));
    assert.deepEqual(
      [...new Set(v)].sort((a, b) => a - b),
      [-2, -1, 0, 1, 2],
    );
    assert.deepEqual(v, flat(pt.randint(-2, 3, [2000], { generator: new pt.Generator(3) })));
    assert.notDeepEqual(v, flat(pt.randint(-2, 3, [2000], { generator: new pt.Generator(4) })));
  });

  test('randperm: a permutation of 0..n-1, reproducible by seed', () => {
    const p = pt.randperm(20, { generator: new pt.Generator(11) });
    assertTensor(p, [20], 'int64');
    const v = flat(p);
    assert.deepEqual(
      [...v].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(flat(pt.randperm(20, { generator: new pt.Generator(11) })), v);
    assert.notDeepEqual(flat(pt.randperm(20, { generator: new pt.Generator(12) })), v);
  });

  test('multinomial respects zero-probability entries and seeds', () => {
    const probs = pt.tensor([0, 0.5, 0, 0.5]);
    const noRep = pt.multinomial(probs, 2, false, new pt.Generator(0));
    assertTensor(noRep, [2], 'int64');
    // the only two non-zero entries are 1 and 3: without replacement both must come out
    assert.deepEqual([...flat(noRep)].sort(), [1, 3]);
    const rep = flat(pt.multinomial(probs, 1000, true, new pt.Generator(0)));
    assert.ok(rep.every((i) => i === 1 || i === 3));
    const ones = rep.filter((i) => i === 1).length;
    assert.ok(ones > 400 && ones < 600, `index 1 drawn ${ones} times of 1000`);
    assert.deepEqual(flat(pt.multinomial(probs, 1000, true, new pt.Generator(0))), rep);
    // batched: one row of weights per row of output; unnormalised weights are fine
    const rows = pt.multinomial(
      pt
        .tensor([
          [0, 0, 3],
          [2, 0, 0],
        ])
        .float(),
      3,
      true,
      new pt.Generator(9),
    );
    assert.deepEqual(rows.toArray(), [
      [2, 2, 2],
      [0, 0, 0],
    ]);
  });

  test('bernoulli: p = 0 / 1 are exact, p = 0.3 gives ≈ 30% ones', () => {
    assert.deepEqual(pt.bernoulli(pt.tensor([0, 1, 0, 1]).float(), new pt.Generator(1)).toArray(), [0, 1, 0, 1]);
    const x = flat(pt.bernoulli(pt.full([20000], 0.3), new pt.Generator(2)));
    assert.ok(x.every((v) => v === 0 || v === 1));
    const frac = x.filter((v) => v === 1).length / x.length;
    assert.ok(Math.abs(frac - 0.3) < 0.02, `fraction ${frac}`); // std error ≈ 0.0032
    assert.deepEqual(
      flat(pt.bernoulli(pt.full([64], 0.5), new pt.Generator(2))),
      flat(pt.bernoulli(pt.full([64], 0.5), new pt.Generator(2))),
    );
  });

  test('Generator.getState / setState restores the exact sequence', () => {
    const g = new pt.Generator(123);
    pt.rand([10], { generator: g });
    const state = g.getState();
    assert.equal(state.dtype, 'uint8');
    assert.equal(state.ndim, 1);
    const a = flat(pt.randn([32], { generator: g }));
    const ai = flat(pt.randint(0, 1000, [32], { generator: g }));
    g.setState(state);
    assert.deepEqual(flat(pt.randn([32], { generator: g })), a);
    assert.deepEqual(flat(pt.randint(0, 1000, [32], { generator: g })), ai);
    // the state moves to another generator too
    const h = new pt.Generator(999);
    h.setState(state);
    assert.deepEqual(flat(pt.randn([32], { generator: h })), a);
    assert.throws(() => g.setState(pt.zeros([4])), pt.TensorError);
  });

  test('manualSeed and getRngState / setRngState drive the default generator', () => {
    pt.manualSeed(2024);
    const a = flat(pt.rand([20]));
    pt.manualSeed(2024);
    assert.deepEqual(flat(pt.rand([20])), a);
    pt.manualSeed(2025);
    assert.notDeepEqual(flat(pt.rand([20])), a);
    const state = pt.getRngState();
    const x = flat(pt.randn([20]));
    const y = flat(pt.randperm(10));
    pt.setRngState(state);
    assert.deepEqual(flat(pt.randn([20])), x);
    assert.deepEqual(flat(pt.randperm(10)), y);
    assert.throws(() => pt.manualSeed(-1), pt.ArgumentError);
    assert.throws(() => new pt.Generator(1.5), pt.ArgumentError);
  });

  test('normal_ / uniform_ fill in place from a generator', () => {
    const t = pt.zeros([5000]);
    assert.equal(pt.uniform_(t, 2, 4, new pt.Generator(0)), t);
    const u = flat(t);
    assert.ok(u.every((v) => v >= 2 && v < 4));
    pt.normal_(t, 10, 0.5, new pt.Generator(0));
    const n = flat(t);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    assert.ok(Math.abs(mean - 10) < 0.05, `mean ${mean}`);
  });
});

describe('devices', () => {
  test('cudaAvailable() is a boolean; without CUDA, asking for cuda throws DeviceError', () => {
    const has = pt.cudaAvailable();
    assert.equal(typeof has, 'boolean');
    if (!has) {
      assert.throws(() => pt.tensor([1, 2], { device: 'cuda' }), pt.DeviceError);
      assert.throws(() => pt.zeros([2], { device: 'cuda' }), pt.DeviceError);
      assert.throws(() => pt.tensor([1]).to('cuda'), pt.DeviceError);
    }
  });
});
