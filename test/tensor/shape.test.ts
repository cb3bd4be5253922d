// Shape and indexing ops against hand-computed values: views (and that they share storage),
// gathers and scatters, advanced indexing, masked fills, where, joining and splitting.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { assertClose, assertTensor } from '../helpers/approx.js';

const f = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float32' });
const i64 = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'int64' });
/** [[0,1,2],[3,4,5]] */
const m23 = () => pt.arange(6).reshape(2, 3);
/** [[1,2,3],[4,5,6],[7,8,9]] */
const m33 = () => pt.arange(1, 10).reshape(3, 3);

describe('views and reshaping', () => {
  test('reshape with varargs, an array, and -1', () => {
    assertTensor(
      m23(),
      [2, 3],
      'int64',
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      0,
    );
    assertTensor(
      pt.arange(6).reshape([3, -1]),
      [3, 2],
      'int64',
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      0,
    );
    assertTensor(m23().reshape(-1), [6], 'int64', [0, 1, 2, 3, 4, 5], 0);
    assertTensor(pt.arange(6).reshape(-1, 1, 2), [3, 1, 2], 'int64', [[[0, 1]], [[2, 3]], [[4, 5]]], 0);
    // a transposed (non-contiguous) tensor reshapes by copying in logical order
    assertClose(m23().t().reshape(6), [0, 3, 1, 4, 2, 5], 0);
    assert.throws(() => pt.arange(6).reshape(4, -1), pt.ShapeError);
  });

  test('view: same storage; refuses non-viewable strides', () => {
    const base = pt.arange(6);
    const v = base.view(3, 2);
    assertTensor(
      v,
      [3, 2],
      'int64',
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      0,
    );
    assert.ok(v.sharesStorageWith(base));
    assert.throws(() => m23().t().view(6), pt.TensorError);
  });

  test('permute / transpose / t', () => {
    // y[k][0][j] = x[0][j][k] = 3j + k
    const y = pt.arange(6).reshape(1, 2, 3).permute(2, 0, 1);
    assertTensor(y, [3, 1, 2], 'int64', [[[0, 3]], [[1, 4]], [[2, 5]]], 0);
    assert.deepEqual(pt.arange(6).reshape(1, 2, 3).permute([1, 2, 0]).shape, [2, 3, 1]);
    const tr = m23().transpose(0, 1);
    assertTensor(
      tr,
      [3, 2],
      'int64',
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
      0,
    );
    assert.equal(tr.isContiguous, false);
    assert.deepEqual(tr.strides, [1, 3]);
    assertClose(
      m23().transpose(-1, -2),
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
      0,
    );
    assertClose(
      m23().t(),
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
      0,
    );
    assertClose(f([1, 2]).t(), [1, 2], 0); // t() of a vector is itself
  });

  test('narrow / select', () => {
    assertTensor(
      m23().narrow(1, 1, 2),
      [2, 2],
      'int64',
      [
        [1, 2],
        [4, 5],
      ],
      0,
    );
    assertClose(m23().narrow(0, 1, 1), [[3, 4, 5]], 0);
    assertTensor(m23().select(0, 1), [3], 'int64', [3, 4, 5], 0);
    assertClose(m23().select(1, -1), [2, 5], 0);
    assert.throws(() => m23().select(0, 2), pt.IndexError);
  });

  test('slice: start/end/step, negatives and omissions', () => {
    const a = () => pt.arange(10);
    assertClose(a().slice(0, 2, 8, 3), [2, 5], 0); // 2, 5 (8 is excluded)
    assertClose(a().slice(0, -3), [7, 8, 9], 0);
    assertClose(a().slice(0, null, -2), [0, 1, 2, 3, 4, 5, 6, 7], 0);
    assertClose(a().slice(0, -4, -1), [6, 7, 8], 0);
    assertClose(a().slice(0, undefined, undefined, 4), [0, 4, 8], 0);
    assertClose(a().slice(0, 7, 100), [7, 8, 9], 0); // end clamps
    assertClose(
      m23().slice(1, 1),
      [
        [1, 2],
        [4, 5],
      ],
      0,
    );
    assertClose(
      m23().slice(-1, 0, 3, 2),
      [
        [0, 2],
        [3, 5],
      ],
      0,
    );
    assert.throws(() => a().slice(0, 0, 5, 0), pt.ArgumentError);
  });

  test('expand / expandAs', () => {
    const col = f([[1], [2]]);
    const e = col.expand(2, 3);
    assertTensor(
      e,
      [2, 3],
      'float32',
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      0,
    );
    assert.deepEqual(e.strides, [1, 0]); // no copy: stride 0
    assert.ok(e.sharesStorageWith(col));
    assertClose(
      col.expand(-1, 2),
      [
        [1, 1],
        [2, 2],
      ],
      0,
    );
    assert.deepEqual(col.expand([4, 2, 3]).shape, [4, 2, 3]);
    assertClose(
      f([5, 6]).expandAs(pt.zeros([2, 2])),
      [
        [5, 6],
        [5, 6],
      ],
      0,
    );
    assert.throws(() => f([1, 2]).expand(3), pt.ShapeError);
  });

  test('repeat copies tiles', () => {
    const x = f([1, 2]);
    assertClose(x.repeat(2), [1, 2, 1, 2], 0);
    assertTensor(
      x.repeat(2, 2),
      [2, 4],
      'float32',
      [
        [1, 2, 1, 2],
        [1, 2, 1, 2],
      ],
      0,
    );
    assertClose(
      f([[1], [2]]).repeat([1, 3]),
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      0,
    );
    assert.equal(x.repeat(2).sharesStorageWith(x), false);
  });

  test('repeatInterleave with an int and with per-element tensor repeats', () => {
    assertClose(f([1, 2, 3]).repeatInterleave(2), [1, 1, 2, 2, 3, 3], 0);
    assertClose(f([1, 2, 3]).repeatInterleave(i64([1, 0, 2])), [1, 3, 3], 0);
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).repeatInterleave(2, 0),
      [
        [1, 2],
        [1, 2],
        [3, 4],
        [3, 4],
      ],
      0,
    );
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).repeatInterleave(2, 1),
      [
        [1, 1, 2, 2],
        [3, 3, 4, 4],
      ],
      0,
    );
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).repeatInterleave(2),
      [1, 1, 2, 2, 3, 3, 4, 4],
      0,
    ); // no dim: flattened
    assertClose(
      f([
        [1, 2],
        [3, 4],
      ]).repeatInterleave(i64([3, 1]), 0),
      [
        [1, 2],
        [1, 2],
        [1, 2],
        [3, 4],
      ],
      0,
    );
  });

  test('squeeze / unsqueeze / flatten', () => {
    const z = pt.zeros([1, 3, 1]);
    assert.deepEqual(z.squeeze().shape, [3]);
    assert.deepEqual(z.squeeze(0).shape, [3, 1]);
    assert.deepEqual(z.squeeze(-1).shape, [1, 3]);
    assert.deepEqual(z.squeeze(1).shape, [1, 3, 1]); // size 3: unchanged
    assertTensor(f([1, 2, 3]).unsqueeze(0), [1, 3], 'float32', [[1, 2, 3]], 0);
    assertTensor(f([1, 2, 3]).unsqueeze(-1), [3, 1], 'float32', [[1], [2], [3]], 0);
    const x = pt.arange(24).reshape(2, 3, 4);
    assert.deepEqual(x.flatten().shape, [24]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
    assertClose(x.flatten(0, 1).select(0, 5), [20, 21, 22, 23], 0); // row (1,2) = 12 + 8 + [0..3]
  });

  test('contiguous copies a strided tensor into row-major order', () => {
    const tr = m23().t();
    const c = tr.contiguous();
    assert.equal(c.isContiguous, true);
    assert.deepEqual(c.strides, [2, 1]);
    assertClose(
      c,
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
      0,
    );
    assert.equal(c.sharesStorageWith(tr), false);
    const already = m23();
    assert.ok(already.contiguous().sharesStorageWith(already));
  });

  test('tril / triu with diagonal offsets', () => {
    assertClose(
      m33().tril(),
      [
        [1, 0, 0],
        [4, 5, 0],
        [7, 8, 9],
      ],
      0,
    );
    assertClose(
      m33().tril(-1),
      [
        [0, 0, 0],
        [4, 0, 0],
        [7, 8, 0],
      ],
      0,
    );
    assertClose(
      m33().tril(1),
      [
        [1, 2, 0],
        [4, 5, 6],
        [7, 8, 9],
      ],
      0,
    );
    assertClose(
      m33().triu(),
      [
        [1, 2, 3],
        [0, 5, 6],
        [0, 0, 9],
      ],
      0,
    );
    assertClose(
      m33().triu(1),
      [
        [0, 2, 3],
        [0, 0, 6],
        [0, 0, 0],
      ],
      0,
    );
    assertClose(
      m33().triu(-1),
      [
        [1, 2, 3],
        [4, 5, 6],
        [0, 8, 9],
      ],
      0,
    );
    assertClose(
      pt.ones([2, 3]).tril(1),
      [
        [1, 1, 0],
        [1, 1, 1],
      ],
      0,
    );
    assertClose(pt.ones([2, 4], { dtype: 'bool' }).tril(2), [
      [true, true, true, false],
      [true, true, true, true],
    ]);
  });

  test('flip', () => {
    const x = () =>
      f([
        [1, 2, 3],
        [4, 5, 6],
      ]);
    assertClose(
      x().flip(0),
      [
        [4, 5, 6],
        [1, 2, 3],
      ],
      0,
    );
    assertClose(
      x().flip(1),
      [
        [3, 2, 1],
        [6, 5, 4],
      ],
      0,
    );
    assertClose(
      x().flip([-1]),
      [
        [3, 2, 1],
        [6, 5, 4],
      ],
      0,
    );
    assertClose(
      x().flip(0, 1),
      [
        [6, 5, 4],
        [3, 2, 1],
      ],
      0,
    );
  });

  test('nonzero', () => {
    assertTensor(
      f([
        [0, 1],
        [2, 0],
      ]).nonzero(),
      [2, 2],
      'int64',
      [
        [0, 1],
        [1, 0],
      ],
      0,
    );
    assertTensor(f([0, 3, 0, 4]).nonzero(), [2, 1], 'int64', [[1], [3]], 0);
    assert.deepEqual(pt.zeros([2, 2]).nonzero().shape, [0, 2]);
  });
});

