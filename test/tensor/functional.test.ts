// Functional ops against hand-computed values: embedding, linear, norms, dropout, oneHot, losses,
// attention (native path vs the op-by-op reference, a hand-computed tiny case, packed-sample
// isolation), attention masks and packed positions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { assertClose, assertTensor } from '../helpers/approx.js';

const f = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float32' });
const i64 = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'int64' });
const randn64 = (shape: number[], seed: number) => pt.randn(shape, { dtype: 'float64', generator: new pt.Generator(seed) });

describe('layers', () => {
  test('embedding picks rows; the paddingIdx row gets no gradient', () => {
    const w = f([
      [0, 0],
      [1, 2],
      [3, 4],
    ]).requiresGrad_();
    const ids = i64([
      [1, 2],
      [0, 1],
    ]);
    const out = pt.embedding(w, ids, 0);
    assertTensor(
      out,
      [2, 2, 2],
      'float32',
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [0, 0],
          [1, 2],
        ],
      ],
      0,
    );
    out.sum().backward();
    // row 1 used twice, row 2 once, row 0 (padding) once but masked
    assertClose(
      w.grad!,
      [
        [0, 0],
        [2, 2],
        [1, 1],
      ],
      0,
    );
    const w2 = f([
      [0, 0],
      [1, 2],
      [3, 4],
    ]).requiresGrad_();
    pt.embedding(w2, ids).sum().backward();
    assertClose(
      w2.grad!,
      [
        [1, 1],
        [2, 2],
        [1, 1],
      ],
      0,
    );
  });

  test('linear with and without bias, batched input', () => {
    const W = f([
      [1, 0],
      [0, 1],
      [1, 1],
    ]); // (out 3, in 2)
    // [1, 2] @ Wᵀ = [1, 2, 3]
    assertTensor(pt.linear(f([[1, 2]]), W), [1, 3], 'float32', [[1, 2, 3]], 0);
    assertClose(pt.linear(f([[1, 2]]), W, f([10, 20, 30])), [[11, 22, 33]], 0);
    assertTensor(pt.linear(f([[[1, 2]], [[-1, 1]]]), W, null), [2, 1, 3], 'float32', [[[1, 2, 3]], [[-1, 1, 0]]], 0);
    assertClose(pt.linear(f([2, 3]), W), [2, 3, 5], 0);
  });

  test('layerNorm (hand-computed), with weight and bias, over two dims', () => {
    // [1,2,3,4]: mean 2.5, population variance 1.25 → (x - 2.5) / √(1.25 + 1e-5)
    const expected = [-1.34163542, -0.447211807, 0.447211807, 1.34163542];
    assertClose(pt.layerNorm(f([[1, 2, 3, 4]]), [4]), [expected], 1e-6);
    assertClose(pt.layerNorm(f([[1, 2, 3, 4]]), [4], null, null, 0), [[-1.341640786, -0.447213595, 0.447213595, 1.341640786]], 1e-6);
    const wb = pt.layerNorm(
      f([
        [1, 2, 3, 4],
        [5, 5, 5, 5],
      ]),
      [4],
      f([1, 2, 1, 1]),
      f([0, 0, 1, 0]),
    );
    // a constant row normalises to 0 (then + bias)
    assertClose(
      wb,
      [
        [expected[0]!, 2 * expected[1]!, expected[2]! + 1, expected[3]!],
        [0, 0, 1, 0],
      ],
      1e-5,
    );
    assertClose(
      pt.layerNorm(
        f([
          [
            [1, 2],
            [3, 4],
          ],
        ]),
        [2, 2],
      ),
      [
        [
          [expected[0]!, expected[1]!],
          [expected[2]!, expected[3]!],
        ],
      ],
      1e-6,
    );
  });

  test('rmsNorm (hand-computed); bf16 input gives bf16 output', () => {
    // [3, 4]: mean of squares (9 + 16) / 2 = 12.5 → x / √(12.5 + 1e-6) = [0.848528, 1.131371]
    assertClose(pt.rmsNorm(f([[3, 4]])), [[0.848528103, 1.131370805]], 1e-6);
    assertClose(
      pt.rmsNorm(
        f([
          [3, 4],
          [1, 1],
        ]),
        f([2, 0.5]),
      ),
      [
        [1.697056207, 0.565685402],
        [2, 0.5],
      ],
      1e-5,
    );
    assertClose(pt.rmsNorm(f([[3, 4]]), null, 0.5), [[3 / Math.sqrt(13), 4 / Math.sqrt(13)]], 1e-6); // eps 0.5: √13
    const xb = f([[3, 4]]).bfloat16();
    // 0.848528 → bf16 217/256 = 0.84765625; 1.131371 → 145/128 = 1.1328125
    assertTensor(pt.rmsNorm(xb), [1, 2], 'bfloat16', [[0.84765625, 1.1328125]], 0);
    assertTensor(pt.rmsNorm(xb, f([2, 0.5]).bfloat16()), [1, 2], 'bfloat16', [[1.6953125, 0.56640625]], 0);
  });

  test('dropout: training zeroes ≈ p and scales survivors by 1/(1-p); eval is the identity', () => {
    pt.manualSeed(0);
    const x = pt.ones([20000]);
    const y = pt.dropout(x, 0.3).toFlatArray() as number[];
    const zeros = y.filter((v) => v === 0).length / y.length;
    assert.ok(Math.abs(zeros - 0.3) < 0.02, `zero fraction ${zeros}`); // std error ≈ 0.003
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)); // survivors = 1.428571
    assert.ok(pt.dropout(x, 0.3, false).equal(x));
    assert.ok(pt.dropout(x, 0).equal(x));
    assert.ok(pt.dropout(x, 1).equal(pt.zerosLike(x)));
    assert.throws(() => pt.dropout(x, 1.5), pt.ArgumentError);
  });

  test('oneHot', () => {
    assertTensor(
      pt.oneHot(i64([0, 2, 1]), 3),
      [3, 3],
      'int64',
      [
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
      ],
      0,
    );
    assertTensor(
      pt.oneHot(i64([1, 3])),
      [2, 4],
      'int64',
      [
        [0, 1, 0, 0],
        [0, 0, 0, 1],
      ],
      0,
    ); // classes = max + 1
    assertTensor(pt.oneHot(i64([[1], [0]]), 2), [2, 1, 2], 'int64', [[[0, 1]], [[1, 0]]], 0);
  });
});

