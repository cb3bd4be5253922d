import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pt from '../../src/tensor/index.js';
import { trainSft } from '../../src/trainers/sft.js';
import { latestCheckpoint, listCheckpoints } from '../../src/trainers/checkpoint.js';
import { loadModel } from '../../src/models/index.js';
import { readSafetensors } from '../../src/checkpoint/index.js';
import { resolveConfig, ConfigError } from '../../src/common/schema.js';
import { SFT_SCHEMA } from '../../src/trainers/sft_config.js';
import { kindConfig } from '../../src/cli/kind.js';
import type { SftConfig } from '../../src/trainers/sft_config.js';

const trainConfig = (kind: 'sft' | 'pretrain', args: string[]) => kindConfig(kind, args) as SftConfig;
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';

const setup = makeSftSetup();
after(() => rmSync(setup.dir, { recursive: true, force: true }));

const stepLosses = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.loss !== undefined)
    .map((m) => [m.step, m.loss] as [number, number]);

test('SFT lowers the loss, writes a run folder, and saves an HF model folder', async () => {
  const out = join(setup.dir, 'run-basic');
  const r = await trainSft(sftConfig(setup, out, { num_train_epochs: 3, eval_fraction: 0.1 }), { quiet: true });
  const losses = stepLosses(out);
  assert.equal(losses.length, r.steps);
  assert.ok(losses.at(-1)![1] < losses[0]![1] * 0.7, `loss ${losses[0]![1]} → ${losses.at(-1)![1]}`);
  assert.ok(r.evalLoss !== null && Number.isFinite(r.evalLoss));
  for (const f of ['config.json', 'config.txt', 'metrics.jsonl', 'log.txt']) assert.ok(existsSync(join(out, f)), f);
  const m = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]!);
  for (const k of ['loss', 'lr', 'grad_norm', 'tokens_per_s', 'tokens_seen']) assert.ok(k in m, k);
  const { model } = loadModel(r.finalDir);
  assert.ok(existsSync(join(r.finalDir, 'tokenizer.json')));
  model.dispose();
});

test('resume from a mid-run checkpoint reproduces the uninterrupted loss curve exactly', async () => {
  const a = join(setup.dir, 'run-a'),
    b = join(setup.dir, 'run-b');
  const over = { max_steps: 8, save_steps: 3, save_total_limit: 3, use_peft: false };
  await trainSft(sftConfig(setup, a, over), { quiet: true });
  await trainSft(sftConfig(setup, b, over), { quiet: true, stopAfterStep: 4 }); // "killed" after step 4; last checkpoint: 3
  assert.equal(latestCheckpoint(b)!.step, 3);
  await trainSft(sftConfig(setup, b, over), { quiet: true }); // resumes at 3
  const la = new Map(stepLosses(a));
  const lb = stepLosses(b);
  assert.deepEqual(
    lb.map(([s]) => s),
    [1, 2, 3, 4, 5, 6, 7, 8],
    'each step once: step 4 of the killed run was cut back when resuming at 3, and recorded again',
  );
  for (const [s, l] of lb) assert.equal(l, la.get(s), `step ${s}: ${l} vs ${la.get(s)}`);
});

test('gradient accumulation normalises by tokens: 2 × 4 rows equals 1 × 8 rows', async () => {
  // eps = 1 makes AdamW's first update ≈ lr·g (instead of lr·sign(g), which flips on rounding noise)
  const same = { max_steps: 1, max_grad_norm: 0, adam_epsilon: 1, weight_decay: 0 };
  const one = await trainSft(
    sftConfig(setup, join(setup.dir, 'acc1'), { ...same, per_device_train_batch_size: 8, gradient_accumulation_steps: 1 }),
    { quiet: true },
  );
  const two = await trainSft(
    sftConfig(setup, join(setup.dir, 'acc2'), { ...same, per_device_train_batch_size: 4, gradient_accumulation_steps: 2 }),
    { quiet: true },
  );
  assert.ok(Math.abs(one.finalLoss - two.finalLoss) < 1e-5, `${one.finalLoss} vs ${two.finalLoss}`);
  const a = loadModel(one.finalDir).model.stateDict(),
    b = loadModel(two.finalDir).model.stateDict();
  for (const [k, t] of a) assert.ok(t.allclose(b.get(k)!, 1e-5, 1e-8), k);
});

test('LoRA SFT trains only adapters and saves the merged model and the PEFT adapter', async () => {
  const out = join(setup.dir, 'lora');
  const r = await trainSft(sftConfig(setup, out, { use_peft: true, lora_r: 4, max_steps: 3, learning_rate: 1e-2 }), { quiet: true });
  assert.ok(existsSync(join(out, 'final-adapter', 'adapter_model.safetensors')));
  const names = readSafetensors(join(out, 'final-adapter', 'adapter_model.safetensors')).tensors;
  assert.ok([...names.keys()].every((k) => k.startsWith('base_model.model.') && k.includes('.lora_')));
  const { model } = loadModel(r.finalDir);
  assert.ok(!model.namedParameters().some(([k]) => k.includes('lora')));
  model.dispose();
});

