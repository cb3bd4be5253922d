// GRPO's update side: micro-batch layout, log-probs against a one-sequence-at-a-time reference,
// and micro-batched gradient accumulation against one big batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../../src/tensor/index.js';
import { AdamW } from '../../../src/optim/index.js';
import { microBatches, tokenLogprobs, frozenLogprobs, policyUpdate, type UpdateRow } from '../../../src/trainers/grpo/update.js';
import { tinyModel } from '../../helpers/models.js';
import { random } from '../../helpers/random.js';

const rand = random(7);
const rows: UpdateRow[] = Array.from({ length: 7 }, (_, i) => {
  const promptLength = 2 + (i % 3),
    completion = 1 + ((i * 5) % 6);
  return { ids: Array.from({ length: promptLength + completion }, () => Math.floor(rand() * 64)), promptLength, lossMask: i !== 4 };
});

test('micro-batches: right-padded to their own longest row, the mask on positions that predict completion tokens', () => {
  const small: UpdateRow[] = [
    { ids: [5, 6, 7, 8], promptLength: 2, lossMask: true },
    { ids: [1, 2, 3], promptLength: 1, lossMask: true },
    { ids: [9, 9], promptLength: 1, lossMask: false },
  ];
  const mbs = microBatches(small, 2);
  assert.deepEqual(
    mbs.map((m) => m.rows),
    [2, 1],
  );
  assert.deepEqual(mbs[0]!.ids.toArray(), [
    [5, 6, 7, 8],
    [1, 2, 3, 0],
  ]);
  assert.deepEqual(mbs[0]!.attention.toArray(), [
    [true, true, true, true],
    [true, true, true, false],
  ]);
  assert.deepEqual(mbs[0]!.completion.toArray(), [
    [0, 1, 1],
    [1, 1, 0],
  ]); // predict 7, 8 | 2, 3
  assert.deepEqual(mbs[1]!.completion.toArray(), [[0]]); // no loss on it
  assert.equal(microBatches(small, 0).length, 1);
});

test('token log-probs and entropy of a padded batch equal each sequence computed alone', () => {
  const model = tinyModel('llama', 1);
  const [mb] = microBatches(rows, 0);
  const { logp, entropy } = pt.noGrad(() => tokenLogprobs(model, mb!, 0.7, { logits_chunk_size: 0 }, true));
  const lp = logp.toArray() as number[][],
    ent = entropy!.toArray() as number[][];
  rows.forEach((r, b) =>
    pt.noGrad(() =>
      pt.scope(() => {
        const logits = model.forward(pt.tensor([r.ids], { dtype: 'int64' })); // (1, S, V)
        const dist = logits.squeeze(0).div(0.7).logSoftmax(-1); // (S, V)
        for (let t = 0; t < r.ids.length - 1; t++) {
          const row = dist.select(0, t);
          assert.ok(Math.abs((row.select(0, r.ids[t + 1]!).item() as number) - lp[b]![t]!) < 1e-5, `row ${b} position ${t}`);
          const h = -(row.exp().mul(row).sum().item() as number);
          assert.ok(Math.abs(h - ent[b]![t]!) < 1e-4, `entropy row ${b} position ${t}`);
        }
      }),
    ),
  );
  model.dispose();
});

test('micro-batched update = one big batch: same loss, statistics and weights after μ = 2 steps, each loss_type', async () => {
  const advantages = rows.map((_, i) => [1.2, -0.4, 0.3, -1, 0.9, -0.6, 0.1][i]!);
  for (const loss_type of ['grpo', 'dapo', 'dr_grpo'] as const) {
    const run = async (micro: number) => {
      const model = tinyModel('llama', 2, 'float64', 1);
      const ref = tinyModel('llama', 3, 'float64', 1);
      const optimizer = new AdamW(model.trainableParameters(), { lr: 1e-3 });
      const { mbs, old, refLp } = pt.scope(() => {
        const mbs = microBatches(rows, micro);
        const old = frozenLogprobs(model, mbs, 1).map((t) => t.add(0.25)); // ratios ≈ 0.78: clipping is active
        const refLp = frozenLogprobs(ref, mbs, 1);
        return { mbs, old, refLp };
      });
      {
        const stats = await policyUpdate(
          model,
          optimizer,
          mbs,
          old,
          refLp,
          advantages,
          {
            importance_sampling_level: 'token',
            loss_type,
            epsilon: 0.2,
            epsilon_high: 0.28,
            dual_clip: 3,
            beta: 0.04,
            kl_estimator: 'k3',
            max_completion_length: 8,
            entropy_coef: 0.01,
          },
          { num_iterations: 2, temperature: 1, max_grad_norm: 1 },
        );
        const weights = pt.scope(() => model.namedParameters().map(([k, p]) => [k, p.to('float64').toArray()] as const));
        optimizer.dispose();
        model.dispose();
        ref.dispose();
        for (const mb of mbs) for (const t of [mb.ids, mb.attention, mb.completion]) t.dispose();
        for (const t of [...old, ...refLp]) t.dispose();
        return { stats, weights };
      }
    };
    const whole = await run(0),
      micro = await run(3);
    for (const k of ['loss', 'kl', 'entropy', 'clipRegion', 'ratioMean', 'gradNorm'] as const) {
      assert.ok(Math.abs(whole.stats[k] - micro.stats[k]) < 1e-10, `${loss_type} ${k}: ${whole.stats[k]} vs ${micro.stats[k]}`);
    }
    assert.ok(whole.stats.clipRegion > 0, 'some tokens are clipped');
    whole.weights.forEach(([k, w], i) => {
      const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
      const a = flat(w),
        b = flat(micro.weights[i]![1]);
      a.forEach((v, j) => assert.ok(Math.abs(v - b[j]!) < 1e-9, `${loss_type} ${k}[${j}]`));
    });
  }
});
