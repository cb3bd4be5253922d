// Every differentiable op of the tensor API, gradient-checked in float64 against central finite
// differences (test/helpers/gradcheck.ts), plus the autograd controls: explicit backward
// gradients, retainGraph, detach, retainGrad, clipGradNorm and zeroGrad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { gradcheck, input, seedInputs, type InputOptions } from '../helpers/gradcheck.js';

type Make = () => Tensor[];
type Fn = (x: Tensor[]) => Tensor;
const cases: [string, Make, Fn][] = [];
const c = (name: string, make: Make, f: Fn): void => {
  cases.push([name, make, f]);
};

const x = (shape: number[], o?: InputOptions) => input(shape, o);
/** An int64 constant (not checked, passed through to f). */
const ids = (v: number[] | number[][]) => pt.tensor(v, { dtype: 'int64' });
const bools = (v: boolean[] | boolean[][] | boolean[][][][]) => pt.tensor(v, { dtype: 'bool' });
const f64 = (v: number[][], requiresGrad = true) => pt.tensor(v, { dtype: 'float64', requiresGrad });
const pos = { lo: 0.5, hi: 2 };

// ------------------------------------------------------------------ pointwise, binary
c(
  'add broadcast',
  () => [x([2, 3]), x([3])],
  ([a, b]) => a!.add(b!),
);
c(
  'add alpha',
  () => [x([2, 3]), x([2, 3])],
  ([a, b]) => a!.add(b!, 2.5),
);
c(
  'add scalar',
  () => [x([2, 3])],
  ([a]) => a!.add(1.5),
);
c(
  'sub alpha broadcast',
  () => [x([2, 3]), x([2, 1])],
  ([a, b]) => a!.sub(b!, 0.7),
);
c(
  'sub scalar',
  () => [x([2, 3])],
  ([a]) => a!.sub(3),
);
c(
  'rsub',
  () => [x([2, 3])],
  ([a]) => a!.rsub(2),
);
c(
  'mul broadcast',
  () => [x([2, 3]), x([2, 1])],
  ([a, b]) => a!.mul(b!),
);
c(
  'mul scalar',
  () => [x([2, 3])],
  ([a]) => a!.mul(-1.5),
);
c(
  'div',
  () => [x([2, 3]), x([3], pos)],
  ([a, b]) => a!.div(b!),
);
c(
  'div negative divisor',
  () => [x([2, 3]), x([2, 3], { lo: -2, hi: -0.5 })],
  ([a, b]) => a!.div(b!),
);
c(
  'div scalar',
  () => [x([2, 3])],
  ([a]) => a!.div(4),
);
c(
  'pow tensor exponent',
  () => [x([2, 3], pos), x([2, 3], { lo: -1.5, hi: 1.5 })],
  ([a, b]) => a!.pow(b!),
);
c(
  'pow scalar 2.5',
  () => [x([2, 3], pos)],
  ([a]) => a!.pow(2.5),
);
c(
  'pow scalar -1.5',
  () => [x([2, 3], pos)],
  ([a]) => a!.pow(-1.5),
);
c(
  'pow scalar 3',
  () => [x([2, 3])],
  ([a]) => a!.pow(3),
);
c(
  'rpow',
  () => [x([2, 3])],
  ([a]) => a!.rpow(2.5),
);
c(
  'maximum',
  () => [x([3, 4]), x([3, 4])],
  ([a, b]) => a!.maximum(b!),
);
c(
  'minimum',
  () => [x([3, 4]), x([3, 4])],
  ([a, b]) => a!.minimum(b!),
);
c(
  'clamp min and max',
  () => [x([3, 4], { avoid: [-1, 1] })],
  ([a]) => a!.clamp(-1, 1),
);
c(
  'clamp min only',
  () => [x([3, 4], { avoid: [0.2] })],
  ([a]) => a!.clamp(0.2),
);
c(
  'clamp max only',
  () => [x([3, 4], { avoid: [-0.3] })],
  ([a]) => a!.clamp(null, -0.3),
);
c(
  'clamp tensor bounds',
  () => [x([3, 4], { lo: -3, hi: 3 }), x([3, 4], { lo: -2, hi: -0.5 }), x([3, 4], pos)],
  ([a, lo, hi]) => a!.clamp(lo!, hi!),
);
c(
  'lerp scalar weight',
  () => [x([2, 3]), x([2, 3])],
  ([a, b]) => a!.lerp(b!, 0.3),
);
c(
  'lerp tensor weight',
  () => [x([2, 3]), x([2, 3]), x([2, 3], { lo: 0, hi: 1 })],
  ([a, b, w]) => a!.lerp(b!, w!),
);