describe('views share storage with their base', () => {
  test('every view op shares; copies do not', () => {
    const base = pt.arange(12).reshape(3, 4);
    const views = [
      base.reshape(12),
      base.view(4, 3),
      base.permute(1, 0),
      base.transpose(0, 1),
      base.t(),
      base.narrow(1, 1, 2),
      base.slice(0, 1),
      base.select(0, 1),
      base.unsqueeze(0).expand(2, 3, 4),
      base.unsqueeze(1),
      base.unsqueeze(0).squeeze(0),
      base.flatten(),
      base.detach(),
      base.split(1)[0]!,
      base.chunk(2, 1)[1]!,
      base.unbind(0)[2]!,
    ];
    for (const v of views) assert.ok(v.sharesStorageWith(base), v.describe());
    for (const c of [base.clone(), base.t().contiguous(), base.repeat(1, 1), base.flip(0), base.indexSelect(0, i64([0]))]) {
      assert.equal(c.sharesStorageWith(base), false, c.describe());
    }
  });

  test('fill_ through views changes the base', () => {
    const base = pt.zeros([3, 4]);
    base.narrow(1, 1, 2).fill_(1); // each row → [0, 1, 1, 0]
    base.select(0, 2).fill_(5); // row 2 → all 5
    base.t().select(0, 3).fill_(7); // column 3 → all 7
    assertClose(
      base,
      [
        [0, 1, 1, 7],
        [0, 1, 1, 7],
        [5, 5, 5, 7],
      ],
      0,
    );
    const line = pt.zeros([6]);
    line.slice(0, 1, null, 2).fill_(1);
    assertClose(line, [0, 1, 0, 1, 0, 1], 0);
    line.view(2, 3).select(1, 0).add_(10); // elements 0 and 3
    assertClose(line, [10, 1, 0, 11, 0, 1], 0);
  });

  test('writing the base is visible through a view', () => {
    const base = pt.zeros([2, 2]);
    const v = base.view(4);
    base.fill_(2);
    assertClose(v, [2, 2, 2, 2], 0);
    const c = base.clone();
    base.fill_(3);
    assertClose(
      c,
      [
        [2, 2],
        [2, 2],
      ],
      0,
    ); // a clone does not follow
  });
});

