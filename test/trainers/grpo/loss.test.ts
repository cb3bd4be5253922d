// GRPO loss variants against hand-computed numbers in float64 (SPEC.md §2.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../../src/tensor/index.js';
import { groupAdvantages, grpoLoss, sequenceKl, type GrpoLossOptions } from '../../../src/trainers/grpo/loss.js';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const f64 = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float64' });
const BASE: GrpoLossOptions = {
  importance_sampling_level: 'token',
  loss_type: 'grpo',
  epsilon: 0.2,
  epsilon_high: 0.2,
  dual_clip: null,
  beta: 0,
  kl_estimator: 'k3',
  max_completion_length: 4,
};

test('group-relative advantages: group std, Bessel, batch std, none; a zero-variance group gives zero', () => {
  const o = { scale_rewards: 'group' as const, adv_eps: 0, bessel: false };
  assert.deepEqual(groupAdvantages([1, 0, 1, 0], 2, o), [1, -1, 1, -1]); // std 0.5
  groupAdvantages([1, 0], 2, { ...o, bessel: true }).forEach((a, i) => near(a, [1, -1][i]! / Math.SQRT2));
  assert.deepEqual(groupAdvantages([1, 1, 0.5, 0.5], 2, { ...o, adv_eps: 1e-4 }), [0, 0, 0, 0]);
  assert.deepEqual(groupAdvantages([1, 0, 3, 1], 2, { ...o, scale_rewards: 'none' }), [0.5, -0.5, 1, -1]);
  const b = groupAdvantages([1, 0, 1, 1], 2, { ...o, scale_rewards: 'batch' }); // batch std sqrt(0.1875)
  [0.5, -0.5, 0, 0].forEach((v, i) => near(b[i]!, v / Math.sqrt(0.1875)));
  assert.throws(() => groupAdvantages([1, 2, 3], 2, o), /groups of 2/);
});

test('with ratio 1 clipping is inactive and the gradient is the plain policy gradient, for each loss_type', () => {
  const mask = f64([
    [1, 1, 0],
    [1, 1, 1],
  ]);
  const A = f64([1, -2]);
  const L = [2, 3];
  for (const loss_type of ['grpo', 'dapo', 'dr_grpo'] as const) {
    const logp = f64([
      [-1, -2, -3],
      [-0.5, -1, -1.5],
    ]).requiresGrad_();
    const out = grpoLoss(logp, logp.detach(), null, A, mask, { ...BASE, loss_type });
    out.loss.backward();
    const g = logp.grad!.toArray() as number[][];
    const norm = (i: number) => (loss_type === 'grpo' ? L[i]! * 2 : loss_type === 'dapo' ? 5 : 2 * 4);
    g.forEach((row, i) => row.forEach((v, t) => near(v, t < L[i]! ? -[1, -2][i]! / norm(i) : 0)));
    assert.equal(out.stats.clipRegion, 0);
    near(out.stats.ratioMean, 1);
  }
});

test('the loss_type variants differ exactly as defined (ratio 1: per-token loss −A)', () => {
  const mask = f64([
    [1, 1, 0],
    [1, 1, 1],
  ]);
  const logp = f64([
    [-1, -1, -1],
    [-1, -1, -1],
  ]);
  const run = (loss_type: GrpoLossOptions['loss_type']) =>
    grpoLoss(logp, logp, null, f64([1, -2]), mask, { ...BASE, loss_type }).loss.item() as number;
  near(run('grpo'), (-2 / 2 + 6 / 3) / 2); // 0.5
  near(run('dapo'), (-2 + 6) / 5); // 0.8
  near(run('dr_grpo'), (-2 + 6) / (2 * 4)); // 0.5
});