// ------------------------------------------------------------------ pointwise, unary
const unary: [string, (t: Tensor) => Tensor, InputOptions?][] = [
  ['neg', (t) => t.neg()],
  ['abs', (t) => t.abs(), { avoid: [0] }],
  ['exp', (t) => t.exp()],
  ['expm1', (t) => t.expm1()],
  ['log', (t) => t.log(), { lo: 0.2, hi: 3 }],
  ['log1p', (t) => t.log1p(), { lo: -0.5, hi: 3 }],
  ['log2', (t) => t.log2(), { lo: 0.2, hi: 3 }],
  ['sqrt', (t) => t.sqrt(), { lo: 0.2, hi: 3 }],
  ['rsqrt', (t) => t.rsqrt(), { lo: 0.2, hi: 3 }],
  ['square', (t) => t.square()],
  ['reciprocal', (t) => t.reciprocal(), { avoid: [0], margin: 0.3 }],
  ['sin', (t) => t.sin()],
  ['cos', (t) => t.cos()],
  ['tanh', (t) => t.tanh()],
  ['sigmoid', (t) => t.sigmoid()],
  ['logSigmoid', (t) => t.logSigmoid(), { lo: -4, hi: 4 }],
  ['silu', (t) => t.silu()],
  ['relu', (t) => t.relu(), { avoid: [0] }],
  ['gelu none', (t) => t.gelu()],
  ['gelu tanh', (t) => t.gelu('tanh')],
  ['softplus', (t) => t.softplus()],
  ['softplus beta 2 threshold 1', (t) => t.softplus(2, 1), { avoid: [0.5] }],
  ['erf', (t) => t.erf()],
];
for (const [name, op, o] of unary)
  c(
    name,
    () => [x([3, 4], o)],
    ([a]) => op(a!),
  );

// ------------------------------------------------------------------ reductions
const x234 = () => [x([2, 3, 4])];
c('sum all', x234, ([a]) => a!.sum());
c('sum dim', x234, ([a]) => a!.sum(1));
c('sum dims keepdim', x234, ([a]) => a!.sum([0, 2], true));
c('sum negative dim', x234, ([a]) => a!.sum(-1));
c('mean all', x234, ([a]) => a!.mean());
c('mean dim keepdim', x234, ([a]) => a!.mean(1, true));
c('mean dims', x234, ([a]) => a!.mean([0, 2]));
c(
  'prod all',
  () => [x([2, 3], pos)],
  ([a]) => a!.prod(),
);
c(
  'prod dim',
  () => [x([3, 4])],
  ([a]) => a!.prod(1),
);
c(
  'prod dim keepdim',
  () => [x([3, 4])],
  ([a]) => a!.prod(0, true),
);
c(
  'prod dim with zeros',
  () => [
    f64([
      [0.5, 0, 1.5],
      [0, -1, 0],
      [2, -1, 0.7],
    ]),
  ],
  ([a]) => a!.prod(1),
);
c(
  'prod all with a zero',
  () => [
    f64([
      [0.5, 0, 1.5],
      [2, -1, 0.7],
    ]),
  ],
  ([a]) => a!.prod(),
);
c('var dim correction 1', x234, ([a]) => a!.var(1));
c('var dim correction 0', x234, ([a]) => a!.var(1, 0));
c('var all', x234, ([a]) => a!.var());
c('var dims keepdim', x234, ([a]) => a!.var([0, 2], 1, true));
c('std dim correction 1', x234, ([a]) => a!.std(1));
c('std dim correction 0 keepdim', x234, ([a]) => a!.std(-1, 0, true));
c('std all correction 0', x234, ([a]) => a!.std(null, 0));
c('max along dim', x234, ([a]) => a!.max(1).values);
c('max along dim keepdim', x234, ([a]) => a!.max(0, true).values);
c('min along dim', x234, ([a]) => a!.min(2).values);
c('max all', x234, ([a]) => a!.max());
c('min all', x234, ([a]) => a!.min());
c('amax dim', x234, ([a]) => a!.amax(1));
c('amax dims keepdim', x234, ([a]) => a!.amax([0, 1], true));
c('amin dim', x234, ([a]) => a!.amin(0));
c('amin all', x234, ([a]) => a!.amin());
c('logsumexp dim', x234, ([a]) => a!.logsumexp(1));
c('logsumexp dims keepdim', x234, ([a]) => a!.logsumexp([0, 2], true));
c('cumsum dim 0', x234, ([a]) => a!.cumsum(0));
c('cumsum dim -1', x234, ([a]) => a!.cumsum(-1));
c(
  'cumprod',
  () => [x([3, 4], { avoid: [0], margin: 0.2 })],
  ([a]) => a!.cumprod(1),
);
c(
  'cumprod with zeros',
  () => [
    f64([
      [0.5, 0, 1.5, 2],
      [0, -1, 0, 3],
      [2, -1, 0.7, 0],
    ]),
  ],
  ([a]) => a!.cumprod(1),
);
c('norm 2 all', x234, ([a]) => a!.norm());
c('norm 2 dim keepdim', x234, ([a]) => a!.norm(2, 1, true));
c(
  'norm 1 all',
  () => [x([3, 4], { avoid: [0] })],
  ([a]) => a!.norm(1),
);
c(
  'norm 1 dim',
  () => [x([3, 4], { avoid: [0] })],
  ([a]) => a!.norm(1, -1),
);
c('norm Infinity dim', x234, ([a]) => a!.norm(Infinity, 2));
c('topk largest', x234, ([a]) => a!.topk(2).values);
c('topk smallest dim 0', x234, ([a]) => a!.topk(1, 0, false).values);
c('sort ascending', x234, ([a]) => a!.sort().values);
c('sort descending dim 1', x234, ([a]) => a!.sort(1, true).values);