describe('indexing', () => {
  test('indexSelect', () => {
    assertClose(
      m33().indexSelect(0, i64([2, 0])),
      [
        [7, 8, 9],
        [1, 2, 3],
      ],
      0,
    );
    assertClose(
      m33().indexSelect(1, i64([1, 1])),
      [
        [2, 2],
        [5, 5],
        [8, 8],
      ],
      0,
    );
    assert.throws(() => m33().indexSelect(0, i64([3])), pt.IndexError);
  });

  test('gather', () => {
    const x = f([
      [1, 2],
      [3, 4],
    ]);
    // dim 1: out[i][j] = x[i][idx[i][j]]
    assertClose(
      x.gather(
        1,
        i64([
          [0, 0],
          [1, 0],
        ]),
      ),
      [
        [1, 1],
        [4, 3],
      ],
      0,
    );
    // dim 0: out[i][j] = x[idx[i][j]][j]
    assertClose(x.gather(0, i64([[1, 0]])), [[3, 2]], 0);
  });

  test('scatter with a tensor source and with a scalar; the input is not changed', () => {
    const z = pt.zeros([2, 3]);
    assertClose(
      z.scatter(1, i64([[2], [0]]), f([[5], [6]])),
      [
        [0, 0, 5],
        [6, 0, 0],
      ],
      0,
    );
    assertClose(
      z.scatter(
        1,
        i64([
          [0, 1],
          [2, 2],
        ]),
        9,
      ),
      [
        [9, 9, 0],
        [0, 0, 9],
      ],
      0,
    );
    assertClose(
      z.scatter(0, i64([[1, 0, 1]]), f([[1, 2, 3]])),
      [
        [0, 2, 0],
        [1, 0, 3],
      ],
      0,
    );
    assertClose(
      z,
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      0,
    );
  });

  test('scatterAdd accumulates repeated indices', () => {
    // index 0 gets 1 + 3 + 5 = 9, index 1 gets 2, index 4 gets 4
    assertClose(pt.zeros([5]).scatterAdd(0, i64([0, 1, 0, 4, 0]), f([1, 2, 3, 4, 5])), [9, 2, 0, 0, 4], 0);
    assertClose(
      pt.ones([2, 2]).scatterAdd(
        1,
        i64([
          [0, 0],
          [1, 1],
        ]),
        f([
          [1, 2],
          [3, 4],
        ]),
      ),
      [
        [4, 1],
        [1, 8],
      ],
      0,
    );
  });

  test('index with int tensors, bool masks and null entries', () => {
    assertClose(
      m33().index([i64([2, 0])]),
      [
        [7, 8, 9],
        [1, 2, 3],
      ],
      0,
    );
    assertClose(m33().index([i64([0, 2]), i64([1, 2])]), [2, 9], 0); // x[0][1], x[2][2]
    assertClose(
      m33().index([null, i64([0, 2])]),
      [
        [1, 3],
        [4, 6],
        [7, 9],
      ],
      0,
    );
    assertClose(
      m33().index([pt.tensor([true, false, true])]),
      [
        [1, 2, 3],
        [7, 8, 9],
      ],
      0,
    );
    assertClose(m33().index([m33().gt(5)]), [6, 7, 8, 9], 0);
    assertClose(m33().index([null, pt.tensor([false, true, false])]), [[2], [5], [8]], 0);
    assertClose(
      m33().index([i64([[0], [2]]), i64([0, 2])]),
      [
        [1, 3],
        [7, 9],
      ],
      0,
    ); // broadcast index tensors
  });

  test('indexPut_ writes in place, with and without accumulate', () => {
    const z = pt.zeros([5]);
    assert.equal(z.indexPut_([i64([0, 2])], f([1, 2])), z);
    assertClose(z, [1, 0, 2, 0, 0], 0);
    const acc = pt.zeros([3]);
    acc.indexPut_([i64([0, 0, 2])], f([1, 2, 3]), true); // 0 gets 1 + 2
    assertClose(acc, [3, 0, 3], 0);
    acc.indexPut_([i64([2])], f([1]), true);
    assertClose(acc, [3, 0, 4], 0);
    const m = pt.zeros([2, 2]);
    m.indexPut_([i64([0, 1]), i64([1, 0])], f([5, 6]));
    assertClose(
      m,
      [
        [0, 5],
        [6, 0],
      ],
      0,
    );
    const b = f([1, -2, 3, -4]);
    b.indexPut_([b.lt(0)], f([0])); // broadcast value through a mask
    assertClose(b, [1, 0, 3, 0], 0);
    const rows = pt.zeros([2, 3]);
    rows.indexPut_([i64([1]), null], f([7, 8, 9]));
    assertClose(
      rows,
      [
        [0, 0, 0],
        [7, 8, 9],
      ],
      0,
    );
  });

  test('maskedFill / maskedFill_', () => {
    const x = f([
      [1, 2],
      [3, 4],
    ]);
    assertClose(
      x.maskedFill(x.gt(2), 0),
      [
        [1, 2],
        [0, 0],
      ],
      0,
    );
    assertClose(
      x.maskedFill(pt.tensor([true, false]), -1),
      [
        [-1, 2],
        [-1, 4],
      ],
      0,
    ); // mask broadcasts over rows
    assertClose(
      x.maskedFill(pt.tensor([[false], [true]]), -Infinity),
      [
        [1, 2],
        [-Infinity, -Infinity],
      ],
      0,
    );
    assertClose(
      x,
      [
        [1, 2],
        [3, 4],
      ],
      0,
    ); // not in place
    assert.equal(x.maskedFill_(x.eq(4), 40), x);
    assertClose(
      x,
      [
        [1, 2],
        [3, 40],
      ],
      0,
    );
    assert.throws(() => x.maskedFill(pt.tensor([true, false, true]), 0), pt.ShapeError);
  });
});

