// Data parallelism over real c10d process groups (TCPStore + Gloo on loopback), each rank its own
// Node process: the collectives, rendezvous and dead-rank failures, and every trainer run as 2 ranks
// × batch b against 1 process × batch 2b (loss per step and final weights within 1e-5), through
// `posttrain launch` and through ranks started with torchrun's environment; a rank killed mid-run
// stops the other, and the run resumes from its last checkpoint to the uninterrupted result.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pt from '../../src/tensor/index.js';
import { loadModel } from '../../src/models/index.js';
import { resolveConfig } from '../../src/common/schema.js';
import { trainSft } from '../../src/trainers/sft.js';
import { schemaWithDefaults, type SftConfig } from '../../src/trainers/sft_config.js';
import { trainGrpo } from '../../src/trainers/grpo/train.js';
import { GRPO_SCHEMA } from '../../src/trainers/grpo/config.js';
import { trainRewardModel } from '../../src/trainers/rm.js';
import { RM_SCHEMA } from '../../src/trainers/rm_config.js';
import { loadRewardModel } from '../../src/models/reward_model.js';
import { trainDistill } from '../../src/trainers/distill.js';
import { DISTILL_SCHEMA } from '../../src/trainers/distill_config.js';
import { latestCheckpoint } from '../../src/trainers/checkpoint.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';
import { TINY } from '../helpers/models.js';

const WORKER = fileURLToPath(new URL('../helpers/dp_worker.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const setup = makeSftSetup(48);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = saveTinyModel(setup, join(setup.dir, 'policy'), 3);
const teacherDir = saveTinyModel(setup, join(setup.dir, 'teacher'), 5);
const prompts = join(setup.dir, 'prompts.jsonl');
writeFileSync(
  prompts,
  Array.from({ length: 16 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: 2 * i })).join('\n') + '\n',
);
const pairs = join(setup.dir, 'pairs.jsonl');
writeFileSync(
  pairs,
  Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ prompt: `what is ${i % 7} plus 1? `, chosen: `${(i % 7) + 1}.`, rejected: `${(i % 7) + 3} or so, maybe.` }),
  ).join('\n') + '\n',
);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface RankRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line as JSON, if any. */
  result: Record<string, unknown> | null;
  seconds: number;
}

function runProcess(
  args: string[],
  env: Record<string, string>,
): { pid: number; kill: (s: NodeJS.Signals) => void; done: Promise<RankRun> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<RankRun>((resolve) =>
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let result: Record<string, unknown> | null = null;
      try {
        result = JSON.parse(last) as Record<string, unknown>;
      } catch {
        result = null;
      }
      resolve({ code, signal, stdout, stderr, result, seconds: (performance.now() - t0) / 1000 });
    }),
  );
  return { pid: child.pid!, kill: (s) => child.kill(s), done };
}

function hasTorchrun(): boolean {
  return spawnSync('torchrun', ['--help'], { stdio: 'ignore' }).status === 0;
}

