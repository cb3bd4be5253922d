// Indexing, joining and splitting, the layers, attention and the losses, gradient-checked in
// float64 against central finite differences (test/helpers/gradcheck.ts).
import * as pt from '../../src/tensor/index.js';
import { bools, gradcheckCases, ids, pos, x } from '../helpers/gradcheck.js';

const { c, testCases } = gradcheckCases();

// ------------------------------------------------------------------ indexing, joining, splitting
c(
  'indexSelect repeated ids',
  () => [x([4, 3]), ids([2, 0, 2])],
  ([a, i]) => a!.indexSelect(0, i!),
);
c(
  'indexSelect dim 1',
  () => [x([4, 3]), ids([2, 1])],
  ([a, i]) => a!.indexSelect(1, i!),
);
c(
  'gather',
  () => [
    x([3, 4]),
    ids([
      [0, 3],
      [1, 1],
      [2, 0],
    ]),
  ],
  ([a, i]) => a!.gather(1, i!),
);
c(
  'gather dim 0',
  () => [x([3, 4]), ids([[2, 0, 1, 1]])],
  ([a, i]) => a!.gather(0, i!),
);
c(
  'scatter src (and self)',
  () => [
    x([3, 4]),
    ids([
      [0, 2],
      [3, 1],
      [1, 0],
    ]),
    x([3, 2]),
  ],
  ([s, i, src]) => s!.scatter(1, i!, src!),
);
c(
  'scatter value',
  () => [
    x([3, 4]),
    ids([
      [0, 2],
      [3, 1],
      [1, 0],
    ]),
  ],
  ([s, i]) => s!.scatter(1, i!, 0.5),
);
c(
  'scatterAdd repeated ids',
  () => [
    x([3, 4]),
    ids([
      [0, 0],
      [3, 1],
      [1, 1],
    ]),
    x([3, 2]),
  ],
  ([s, i, src]) => s!.scatterAdd(1, i!, src!),
);
c(
  'index int',
  () => [x([4, 3]), ids([3, 0, 3])],
  ([a, i]) => a!.index([i!]),
);
c(
  'index null then int',
  () => [x([4, 3]), ids([2, 0])],
  ([a, i]) => a!.index([null, i!]),
);
c(
  'index two int tensors',
  () => [x([4, 3]), ids([0, 3, 3]), ids([1, 2, 2])],
  ([a, i, j]) => a!.index([i!, j!]),
);
c(
  'maskedFill',
  () => [
    x([2, 3]),
    bools([
      [true, false, true],
      [false, false, true],
    ]),
  ],
  ([a, m]) => a!.maskedFill(m!, -1.5),
);
c(
  'maskedFill broadcast mask',
  () => [x([2, 3]), bools([[false, true, false]])],
  ([a, m]) => a!.maskedFill(m!, 0),
);
c(
  'where tensors',
  () => [
    bools([
      [true, false, true],
      [false, true, true],
    ]),
    x([2, 3]),
    x([2, 3]),
  ],
  ([m, a, b]) => pt.where(m!, a!, b!),
);
c(
  'where broadcast',
  () => [bools([[true, false, true]]), x([2, 3]), x([2, 1])],
  ([m, a, b]) => pt.where(m!, a!, b!),
);
c(
  'where scalar b',
  () => [
    bools([
      [true, false, true],
      [false, true, true],
    ]),
    x([2, 3]),
  ],
  ([m, a]) => pt.where(m!, a!, 0.5),
);
c(
  'where scalar a',
  () => [
    bools([
      [true, false, true],
      [false, true, true],
    ]),
    x([2, 3]),
  ],
  ([m, b]) => pt.where(m!, 2, b!),
);
c(
  'cat dim 0',
  () => [x([2, 3]), x([1, 3]), x([3, 3])],
  (ts) => pt.cat(ts, 0),
);
c(
  'cat dim 1',
  () => [x([2, 3]), x([2, 1])],
  (ts) => pt.cat(ts, 1),
);
c(
  'stack dim 0',
  () => [x([2, 3]), x([2, 3]), x([2, 3])],
  (ts) => pt.stack(ts),
);
c(
  'stack dim -1',
  () => [x([2, 3]), x([2, 3])],
  (ts) => pt.stack(ts, -1),
);
c(
  'split by size (a piece unused)',
  () => [x([3, 5])],
  ([a]) => {
    const p = a!.split(2, 1);
    return pt.cat([p[0]!.mul(2), p[2]!.exp()], 1);
  },
);
c(
  'split by sizes',
  () => [x([3, 5])],
  ([a]) => {
    const p = a!.split([1, 3, 1], 1);
    return pt.cat([p[2]!, p[1]!.sin()], 1);
  },
);
c(
  'chunk',
  () => [x([5, 2])],
  ([a]) => {
    const p = a!.chunk(3, 0);
    return pt.cat([p[1]!.square(), p[2]!], 0);
  },
);
c(
  'unbind',
  () => [x([2, 3])],
  ([a]) => {
    const u = a!.unbind(1);
    return pt.stack([u[2]!, u[0]!.square()]);
  },
);