describe('losses', () => {
  // row 0: logits [1,2,3], target 2: logsumexp = 3.407605964 → loss 0.407605964
  // row 1: logits [1,1,1], target 0: loss = ln 3 = 1.098612289
  const logits = () =>
    f([
      [1, 2, 3],
      [1, 1, 1],
    ]);
  const L0 = 0.407605964,
    L1 = 1.098612289;

  test('crossEntropy: none / sum / mean', () => {
    assertTensor(pt.crossEntropy(logits(), i64([2, 0]), { reduction: 'none' }), [2], 'float32', [L0, L1], 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([2, 0]), { reduction: 'sum' }), L0 + L1, 1e-6);
    assertTensor(pt.crossEntropy(logits(), i64([2, 0])), [], 'float32', (L0 + L1) / 2, 1e-6);
  });

  test('crossEntropy: ignored rows are excluded from the mean', () => {
    assertClose(pt.crossEntropy(logits(), i64([2, -100])), L0, 1e-6); // mean over 1 row
    assertClose(pt.crossEntropy(logits(), i64([2, -100]), { reduction: 'none' }), [L0, 0], 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([2, -100]), { reduction: 'sum' }), L0, 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([2, 0]), { ignoreIndex: 0 }), L0, 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([-100, 0])), L1, 1e-6);
  });

  test('crossEntropy: label smoothing (hand-computed)', () => {
    // (1-ε)·nll + ε·mean_c(-log p_c). Row 0: -log p = [2.4076, 1.4076, 0.4076], mean 1.407605964
    // → 0.9·0.407605964 + 0.1·1.407605964 = 0.507605964. Row 1: all -log p = ln 3 → ln 3.
    assertClose(pt.crossEntropy(logits(), i64([2, 0]), { labelSmoothing: 0.1, reduction: 'none' }), [0.507605964, L1], 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([2, 0]), { labelSmoothing: 0.1 }), 0.803109127, 1e-6);
    assertClose(pt.crossEntropy(logits(), i64([2, -100]), { labelSmoothing: 0.1 }), 0.507605964, 1e-6);
  });

  test('crossEntropy: class weights give a weighted mean', () => {
    // weights w0 = 1, w2 = 2: (2·L0 + 1·L1) / (2 + 1) = 0.637941406
    assertClose(pt.crossEntropy(logits(), i64([2, 0]), { weight: f([1, 1, 2]) }), 0.637941406, 1e-6);
  });

  test('crossEntropy: (B, T, C) logits with (B, T) targets', () => {
    const l3 = f([
      [
        [1, 2, 3],
        [1, 1, 1],
      ],
      [
        [1, 1, 1],
        [1, 2, 3],
      ],
    ]); // (2, 2, 3)
    const t = i64([
      [2, 0],
      [0, -100],
    ]);
    // three counted positions: L0, L1, L1
    assertClose(pt.crossEntropy(l3, t), (L0 + 2 * L1) / 3, 1e-6);
    assertTensor(
      pt.crossEntropy(l3, t, { reduction: 'none' }),
      [2, 2],
      'float32',
      [
        [L0, L1],
        [L1, 0],
      ],
      1e-6,
    );
    assertClose(pt.crossEntropy(l3, t, { reduction: 'sum' }), L0 + 2 * L1, 1e-6);
  });

  test('klDiv: mean / sum / batchmean / none, logTarget', () => {
    // input log([.5,.5]) vs target [.25,.75]: t (log t - input) = .25 ln .5 = -0.173286795, .75 ln 1.5 = 0.304098831
    // second row identical distributions → 0
    const input = f([
      [0.5, 0.5],
      [0.25, 0.75],
    ]).log();
    const target = f([
      [0.25, 0.75],
      [0.25, 0.75],
    ]);
    assertClose(
      pt.klDiv(input, target, { reduction: 'none' }),
      [
        [-0.173286795, 0.304098831],
        [0, 0],
      ],
      1e-6,
    );
    assertClose(pt.klDiv(input, target, { reduction: 'sum' }), 0.130812036, 1e-6);
    assertClose(pt.klDiv(input, target), 0.032703009, 1e-6); // / 4 elements
    assertClose(pt.klDiv(input, target, { reduction: 'batchmean' }), 0.065406018, 1e-6); // / batch 2
    assertClose(pt.klDiv(input, target.log(), { reduction: 'batchmean', logTarget: true }), 0.065406018, 1e-6);
  });

  test('mseLoss', () => {
    // squared differences [0, 4, 9]
    assertClose(pt.mseLoss(f([1, 2, 3]), f([1, 4, 0])), 13 / 3, 1e-6);
    assertClose(pt.mseLoss(f([1, 2, 3]), f([1, 4, 0]), 'sum'), 13, 0);
    assertClose(pt.mseLoss(f([1, 2, 3]), f([1, 4, 0]), 'none'), [0, 4, 9], 0);
  });
});