function runCommand(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const rankEnv = (rank: number, world: number, port: number) => ({
  RANK: String(rank),
  WORLD_SIZE: String(world),
  LOCAL_RANK: String(rank),
  MASTER_ADDR: '127.0.0.1',
  MASTER_PORT: String(port),
});

let jobs = 0;
/** Starts `ranks` of the worker on one job (only the ranks listed in `only`, when given). */
async function startRanks(job: Record<string, unknown>, world: number, only?: number[]) {
  const file = join(setup.dir, `job-${jobs++}.json`);
  writeFileSync(file, JSON.stringify(job));
  const port = await freePort();
  return (only ?? Array.from({ length: world }, (_, r) => r)).map((r) => runProcess([WORKER, file], rankEnv(r, world, port)));
}
async function runRanks(job: Record<string, unknown>, world = 2): Promise<RankRun[]> {
  return Promise.all((await startRanks(job, world)).map((p) => p.done));
}

const stepLosses = (dir: string, key = 'loss') =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((m) => m[key] !== undefined)
    .map((m) => m[key]!);

function assertClose(a: readonly number[], b: readonly number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: ${a.length} vs ${b.length} values`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol, `${what} [${i}]: ${x} vs ${b[i]} (tolerance ${tol})`));
}

function assertSameWeights(dirA: string, dirB: string, tol: number, load = (d: string) => loadModel(d).model): void {
  const a = load(dirA),
    b = load(dirB);
  const sb = b.stateDict();
  let worst = 0;
  for (const [k, t] of a.stateDict())
    worst = Math.max(
      worst,
      pt.scope(() => t.sub(sb.get(k)!).abs().max().item() as number),
    );
  a.dispose();
  b.dispose();
  assert.ok(worst <= tol, `final weights differ by up to ${worst} (tolerance ${tol})`);
}

const model_config = { ...TINY.llama, vocab_size: setup.vocab, tie_word_embeddings: true };
const sftJson = (out: string, over: Record<string, unknown> = {}) => ({
  model_config,
  tokenizer: setup.tokDir,
  dataset_name: [setup.data],
  output_dir: join(setup.dir, out),
  max_length: 64,
  max_steps: 4,
  learning_rate: 1e-2,
  adam_epsilon: 1, // AdamW's first steps ≈ lr·g, not lr·sign(g), which flips on rounding noise near 0
  weight_decay: 0,
  ...over,
});

test('pt.distributed over 2 ranks on loopback: allReduce (sum, avg, max, in buckets), broadcast, allGather, objects, barrier; the event loop runs while a rank waits', async () => {
  const runs = await runRanks({ kind: 'collectives', config: {} });
  for (const [r, run] of runs.entries()) {
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const o = run.result!;
    assert.equal(o['rank'], r);
    assert.deepEqual(o['sum'], [3, 30, 2, 3]);
    assert.equal(o['avg'], 2);
    assert.deepEqual(o['max'], [1, 0]);
    assert.deepEqual(o['broadcast'], [1, 1, 1]);
    assert.deepEqual(o['gathered'], [
      [0, 1],
      [10, 11],
    ]);
    assert.deepEqual(o['objects'], [
      { rank: 0, text: 'é' },
      { rank: 1, text: 'éé' },
    ]);
  }
  assert.ok(
    (runs[0]!.result!['ticksDuringBarrier'] as number) >= 10,
    `rank 0's timers ran ${runs[0]!.result!['ticksDuringBarrier']} times during a ~400 ms barrier`,
  );
});

