// The chunked output head against the unchunked reference, in float64: the loss, the per-token
// values and the gradients with respect to the hidden rows' producer and the head weight agree to
// 1e-12 for a weighted objective (cross-entropy), a nonlinear one (a GRPO-like clipped ratio with an
// entropy term) and a two-model one (distillation against a teacher's chunk), with loss scaling, and
// without autograd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { headLoss, headValues, logprobHead, chunkRows, type TokenHead, type HeadObjective } from '../../src/nn/chunked_head.js';
import { kdPerToken } from '../../src/trainers/kd_loss.js';

const N = 11,
  D = 6,
  V = 17;

interface Setup {
  x: Tensor; // (N, D) leaf: the producer of the hidden rows
  proj: Tensor; // (D, D) leaf
  w: Tensor; // (V, D) leaf: head weight
  targets: Tensor; // (N) int64
  mask: Tensor; // (N) float64
}

function setup(seed: number): Setup {
  const g = new pt.Generator(seed);
  const x = pt.randn([N, D], { dtype: 'float64', generator: g }).requiresGrad_(true).keep();
  const proj = pt.randn([D, D], { dtype: 'float64', generator: g }).requiresGrad_(true).keep();
  const w = pt.randn([V, D], { dtype: 'float64', generator: g }).mul(2).detach().requiresGrad_(true).keep();
  const targets = pt.randint(0, V, [N], { generator: g }).keep();
  const mask = pt.tensor([1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1], { dtype: 'float64' }).keep();
  return { x, proj, w, targets, mask };
}

/** loss and gradients (x, proj, w) for a given chunk size. */
function run(s: Setup, head: TokenHead, objective: () => HeadObjective, rows: number, gradScale = 1) {
  return pt.scope(() => {
    pt.zeroGrad([s.x, s.proj, s.w]);
    const hidden = s.x.matmul(s.proj).tanh(); // (N, D), not a leaf
    const { loss, values } = headLoss(hidden, s.w, head, objective(), { rows, gradScale });
    loss.backward();
    return {
      loss: loss.item() as number,
      values: values.map((v) => v.toFlatArray() as number[]),
      grads: [s.x, s.proj, s.w].map((t) => t.grad!.toFlatArray() as number[]),
    };
  });
}

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  assert.ok(worst <= tol, `${what}: max difference ${worst} > ${tol}`);
}

function compare(head: TokenHead, objective: () => HeadObjective, s: Setup, what: string): void {
  const ref = run(s, head, objective, N); // one chunk: the unchunked reference
  for (const rows of [1, 3, 4, 10]) {
    const got = run(s, head, objective, rows);
    assert.ok(Math.abs(got.loss - ref.loss) <= 1e-12, `${what} rows ${rows}: loss ${got.loss} vs ${ref.loss}`);
    got.values.forEach((v, i) => close(v, ref.values[i]!, 1e-12, `${what} rows ${rows} values ${i}`));
    got.grads.forEach((g, i) => close(g, ref.grads[i]!, 1e-12, `${what} rows ${rows} grad ${['x', 'proj', 'w'][i]}`));
  }
  const scaled = run(s, head, objective, 4, 1024);
  scaled.grads.forEach((g, i) => close(g, ref.grads[i]!, 1e-12, `${what} gradScale grad ${i}`));
  assert.ok(ref.grads[2]!.some((v) => v !== 0) && ref.grads[0]!.some((v) => v !== 0), `${what}: gradients are not all zero`);
}

test('chunked cross-entropy (weighted objective) matches the unchunked loss and gradients in float64', () => {
  const s = setup(1);
  const n = s.mask.sum().item() as number;
  compare(logprobHead(s.targets), () => ({ weights: [s.mask.div(-n)] }), s, 'cross-entropy');
});

test('a nonlinear objective of log-probs and entropy (GRPO-like) matches the unchunked path', () => {
  const s = setup(2);
  const old = pt.noGrad(() => headValues(s.x.matmul(s.proj).tanh(), s.w, logprobHead(s.targets), N)[0]!.add(0.05)).keep(); // (N)
  const adv = pt.tensor([0.5, -1, 2, 1, -0.3, 0.7, 1, -2, 0.1, 1.5, -0.8], { dtype: 'float64' }).keep();
  const reduce = ([logp, ent]: Tensor[]) => {
    const ratio = logp!.sub(old).exp(); // (N)
    const clipped = ratio.clamp(0.8, 1.2);
    const obj = ratio.mul(adv).minimum(clipped.mul(adv)); // (N)
    return obj.add(ent!.mul(0.01)).mul(s.mask).sum().neg().div(8).add(ratio.sub(1).square().mul(s.mask).sum().mul(0.1));
  };
  compare(logprobHead(s.targets, 0.7, true), () => ({ reduce }), s, 'grpo-like');
});

test('chunked distillation against a teacher chunk matches the unchunked path (forward KL and JSD)', () => {
  const s = setup(3);
  const teacherHidden = pt.randn([N, D], { dtype: 'float64', generator: new pt.Generator(9) }).keep();
  const teacherW = pt.randn([V, D], { dtype: 'float64', generator: new pt.Generator(10) }).keep();
  for (const loss of ['forward_kl', 'jsd'] as const) {
    const head: TokenHead = (logits, start) => {
      const t = pt.linear(teacherHidden.narrow(0, start, logits.size(0)), teacherW); // (n, V)
      return [kdPerToken(logits.unsqueeze(0), t.unsqueeze(0), { loss, beta: 0.3, temperature: 1.5 }).squeeze(0)];
    };
    compare(head, () => ({ weights: [s.mask.div(5)] }), s, loss);
  }
});

test('without autograd the head returns values and the loss only', () => {
  const s = setup(4);
  const n = s.mask.sum().item() as number;
  const ref = run(s, logprobHead(s.targets), () => ({ weights: [s.mask.div(-n)] }), N);
  const got = pt.noGrad(() =>
    pt.scope(() => {
      const { loss, values } = headLoss(s.x.matmul(s.proj).tanh(), s.w, logprobHead(s.targets), { weights: [s.mask.div(-n)] }, { rows: 2 });
      assert.equal(loss.requiresGrad, false);
      return { loss: loss.item() as number, values: values[0]!.toFlatArray() as number[] };
    }),
  );
  assert.ok(Math.abs(got.loss - ref.loss) < 1e-12);
  close(got.values, ref.values[0]!, 1e-12, 'values');
});

test('chunkRows: automatic size from the vocabulary, explicit sizes kept, bad ones refused', () => {
  assert.equal(chunkRows(0, 151936), 111);
  assert.equal(chunkRows(0, 64), 2 ** 18);
  assert.equal(chunkRows(128, 151936), 128);
  assert.throws(() => chunkRows(-1, 10), /logits_chunk_size must be an integer >= 0/);
});