describe('scaledDotProductAttention', () => {
  test('hand-computed tiny case (T = 2, D = 1)', () => {
    // scale 1/√1 = 1; scores = q kᵀ: row 0 = [0, 0] → [.5, .5]; row 1 = [ln 3, 0] → [.75, .25]
    const q = f([[[[0], [Math.log(3)]]]]);
    const k = f([[[[1], [0]]]]);
    const v = f([[[[10], [20]]]]);
    assertTensor(pt.scaledDotProductAttention(q, k, v), [1, 1, 2, 1], 'float32', [[[[15], [12.5]]]], 1e-6);
    // causal: row 0 sees key 0 only → 10
    assertClose(pt.scaledDotProductAttention(q, k, v, { causal: true }), [[[[10], [12.5]]]], 1e-6);
    // scale 2: row 1 scores [2 ln 3, 0] → [.9, .1] → 11
    assertClose(pt.scaledDotProductAttention(q, k, v, { scale: 2 }), [[[[15], [11]]]], 1e-6);
    // mask: row 1 may only see key 1 → 20
    const mask = pt.tensor([
      [true, true],
      [false, true],
    ]);
    assertClose(pt.scaledDotProductAttention(q, k, v, { mask }), [[[[15], [20]]]], 1e-6);
    assertClose(pt.attentionReference(q, k, v, { mask }), [[[[15], [20]]]], 1e-6);
  });

  const [B, H, T, D] = [2, 2, 5, 4];
  const qkv = (seed: number, h = H, t = T, s = T) =>
    [randn64([B, h, t, D], seed), randn64([B, h === 4 ? 2 : h, s, D], seed + 1), randn64([B, h === 4 ? 2 : h, s, D], seed + 2)] as const;
  const close = (a: pt.Tensor, b: pt.Tensor, tol = 1e-10) => {
    assert.deepEqual(a.shape, b.shape);
    assert.ok(a.allclose(b, 0, tol), `max |diff| = ${a.sub(b).abs().max().item()}`);
  };

  test('matches attentionReference in float64: plain and causal', () => {
    const [q, k, v] = qkv(10);
    const out = pt.scaledDotProductAttention(q, k, v);
    assertTensor(out, [B, H, T, D], 'float64');
    close(out, pt.attentionReference(q, k, v));
    close(pt.scaledDotProductAttention(q, k, v, { causal: true }), pt.attentionReference(q, k, v, { causal: true }));
    // causal changes every row but the last
    const diff = pt.scaledDotProductAttention(q, k, v, { causal: true }).sub(out).abs().amax([0, 1, 3]).toFlatArray() as number[];
    assert.ok(diff.slice(0, T - 1).every((x) => x > 1e-6) && diff[T - 1]! < 1e-12, JSON.stringify(diff));
  });

  test('matches the reference with a key-padding mask', () => {
    const [q, k, v] = qkv(20);
    const mask = pt.attentionMask({
      queryLength: T,
      keyPadding: pt.tensor([
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ]),
    });
    const out = pt.scaledDotProductAttention(q, k, v, { mask });
    close(out, pt.attentionReference(q, k, v, { mask }));
    // batch 1 has no padding: same as plain causal
    close(out.select(0, 1), pt.scaledDotProductAttention(q, k, v, { causal: true }).select(0, 1));
    // batch 0, last query: keys 3, 4 are padding → same as attending over keys 0..2 only
    const part = pt.scaledDotProductAttention(q.narrow(2, 4, 1), k.narrow(2, 0, 3), v.narrow(2, 0, 3));
    close(out.narrow(2, 4, 1).select(0, 0), part.select(0, 0));
  });

  test('matches the reference with packed segments', () => {
    const [q, k, v] = qkv(30);
    const seg = i64([
      [0, 0, 1, 1, 1],
      [0, 1, 1, 2, 2],
    ]);
    for (const causal of [true, false]) {
      const mask = pt.attentionMask({ queryLength: T, segmentIds: seg, causal });
      close(pt.scaledDotProductAttention(q, k, v, { mask }), pt.attentionReference(q, k, v, { mask }));
    }
    // batch 0, non-causal: positions 2..4 attend only among themselves
    const mask = pt.attentionMask({ queryLength: T, segmentIds: seg, causal: false });
    const out = pt.scaledDotProductAttention(q, k, v, { mask });
    const alone = pt.scaledDotProductAttention(q.narrow(2, 2, 3), k.narrow(2, 2, 3), v.narrow(2, 2, 3));
    close(out.narrow(2, 2, 3).select(0, 0), alone.select(0, 0));
  });

  test('grouped-query attention: H = 4 query heads share Hkv = 2 key/value heads', () => {
    const [q, k, v] = qkv(40, 4);
    assert.deepEqual(k.shape, [B, 2, T, D]);
    for (const causal of [false, true]) {
      const out = pt.scaledDotProductAttention(q, k, v, { causal });
      close(out, pt.attentionReference(q, k, v, { causal }));
      // heads 0, 1 use kv head 0; heads 2, 3 use kv head 1
      for (const [h, kvh] of [
        [0, 0],
        [1, 0],
        [2, 1],
        [3, 1],
      ] as const) {
        const one = pt.scaledDotProductAttention(q.narrow(1, h, 1), k.narrow(1, kvh, 1), v.narrow(1, kvh, 1), { causal });
        close(out.narrow(1, h, 1), one);
      }
    }
    assert.throws(
      () => pt.scaledDotProductAttention(randn64([1, 3, 2, 4], 1), randn64([1, 2, 2, 4], 2), randn64([1, 2, 2, 4], 3)),
      pt.ShapeError,
    );
  });

  test('T ≠ S causal aligns bottom-right (KV cache): the last query sees every key', () => {
    const [q, k, v] = qkv(50, H, 2, 5); // T = 2 new queries, S = 5 keys
    const out = pt.scaledDotProductAttention(q, k, v, { causal: true });
    close(out, pt.attentionReference(q, k, v, { causal: true }));
    const full = pt.scaledDotProductAttention(q, k, v);
    close(out.narrow(2, 1, 1), full.narrow(2, 1, 1)); // query 1 (last) sees keys 0..4
    // query 0 sees keys j ≤ 0 + S - T = 3, i.e. 4 keys
    const first = pt.scaledDotProductAttention(q.narrow(2, 0, 1), k.narrow(2, 0, 4), v.narrow(2, 0, 4));
    close(out.narrow(2, 0, 1), first);
  });

  test('a query row whose keys are all masked gives zeros, not NaN', () => {
    const [q, k, v] = qkv(60, H, 3, 3);
    // left padding: key 0 is padding, so causal query 0 has no key at all
    const mask = pt.attentionMask({
      queryLength: 3,
      keyPadding: pt.tensor([
        [0, 1, 1],
        [1, 1, 1],
      ]),
    });
    const out = pt.scaledDotProductAttention(q, k, v, { mask });
    assert.equal(out.isnan().any().item(), false);
    assertClose(
      out.select(0, 0).select(1, 0),
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      0,
    ); // (H, D) of batch 0, query 0
    close(out, pt.attentionReference(q, k, v, { mask }));
    // a batch whose every key is padding: all zeros
    const none = pt.attentionMask({
      queryLength: 3,
      keyPadding: pt.tensor([
        [0, 0, 0],
        [1, 1, 1],
      ]),
    });
    const z = pt.scaledDotProductAttention(q, k, v, { mask: none });
    assert.equal(z.isnan().any().item(), false);
    assert.equal(z.select(0, 0).abs().max().item(), 0);
  });

  test('causal with more queries than keys: the early queries see nothing and give zeros', () => {
    const [q, k, v] = qkv(70, H, 3, 2); // T = 3, S = 2: query 0 sees keys j ≤ 0 + 2 - 3 = -1 → none
    const out = pt.scaledDotProductAttention(q, k, v, { causal: true });
    assert.equal(out.isnan().any().item(), false, 'NaN in causal attention with T > S');
    assertClose(out.narrow(2, 0, 1).abs().max(), 0, 0);
    close(out, pt.attentionReference(q, k, v, { causal: true }));
  });
});