// ------------------------------------------------------------------ products, softmax
c(
  'matmul 2-d',
  () => [x([3, 4]), x([4, 2])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'matmul batched',
  () => [x([2, 3, 4]), x([2, 4, 2])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'matmul batched with a matrix',
  () => [x([2, 3, 4]), x([4, 5])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'matmul broadcast batch dims',
  () => [x([2, 1, 3, 4]), x([3, 4, 2])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'matmul matrix-vector',
  () => [x([3, 4]), x([4])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'matmul vector-vector',
  () => [x([4]), x([4])],
  ([a, b]) => a!.matmul(b!),
);
c(
  'mm',
  () => [x([3, 4]), x([4, 2])],
  ([a, b]) => a!.mm(b!),
);
c(
  'bmm',
  () => [x([2, 3, 4]), x([2, 4, 2])],
  ([a, b]) => a!.bmm(b!),
);
c(
  'baddbmm beta alpha',
  () => [x([2, 3, 2]), x([2, 3, 4]), x([2, 4, 2])],
  ([s, a, b]) => s!.baddbmm(a!, b!, 0.5, 2),
);
c(
  'baddbmm broadcast self',
  () => [x([3, 2]), x([2, 3, 4]), x([2, 4, 2])],
  ([s, a, b]) => s!.baddbmm(a!, b!),
);
c(
  'addmm beta alpha',
  () => [x([2]), x([3, 4]), x([4, 2])],
  ([s, a, b]) => s!.addmm(a!, b!, 0.5, 1.5),
);
c(
  'outer',
  () => [x([3]), x([4])],
  ([a, b]) => a!.outer(b!),
);
c(
  'einsum batched matmul',
  () => [x([2, 3, 4]), x([2, 4, 2])],
  ([a, b]) => pt.einsum('bij,bjk->bik', a!, b!),
);
c(
  'einsum matrix-vector',
  () => [x([3, 4]), x([4])],
  ([a, b]) => pt.einsum('ij,j->i', a!, b!),
);
c(
  'einsum attention scores',
  () => [x([1, 2, 3, 2]), x([1, 2, 4, 2])],
  ([a, b]) => pt.einsum('bhtd,bhsd->bhts', a!, b!),
);
c(
  'einsum trace',
  () => [x([3, 3])],
  ([a]) => pt.einsum('ii->', a!),
);
c('softmax last dim', x234, ([a]) => a!.softmax(-1));
c('softmax dim 0', x234, ([a]) => a!.softmax(0));
c('pt.softmax', x234, ([a]) => pt.softmax(a!, 1));
c('logSoftmax last dim', x234, ([a]) => a!.logSoftmax(-1));
c('pt.logSoftmax dim 1', x234, ([a]) => pt.logSoftmax(a!, 1));

// ------------------------------------------------------------------ views and shape
c(
  'reshape',
  () => [x([2, 6])],
  ([a]) => a!.reshape(3, 4),
);
c(
  'reshape -1 of a transpose',
  () => [x([2, 6])],
  ([a]) => a!.t().reshape([4, -1]),
);
c(
  'view',
  () => [x([2, 6])],
  ([a]) => a!.view(3, 2, 2),
);
c('permute', x234, ([a]) => a!.permute(2, 0, 1));
c('transpose', x234, ([a]) => a!.transpose(0, 2));
c(
  't',
  () => [x([3, 4])],
  ([a]) => a!.t(),
);
c('narrow', x234, ([a]) => a!.narrow(2, 1, 2));
c(
  'slice with step',
  () => [x([4, 6])],
  ([a]) => a!.slice(1, 1, null, 2),
);
c(
  'slice negative bounds',
  () => [x([4, 6])],
  ([a]) => a!.slice(0, -3, -1),
);
c('select', x234, ([a]) => a!.select(1, 2));
c('select negative index', x234, ([a]) => a!.select(0, -1));
c(
  'expand',
  () => [x([3, 1])],
  ([a]) => a!.expand(3, 4),
);
c(
  'expand new leading dim',
  () => [x([3])],
  ([a]) => a!.expand([2, 3]),
);
c(
  'repeat',
  () => [x([2, 3])],
  ([a]) => a!.repeat(2, 1, 2),
);
c(
  'repeatInterleave along dim',
  () => [x([2, 3])],
  ([a]) => a!.repeatInterleave(2, 1),
);
c(
  'repeatInterleave flat',
  () => [x([2, 3])],
  ([a]) => a!.repeatInterleave(3),
);
c(
  'repeatInterleave tensor repeats',
  () => [x([2, 3]), ids([1, 0, 2])],
  ([a, r]) => a!.repeatInterleave(r!, 1),
);
c(
  'squeeze dim',
  () => [x([3, 1, 2])],
  ([a]) => a!.squeeze(1),
);
c(
  'squeeze all',
  () => [x([1, 3, 1])],
  ([a]) => a!.squeeze(),
);
c(
  'unsqueeze',
  () => [x([2, 3])],
  ([a]) => a!.unsqueeze(-1),
);
c('flatten', x234, ([a]) => a!.flatten());
c('flatten range', x234, ([a]) => a!.flatten(1, 2));
c(
  'contiguous of a transpose',
  () => [x([3, 4])],
  ([a]) => a!.t().contiguous(),
);
c(
  'tril',
  () => [x([4, 4])],
  ([a]) => a!.tril(),
);
c(
  'tril diagonal -1',
  () => [x([4, 4])],
  ([a]) => a!.tril(-1),
);
c(
  'triu diagonal 1',
  () => [x([3, 4])],
  ([a]) => a!.triu(1),
);
c(
  'triu batched',
  () => [x([2, 3, 3])],
  ([a]) => a!.triu(),
);
c('flip', x234, ([a]) => a!.flip(0));
c('flip dims', x234, ([a]) => a!.flip([1, 2]));

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

cases.forEach(([name, make, f], k) => {
  test(`gradcheck: ${name}`, () => {
    pt.scope(() => {
      seedInputs(1000 * (k + 1));
      const r = gradcheck(f, make());
      assert.ok(r.checked > 0);
    });
  });
});

// ------------------------------------------------------------------ the checker itself
test('gradcheck catches a wrong gradient and frees its temporaries', () => {
  pt.scope(() => {
    const a = input([2, 3], { seed: 7 });
    const before = pt.memory().liveTensors;
    // d/da of (a.detach() * a) is a by autograd, 2a in truth: the checker must object.
    assert.throws(() => gradcheck(([t]) => t!.detach().mul(t!), [a]), /finite difference/);
    const r = gradcheck(([t]) => t!.mul(t!), [a]);
    assert.equal(r.checked, 6);
    assert.ok(r.maxAbsError < 1e-7);
    assert.equal(pt.memory().liveTensors, before);
  });
});

test('embedding: rows at paddingIdx get no gradient', () => {
  pt.scope(() => {
    const w = input([4, 2], { seed: 3 });
    pt.embedding(w, ids([1, 2, 1, 3]), 1)
      .sum()
      .backward();
    assert.deepEqual(w.grad!.toArray(), [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
  });
});

// ------------------------------------------------------------------ autograd controls
const close = (actual: number[], expected: number[], tol = 1e-6) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `element ${i}: ${v} vs ${expected[i]}`));
};
const flat = (t: Tensor | null) => {
  assert.ok(t !== null, 'expected a gradient');
  return t.toFlatArray() as number[];
};

test('backward with an explicit gradient for a non-scalar output', () => {
  pt.scope(() => {
    const a = f64([
      [1, 2],
      [3, 4],
    ]);
    const y = a.mul(a).mul(3); // dy/da = 6a
    y.backward(
      pt.tensor(
        [
          [1, 0.5],
          [-1, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    close(flat(a.grad), [6, 6, -18, 48]);
  });
});

test('retainGraph allows a second backward; gradients accumulate', () => {
  pt.scope(() => {
    const a = f64([[1, -2, 3]]);
    const y = a.mul(a).sum();
    y.backward(null, { retainGraph: true });
    close(flat(a.grad), [2, -4, 6]);
    y.backward();
    close(flat(a.grad), [4, -8, 12]);
  });
});

test('a second backward without retainGraph throws an AutogradError', () => {
  pt.scope(() => {
    const a = f64([[1, -2, 3]]);
    const y = a.mul(a).sum();
    y.backward();
    assert.throws(
      () => y.backward(),
      (e: unknown) => {
        assert.ok(e instanceof pt.AutogradError, `got ${String(e)}`);
        assert.equal(e.op, 'backward');
        return true;
      },
    );
    close(flat(a.grad), [2, -4, 6]); // the failed call added nothing
  });
});

test('gradients accumulate over separate graphs until zeroed', () => {
  pt.scope(() => {
    const a = f64([[1, 2]]);
    a.mul(3).sum().backward();
    a.mul(a).sum().backward();
    close(flat(a.grad), [3 + 2, 3 + 4]);
  });
});

test('detach() stops the gradient', () => {
  pt.scope(() => {
    const a = f64([[1, 2, 3]]);
    const d = a.detach();
    assert.equal(d.requiresGrad, false);
    assert.ok(d.sharesStorageWith(a));
    d.mul(a).sum().backward(); // only the non-detached factor counts
    close(flat(a.grad), [1, 2, 3]);
  });
});

test('retainGrad keeps the gradient of a non-leaf', () => {
  pt.scope(() => {
    const a = f64([[1, 2, 3]]);
    const h = a.mul(2).retainGrad();
    const other = a.mul(5);
    assert.equal(h.isLeaf, false);
    h.square().sum().add(other.sum()).backward();
    close(flat(h.grad), [4, 8, 12]); // d(h²)/dh = 2h
    close(flat(a.grad), [8 + 5, 16 + 5, 24 + 5]);
  });
});

test('clipGradNorm scales gradients to the max norm and returns the norm before clipping', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float32' });
    const norm = pt.clipGradNorm([p], 1);
    assert.ok(Math.abs(norm - 5) < 1e-6, `norm ${norm}`);
    close(flat(p.grad), [0.6, 0.8], 1e-5);
  });
});

test('clipGradNorm: the global norm spans all parameters; parameters without grad are skipped', () => {
  pt.scope(() => {
    const p = pt.zeros([1], { requiresGrad: true });
    const q = pt.zeros([1, 1], { requiresGrad: true });
    const none = pt.zeros([3], { requiresGrad: true });
    p.grad = pt.tensor([3], { dtype: 'float32' });
    q.grad = pt.tensor([[-4]], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p, none, q], 2.5) - 5) < 1e-6);
    close(flat(p.grad), [1.5], 1e-5);
    close(flat(q.grad), [-2], 1e-5);
    assert.equal(none.grad, null);
  });
});

test('clipGradNorm with the Infinity norm', () => {
  pt.scope(() => {
    const p = pt.zeros([3], { requiresGrad: true });
    const q = pt.zeros([1], { requiresGrad: true });
    p.grad = pt.tensor([3, -6, 1], { dtype: 'float32' });
    q.grad = pt.tensor([2], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p, q], 3, Infinity) - 6) < 1e-6);
    close(flat(p.grad), [1.5, -3, 0.5], 1e-5);
    close(flat(q.grad), [1], 1e-5);
  });
});

