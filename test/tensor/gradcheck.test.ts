// The pointwise, reduction, product and shape ops of the tensor API, gradient-checked in float64
// against central finite differences (test/helpers/gradcheck.ts); gradcheck_nn.test.ts has the
// rest, autograd.test.ts the autograd controls.
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { f64, gradcheckCases, ids, pos, x, type InputOptions } from '../helpers/gradcheck.js';

const { c, testCases } = gradcheckCases();

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

testCases();