describe('where / cat / stack', () => {
  const c = () => pt.tensor([true, false, true]);
  test('where with tensors and scalars, broadcasting', () => {
    assertClose(pt.where(c(), f([1, 2, 3]), f([10, 20, 30])), [1, 20, 3], 0);
    assertClose(pt.where(c(), f([1, 2, 3]), 0), [1, 0, 3], 0);
    assertClose(pt.where(c(), -1, f([10, 20, 30])), [-1, 20, -1], 0);
    assertClose(pt.where(c(), 1, 0), [1, 0, 1], 0);
    assertClose(
      pt.where(pt.tensor([[true], [false]]), f([1, 2]), f([[10], [20]])),
      [
        [1, 2],
        [20, 20],
      ],
      0,
    );
    assertClose(pt.where(f([1, 2, 3]).gt(1.5), f([1, 2, 3]), f([0, 0, 0])), [0, 2, 3], 0);
  });

  test('cat along dims; stack adds a dim', () => {
    assertTensor(
      pt.cat([
        f([[1, 2]]),
        f([
          [3, 4],
          [5, 6],
        ]),
      ]),
      [3, 2],
      'float32',
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      0,
    );
    assertClose(
      pt.cat(
        [
          f([[1], [2]]),
          f([
            [3, 4],
            [5, 6],
          ]),
        ],
        1,
      ),
      [
        [1, 3, 4],
        [2, 5, 6],
      ],
      0,
    );
    assertClose(pt.cat([f([1]), f([2, 3])], -1), [1, 2, 3], 0);
    assertTensor(
      pt.stack([f([1, 2]), f([3, 4])]),
      [2, 2],
      'float32',
      [
        [1, 2],
        [3, 4],
      ],
      0,
    );
    assertClose(
      pt.stack([f([1, 2]), f([3, 4])], 1),
      [
        [1, 3],
        [2, 4],
      ],
      0,
    );
    assertClose(
      pt.stack([f([1, 2]), f([3, 4])], -1),
      [
        [1, 3],
        [2, 4],
      ],
      0,
    );
    assert.throws(() => pt.cat([]), pt.ArgumentError);
    assert.throws(() => pt.stack([f([1]), f([1, 2])]), pt.ShapeError);
    assert.throws(() => pt.cat([f([[1, 2]]), f([[1, 2, 3]])]), pt.ShapeError);
  });
});

