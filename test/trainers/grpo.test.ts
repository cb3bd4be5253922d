import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainGrpo } from '../../src/trainers/grpo.js';
import { resolveConfig } from '../../src/trainers/config.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../../src/trainers/grpo_config.js';
import { createModel, saveModel } from '../../src/models/index.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = join(setup.dir, 'policy');
const model = createModel({ model_type: 'llama', vocab_size: setup.vocab, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 }, { seed: 3 });
saveModel(model, modelDir, { tokenizerFiles: { 'tokenizer.json': readFileSync(join(setup.tokDir, 'tokenizer.json')), 'tokenizer_config.json': readFileSync(join(setup.tokDir, 'tokenizer_config.json')) } });
model.dispose();
const prompts = join(setup.dir, 'prompts.jsonl');
writeFileSync(prompts, Array.from({ length: 12 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: 2 * i })).join('\n') + '\n');

const cfg = (out: string, over: Partial<GrpoConfig> = {}) => resolveConfig<GrpoConfig>(GRPO_SCHEMA, {
  model: modelDir, train_data: [prompts], output_dir: join(setup.dir, out), group_size: 4, prompts_per_step: 4, max_new_tokens: 12,
  lr: 2e-2, max_steps: 12, rewards: ['short'], seed: 1, ...over,
}, 'test', {});
const short = { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 };

test('GRPO raises the reward it is given (shorter completions), logs TRL-style metrics and saves the policy', async () => {
  const r = await trainGrpo(cfg('run1'), { quiet: true, rewardFns: short });
  assert.equal(r.steps, 12);
  const first = (r.rewards[0]! + r.rewards[1]! + r.rewards[2]!) / 3, last = (r.rewards[9]! + r.rewards[10]! + r.rewards[11]!) / 3;
  if (process.env.SHOW_REWARDS) console.log(r.rewards.map((x) => x.toFixed(2)).join(" "));
  assert.ok(last > first + 0.15, `mean reward ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const k of ['reward', 'reward_std', 'rewards/short', 'frac_reward_zero_std', 'kl', 'clip_ratio_region', 'completion_length_mean', 'completion_length_max', 'clipped_ratio', 'time_generation_s', 'time_update_s']) assert.ok(k in m[0], k);
  assert.ok(m.some((x) => x.kl > 0), 'the policy moves away from the reference');
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')));
});

test('dynamic sampling drops groups whose rewards all agree; a reward that cannot judge is counted', async () => {
  const r = await trainGrpo(cfg('run2', { max_steps: 2, rewards: ['const', 'maybe'] }), { quiet: true, rewardFns: { const: () => 1, maybe: (x) => (x.example['answer'] === 0 ? null : 0) } });
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(m.every((x) => x.groups_kept === 0 && x.frac_reward_zero_std === 1), 'constant rewards: every group dropped, no update');
  assert.ok(m.reduce((a, x) => a + x.skipped_samples, 0) >= 0);
});

test('unknown reward names and missing prompt fields are refused with context', async () => {
  await assert.rejects(trainGrpo(cfg('run3', { rewards: ['nope'] }), { quiet: true }), /unknown reward 'nope'/);
  const bad = join(setup.dir, 'bad.jsonl');
  writeFileSync(bad, '{"q": 1}\n');
  await assert.rejects(trainGrpo(cfg('run4', { train_data: [bad] }), { quiet: true, rewardFns: short }), /bad\.jsonl:1: field 'prompt'/);
});

test('GRPO resumes exactly: the rounds after a mid-run checkpoint repeat the uninterrupted run', async () => {
  const metric = (dir: string) => readFileSync(join(setup.dir, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((x) => [x.step, x.reward, x.kl] as [number, number, number]);
  await trainGrpo(cfg('resume-a', { max_steps: 6, save_every: 2, keep_last: 5 }), { quiet: true, rewardFns: short });
  await trainGrpo(cfg('resume-b', { max_steps: 6, save_every: 2, keep_last: 5 }), { quiet: true, rewardFns: short, stopAfterStep: 3 });
  await trainGrpo(cfg('resume-b', { max_steps: 6, save_every: 2, keep_last: 5 }), { quiet: true, rewardFns: short });
  const a = new Map(metric('resume-a').map(([s, r, k]) => [s, [r, k]]));
  const b = metric('resume-b');
  assert.deepEqual(b.map(([s]) => s), [1, 2, 3, 3, 4, 5, 6], 'steps 1–3, then 3–6 again after resuming at 2');
  for (const [s, r, k] of b) assert.deepEqual([r, k], a.get(s), `step ${s}`);
});
