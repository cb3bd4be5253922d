import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainGrpo } from '../../../src/trainers/grpo/train.js';
import { resolveConfig } from '../../../src/common/schema.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../../../src/trainers/grpo/config.js';
import { makeSftSetup, saveTinyModel } from '../../helpers/sft_setup.js';

const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = join(setup.dir, 'policy');
saveTinyModel(setup, modelDir, 3);
const prompts = join(setup.dir, 'prompts.jsonl');
writeFileSync(
  prompts,
  Array.from({ length: 12 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: 2 * i })).join('\n') + '\n',
);

const cfg = (out: string, over: Partial<GrpoConfig> = {}) =>
  resolveConfig(
    GRPO_SCHEMA,
    {
      model_name_or_path: modelDir,
      dataset_name: [prompts],
      output_dir: join(setup.dir, out),
      num_generations: 4,
      prompts_per_step: 4,
      max_completion_length: 12,
      learning_rate: 2e-2,
      max_steps: 12,
      reward_funcs: ['short'],
      seed: 1,
      ...over,
    },
    'test',
    {},
  );
const short = { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 };

test('GRPO raises the reward it is given (shorter completions), logs TRL-style metrics and saves the policy', async () => {
  const r = await trainGrpo(cfg('run1'), { quiet: true, rewardFns: short });
  assert.equal(r.steps, 12);
  const first = (r.rewards[0]! + r.rewards[1]! + r.rewards[2]!) / 3,
    last = (r.rewards[9]! + r.rewards[10]! + r.rewards[11]!) / 3;
  if (process.env.SHOW_REWARDS) console.log(r.rewards.map((x) => x.toFixed(2)).join(' '));
  assert.ok(last > first + 0.15, `mean reward ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const k of [
    'reward',
    'reward_std',
    'rewards/short',
    'frac_reward_zero_std',
    'kl',
    'clip_ratio_region',
    'completion_length_mean',
    'completion_length_max',
    'clipped_ratio',
    'time_generation_s',
    'time_update_s',
  ])
    assert.ok(k in m[0], k);
  assert.ok(
    m.some((x) => x.kl > 0),
    'the policy moves away from the reference',
  );
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')));
});

test('dynamic sampling drops groups whose rewards all agree; a reward that cannot judge is counted', async () => {
  const r = await trainGrpo(cfg('run2', { max_steps: 2, reward_funcs: ['const', 'maybe'] }), {
    quiet: true,
    rewardFns: { const: () => 1, maybe: (x) => (x.example['answer'] === 0 ? null : 0) },
  });
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(
    m.every((x) => x.groups_kept === 0 && x.frac_reward_zero_std === 1),
    'constant rewards: every group dropped, no update',
  );
  assert.ok(m.reduce((a, x) => a + x.skipped_samples, 0) >= 0);
});

test('unknown reward names and missing prompt fields are refused with context', async () => {
  await assert.rejects(trainGrpo(cfg('run3', { reward_funcs: ['nope'] }), { quiet: true }), /unknown reward 'nope'/);
  const bad = join(setup.dir, 'bad.jsonl');
  writeFileSync(bad, '{"q": 1}\n');
  await assert.rejects(trainGrpo(cfg('run4', { dataset_name: [bad] }), { quiet: true, rewardFns: short }), /bad\.jsonl:1: field 'prompt'/);
});

for (const [name, over] of [
  ['plain', {}],
  [
    'LoRA, reference refresh, micro-batches, μ 2',
    { use_peft: true, lora_r: 4, ref_model_sync_steps: 2, per_device_train_batch_size: 5, num_iterations: 2 },
  ],
] as const) {
  test(`GRPO resumes exactly (${name}): the rounds after a mid-run checkpoint repeat the uninterrupted run`, async () => {
    const tag = name === 'plain' ? 'p' : 'x';
    const metric = (dir: string) =>
      readFileSync(join(setup.dir, dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((x) => [x.step, x.reward, x.kl] as [number, number, number]);
    const c = (out: string) => cfg(out, { max_steps: 6, save_steps: 2, save_total_limit: 5, ...over });
    await trainGrpo(c(`resume-a-${tag}`), { quiet: true, rewardFns: short });
    await trainGrpo(c(`resume-b-${tag}`), { quiet: true, rewardFns: short, stopAfterStep: 3 });
    await trainGrpo(c(`resume-b-${tag}`), { quiet: true, rewardFns: short });
    const a = new Map(metric(`resume-a-${tag}`).map(([s, r, k]) => [s, [r, k]]));
    const b = metric(`resume-b-${tag}`);
    assert.deepEqual(
      b.map(([s]) => s),
      [1, 2, 3, 4, 5, 6],
      'each step once: step 3 of the stopped run cut back when resuming at 2',
    );
    for (const [s, r, k] of b) assert.deepEqual([r, k], a.get(s), `step ${s}`);
    if (tag === 'x')
      assert.ok(
        existsSync(join(setup.dir, `resume-b-${tag}`, 'checkpoints', 'step-00000002', 'reference.safetensors')),
        'the refreshed reference is checkpointed',
      );
  });
}

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('LoRA: the reference is the base with adapters off (KL 0 at the first round), and the adapter and the merged model are saved', async () => {
  const r = await trainGrpo(cfg('lora', { use_peft: true, lora_r: 4, max_steps: 3 }), { quiet: true, rewardFns: short });
  assert.match(readFileSync(join(r.runDir, 'log.txt'), 'utf8'), /reference: adapters-off/);
  const m = metrics(r.runDir);
  assert.equal(m[0].kl, 0, 'B = 0 at the start: the policy is its base');
  assert.ok(
    m.slice(1).some((x) => x.kl > 0),
    'the adapters move the policy away from the base',
  );
  assert.ok(existsSync(join(r.runDir, 'final-adapter', 'adapter_config.json')));
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')));
});

test('reference refresh every round keeps the policy at its reference at each update (KL exactly 0)', async () => {
  const r = await trainGrpo(cfg('refresh', { ref_model_sync_steps: 1, max_steps: 4 }), { quiet: true, rewardFns: short });
  const m = metrics(r.runDir);
  assert.ok(
    m.every((x) => x.kl === 0),
    m.map((x) => x.kl).join(' '),
  );
  assert.ok(m.some((x) => x.groups_kept > 0));
  assert.equal(
    (readFileSync(join(r.runDir, 'log.txt'), 'utf8').match(/reference refreshed/g) ?? []).length,
    3,
    'after rounds 1, 2, 3 (not after the last)',
  );
});

test('KL in the reward, entropy bonus, overlong punishment, a batch size fitted to G, the samples log and accuracy', async () => {
  const r = await trainGrpo(
    cfg('extras', {
      kl_in_reward: true,
      entropy_coef: 0.01,
      overlong_buffer: 4,
      generation_batch_size: 10,
      log_samples_every: 2,
      reward_funcs: ['short', 'math'],
      max_steps: 3,
    }),
    { quiet: true, rewardFns: short },
  );
  assert.match(
    readFileSync(join(r.runDir, 'log.txt'), 'utf8'),
    /generation_batch_size 10 is not a multiple of num_generations 4: using 3 groups = 12 completions/,
  );
  const m = metrics(r.runDir);
  for (const x of m) {
    assert.ok(x.groups_kept <= 3);
    assert.equal(x.kl, 0, 'no KL term in the loss');
    assert.ok(x['rewards/overlong'] <= 0 && x['rewards/overlong'] >= -1);
    assert.ok(typeof x.accuracy === 'number' && x.accuracy === x['rewards/math']);
    if (x.groups_kept > 0) {
      assert.ok(x.kl_in_reward >= 0);
      assert.ok(x.entropy > 0);
    }
  }
  assert.ok(
    m.some((x) => x.kl_in_reward > 0),
    'the policy moves: the sequence KL enters the reward',
  );
  const samples = readFileSync(join(r.runDir, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    [...new Set(samples.map((s) => s.step))],
    [1, 2].filter((s) => m[s - 1].groups_kept > 0),
  );
  for (const s of samples) {
    assert.equal(s.completions.length, 4);
    assert.ok(typeof s.prompt === 'string' && 'answer' in s);
    for (const c of s.completions)
      assert.ok('short' in c.rewards && 'math' in c.rewards && 'overlong' in c.rewards && typeof c.advantage === 'number');
  }
});

test('config: an accuracy reward that is not listed and surplus reward weights are refused', async () => {
  await assert.rejects(
    trainGrpo(cfg('bad1', { accuracy_reward: 'math' }), { quiet: true, rewardFns: short }),
    /accuracy_reward 'math' is not one of rewards \[short\]/,
  );
  await assert.rejects(
    trainGrpo(cfg('bad2', { reward_weights: [1, 2] }), { quiet: true, rewardFns: short }),
    /2 reward_weights for 1 rewards/,
  );
});

test("rollouts from posttrain serve, the LoRA adapter hot-loaded each round: the in-process reward curve within noise, and the server's log-probs equal the trainer's (importance weights 1)", async () => {
  const { startServer } = await import('../../../src/serve/server.js');
  const server = await startServer({ modelDir, port: 0, modelName: 'policy', allowRuntimeLora: true });
  try {
    const over = { use_peft: true, lora_r: 8, lora_alpha: 16, learning_rate: 3e-2, max_steps: 12 };
    const local = await trainGrpo(cfg('lora-local', over), { quiet: true, rewardFns: short });
    const remote = await trainGrpo(cfg('lora-remote', { ...over, rollout_url: `${server.url}/v1` }), { quiet: true, rewardFns: short });
    const m = metrics(remote.runDir);
    assert.equal(m.length, 12);
    for (const r of m) {
      assert.ok(r['sampling/logprob_mismatch']! < 1e-4, `step ${r['step']}: mean |Δ log-prob| ${r['sampling/logprob_mismatch']}`);
      assert.ok(Math.abs(r['sampling/importance_sampling_ratio/mean']! - 1) < 1e-4);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const se = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)) / xs.length);
    if (process.env.SHOW_REWARDS)
      console.log(local.rewards.map((x) => x.toFixed(2)).join(' '), '|', remote.rewards.map((x) => x.toFixed(2)).join(' '));
    const gap = Math.abs(mean(local.rewards) - mean(remote.rewards));
    const noise = 3 * Math.hypot(se(local.rewards), se(remote.rewards));
    assert.ok(
      gap <= noise + 0.01,
      `mean reward per round: in process ${mean(local.rewards).toFixed(3)}, through the server ${mean(remote.rewards).toFixed(3)} (3 SE ${noise.toFixed(3)})`,
    );
    const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      listed.data.map((d) => d.id),
      ['policy'],
      'the last adapter was unloaded at the end',
    );
  } finally {
    await server.close();
  }
  await assert.rejects(
    trainGrpo(cfg('remote-full', { rollout_url: 'http://127.0.0.1:9/v1' }), { quiet: true, rewardFns: short }),
    /rollout_url needs use_peft: true/,
  );
});