// ------------------------------------------------------------------ layers
c(
  'embedding weight',
  () => [
    x([5, 3]),
    ids([
      [0, 4, 0],
      [2, 2, 1],
    ]),
  ],
  ([w, i]) => pt.embedding(w!, i!),
);
c(
  'linear x w b',
  () => [x([2, 3]), x([4, 3]), x([4])],
  ([a, w, b]) => pt.linear(a!, w!, b!),
);
c(
  'linear 3-d input no bias',
  () => [x([2, 2, 3]), x([4, 3])],
  ([a, w]) => pt.linear(a!, w!),
);
c(
  'layerNorm x w b',
  () => [x([3, 4]), x([4]), x([4])],
  ([a, w, b]) => pt.layerNorm(a!, [4], w!, b!),
);
c(
  'layerNorm over two dims, no affine',
  () => [x([2, 3, 4])],
  ([a]) => pt.layerNorm(a!, [3, 4]),
);
c(
  'rmsNorm x w',
  () => [x([3, 4]), x([4])],
  ([a, w]) => pt.rmsNorm(a!, w!),
);
c(
  'rmsNorm no weight',
  () => [x([2, 5])],
  ([a]) => pt.rmsNorm(a!),
);

// ------------------------------------------------------------------ attention
const qkv = (H = 2, Hkv = 2, T = 3, S = 3, D = 2, B = 2) => [x([B, H, T, D]), x([B, Hkv, S, D]), x([B, Hkv, S, D])];
const padMask = () => bools([[[[true, true, false]]], [[[true, false, false]]]]); // (2, 1, 1, 3)
const emptyRowMask = () =>
  bools([
    [
      [
        [true, false, true],
        [false, false, false],
        [true, true, false],
      ],
    ],
  ]); // (1, 1, 3, 3)
for (const [name, attn] of [
  ['sdpa', pt.scaledDotProductAttention],
  ['attentionReference', pt.attentionReference],
] as const) {
  c(
    `${name}`,
    () => qkv(),
    ([q, k, v]) => attn(q!, k!, v!),
  );
  c(
    `${name} causal`,
    () => qkv(),
    ([q, k, v]) => attn(q!, k!, v!, { causal: true }),
  );
  c(
    `${name} causal, fewer queries than keys`,
    () => qkv(2, 2, 2, 4),
    ([q, k, v]) => attn(q!, k!, v!, { causal: true }),
  );
  c(
    `${name} padding mask`,
    () => [...qkv(), padMask()],
    ([q, k, v, m]) => attn(q!, k!, v!, { mask: m! }),
  );
  c(
    `${name} padding mask and causal`,
    () => [...qkv(), padMask()],
    ([q, k, v, m]) => attn(q!, k!, v!, { mask: m!, causal: true }),
  );
  c(
    `${name} mask with a query row that sees nothing`,
    () => [...qkv(2, 2, 3, 3, 2, 1), emptyRowMask()],
    ([q, k, v, m]) => attn(q!, k!, v!, { mask: m! }),
  );
  c(
    `${name} GQA`,
    () => qkv(4, 2, 3, 3, 2, 1),
    ([q, k, v]) => attn(q!, k!, v!),
  );
  c(
    `${name} GQA causal with scale`,
    () => qkv(4, 2, 3, 3, 2, 1),
    ([q, k, v]) => attn(q!, k!, v!, { causal: true, scale: 0.7 }),
  );
}

