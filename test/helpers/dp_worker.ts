// One rank of a data-parallel test, started by test/trainers/data_parallel.test.ts with torchrun's
// environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). argv[2] is a JSON file
// { kind, config } where kind is a trainer (sft, grpo, rm, distill: the config is resolved by its
// schema, GRPO gets the tests' `short` reward) or a collectives check; the result is printed as
// one JSON line on stdout. Without torchrun's environment it is one trainer process (the kill
// tests of test/trainers/kills.test.ts start it that way).
import { readFileSync } from 'node:fs';
import * as pt from '../../src/tensor/index.js';
import { resolveConfig } from '../../src/common/schema.js';
import { trainSft } from '../../src/trainers/sft.js';
import { schemaWithDefaults, type SftConfig } from '../../src/trainers/sft_config.js';
import { trainGrpo } from '../../src/trainers/grpo/train.js';
import { GRPO_SCHEMA } from '../../src/trainers/grpo/config.js';
import { trainRewardModel } from '../../src/trainers/rm.js';
import { RM_SCHEMA } from '../../src/trainers/rm_config.js';
import { trainDistill } from '../../src/trainers/distill.js';
import { DISTILL_SCHEMA } from '../../src/trainers/distill_config.js';

interface Job {
  kind: 'sft' | 'grpo' | 'rm' | 'distill' | 'collectives' | 'die';
  config: Record<string, unknown>;
  /** A second SFT run in the same process after the first (the process group is reused). */
  thenSft?: Record<string, unknown>;
  hooks?: { stopAfterStep?: number };
}

// `node --test dist/test/` loads every file, this one too: without a job file it does nothing
const job = process.argv[2] ? (JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job) : null;
/** The reward of the GRPO tests: shorter completions score higher. */
const short = { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 };

async function collectives(job: Job): Promise<Record<string, unknown>> {
  const D = pt.distributed;
  await D.init({ timeoutMs: Number(job.config['timeout_ms'] ?? 30_000) });
  const r = D.rank();
  // sum / avg / max over mixed sizes and dtypes in small buckets (several buckets, one tensor split across none)
  const a = pt.tensor([r + 1, 10 * (r + 1)]);
  const b = pt.full([300], r + 0.5);
  const c = pt.tensor([r * 3], { dtype: 'float64' });
  await D.allReduce([a, b, c], 'sum', 512);
  const avg = pt.tensor([r * 2 + 1], { dtype: 'float32' });
  await D.allReduce([avg], 'avg');
  const mx = pt.tensor([r, -r]);
  await D.allReduce([mx], 'max');
  const bc = pt.tensor([r, r, r]);
  await D.broadcast([bc], D.worldSize() - 1);
  const gathered = await D.allGather(pt.tensor([r * 10, r * 10 + 1]));
  const objects = await D.allGatherObject({ rank: r, text: 'é'.repeat(r + 1) });
  // the event loop keeps running while a collective waits: rank 0 waits ~400 ms in a barrier
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  if (r !== 0) await new Promise((res) => setTimeout(res, 400));
  await D.barrier();
  clearInterval(timer);
  const out = {
    rank: r,
    worldSize: D.worldSize(),
    sum: [...(a.toFlatArray() as number[]), (b.sum().item() as number) / 300, c.item()],
    avg: avg.item(),
    max: mx.toFlatArray(),
    broadcast: bc.toFlatArray(),
    gathered: gathered.map((t) => t.toFlatArray()),
    objects,
    ticksDuringBarrier: ticks,
  };
  await D.destroy();
  return out;
}

/** Collectives in a loop; the rank named by config.die exits (as if killed) at iteration 3. */
async function die(job: Job): Promise<Record<string, unknown>> {
  const D = pt.distributed;
  await D.init({ timeoutMs: 60_000 });
  const t = pt.ones([1000]);
  for (let i = 0; i < 1000; i++) {
    if (i === 3 && D.rank() === job.config['die']) process.kill(process.pid, 'SIGKILL');
    await D.allReduce([t]);
    await new Promise((res) => setTimeout(res, 20));
  }
  return { finished: true };
}

async function main(job: Job): Promise<unknown> {
  const hooks = { quiet: true, ...(job.hooks ?? {}) };
  switch (job.kind) {
    case 'sft': {
      const first = await trainSft(resolveConfig(schemaWithDefaults({}), job.config, 'dp test', {}) as SftConfig, hooks);
      if (!job.thenSft) return first;
      return trainSft(resolveConfig(schemaWithDefaults({}), job.thenSft, 'dp test', {}) as SftConfig, hooks);
    }
    case 'grpo':
      return trainGrpo(resolveConfig(GRPO_SCHEMA, job.config, 'dp test', {}), { ...hooks, rewardFns: short });
    case 'rm':
      return trainRewardModel(resolveConfig(RM_SCHEMA, job.config, 'dp test', {}), hooks);
    case 'distill':
      return trainDistill(resolveConfig(DISTILL_SCHEMA, job.config, 'dp test', {}), hooks);
    case 'collectives':
      return collectives(job);
    case 'die':
      return die(job);
  }
}

if (job) {
  try {
    process.stdout.write(`${JSON.stringify(await main(job))}\n`);
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: string; deadRanks?: number[] };
    process.stdout.write(
      `${JSON.stringify({ error: { name: err.name, message: err.message, code: err.code, deadRanks: err.deadRanks } })}\n`,
    );
    process.exitCode = 1;
  }
}