describe('splitting', () => {
  const flat = (ts: pt.Tensor[]) => ts.map((t) => t.toArray());
  test('split by size and by sizes', () => {
    assert.deepEqual(flat(pt.arange(5).split(2)), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(flat(pt.arange(5).split([1, 4])), [[0], [1, 2, 3, 4]]);
    assert.deepEqual(flat(m23().split(2, 1)), [
      [
        [0, 1],
        [3, 4],
      ],
      [[2], [5]],
    ]);
    assert.deepEqual(flat(m23().split([2, 1], -1)), [
      [
        [0, 1],
        [3, 4],
      ],
      [[2], [5]],
    ]);
    assert.throws(() => pt.arange(5).split([1, 2]), pt.TensorError); // sizes must add up to 5
  });

  test('chunk', () => {
    assert.deepEqual(flat(pt.arange(5).chunk(2)), [
      [0, 1, 2],
      [3, 4],
    ]);
    assert.deepEqual(flat(pt.arange(6).chunk(3)), [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    // chunk size = ceil(6 / 4) = 2 → only 3 chunks
    assert.deepEqual(flat(pt.arange(6).chunk(4)), [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    assert.deepEqual(flat(m23().chunk(3, 1)), [
      [[0], [3]],
      [[1], [4]],
      [[2], [5]],
    ]);
  });

  test('unbind', () => {
    assert.deepEqual(
      flat(
        f([
          [1, 2],
          [3, 4],
        ]).unbind(),
      ),
      [
        [1, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(
      flat(
        f([
          [1, 2],
          [3, 4],
        ]).unbind(1),
      ),
      [
        [1, 3],
        [2, 4],
      ],
    );
    assert.deepEqual(
      pt
        .zeros([3, 2])
        .unbind(0)
        .map((t) => t.shape),
      [[2], [2], [2]],
    );
  });
});