// ------------------------------------------------------------------ losses
const logits = () => x([4, 5]);
c(
  'crossEntropy',
  () => [logits(), ids([1, 0, 4, 2])],
  ([l, t]) => pt.crossEntropy(l!, t!),
);
c(
  'crossEntropy ignoreIndex -100',
  () => [logits(), ids([1, -100, 4, -100])],
  ([l, t]) => pt.crossEntropy(l!, t!),
);
c(
  'crossEntropy custom ignoreIndex',
  () => [logits(), ids([1, 2, 4, 2])],
  ([l, t]) => pt.crossEntropy(l!, t!, { ignoreIndex: 2 }),
);
c(
  'crossEntropy labelSmoothing',
  () => [logits(), ids([1, 0, 4, 2])],
  ([l, t]) => pt.crossEntropy(l!, t!, { labelSmoothing: 0.1 }),
);
c(
  'crossEntropy labelSmoothing and ignoreIndex',
  () => [logits(), ids([1, -100, 4, 2])],
  ([l, t]) => pt.crossEntropy(l!, t!, { labelSmoothing: 0.2 }),
);
c(
  'crossEntropy sum',
  () => [logits(), ids([1, 0, 4, 2])],
  ([l, t]) => pt.crossEntropy(l!, t!, { reduction: 'sum' }),
);
c(
  'crossEntropy none, 3-d logits',
  () => [
    x([2, 3, 5]),
    ids([
      [1, 0, 4],
      [2, -100, 3],
    ]),
  ],
  ([l, t]) => pt.crossEntropy(l!, t!, { reduction: 'none' }),
);
c(
  'crossEntropy class weights',
  () => [logits(), ids([1, 0, 4, 2]), x([5], { ...pos, requiresGrad: false })],
  ([l, t, w]) => pt.crossEntropy(l!, t!, { weight: w! }),
);
const probs = () => x([3, 4], { lo: 0.1, hi: 1 });
c(
  'klDiv input and target',
  () => [x([3, 4]), probs()],
  ([i, t]) => pt.klDiv(i!, t!),
);
c(
  'klDiv batchmean',
  () => [x([3, 4]), probs()],
  ([i, t]) => pt.klDiv(i!, t!, { reduction: 'batchmean' }),
);
c(
  'klDiv none',
  () => [x([3, 4]), probs()],
  ([i, t]) => pt.klDiv(i!, t!, { reduction: 'none' }),
);
c(
  'klDiv logTarget sum',
  () => [x([3, 4]), x([3, 4])],
  ([i, t]) => pt.klDiv(i!, t!, { reduction: 'sum', logTarget: true }),
);
c(
  'mseLoss',
  () => [x([3, 4]), x([3, 4])],
  ([a, b]) => pt.mseLoss(a!, b!),
);
c(
  'mseLoss sum',
  () => [x([3, 4]), x([3, 4])],
  ([a, b]) => pt.mseLoss(a!, b!, 'sum'),
);
c(
  'mseLoss none',
  () => [x([3, 4]), x([3, 4])],
  ([a, b]) => pt.mseLoss(a!, b!, 'none'),
);

testCases();
