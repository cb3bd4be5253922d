// What a trainer does with an output_dir that already holds a run (trainers/run_start.ts): one
// writer at a time (a lock, a dead holder's lock taken over), resume only with the run's own config
// (changed fields named; config.json keeps the values the run trained with), a finished run re-run
// changes nothing, and a resumed run's metrics hold every step once. SFT is the trainer here; the
// reward-model, distillation and GRPO tests check the cut-back metrics and start-over in their files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainSft } from '../../src/trainers/sft.js';
import { acquireLock } from '../../src/common/run_lock.js';
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';
import { holdLock } from '../helpers/lock_holder.js';
import type { SftConfig } from '../../src/trainers/sft_config.js';

const setup = makeSftSetup(24);
after(() => rmSync(setup.dir, { recursive: true, force: true }));

const cfg = (name: string, over: Partial<SftConfig> = {}) => sftConfig(setup, join(setup.dir, name), { max_steps: 4, ...over });
const read = (name: string, file: string) => readFileSync(join(setup.dir, name, file), 'utf8');
const steps = (name: string) =>
  read(name, 'metrics.jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss?: number })
    .filter((m) => m.loss !== undefined)
    .map((m) => m.step);

test('a finished run re-run with the same config is a no-op that says so and changes nothing', async () => {
  const first = await trainSft(cfg('done'), { quiet: true });
  const files = ['config.json', 'metrics.jsonl', 'log.txt', 'run_state.json', 'final/model.safetensors'];
  const before = files.map((f) => [read('done', f), statSync(join(setup.dir, 'done', f)).mtimeMs]);
  const again = await trainSft(cfg('done'), { quiet: true });
  assert.deepEqual(again, first, 'the stored result comes back');
  assert.deepEqual(
    files.map((f) => [read('done', f), statSync(join(setup.dir, 'done', f)).mtimeMs]),
    before,
    'no file rewritten',
  );
  assert.equal(JSON.parse(read('done', 'run_state.json')).status, 'finished');
});

test('resume refuses a changed config naming each field, and config.json keeps what the run trained with', async () => {
  await trainSft(cfg('changed', { save_steps: 2 }), { quiet: true, stopAfterStep: 3 });
  const config = read('changed', 'config.json');
  await assert.rejects(trainSft(cfg('changed', { save_steps: 2, learning_rate: 1e-3, warmup_ratio: 0 }), { quiet: true }), (e: Error) => {
    assert.match(e.message, /holds a sft run \(newest checkpoint step 2\), started with another config/);
    assert.match(e.message, /learning_rate: 0\.003 → 0\.001/);
    assert.match(e.message, /warmup_ratio: 0\.03 → 0/);
    assert.match(e.message, /resume_with_changed_config: true/);
    return true;
  });
  assert.equal(read('changed', 'config.json'), config);
  assert.deepEqual(steps('changed'), [1, 2, 3], 'metrics untouched by the refused start');
  // fields that only change bookkeeping, and the same global batch split differently, may change
  const r = await trainSft(
    cfg('changed', { save_steps: 1, logging_steps: 1, per_device_train_batch_size: 2, gradient_accumulation_steps: 2 }),
    {
      quiet: true,
    },
  );
  assert.equal(r.steps, 4);
  assert.deepEqual(steps('changed'), [1, 2, 3, 4], 'step 3 of the stopped run cut back and recorded again');
});

test('a changed global batch is refused; resume_with_changed_config continues a finished run with more steps', async () => {
  await trainSft(cfg('extend'), { quiet: true });
  await assert.rejects(
    trainSft(cfg('extend', { per_device_train_batch_size: 8 }), { quiet: true }),
    /global batch: 4 \(1 rank\) → 8 \(1\)/,
  );
  await assert.rejects(trainSft(cfg('extend', { max_steps: 6 }), { quiet: true }), /max_steps: 4 → 6/);
  const r = await trainSft(cfg('extend', { max_steps: 6, resume_with_changed_config: true }), { quiet: true });
  assert.equal(r.steps, 6);
  assert.deepEqual(steps('extend'), [1, 2, 3, 4, 5, 6]);
  assert.equal(JSON.parse(read('extend', 'config.json')).max_steps, 6, 'config.json now says what the run went on with');
  const state = JSON.parse(read('extend', 'run_state.json')) as { starts: { from_step: number; changes: string[] }[] };
  assert.deepEqual(
    state.starts.map((s) => [s.from_step, s.changes]),
    [
      [0, []],
      [4, ['max_steps: 4 → 6']],
    ],
  );
  assert.match(read('extend', 'log.txt'), /resuming with a changed config/);
});

test('a torn metrics line of a killed writer is dropped on resume', async () => {
  await trainSft(cfg('torn', { save_steps: 2 }), { quiet: true, stopAfterStep: 3 });
  appendFileSync(join(setup.dir, 'torn', 'metrics.jsonl'), '{"time":"2026-12-04T00:00:00Z","step":4,"lo');
  await trainSft(cfg('torn', { save_steps: 2 }), { quiet: true });
  assert.deepEqual(steps('torn'), [1, 2, 3, 4]);
  assert.match(read('torn', 'log.txt'), /dropped 2 lines of steps after checkpoint step 2/);
});

test("a second trainer on a live run is refused naming the holder; a killed holder's lock is taken over", async () => {
  const dir = join(setup.dir, 'locked');
  const holder = await holdLock(dir);
  await assert.rejects(
    trainSft(sftConfig(setup, dir, { max_steps: 2 }), { quiet: true }),
    new RegExp(`output_dir is in use by a running process: pid ${holder.pid} on `),
  );
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const r = await trainSft(sftConfig(setup, dir, { max_steps: 2 }), { quiet: true });
  assert.equal(r.steps, 2);
  assert.match(
    readFileSync(join(dir, 'log.txt'), 'utf8'),
    new RegExp(`took over the lock of a process that is gone \\(pid ${holder.pid}\\)`),
  );
  assert.throws(() => statSync(join(dir, '.lock')), /ENOENT/, 'released at the end of the run');
});

test('two runs of one program on one output_dir: the second is refused while the first holds it', () => {
  const dir = join(setup.dir, 'twice');
  const lock = acquireLock(dir, 'output_dir');
  assert.throws(() => acquireLock(dir, 'output_dir'), /already in use by this process/);
  lock.release();
  acquireLock(dir, 'output_dir').release();
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'elsewhere.example', started: 'then', pidStart: null, command: '' }));
  assert.throws(
    () => acquireLock(dir, 'output_dir'),
    /locked by pid 1 on elsewhere\.example since then, another host, which cannot be checked from here; if that run is gone, remove .*\.lock/,
  );
});

test('killed after its last checkpoint but before it was recorded finished: the end-of-run evaluation is logged once', async () => {
  await trainSft(cfg('late', { eval_fraction: 0.2 }), { quiet: true });
  const full = read('late', 'metrics.jsonl');
  // the state a kill leaves between the last checkpoint and the end: final/ half written, not finished
  const state = JSON.parse(read('late', 'run_state.json'));
  writeFileSync(join(setup.dir, 'late', 'run_state.json'), JSON.stringify({ ...state, status: 'running', result: undefined }));
  rmSync(join(setup.dir, 'late', 'final'), { recursive: true });
  const r = await trainSft(cfg('late', { eval_fraction: 0.2 }), { quiet: true });
  assert.equal(r.steps, 4);
  const lines = (t: string) =>
    t
      .trim()
      .split('\n')
      .map((l) => {
        const m = JSON.parse(l);
        delete m.time;
        return m;
      });
  assert.deepEqual(lines(read('late', 'metrics.jsonl')), lines(full), 'the evaluation after the loop appears once, with the same value');
});