describe('packed-sample isolation', () => {
  // one row packing sample A (positions 0..2) and sample B (positions 3..5)
  const seg = i64([[0, 0, 0, 1, 1, 1]]);
  const Dh = 4;
  const run = (q: pt.Tensor, k: pt.Tensor, v: pt.Tensor, causal: boolean) =>
    pt.scaledDotProductAttention(q, k, v, { mask: pt.attentionMask({ queryLength: 6, segmentIds: seg, causal }) });
  /** q, k, v with the positions [start, start+3) replaced by other random values. */
  const perturb = (x: pt.Tensor, start: number, seed: number) => {
    const y = x.clone();
    y.narrow(2, start, 3).copy_(randn64([1, 2, 3, Dh], seed));
    return y;
  };
  const same = (a: pt.Tensor, b: pt.Tensor) => assert.ok(a.allclose(b, 0, 1e-12), `max |diff| = ${a.sub(b).abs().max().item()}`);
  const differ = (a: pt.Tensor, b: pt.Tensor) => assert.ok((a.sub(b).abs().max().item() as number) > 1e-3);

  for (const causal of [true, false]) {
    test(`changing one sample's values leaves the other's outputs unchanged (causal ${causal})`, () => {
      const q = randn64([1, 2, 6, Dh], 1),
        k = randn64([1, 2, 6, Dh], 2),
        v = randn64([1, 2, 6, Dh], 3);
      const base = run(q, k, v, causal);
      // change sample B → sample A's outputs are identical, B's change
      const b = run(perturb(q, 3, 10), perturb(k, 3, 11), perturb(v, 3, 12), causal);
      same(b.narrow(2, 0, 3), base.narrow(2, 0, 3));
      differ(b.narrow(2, 3, 3), base.narrow(2, 3, 3));
      // change sample A → sample B's outputs are identical, A's change
      const a = run(perturb(q, 0, 20), perturb(k, 0, 21), perturb(v, 0, 22), causal);
      same(a.narrow(2, 3, 3), base.narrow(2, 3, 3));
      differ(a.narrow(2, 0, 3), base.narrow(2, 0, 3));
    });
  }

  test('changing the tokens of sample B does not change sample A (embedding → attention), and vice versa', () => {
    const W = randn64([10, Dh], 5);
    const attend = (tokens: number[]) => {
      const x = pt.embedding(W, i64([tokens])).view(1, 1, 6, Dh); // q = k = v
      return pt.scaledDotProductAttention(x, x, x, { mask: pt.attentionMask({ queryLength: 6, segmentIds: seg }) });
    };
    const base = attend([5, 3, 7, 2, 9, 1]);
    const changedB = attend([5, 3, 7, 4, 4, 8]);
    same(changedB.narrow(2, 0, 3), base.narrow(2, 0, 3));
    differ(changedB.narrow(2, 3, 3), base.narrow(2, 3, 3));
    const changedA = attend([0, 6, 6, 2, 9, 1]);
    same(changedA.narrow(2, 3, 3), base.narrow(2, 3, 3));
    differ(changedA.narrow(2, 0, 3), base.narrow(2, 0, 3));
    // sample B packed after A equals sample B alone
    const alone = pt.scaledDotProductAttention(
      ...([0, 0, 0].map(() => pt.embedding(W, i64([[2, 9, 1]])).view(1, 1, 3, Dh)) as [pt.Tensor, pt.Tensor, pt.Tensor]),
      { causal: true },
    );
    same(base.narrow(2, 3, 3), alone);
  });
});