test('clipping: ε_high caps positive advantages, ε_low negative ones (no gradient through a clipped token), dual clip bounds the loss', () => {
  const mask = f64([[1]]);
  const old = f64([[Math.log(0.4)]]);
  const up = f64([[Math.log(0.6)]]).requiresGrad_(); // ratio 1.5
  const o1 = grpoLoss(up, old, null, f64([2]), mask, { ...BASE, epsilon_high: 0.28 });
  near(o1.loss.item() as number, -1.28 * 2);
  o1.loss.backward();
  near(up.grad!.item() as number, 0);
  assert.equal(o1.stats.clipHigh, 1);
  const down = f64([[Math.log(0.2)]]).requiresGrad_(); // ratio 0.5
  const o2 = grpoLoss(down, old, null, f64([-1]), mask, BASE);
  near(o2.loss.item() as number, 0.8); // −min(0.5·(−1), 0.8·(−1))
  assert.equal(o2.stats.clipLow, 1);
  const far = f64([[Math.log(2.0)]]); // ratio 5, A = −1
  near(grpoLoss(far, old, null, f64([-1]), mask, BASE).loss.item() as number, 5, 1e-12); // −min(−5, −1.2)
  near(grpoLoss(far, old, null, f64([-1]), mask, { ...BASE, dual_clip: 3 }).loss.item() as number, 3, 1e-12); // bounded at c·|A|
});

test('ratio levels: per token, sequence geometric mean (GSPO), sequence product (V3 as written)', () => {
  const mask = f64([[1, 1]]);
  const old = f64([[-1, -1]]);
  const logp = f64([[-0.9, -0.8]]); // log-ratios 0.1, 0.2
  const loss = (importance_sampling_level: GrpoLossOptions['importance_sampling_level']) =>
    grpoLoss(logp, old, null, f64([1]), mask, { ...BASE, importance_sampling_level, epsilon_high: 10 }).loss.item() as number;
  near(loss('token'), -(Math.exp(0.1) + Math.exp(0.2)) / 2);
  near(loss('sequence'), -Math.exp(0.15));
  near(loss('sequence_product'), -Math.exp(0.3));
});

test('KL to the reference: k1, k2, k3 values; zero when the policy equals the reference', () => {
  const mask = f64([[1]]);
  const logp = f64([[Math.log(0.5)]]);
  const ref = f64([[Math.log(0.25)]]); // d = log(π_ref/π) = log 0.5
  const d = Math.log(0.5);
  const expected = { k1: -d, k2: 0.5 * d * d, k3: Math.exp(d) - d - 1 };
  for (const k of ['k1', 'k2', 'k3'] as const) {
    const out = grpoLoss(logp, logp, ref, f64([0]), mask, { ...BASE, beta: 0.04, kl_estimator: k });
    near(out.stats.kl, expected[k]);
    near(out.loss.item() as number, 0.04 * expected[k]);
    const same = grpoLoss(logp, logp, logp, f64([1.5]), mask, { ...BASE, beta: 0.04, kl_estimator: k });
    near(same.stats.kl, 0);
    near(same.loss.item() as number, grpoLoss(logp, logp, null, f64([1.5]), mask, BASE).loss.item() as number);
  }
});

test('a reward that cannot judge (null) takes no part in its group and gets advantage 0', () => {
  const o = { scale_rewards: 'group' as const, adv_eps: 0, bessel: false };
  assert.deepEqual(
    groupAdvantages([1, null, 0, 0, 0, 1], 3, o).map((a) => Math.round(a * 1e9) / 1e9),
    [1, 0, -1, -1 / Math.sqrt(2), -1 / Math.sqrt(2), Math.sqrt(2)].map((a) => Math.round(a * 1e9) / 1e9),
  );
  assert.deepEqual(groupAdvantages([null, null], 2, o), [0, 0]);
});