test('clipGradNorm leaves gradients alone under the max norm', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p], 10) - 5) < 1e-6);
    assert.deepEqual(p.grad!.toFlatArray(), [3, 4]);
    assert.equal(pt.clipGradNorm([pt.zeros([2], { requiresGrad: true })], 1), 0); // no gradients at all
  });
});

test('clipGradNorm works on float64 gradients', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { dtype: 'float64', requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float64' });
    assert.ok(Math.abs(pt.clipGradNorm([p], 1) - 5) < 1e-9);
    close(flat(p.grad), [0.6, 0.8], 1e-5);
  });
});

test('zeroGrad: set to none by default, or zeroed in place', () => {
  pt.scope(() => {
    const a = f64([[1, 2]]);
    const b = f64([[3]]);
    const never = f64([[5]]);
    a.mul(b).sum().backward();
    pt.zeroGrad([a]);
    assert.equal(a.grad, null);
    pt.zeroGrad([b, never], false);
    assert.deepEqual(b.grad!.shape, [1, 1]);
    assert.deepEqual(b.grad!.toFlatArray(), [0]);
    assert.equal(never.grad, null); // no gradient stays none
    a.mul(b).sum().backward(); // and accumulation restarts from zero
    close(flat(b.grad), [3]);
    close(flat(a.grad), [3, 3]);
  });
});