describe('attention masks and packed positions', () => {
  const T_ = true,
    F_ = false;
  test('attentionMask shapes and values', () => {
    assertTensor(pt.attentionMask({ queryLength: 3 }), [1, 1, 3, 3], 'bool', [
      [
        [
          [T_, F_, F_],
          [T_, T_, F_],
          [T_, T_, T_],
        ],
      ],
    ]);
    // T = 2, S = 4: bottom-right causal: query i sees j ≤ i + 2
    assertTensor(pt.attentionMask({ queryLength: 2, keyLength: 4 }), [1, 1, 2, 4], 'bool', [
      [
        [
          [T_, T_, T_, F_],
          [T_, T_, T_, T_],
        ],
      ],
    ]);
    assertTensor(pt.attentionMask({ queryLength: 2, causal: false }), [1, 1, 2, 2], 'bool', [
      [
        [
          [T_, T_],
          [T_, T_],
        ],
      ],
    ]);
    const pad = pt.attentionMask({
      queryLength: 3,
      keyPadding: pt.tensor([
        [1, 1, 0],
        [1, 1, 1],
      ]),
      causal: false,
    });
    assertTensor(pad, [2, 1, 3, 3], 'bool', [
      [
        [
          [T_, T_, F_],
          [T_, T_, F_],
          [T_, T_, F_],
        ],
      ],
      [
        [
          [T_, T_, T_],
          [T_, T_, T_],
          [T_, T_, T_],
        ],
      ],
    ]);
    const packed = pt.attentionMask({ queryLength: 4, segmentIds: i64([[0, 0, 1, 1]]) });
    assertTensor(packed, [1, 1, 4, 4], 'bool', [
      [
        [
          [T_, F_, F_, F_],
          [T_, T_, F_, F_],
          [F_, F_, T_, F_],
          [F_, F_, T_, T_],
        ],
      ],
    ]);
    const both = pt.attentionMask({
      queryLength: 3,
      segmentIds: i64([[0, 1, 1]]),
      keyPadding: pt.tensor([[true, true, false]]),
      causal: false,
    });
    assertClose(both, [
      [
        [
          [T_, F_, F_],
          [F_, T_, F_],
          [F_, T_, F_],
        ],
      ],
    ]);
    assert.throws(() => pt.attentionMask({ queryLength: 2, keyLength: 3, segmentIds: i64([[0, 0]]) }), pt.ShapeError);
  });

  test('positionsFromSegments restarts at each new sample', () => {
    assertTensor(pt.positionsFromSegments(i64([[0, 0, 1, 1, 1, 2]])), [1, 6], 'int64', [[0, 1, 0, 1, 2, 0]], 0);
    assertClose(
      pt.positionsFromSegments(
        i64([
          [0, 0, 0, 1],
          [0, 1, 1, 1],
          [3, 3, 3, 3],
        ]),
      ),
      [
        [0, 1, 2, 0],
        [0, 0, 1, 2],
        [0, 1, 2, 3],
      ],
      0,
    );
    assertClose(pt.positionsFromSegments(i64([[5]])), [[0]], 0);
  });
});