test('a process killed while writing a checkpoint leaves the previous checkpoint loadable', async () => {
  const out = join(setup.dir, 'killed');
  const cfgFile = join(setup.dir, 'killed.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({ ...sftConfig(setup, out, { max_steps: 50, save_steps: 2, save_total_limit: 5, resume_with_changed_config: true }) }),
  );
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const ckRoot = join(out, 'checkpoints');
  const pausedAt = async (): Promise<string> => {
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const tmp = existsSync(ckRoot)
        ? readdirSync(ckRoot).find((n) => n.startsWith('.tmp-step-') && existsSync(join(ckRoot, n, '.paused')))
        : undefined;
      if (tmp) return tmp;
    }
    throw new Error('the child never reached a checkpoint write');
  };
  // complete checkpoints 1 and 2, then a child resumes (with more max_steps), trains to step 4 and is SIGKILLed halfway
  // through writing checkpoint 4 (the test hook pauses it there)
  await trainSft(sftConfig(setup, out, { max_steps: 2, save_steps: 1, save_total_limit: 5 }), { quiet: true });
  const before = latestCheckpoint(out)!;
  assert.equal(before.step, 2);
  const child = spawn(process.execPath, [cli, 'sft', `--config=${cfgFile}`], {
    env: { ...process.env, POSTTRAIN_TEST_CHECKPOINT_PAUSE_MS: '20000' },
    stdio: 'ignore',
  });
  const tmp = await pausedAt();
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.ok(existsSync(join(ckRoot, tmp)), 'the half-written checkpoint is in its temp folder');
  const latest = latestCheckpoint(out)!; // also removes the dead process's temp folder
  assert.equal(latest.step, 2, 'the half-written checkpoint does not count');
  assert.ok(!existsSync(join(ckRoot, tmp)), "the dead writer's temp folder was cleaned");
  const { model } = loadModel(latest.dir);
  const opt = readSafetensors(join(latest.dir, 'optimizer.safetensors'));
  assert.ok(opt.tensors.size > 0);
  model.dispose();
  for (const t of opt.tensors.values()) t.dispose();
  assert.deepEqual(
    listCheckpoints(out).map((c) => c.step),
    [1, 2],
  );
});

test('config: every bad field is reported at once, with where it came from', () => {
  try {
    resolveConfig(SFT_SCHEMA, { dataset_name: ['x.jsonl'], output_dir: 'o', max_length: 'long', bogus: 1, epoch: 2 }, 'run.yaml', {
      learning_rate: 'fast',
      lr_scheduler_type: 'everything',
    });
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const msg = (e as Error).message;
    assert.match(msg, /run\.yaml: unknown field 'bogus'/);
    assert.match(msg, /run\.yaml: unknown field 'epoch' \(did you mean 'num_train_epochs'\?\)/);
    assert.match(msg, /run\.yaml: field 'max_length' must be a number/);
    assert.match(msg, /--learning_rate: field 'learning_rate' must be a number/);
    assert.match(msg, /--lr_scheduler_type: field 'lr_scheduler_type' must be one of cosine \| linear \| constant/);
    assert.equal((e as ConfigError).problems.length, 5);
  }
  assert.throws(() => trainConfig('sft', ['--output-dir=o']), /field 'dataset_name'/);
  const c = trainConfig('pretrain', ['--dataset-name=a.jsonl,b.jsonl', '--output_dir', 'o', '--max-length=128']);
  assert.deepEqual(c.dataset_name, ['a.jsonl', 'b.jsonl']);
  assert.equal(c.max_length, 128);
  assert.equal(c.completion_only_loss, false, 'pretrain defaults');
});

test('malformed training data stops the run with file and line, or is skipped and counted', async () => {
  const bad = join(setup.dir, 'bad.jsonl');
  writeFileSync(bad, readFileSync(setup.data, 'utf8') + '{"messages": [{"role": "user", "content": 5}]}\n{not json\n');
  const out = join(setup.dir, 'bad-run');
  await assert.rejects(trainSft(sftConfig(setup, out, { dataset_name: [bad], max_steps: 1 }), { quiet: true }), /bad\.jsonl:49/);
  const r = await trainSft(sftConfig(setup, join(setup.dir, 'skip-run'), { dataset_name: [bad], max_steps: 1, error_policy: 'skip' }), {
    quiet: true,
  });
  assert.equal(r.steps, 1);
  const log = readFileSync(join(setup.dir, 'skip-run', 'log.txt'), 'utf8');
  assert.match(log, /2 skipped/);
  assert.match(log, /bad\.jsonl:50/);
});

void pt;
