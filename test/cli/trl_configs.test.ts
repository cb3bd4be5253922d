// A TRL user's configs run unchanged: an SFTConfig and a GRPOConfig written with TRL's field names
// (and TRL's batch arithmetic for GRPO), through the command line; logging_steps averages the
// metrics over its window; a typo gets a suggestion; `--help` prints the fields.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const setup = makeSftSetup(24);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = join(setup.dir, 'model');
saveTinyModel(setup, modelDir, 3, { tie_word_embeddings: true });
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test("a TRL SFTConfig runs unchanged (TRL's names; LoRA through use_peft)", () => {
  const out = join(setup.dir, 'trl-sft');
  writeFileSync(
    join(setup.dir, 'sft.yaml'),
    [
      `model_name_or_path: ${modelDir}`,
      `dataset_name: ${setup.data}`,
      `output_dir: ${out}`,
      'learning_rate: 2.0e-4',
      'num_train_epochs: 1',
      'max_steps: 4',
      'per_device_train_batch_size: 2',
      'gradient_accumulation_steps: 2',
      'max_length: 64',
      'packing: true',
      'completion_only_loss: true',
      'lr_scheduler_type: cosine',
      'warmup_ratio: 0.1',
      'weight_decay: 0.0',
      'logging_steps: 2',
      'save_steps: 2',
      'save_total_limit: 1',
      'seed: 42',
      'use_peft: true',
      'lora_r: 8',
      'lora_alpha: 16',
      'lora_dropout: 0.05',
      'lora_target_modules: [q_proj, v_proj]',
      'max_grad_norm: 1.0',
      'adam_beta2: 0.999',
    ].join('\n') + '\n',
  );
  const r = run(['sft', `--config=${join(setup.dir, 'sft.yaml')}`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!).output, join(out, 'final'));
  const m = metrics(out).filter((x) => 'loss' in x);
  assert.deepEqual(
    m.map((x) => x.step),
    [2, 4],
    'logging_steps: 2 writes steps 2 and 4',
  );
});

test("a TRL GRPOConfig runs unchanged: num_generations, TRL's batch arithmetic, epsilon_high, loss_type, scale_rewards", () => {
  const out = join(setup.dir, 'trl-grpo');
  const prompts = join(setup.dir, 'prompts.jsonl');
  writeFileSync(
    prompts,
    Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `what is ${i} plus ${i}?`, answer: String(2 * i) })).join('\n') + '\n',
  );
  writeFileSync(
    join(setup.dir, 'grpo.yaml'),
    [
      `model_name_or_path: ${modelDir}`,
      `dataset_name: ${prompts}`,
      `output_dir: ${out}`,
      'learning_rate: 1.0e-5',
      'per_device_train_batch_size: 4',
      'gradient_accumulation_steps: 2',
      'num_generations: 4',
      'max_prompt_length: 64',
      'max_completion_length: 8',
      'max_steps: 2',
      'beta: 0.04',
      'epsilon: 0.2',
      'epsilon_high: 0.28',
      'loss_type: dr_grpo',
      'scale_rewards: none',
      'num_iterations: 1',
      'importance_sampling_level: token',
      'mask_truncated_completions: false',
      'temperature: 1.0',
      'top_p: 1.0',
      'logging_steps: 1',
      'seed: 42',
      'reward_funcs: [math]',
      'lr_scheduler_type: constant',
      'warmup_steps: 0',
    ].join('\n') + '\n',
  );
  const r = run(['grpo', `--config=${join(setup.dir, 'grpo.yaml')}`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(join(out, 'log.txt'), 'utf8'), /GRPO: 8 prompts, 2 × G=4 per round/, '4 × 2 completions = 2 prompts of 4');
  assert.equal(metrics(out).length, 2);
});

test('a typo gets a suggestion; --help prints every field; usage errors exit 2', () => {
  const r = run(['sft', '--num_train_epoch=2', '--output_dir=x', `--dataset_name=${setup.data}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown field 'num_train_epoch' \(did you mean 'num_train_epochs'\?\)/);
  const h = run(['grpo', '--help']);
  assert.equal(h.status, 0);
  for (const f of ['num_generations', 'epsilon_high', 'loss_type', 'scale_rewards', 'max_completion_length', 'logging_steps'])
    assert.match(h.stdout, new RegExp(`\\n  ${f}  \\(`), f);
  assert.match(h.stdout, /TRL's default: dapo/);
  assert.equal(run(['sft', 'stray']).status, 2);
  assert.equal(run(['no-such-command']).status, 2);
  assert.match(run(['--version']).stdout, /^posttrain \d+\.\d+\.\d+\n$/);
});
