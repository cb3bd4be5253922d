// Reward routing and its guards, with plain reward functions and a real scalar reward model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { routedReward } from '../../src/rewards/routing.js';
import { scalarRewardFn } from '../../src/rewards/scalar_rm.js';
import { RewardModel } from '../../src/models/reward_model.js';
import { createModel } from '../../src/models/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { makeSftSetup } from '../helpers/sft_setup.js';
import { rmSync } from 'node:fs';
import type { RewardInput } from '../../src/rewards/compose.js';

const row = (example: Record<string, unknown>, completion = 'text', completionTokens = 10): RewardInput => ({
  prompt: 'p',
  completion,
  completionTokens,
  example,
});
const rule = (x: RewardInput) =>
  typeof x.example['answer'] === 'number' ? (x.completion.includes(String(x.example['answer'])) ? 1 : 0) : null;

test('routing: the rule where it applies, the judge with the reference for free-form answers, the models otherwise', async () => {
  const r = routedReward({ rule, judgeWithReference: () => 0.7, models: [() => 0.2, () => 0.6], ensemble: 'mean' });
  assert.equal(await r(row({ answer: 12 }, 'it is 12')), 1);
  assert.equal(await r(row({ answer: 12 }, 'it is 13')), 0);
  assert.equal(await r(row({ reference: 'Paris is the capital' })), 0.7);
  assert.equal(await r(row({})), 0.4);
  const min = routedReward({ models: [() => 0.2, () => 0.6, () => null], ensemble: 'min' });
  assert.equal(await min(row({})), 0.2, 'min over the models that could judge');
  assert.equal(await routedReward({ rule })(row({})), null, 'nothing applies: cannot judge');
  assert.deepEqual(r.diagnostics().routed, { rule: 2, judgeWithReference: 1, models: 1, none: 0 });
});

test('guards: a failed gate keeps the model score out; model scores are clipped', async () => {
  const r = routedReward({ models: [() => 5], clip: [-1, 1], gate: (x) => (x.completion.startsWith('<think>') ? 1 : 0), gatedValue: -1 });
  assert.equal(await r(row({}, '<think>a</think> b')), 1, 'clipped to 1');
  assert.equal(await r(row({}, 'no format')), -1, 'gate failed: the model is not asked');
  assert.equal(r.diagnostics().gated, 1);
});

test('diagnostics: model-score / length correlation, and model-rule disagreement on cross-checked samples', async () => {
  const byLength = routedReward({ models: [(x) => (x.completionTokens ?? 0) / 100] });
  for (const n of [10, 20, 30, 40]) await byLength(row({}, 'x', n));
  assert.ok(Math.abs(byLength.diagnostics().modelLengthCorrelation! - 1) < 1e-12, 'a length-driven model is flagged');
  const lenient = routedReward({ rule, models: [() => 1], crossCheck: 1 });
  for (const c of ['12', '13', '13', '12']) await lenient(row({ answer: 12 }, c));
  assert.deepEqual([lenient.diagnostics().modelRuleDisagreement, lenient.diagnostics().crossChecked], [0.5, 4]);
  const half = routedReward({ rule, models: [() => 1], crossCheck: 0.5 });
  for (let i = 0; i < 6; i++) await half(row({ answer: 1 }, '1'));
  assert.equal(half.diagnostics().crossChecked, 3);
  // a trainer scores a round at once: calls overlap across awaits, the share must still hold
  const overlapping = routedReward({ rule, models: [() => 1], crossCheck: 0.5 });
  await Promise.all(Array.from({ length: 24 }, (_, i) => overlapping(row(i < 8 ? { answer: 1 } : {}, '1'))));
  const d = overlapping.diagnostics({ reset: true });
  assert.deepEqual([d.crossChecked, d.routed.rule, d.routed.models], [4, 8, 16]);
  assert.deepEqual(overlapping.diagnostics().routed, { rule: 0, judgeWithReference: 0, models: 0, none: 0 }, 'reset');
});

test('a scalar reward model as a reward: the same number as RewardModel.rewards on prompt + completion + EOS', () => {
  const setup = makeSftSetup(8);
  try {
    const tok = Tokenizer.fromDir(setup.tokDir);
    const rm = new RewardModel(
      createModel({
        model_type: 'llama',
        vocab_size: setup.vocab,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
      }).config,
      { generator: new pt.Generator(1) },
    );
    const fn = scalarRewardFn(rm, tok, { maxLength: 40 });
    const ids = [...tok.encode('what is 1 plus 1? 2'), tok.eosTokenIds[0]!];
    const expected = pt.noGrad(
      () => rm.rewards(pt.tensor([ids], { dtype: 'int64' }), pt.ones([1, ids.length], { dtype: 'bool' })).item() as number,
    );
    assert.equal(fn({ prompt: 'what is 1 plus 1?', completion: ' 2', example: {} }), expected);
    assert.equal(fn({ prompt: 'x', completion: ' word'.repeat(60), example: {} }), null, 'longer than the RM reads: cannot judge');
    rm.dispose();
  } finally {
    rmSync(setup.dir, { recursive: true, force: true });
  }
});
