// Fault tests: SFT (through the CLI) and GRPO (a trainer process of its own) SIGKILLed at 10+
// random moments — mid-step, mid-checkpoint, mid-metrics line — each time resumed by a new process,
// then finished: the metrics hold every step once with the uninterrupted run's values, and the
// final weights equal the uninterrupted run's exactly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainSft } from '../../src/trainers/sft.js';
import { trainGrpo } from '../../src/trainers/grpo/train.js';
import { latestCheckpoint } from '../../src/trainers/checkpoint.js';
import { readSafetensors } from '../../src/checkpoint/index.js';
import { resolveConfig } from '../../src/common/schema.js';
import { GRPO_SCHEMA } from '../../src/trainers/grpo/config.js';
import { makeSftSetup, saveTinyModel, sftConfig } from '../helpers/sft_setup.js';
import { killRepeatedly } from '../helpers/kills.js';

const setup = makeSftSetup(48);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const worker = fileURLToPath(new URL('../helpers/dp_worker.js', import.meta.url));

/** Every metrics line of a run but its timing fields, in order. */
const records = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      for (const k of Object.keys(r)) if (k === 'time' || k.startsWith('time_') || k.endsWith('_per_s')) delete r[k];
      return r;
    });
const sameWeights = (a: string, b: string) => {
  const x = readSafetensors(join(a, 'model.safetensors')).tensors,
    y = readSafetensors(join(b, 'model.safetensors')).tensors;
  assert.deepEqual([...x.keys()].sort(), [...y.keys()].sort());
  for (const [k, t] of x) assert.ok(t.equal(y.get(k)!), `${k} differs`);
  for (const t of [...x.values(), ...y.values()]) t.dispose();
};
const progressOf = (dir: string) => () => latestCheckpoint(dir)?.step ?? 0;

test('SFT SIGKILLed at 10+ random moments and resumed each time ends as the uninterrupted run', async () => {
  const over = { max_steps: 60, save_steps: 1, save_total_limit: 2, eval_steps: 20, eval_fraction: 0.1 };
  const straight = await trainSft(sftConfig(setup, join(setup.dir, 'sft-straight'), over), { quiet: true });
  const dir = join(setup.dir, 'sft-killed');
  const cfgFile = join(setup.dir, 'sft-killed.json');
  writeFileSync(cfgFile, JSON.stringify(sftConfig(setup, dir, over)));
  const { kills, progress } = await killRepeatedly({
    start: () => spawn(process.execPath, [cli, 'sft', `--config=${cfgFile}`], { stdio: 'ignore' }),
    progress: progressOf(dir),
    stopAt: 50,
    kills: 12,
    seed: 7,
    maxExtraMs: 60,
  });
  assert.ok(kills >= 10, `${kills} kills landed (checkpoint after each: ${progress.join(', ')})`);
  const resumed = await trainSft(sftConfig(setup, dir, over), { quiet: true });
  assert.equal(resumed.steps, 60);
  assert.deepEqual(records(dir), records(join(setup.dir, 'sft-straight')), 'every metrics line once, with the same values');
  sameWeights(resumed.finalDir, straight.finalDir);
});

test('GRPO SIGKILLed at 10+ random moments and resumed each time ends as the uninterrupted run', async () => {
  const modelDir = join(setup.dir, 'policy');
  saveTinyModel(setup, modelDir, 3);
  const prompts = join(setup.dir, 'prompts.jsonl');
  writeFileSync(
    prompts,
    Array.from({ length: 12 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: 2 * i })).join('\n') + '\n',
  );
  const config = (out: string) => ({
    model_name_or_path: modelDir,
    dataset_name: [prompts],
    output_dir: join(setup.dir, out),
    num_generations: 4,
    prompts_per_step: 4,
    max_completion_length: 12,
    learning_rate: 2e-2,
    max_steps: 40,
    save_steps: 1,
    save_total_limit: 2,
    reward_funcs: ['short'],
    seed: 1,
  });
  const short = { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 }; // dp_worker's reward
  const straight = await trainGrpo(resolveConfig(GRPO_SCHEMA, config('grpo-straight'), 'test', {}), { quiet: true, rewardFns: short });
  const job = join(setup.dir, 'grpo-job.json');
  writeFileSync(job, JSON.stringify({ kind: 'grpo', config: config('grpo-killed') }));
  const dir = join(setup.dir, 'grpo-killed');
  const { kills, progress } = await killRepeatedly({
    start: () => spawn(process.execPath, [worker, job], { stdio: 'ignore' }),
    progress: progressOf(dir),
    stopAt: 34,
    kills: 12,
    seed: 11,
    maxExtraMs: 120,
  });
  assert.ok(kills >= 10, `${kills} kills landed (checkpoint after each: ${progress.join(', ')})`);
  const resumed = await trainGrpo(resolveConfig(GRPO_SCHEMA, config('grpo-killed'), 'test', {}), { quiet: true, rewardFns: short });
  assert.equal(resumed.steps, 40);
  assert.deepEqual(records(dir), records(join(setup.dir, 'grpo-straight')), 'every metrics line once, with the same values');
  sameWeights(resumed.finalDir, straight.finalDir);
});