test('a rank that never joins: the rendezvous times out naming it; a rank without rank 0 says it could not reach the store', async () => {
  const [zero] = await startRanks({ kind: 'collectives', config: { timeout_ms: 2000 } }, 2, [0]);
  const z = await zero!.done;
  assert.equal(z.code, 1);
  const e = z.result!['error'] as { code: string; message: string; deadRanks: number[] };
  assert.equal(e.code, 'rendezvous');
  assert.match(e.message, /rendezvous timed out after 2 s at 127\.0\.0\.1:\d+: 1 of 2 ranks joined; missing rank 1/);
  assert.deepEqual(e.deadRanks, [1]);
  assert.ok(z.seconds < 15, `${z.seconds} s`);
  const [one] = await startRanks({ kind: 'collectives', config: { timeout_ms: 2000 } }, 2, [1]);
  const o = await one!.done;
  assert.equal(o.code, 1);
  assert.match(
    (o.result!['error'] as { message: string }).message,
    /rank 1 could not reach the rendezvous store at 127\.0\.0\.1:\d+ \(is rank 0 running/,
  );
});

test("torchrun's environment is read as torchrun sets it; a missing or malformed variable is named", () => {
  const D = pt.distributed;
  assert.equal(D.envRendezvous({}), null);
  assert.deepEqual(
    D.envRendezvous({ WORLD_SIZE: '4', RANK: '3', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500' }),
    {
      rank: 3,
      worldSize: 4,
      localRank: 1,
      localWorldSize: 2,
      masterAddr: 'node0',
      masterPort: 29500,
      agentStore: false,
      restartCount: 0,
    },
  );
  assert.equal(
    D.envRendezvous({ WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: 'a', MASTER_PORT: '1', TORCHELASTIC_USE_AGENT_STORE: 'True' })!.agentStore,
    true,
  );
  assert.throws(() => D.envRendezvous({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '29500' }), /MASTER_ADDR is not set/);
  assert.throws(() => D.envRendezvous({ WORLD_SIZE: '2', MASTER_ADDR: 'a', MASTER_PORT: '29500' }), /RANK is not set/);
  assert.throws(
    () => D.envRendezvous({ WORLD_SIZE: '2', RANK: '2', MASTER_ADDR: 'a', MASTER_PORT: '1' }),
    /RANK=2 must be below WORLD_SIZE=2/,
  );
  assert.throws(() => D.envRendezvous({ WORLD_SIZE: 'two' }), /WORLD_SIZE must be an integer >= 1, got 'two'/);
  assert.throws(
    () => D.envRendezvous({ WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: 'a', MASTER_PORT: '70000' }),
    /MASTER_PORT must be a port/,
  );
  // a single process: identities, no group
  assert.equal(D.worldSize(), 1);
  assert.equal(D.isInitialized(), false);
});

test('a rank killed mid-run: the survivor stops within seconds with an error naming it (also when the killed rank hosts the store)', async () => {
  for (const dead of [1, 0]) {
    const runs = await runRanks({ kind: 'die', config: { die: dead } });
    const killed = runs[dead]!,
      survivor = runs[1 - dead]!;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(survivor.code, 1, survivor.stderr + survivor.stdout);
    const e = survivor.result!['error'] as { code: string; message: string; deadRanks: number[] };
    assert.equal(e.code, 'peer', e.message);
    assert.deepEqual(e.deadRanks, [dead]);
    assert.match(e.message, dead === 1 ? /rank 1 stopped/ : /rank 0 \(or the launcher hosting it\) exited or was killed/);
    assert.ok(survivor.seconds < 20, `the survivor stopped after ${survivor.seconds.toFixed(1)} s`);
  }
});

test('SFT through `posttrain launch`: 2 ranks × 4 rows = 1 process × 8 rows (loss per step, final weights); rank 0 alone writes the run', async () => {
  const one = await trainSft(
    resolveConfig(schemaWithDefaults({}), sftJson('sft-one', { per_device_train_batch_size: 8 }), 't', {}) as SftConfig,
    {
      quiet: true,
    },
  );
  const cfgFile = join(setup.dir, 'sft-two.json');
  writeFileSync(cfgFile, JSON.stringify(sftJson('sft-two', { per_device_train_batch_size: 2, gradient_accumulation_steps: 2 })));
  const launch = await runProcess([MAIN, 'launch', '--nproc-per-node=2', 'sft', `--config=${cfgFile}`], {}).done;
  assert.equal(launch.code, 0, launch.stderr);
  assert.match(launch.stderr, /4 steps of 8 rows \(2 ranks × 4\)/);
  assert.match(launch.stderr, /over 2 ranks \(\d+\.\d% in collectives\)/);
  assert.equal(launch.stdout.trim().split('\n').length, 1, 'one result line (rank 0)');
  const two = join(setup.dir, 'sft-two');
  assertClose(stepLosses(two), stepLosses(one.runDir), 1e-5, 'loss per step');
  assert.equal(stepLosses(two).length, 4, 'each step logged once');
  assertSameWeights(one.finalDir, join(two, 'final'), 1e-5);
  // a failing launch names the failed rank and exits non-zero
  const bad = await runProcess([MAIN, 'launch', '--nproc-per-node=2', '--stop-timeout=2', 'sft', '--config=/nonexistent.yaml'], {}).done;
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /posttrain launch: rank [01] \(pid \d+\) exited with code 1/);
});

test(
  'torchrun --no-python starts the same SFT run unchanged (its agent hosts the store)',
  { skip: !hasTorchrun() && 'torchrun not installed (Debian python3-torch)' },
  async () => {
    const cfgFile = join(setup.dir, 'sft-torchrun.json');
    writeFileSync(cfgFile, JSON.stringify(sftJson('sft-torchrun', { per_device_train_batch_size: 4 })));
    const port = await freePort();
    // torchrun 1.13's flag spelling; --redirects=1 --tee=1 works around Debian 12's (Python 3.11) failing default
    const r = await runCommand('torchrun', [
      '--no_python',
      '--nproc_per_node=2',
      `--master_port=${port}`,
      '--redirects=1',
      '--tee=1',
      process.execPath,
      MAIN,
      'sft',
      `--config=${cfgFile}`,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stderr + r.stdout, /4 steps of 8 rows \(2 ranks × 4\)/);
    assertSameWeights(join(setup.dir, 'sft-two', 'final'), join(setup.dir, 'sft-torchrun', 'final'), 1e-6);
  },
);

test('GRPO: 2 ranks sharing a round of 4 groups = 1 process with the 4 groups (same completions and rewards, loss, weights)', async () => {
  const grpoJson = (out: string) => ({
    model_name_or_path: modelDir,
    dataset_name: [prompts],
    output_dir: join(setup.dir, out),
    num_generations: 4,
    prompts_per_step: 4,
    per_device_train_batch_size: 4,
    max_completion_length: 10,
    learning_rate: 1e-2,
    adam_epsilon: 1,
    max_steps: 3,
    num_iterations: 2,
    beta: 0.04,
    reward_funcs: ['short'],
    seed: 2,
  });
  const short = { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 };
  const one = await trainGrpo(resolveConfig(GRPO_SCHEMA, grpoJson('grpo-one'), 't', {}), { quiet: true, rewardFns: short });
  const runs = await runRanks({ kind: 'grpo', config: grpoJson('grpo-two') });
  for (const r of runs) assert.equal(r.code, 0, r.stderr + r.stdout);
  const two = join(setup.dir, 'grpo-two');
  assert.deepEqual(stepLosses(two, 'reward'), stepLosses(one.runDir, 'reward'), 'the same completions, so the same rewards');
  assert.deepEqual(stepLosses(two, 'completion_length_mean'), stepLosses(one.runDir, 'completion_length_mean'));
  assertClose(stepLosses(two), stepLosses(one.runDir), 1e-5, 'loss per step');
  assertClose(stepLosses(two, 'kl'), stepLosses(one.runDir, 'kl'), 1e-5, 'kl per step');
  assertSameWeights(one.finalDir, join(two, 'final'), 1e-5);
});

test('RM and distillation (with on-policy steps): 2 ranks × b = 1 process × 2b', async () => {
  const rmJson = (out: string, batch: number) => ({
    model_name_or_path: modelDir,
    dataset_name: [pairs],
    output_dir: join(setup.dir, out),
    per_device_train_batch_size: batch,
    max_steps: 3,
    learning_rate: 1e-2,
    adam_epsilon: 1,
    eval_fraction: 0.25,
    max_length: 64,
  });
  const rmOne = await trainRewardModel(resolveConfig(RM_SCHEMA, rmJson('rm-one', 6), 't', {}), { quiet: true });
  for (const r of await runRanks({ kind: 'rm', config: rmJson('rm-two', 3) })) assert.equal(r.code, 0, r.stderr + r.stdout);
  const rmTwo = join(setup.dir, 'rm-two');
  assertClose(stepLosses(rmTwo), stepLosses(rmOne.runDir), 1e-5, 'rm loss per step');
  assertClose(stepLosses(rmTwo, 'eval_accuracy'), stepLosses(rmOne.runDir, 'eval_accuracy'), 1e-9, 'held-out accuracy');
  assertSameWeights(rmOne.finalDir, join(rmTwo, 'final'), 1e-5, (d) => loadRewardModel(d));

  const kdJson = (out: string, batch: number) => ({
    model_name_or_path: modelDir,
    teacher_model_name_or_path: teacherDir,
    tokenizer: setup.tokDir,
    dataset_name: [setup.data],
    output_dir: join(setup.dir, out),
    per_device_train_batch_size: batch,
    max_steps: 4,
    lmbda: 0.5,
    max_new_tokens: 8,
    learning_rate: 1e-2,
    adam_epsilon: 1,
    max_length: 64,
    seed: 3,
  });
  const kdOne = await trainDistill(resolveConfig(DISTILL_SCHEMA, kdJson('kd-one', 8), 't', {}), { quiet: true });
  assert.ok(kdOne.onPolicySteps > 0 && kdOne.onPolicySteps < 4, `${kdOne.onPolicySteps} on-policy steps of 4`);
  for (const r of await runRanks({ kind: 'distill', config: kdJson('kd-two', 4) })) assert.equal(r.code, 0, r.stderr + r.stdout);
  const kdTwo = join(setup.dir, 'kd-two');
  assertClose(stepLosses(kdTwo, 'kd_loss'), stepLosses(kdOne.runDir, 'kd_loss'), 1e-5, 'kd loss per step');
  assertSameWeights(kdOne.finalDir, join(kdTwo, 'final'), 1e-5);
});

test('a DP run killed mid-run: the other rank exits non-zero naming the killed one; the run resumes from its last checkpoint to the uninterrupted weights, under DP and in one process', async () => {
  const over = {
    per_device_train_batch_size: 2,
    max_steps: 120,
    save_steps: 10,
    save_total_limit: 3,
    learning_rate: 3e-3,
    ddp_timeout: 60,
  };
  const whole = await runRanks({ kind: 'sft', config: sftJson('kill-whole', over) });
  for (const r of whole) assert.equal(r.code, 0, r.stderr + r.stdout);

  const out = join(setup.dir, 'kill');
  const ranks = await startRanks({ kind: 'sft', config: sftJson('kill', over) }, 2);
  while (!latestCheckpoint(out) || latestCheckpoint(out)!.step < 20) await new Promise((r) => setTimeout(r, 5));
  ranks[1]!.kill('SIGKILL');
  const [zero, one] = await Promise.all(ranks.map((r) => r.done));
  assert.equal(one!.signal, 'SIGKILL');
  assert.equal(zero!.code, 1, 'rank 0 exits non-zero');
  const e = zero!.result!['error'] as { code: string; message: string };
  assert.equal(e.code, 'peer');
  assert.match(e.message, /rank 1 stopped/);
  assert.ok(zero!.seconds < 60);
  const last = latestCheckpoint(out)!.step;
  assert.ok(last >= 20 && last < 120, `last checkpoint at step ${last}`);
  const single = join(setup.dir, 'kill-single'); // the killed run's folder, to resume in one process below
  cpSync(out, single, { recursive: true });

  // resumed under DP (through posttrain launch): the uninterrupted run's final weights
  const cfgFile = join(setup.dir, 'kill.json');
  writeFileSync(cfgFile, JSON.stringify(sftJson('kill', over)));
  const resumed = await runProcess([MAIN, 'launch', '--nproc-per-node=2', 'sft', `--config=${cfgFile}`], {}).done;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resumed from .*step-0*${last} at step ${last}`));
  assertSameWeights(join(setup.dir, 'kill-whole', 'final'), join(out, 'final'), 1e-6);

  // the DP checkpoint resumed in one process with the same global batch (accumulation × 2)
  assert.equal(latestCheckpoint(single)!.step, last);
  const r = await trainSft(
    resolveConfig(schemaWithDefaults({}), sftJson('kill-single', { ...over, gradient_accumulation_steps: 2 }), 't', {}) as SftConfig,
    { quiet: true },
  );
  assert.equal(r.steps, 120);
  assertSameWeights(join(setup.dir, 'kill-whole', 'final'), r.finalDir, 1e-5);
});

test('two trainers one after the other in the same ranks reuse the process group', async () => {
  const runs = await runRanks({
    kind: 'sft',
    config: sftJson('twice-a', { per_device_train_batch_size: 4, max_steps: 2 }),
    thenSft: sftJson('twice-b', { per_device_train_batch_size: 4, max_steps: 2, seed: 7 }),
  });
  for (const r of runs) assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(stepLosses(join(setup.dir, 'twice-b')).length, 2);
  assert.equal(runs[1]!.result!['steps'], 2);
});

test('commands that are not trainers refuse to run as several ranks', async () => {
  const run = await runProcess([MAIN, 'gen-data', '--help'], {}).done; // help works anywhere
  assert.equal(run.code, 0);
  const refused = await runProcess([MAIN, 'mix', `--data=${setup.data}`, `--output=${join(setup.dir, 'mix.jsonl')}`], rankEnv(0, 2, 29999))
    .done;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /posttrain mix runs as one process, but this one was launched as rank 0 of 2/);
});