test('entropy bonus: the loss falls by coef × the aggregated entropy, and its gradient is −coef ∂H', () => {
  const mask = f64([
    [1, 1, 0],
    [1, 0, 0],
  ]);
  const logp = f64([
    [-1, -1, -1],
    [-1, -1, -1],
  ]);
  const H = f64([
    [0.5, 1.5, 9],
    [2, 9, 9],
  ]).requiresGrad_();
  const withBonus = grpoLoss(logp, logp, null, f64([0, 0]), mask, { ...BASE, entropy_coef: 0.1 }, H);
  near(withBonus.loss.item() as number, (-0.1 * ((0.5 + 1.5) / 2 + 2 / 1)) / 2); // sequence mean of H = 1.5
  near(withBonus.stats.entropy, (0.5 + 1.5 + 2) / 3);
  withBonus.loss.backward();
  (H.grad!.toArray() as number[][]).forEach((row, i) =>
    row.forEach((g, t) =>
      near(
        g,
        [
          [-0.025, -0.025, 0],
          [-0.05, 0, 0],
        ][i]![t]!,
      ),
    ),
  );
  const logged = grpoLoss(logp, logp, null, f64([0, 0]), mask, BASE, H.detach());
  near(logged.loss.item() as number, 0);
  near(logged.stats.entropy, 4 / 3);
  assert.throws(() => grpoLoss(logp, logp, null, f64([0, 0]), mask, { ...BASE, entropy_coef: 0.1 }), /no entropy tensor/);
});

test('micro-batches with the batch totals sum to the full batch loss and gradient, for each loss_type', () => {
  const mask = f64([
    [1, 1, 0],
    [1, 1, 1],
    [1, 0, 0],
  ]);
  const old = f64([
    [-1, -2, -3],
    [-0.5, -1, -1.5],
    [-2, -2, -2],
  ]);
  const ref = f64([
    [-1.1, -2, -3],
    [-0.4, -1.2, -1.5],
    [-2, -1.9, -2],
  ]);
  const A = f64([1, -2, 0.5]);
  const values = [
    [-0.9, -2.1, -3],
    [-0.6, -1, -1.4],
    [-1.7, -2, -2],
  ];
  for (const loss_type of ['grpo', 'dapo', 'dr_grpo'] as const) {
    const o = { ...BASE, loss_type, beta: 0.04, epsilon_high: 0.28 };
    const full = f64(values).requiresGrad_();
    const whole = grpoLoss(full, old, ref, A, mask, o);
    whole.loss.backward();
    const totals = { sequences: 3, tokens: 6 };
    let sum = 0;
    const grads: number[][] = [];
    for (const [s, n] of [
      [0, 2],
      [2, 1],
    ] as const) {
      const part = f64(values.slice(s, s + n)).requiresGrad_();
      const out = grpoLoss(part, old.narrow(0, s, n), ref.narrow(0, s, n), A.narrow(0, s, n), mask.narrow(0, s, n), { ...o, totals });
      out.loss.backward();
      sum += out.loss.item() as number;
      grads.push(...(part.grad!.toArray() as number[][]));
    }
    near(sum, whole.loss.item() as number, 1e-12);
    (full.grad!.toArray() as number[][]).forEach((row, i) => row.forEach((g, t) => near(grads[i]![t]!, g, 1e-12)));
  }
});

test('KL in the reward: each sequence sums its per-token estimate over completion tokens only', () => {
  const logp = f64([
    [Math.log(0.5), Math.log(0.5)],
    [Math.log(0.5), 0],
  ]);
  const ref = f64([
    [Math.log(0.25), Math.log(0.5)],
    [Math.log(0.25), Math.log(0.25)],
  ]);
  const mask = f64([
    [1, 1],
    [1, 0],
  ]);
  const d = Math.log(0.5);
  const k3 = Math.exp(d) - d - 1;
  const kl = sequenceKl(logp, ref, mask, 'k3');
  near(kl[0]!, k3 + 0);
  near(kl[1]!, k3);
  const k1 = sequenceKl(logp, ref, mask, 'k1');
  near(k1[0]!, -d);
});
