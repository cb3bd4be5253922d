// Bad calls throw typed errors (src/tensor/errors.ts) that name the op and describe the inputs:
// shape and dtype mismatches, disposed tensors (also as a later argument or inside a list),
// out-of-range indices, wrong argument types, invalid values. Last, a child process makes dozens
// of bad calls and must survive every one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';

const KINDS = ['shape', 'dtype', 'index', 'argument', 'disposed', 'device', 'autograd', 'value', 'memory', 'scope', 'torch'];
type ErrorClass = new (...args: never[]) => pt.TensorError;
const KIND_OF = new Map<ErrorClass, string>([
  [pt.ShapeError, 'shape'],
  [pt.DTypeError, 'dtype'],
  [pt.IndexError, 'index'],
  [pt.ArgumentError, 'argument'],
  [pt.DisposedError, 'disposed'],
  [pt.AutogradError, 'autograd'],
  [pt.DeviceError, 'device'],
  [pt.ScopeError, 'scope'],
]);

/**
 * Asserts fn throws exactly `cls` (not a parent or sibling class), a TensorError whose .op is `op`,
 * whose .kind and .inputs are well formed, and whose message holds every string in `includes`.
 */
function expectError(fn: () => unknown, cls: ErrorClass, op: string | RegExp, includes: string[] = []): pt.TensorError {
  let caught: unknown = null;
  try {
    pt.scope(() => {
      fn();
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== null, `expected ${cls.name} from ${String(op)}, but nothing was thrown`);
  assert.ok(caught instanceof pt.TensorError, `expected a TensorError, got ${String(caught)}`);
  const e = caught;
  assert.equal(e.constructor, cls, `expected ${cls.name}, got ${e.constructor.name}: ${e.message}`);
  if (typeof op === 'string') assert.equal(e.op, op, e.message);
  else assert.match(e.op, op, e.message);
  assert.ok(KINDS.includes(e.kind), `unknown kind ${e.kind}`);
  if (KIND_OF.has(cls)) assert.equal(e.kind, KIND_OF.get(cls));
  assert.ok(Array.isArray(e.inputs));
  for (const s of e.inputs) assert.equal(typeof s, 'string');
  assert.ok(e.message.startsWith(`${e.op}: `), `message should start with the op: ${e.message}`);
  assert.equal(e.name, cls.name);
  for (const s of includes) assert.ok(e.message.includes(s), `message should include '${s}': ${e.message}`);
  return e;
}

const f32 = (shape: number[]) => pt.randn(shape);
const ids = (v: number[] | number[][]) => pt.tensor(v, { dtype: 'int64' });
/** A disposed tensor. */
function gone(shape: number[] = [2, 3], dtype: pt.DType = 'float32'): Tensor {
  const t = pt.zeros(shape, { dtype });
  t.dispose();
  return t;
}

// ------------------------------------------------------------------ shape
test('matmul of 2x3 and 2x3: ShapeError naming matmul and both shapes', () => {
  const e = expectError(() => f32([2, 3]).matmul(f32([2, 3])), pt.ShapeError, 'matmul', ['2, 3']);
  assert.deepEqual(e.inputs, ['float32[2, 3] cpu', 'float32[2, 3] cpu']);
  assert.ok(e.detail.length > 0 && !e.detail.startsWith('matmul:'));
});

test('shape mismatches are ShapeErrors naming the op and input shapes', () => {
  expectError(() => f32([2, 3]).add(f32([4, 5])), pt.ShapeError, 'add', ['float32[2, 3] cpu', 'float32[4, 5] cpu']);
  expectError(() => f32([2, 3]).mul(f32([3, 2])), pt.ShapeError, 'mul', ['2, 3', '3, 2']);
  expectError(() => f32([2, 3]).view(4), pt.ShapeError, 'view', ['[4]', '2, 3']);
  expectError(() => f32([2, 3]).t().view(6), pt.ShapeError, 'view', ['reshape']);
  expectError(() => f32([2, 3]).reshape(4, 2), pt.ShapeError, 'reshape', ['2, 3']);
  expectError(() => pt.cat([f32([2, 3]), f32([2, 4])]), pt.ShapeError, 'cat', ['float32[2, 3] cpu', 'float32[2, 4] cpu']);
  expectError(() => pt.stack([f32([2]), f32([3])]), pt.ShapeError, 'stack');
  expectError(() => f32([2, 3]).expand(4, 3), pt.ShapeError, 'expand');
  expectError(() => f32([2, 3]).permute(0), pt.ShapeError, 'permute');
  expectError(() => f32([2, 3]).bmm(f32([3, 2])), pt.ShapeError, 'bmm', ['2, 3']);
  expectError(() => pt.linear(f32([2, 3]), f32([4, 5])), pt.ShapeError, 'linear', ['4, 5']);
  expectError(() => pt.layerNorm(f32([2, 3]), [4]), pt.ShapeError, 'layerNorm');
  expectError(() => pt.einsum('ij,jk->ik', f32([2, 3]), f32([4, 5])), pt.ShapeError, 'einsum');
  expectError(() => pt.mseLoss(f32([2]), f32([3])), pt.ShapeError, 'mseLoss');
  expectError(() => f32([2]).item(), pt.ShapeError, 'item');
  const q = f32([1, 3, 2, 4]);
  expectError(() => pt.scaledDotProductAttention(q, f32([1, 2, 2, 4]), f32([1, 2, 2, 4])), pt.ShapeError, 'sdpa', ['query heads (3)']);
  expectError(() => pt.scaledDotProductAttention(f32([2, 4]), f32([2, 4]), f32([2, 4])), pt.ShapeError, 'sdpa');
});

// ------------------------------------------------------------------ dtype
test('wrong dtypes are DTypeErrors', () => {
  expectError(() => pt.embedding(f32([5, 3]), pt.tensor([1, 2], { dtype: 'float32' })), pt.DTypeError, 'embedding', ['float32[2] cpu']);
  expectError(
    () =>
      pt
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .matmul(f32([2, 2])),
    pt.DTypeError,
    'matmul',
    ['int64[2, 2] cpu', 'float32[2, 2] cpu'],
  );
  expectError(() => pt.tensor([1, 2]).requiresGrad_(), pt.DTypeError, 'requiresGrad_', ['int64[2] cpu']);
  expectError(
    () => {
      pt.tensor([1, 2]).requiresGrad = true;
    },
    pt.DTypeError,
    'requiresGrad',
    ['int64[2] cpu'],
  );
  pt.tensor([1, 2]).requiresGrad_(false); // turning it off is always allowed
  const q = f32([1, 1, 2, 4]);
  expectError(() => pt.scaledDotProductAttention(q, q, q, { mask: pt.ones([2, 2]) }), pt.DTypeError, 'sdpa', ['bool']);
  expectError(() => pt.where(f32([2]), 1, 0), pt.DTypeError, 'where');
  expectError(() => pt.crossEntropy(f32([2, 3]), pt.tensor([0.5, 1.5])), pt.DTypeError, 'crossEntropy');
  expectError(() => f32([2, 3]).gather(1, pt.tensor([[0.5]])), pt.DTypeError, 'gather');
  expectError(() => pt.tensor([1, 2]).softmax(0), pt.DTypeError, 'softmax');
});

// ------------------------------------------------------------------ disposed
test('any op on a disposed tensor is a DisposedError naming the op', () => {
  const d = gone();
  assert.equal(d.isDisposed, true);
  assert.equal(d.describe(), 'disposed tensor');
  d.dispose(); // idempotent
  const calls: [string, () => unknown][] = [
    ['add', () => d.add(1)],
    ['exp', () => d.exp()],
    ['sum', () => d.sum()],
    ['reshape', () => d.reshape(6)],
    ['matmul', () => d.matmul(f32([3, 2]))],
    ['softmax', () => d.softmax(-1)],
    ['shape', () => d.shape],
    ['item', () => d.item()],
    ['backward', () => d.backward()],
    ['clone', () => d.clone()],
    ['to', () => d.to('float64')],
    ['detach', () => d.detach()],
    ['indexSelect', () => d.indexSelect(0, ids([0]))],
    ['transpose', () => d.transpose(0, 1)],
    ['grad', () => d.grad],
    ['max', () => d.max(0)],
    ['split', () => d.split(1)],
  ];
  for (const [op, fn] of calls) expectError(fn, pt.DisposedError, op, ['disposed']);
});

test('a disposed tensor as a later argument is a DisposedError naming the op', () => {
  const a = f32([2, 3]);
  const q = f32([1, 1, 2, 4]);
  expectError(() => a.add(gone()), pt.DisposedError, 'add');
  expectError(() => a.mul(gone()), pt.DisposedError, 'mul');
  expectError(() => a.matmul(gone([3, 2])), pt.DisposedError, 'matmul');
  expectError(() => a.maximum(gone()), pt.DisposedError, 'maximum');
  expectError(() => a.lerp(gone(), 0.5), pt.DisposedError, 'lerp');
  expectError(() => a.gather(1, gone([2, 1], 'int64')), pt.DisposedError, 'gather');
  expectError(() => pt.where(pt.tensor([true, false]), gone([2]), 0), pt.DisposedError, 'where');
  expectError(() => pt.embedding(f32([5, 3]), gone([2], 'int64')), pt.DisposedError, 'embedding');
  expectError(() => pt.linear(a, f32([4, 3]), gone([4])), pt.DisposedError, 'linear');
  expectError(() => pt.crossEntropy(a, gone([2], 'int64')), pt.DisposedError, 'crossEntropy');
  expectError(() => pt.scaledDotProductAttention(q, gone([1, 1, 2, 4]), q), pt.DisposedError, 'sdpa');
  expectError(() => a.backward(gone()), pt.DisposedError, 'backward');
});

test('a disposed tensor inside a list is a DisposedError naming the op', () => {
  expectError(() => pt.cat([f32([2, 3]), gone()]), pt.DisposedError, 'cat');
  expectError(() => pt.stack([gone(), f32([2, 3])]), pt.DisposedError, 'stack');
  expectError(() => pt.einsum('i,i->', f32([2]), gone([2])), pt.DisposedError, 'einsum');
  expectError(() => f32([2, 3]).index([null, gone([1], 'int64')]), pt.DisposedError, 'index');
  expectError(() => pt.clipGradNorm([f32([2]), gone()], 1), pt.DisposedError, 'clipGradNorm');
  expectError(() => pt.zeroGrad([gone()]), pt.DisposedError, 'zeroGrad');
});

// ------------------------------------------------------------------ index
test('out-of-range indices are IndexErrors naming the op', () => {
  const a = f32([2, 3]);
  expectError(() => a.select(1, 5), pt.IndexError, 'select', ['2, 3']);
  expectError(() => a.select(0, -3), pt.IndexError, 'select');
  expectError(() => a.indexSelect(0, ids([0, 7])), pt.IndexError, 'indexSelect', ['int64[2] cpu']);
  expectError(() => a.indexSelect(1, ids([0, 7])), pt.IndexError, 'indexSelect', ['int64[2] cpu']);
  expectError(() => a.gather(1, ids([[0], [9]])), pt.IndexError, 'gather');
  expectError(() => a.narrow(1, 5, 1), pt.IndexError, 'narrow');
  expectError(() => a.narrow(1, 2, 4), pt.IndexError, 'narrow');
  expectError(() => pt.embedding(f32([5, 3]), ids([1, 5])), pt.IndexError, 'embedding', ['float32[5, 3] cpu']);
  expectError(() => pt.embedding(f32([5, 3]), ids([-1])), pt.IndexError, 'embedding');
  expectError(() => a.index([ids([5])]), pt.IndexError, 'index');
  expectError(() => pt.zeros([2, 3]).scatter(1, ids([[5]]), pt.ones([1, 1])), pt.IndexError, 'scatter');
  expectError(() => pt.crossEntropy(a, ids([0, 5])), pt.IndexError, 'crossEntropy');
  expectError(() => a.sum(4), pt.IndexError, 'sum');
  expectError(() => a.transpose(0, 5), pt.IndexError, 'transpose');
  expectError(() => a.flip(5), pt.IndexError, 'flip');
  expectError(() => f32([4]).topk(7), pt.IndexError, 'topk');
});

// ------------------------------------------------------------------ arguments
test('a string or object where a tensor or number belongs is an ArgumentError', () => {
  const a = f32([2, 3]);
  const bad = 'x' as unknown as Tensor;
  expectError(() => a.add(bad), pt.ArgumentError, 'add', ['string']);
  expectError(() => a.mul({} as unknown as Tensor), pt.ArgumentError, 'mul', ['object']);
  expectError(() => a.clamp(bad), pt.ArgumentError, 'clamp');
  expectError(() => a.matmul(bad), pt.ArgumentError, 'matmul');
  expectError(() => pt.embedding(bad, ids([1])), pt.ArgumentError, 'embedding');
  expectError(() => pt.linear(a, bad), pt.ArgumentError, 'linear');
  expectError(() => pt.where(bad, 1, 0), pt.ArgumentError, 'where');
  expectError(() => pt.cat([a, bad]), pt.ArgumentError, 'cat', ['element 1']);
  expectError(() => pt.cat([]), pt.ArgumentError, 'cat');
  expectError(() => pt.clipGradNorm([bad], 1), pt.ArgumentError, 'clipGradNorm');
});

test('a fractional number where an integer dim is needed is an ArgumentError', () => {
  const a = f32([2, 3]);
  expectError(() => a.sum(1.5), pt.ArgumentError, 'sum', ['1.5']);
  expectError(() => a.select(1.5, 0), pt.ArgumentError, 'select', ['1.5']);
  expectError(() => a.softmax(1.5), pt.ArgumentError, 'softmax', ['1.5']);
  expectError(() => a.transpose(0, 1.5), pt.ArgumentError, 'transpose', ['1.5']);
  expectError(() => a.unsqueeze(1.5), pt.ArgumentError, 'unsqueeze', ['1.5']);
  expectError(() => a.narrow(0, 0.5, 1), pt.ArgumentError, 'narrow', ['0.5']);
  expectError(() => a.reshape(1.5, 4), pt.ArgumentError, 'reshape', ['1.5']);
  expectError(() => pt.zeros([1.5]), pt.ArgumentError, 'zeros', ['1.5']);
  expectError(() => f32([4]).topk(1.5), pt.ArgumentError, 'topk', ['1.5']);
});

test('a non-array shape, an unknown dtype and a ragged array are ArgumentErrors', () => {
  expectError(() => pt.zeros('abc' as unknown as number[]), pt.ArgumentError, 'zeros', ['string']);
  expectError(() => pt.zeros({} as unknown as number[]), pt.ArgumentError, 'zeros', ['object']);
  expectError(() => pt.randn(null as unknown as number[]), pt.ArgumentError, 'randn', ['null']);
  expectError(() => f32([6]).reshape({ a: 1 } as unknown as number[]), pt.ArgumentError, 'reshape');
  const unknown = 'float13' as pt.DType;
  expectError(() => pt.zeros([2], { dtype: unknown }), pt.ArgumentError, 'zeros', ['float13']);
  expectError(() => pt.tensor([1, 2], { dtype: unknown }), pt.ArgumentError, 'tensor', ['float13']);
  expectError(() => f32([2]).to({ dtype: unknown }), pt.ArgumentError, 'to', ['float13']);
  expectError(() => f32([2]).sum(null, false, unknown), pt.ArgumentError, 'sum', ['float13']);
  expectError(() => pt.tensor([[1, 2], [3]]), pt.ArgumentError, 'tensor', ['ragged']);
  expectError(() => pt.tensor([[1, 2], 3] as unknown as number[][]), pt.ArgumentError, 'tensor', ['ragged']);
  expectError(() => pt.tensor([1, [2, 3]] as unknown as number[]), pt.ArgumentError, 'tensor', ['ragged']);
  expectError(() => pt.tensor([1, 'a'] as unknown as number[]), pt.ArgumentError, 'tensor', ['string']);
  expectError(() => pt.mseLoss(f32([2]), f32([2]), 'avg' as 'mean'), pt.ArgumentError, 'mseLoss', ['avg']);
});

// ------------------------------------------------------------------ values
test('invalid values throw typed errors', () => {
  expectError(() => pt.zeros([-1, 2]), pt.ShapeError, 'zeros', ['-1']);
  expectError(() => pt.randn([-3]), pt.ShapeError, 'randn', ['-3']);
  expectError(() => pt.full([2, -1], 1), pt.ShapeError, 'full');
  expectError(() => pt.dropout(f32([3]), 2), pt.ArgumentError, 'dropout', ['probability']);
  expectError(() => pt.dropout(f32([3]), -0.5), pt.ArgumentError, 'dropout');
  expectError(() => f32([4]).split(0), pt.ArgumentError, 'split');
  expectError(() => f32([4]).chunk(0), pt.ArgumentError, 'chunk');
  expectError(() => pt.arange(0, 5, 0), pt.ArgumentError, 'arange');
  expectError(() => new pt.Generator(-1), pt.ArgumentError, 'Generator');
  expectError(() => pt.setThreads({ intraOp: 0 }), pt.ArgumentError, 'setThreads');
  expectError(() => pt.crossEntropy(f32([2, 3]), ids([0, 1]), { labelSmoothing: 2 }), pt.ArgumentError, 'crossEntropy');
  const q = f32([1, 1, 2, 4]);
  expectError(() => pt.scaledDotProductAttention(q, q, q, { dropout: 1 }), pt.ArgumentError, 'sdpa');
  // libtorch reports these as plain errors: the most specific class is TensorError itself.
  const m = expectError(() => pt.multinomial(pt.tensor([0.5, -0.1, 0.6]), 1), pt.TensorError, 'multinomial', ['< 0']);
  assert.equal(m.kind, 'torch');
  expectError(() => pt.multinomial(pt.zeros([2]), 1), pt.TensorError, 'multinomial');
  expectError(() => pt.multinomial(pt.tensor([0.5, 0.5]), 3), pt.ShapeError, 'multinomial');
});

test('autograd misuse throws AutogradError', () => {
  expectError(() => f32([2]).sum().backward(), pt.AutogradError, 'backward', ['does not require grad']);
  const a = pt.randn([2], { requiresGrad: true });
  expectError(() => a.mul(2).backward(), pt.AutogradError, 'backward', ['scalar']);
  expectError(() => a.mul(2).backward(pt.ones([3])), pt.ShapeError, 'backward', ['float32[3] cpu']);
  expectError(
    () => {
      a.grad = pt.ones([3]);
    },
    pt.ShapeError,
    'grad',
  );
  const p = pt.zeros([2], { requiresGrad: true });
  p.grad = pt.tensor([Infinity, 1], { dtype: 'float32' });
  const e = expectError(() => pt.clipGradNorm([p], 1, 2, true), pt.TensorError, 'clipGradNorm', ['non-finite']);
  assert.equal(e.kind, 'value');
});

test('a gradient of the wrong shape for a scalar output, and a NaN clipping bound, are refused', () => {
  const w = pt.randn([2], { requiresGrad: true });
  expectError(
    () =>
      w
        .mul(2)
        .sum()
        .backward(pt.randn([5])),
    pt.ShapeError,
    'backward',
    ['float32[5] cpu', 'float32[] cpu'],
  );
  assert.equal(w.grad, null, 'nothing was accumulated');
  expectError(() => pt.clipGradNorm([w], NaN), pt.ArgumentError, 'clipGradNorm', ['maxNorm']);
  expectError(() => pt.clipGradNorm([w], 1, 0), pt.ArgumentError, 'clipGradNorm', ['normType']);
});

test('async functions in scope / noGrad are ScopeErrors (TensorErrors)', () => {
  expectError(() => pt.scope((async () => 1) as unknown as () => number), pt.ScopeError, 'scope', ['async']);
  expectError(() => pt.noGrad((async () => 1) as unknown as () => number), pt.ScopeError, 'noGrad', ['async']);
});

// ------------------------------------------------------------------ the process survives
test('a process survives ~40 bad calls, each throwing a TensorError', () => {
  const lib = pathToFileURL(fileURLToPath(new URL('../../src/tensor/index.js', import.meta.url))).href;
  const script = `
import * as pt from ${JSON.stringify(lib)};
const gone = () => { const t = pt.zeros([2, 3]); t.dispose(); return t; };
const a = () => pt.randn([2, 3]);
const ids = (v) => pt.tensor(v, { dtype: 'int64' });
const q = pt.randn([1, 1, 2, 4]);
const calls = [
  () => a().matmul(a()), () => a().add(pt.randn([4, 5])), () => a().view(4), () => pt.cat([a(), pt.randn([2, 4])]),
  () => pt.stack([pt.randn([2]), pt.randn([3])]), () => a().expand(4, 3), () => pt.linear(a(), pt.randn([4, 5])),
  () => pt.embedding(pt.randn([5, 3]), pt.randn([2])), () => ids([[1, 2], [3, 4]]).matmul(pt.randn([2, 2])),
  () => ids([1]).requiresGrad_(), () => pt.scaledDotProductAttention(q, q, q, { mask: pt.ones([2, 2]) }),
  () => gone().add(1), () => a().add(gone()), () => pt.cat([a(), gone()]), () => gone().shape, () => gone().item(),
  () => a().select(1, 5), () => a().indexSelect(1, ids([7])), () => a().gather(1, ids([[9], [0]])),
  () => a().narrow(1, 2, 4), () => pt.embedding(pt.randn([5, 3]), ids([5])), () => a().index([ids([9])]),
  () => pt.zeros([2, 3]).scatter(1, ids([[5]]), pt.ones([1, 1])), () => pt.crossEntropy(a(), ids([0, 7])),
  () => a().add('x'), () => a().matmul('x'), () => a().sum(1.5), () => pt.zeros('abc'),
  () => pt.zeros([2], { dtype: 'float13' }), () => pt.tensor([[1, 2], [3]]), () => pt.zeros([-1, 2]),
  () => pt.dropout(a(), 2), () => pt.multinomial(pt.tensor([0.5, -0.1]), 1), () => a().sum().backward(),
  () => { const t = pt.randn([2], { requiresGrad: true }); const y = t.mul(t).sum(); y.backward(); y.backward(); },
  () => a().item(), () => a().bmm(a()), () => pt.randint(5, 2, [3]), () => a().transpose(0, 9),
  () => pt.scope(async () => 1), () => pt.layerNorm(a(), [4]), () => a().gelu('nope'),
];
let threw = 0;
const missed = [];
calls.forEach((f, i) => {
  try { pt.scope(() => { f(); }); missed.push(i + ': no error'); }
  catch (e) { if (e instanceof pt.TensorError && typeof e.op === 'string' && e.op.length > 0) threw++; else missed.push(i + ': ' + String(e)); }
});
console.log(JSON.stringify({ total: calls.length, threw, missed }));
`;
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-errors-'));
  try {
    const file = join(dir, 'bad-calls.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `child exited with ${r.status} (signal ${r.signal}): ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]!) as { total: number; threw: number; missed: string[] };
    assert.deepEqual(out.missed, []);
    assert.ok(out.total >= 40, `only ${out.total} calls`);
    assert.equal(out.threw, out.total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
