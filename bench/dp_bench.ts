// Data parallelism on this machine (issue [5/7]). The SFT trainer on the yardstick model with one
// global batch (8 rows × 256 tokens per step), run two ways with the machine's two cores:
//   1 process, the engine's default threads (OpenBLAS 2: both cores inside each matmul)
//   2 ranks × 1 thread through `posttrain launch` (4 rows each, gradients summed over Gloo)
// in alternating rounds, best of each. Beside it, the gradient all-reduce alone (the yardstick's
// gradient bytes between 2 ranks on loopback, nothing else running) and its share of a DP step,
// the share of the step the trainer itself spent in collectives (including waiting for the slower
// rank), and a projection of scaling efficiency to 8 ranks from the communication volume per step:
// a ring all-reduce sends and receives 2(N−1)/N × the gradient bytes per rank, at the bandwidth
// measured here and at 10 and 100 Gb/s links, with no overlap of communication and compute (as the
// trainers run: the all-reduce follows the backward).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel } from '../src/models/index.js';
import { YARDSTICK_CONFIG } from './llama_engine.js';
import { writeSftBenchData, sftBenchConfig } from './sft_bench.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = resolve(HERE, '../src/cli/main.js');

export interface DpBench {
  single_tokens_per_s: number;
  dp_tokens_per_s: number;
  /** Rank 0's time in collectives as a share of the DP run's loop (waiting for the other rank included). */
  dp_collective_share: number;
  gradient_mib: number;
  allreduce_ms: number;
  latency_ms: number;
  dp_step_ms: number;
  /** The all-reduce alone as a share of a DP step. */
  allreduce_share: number;
  /** Bytes each rank sends (and receives) per second in the measured ring all-reduce. */
  loopback_gbytes_per_s: number;
  projection: { ranks: number; link: string; comm_ms: number; efficiency: number }[];
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;

async function sft(dir: string, ranks: number, steps: number): Promise<{ tokensPerS: number; collectiveShare: number }> {
  const cfg = join(dir, `sft-${ranks}.json`);
  writeFileSync(cfg, JSON.stringify({ ...sftBenchConfig(dir, steps, 8 / ranks), output_dir: join(dir, `run-${ranks}`) }));
  const threads: Record<string, string> = ranks === 1 ? {} : { POSTTRAIN_THREADS: '1', POSTTRAIN_BLAS_THREADS: '1' };
  const args = ranks === 1 ? [MAIN, 'sft', `--config=${cfg}`] : [MAIN, 'launch', `--nproc-per-node=${ranks}`, 'sft', `--config=${cfg}`];
  const r = await run(args, threads);
  if (r.code !== 0) throw new Error(`DP bench: sft with ${ranks} rank(s) failed:\n${r.stderr}`);
  const share = /\((\d+(?:\.\d+)?)% in collectives\)/.exec(r.stderr);
  return { tokensPerS: lastJson(r.stdout)['tokens_per_s']!, collectiveShare: share ? Number(share[1]) / 100 : 0 };
}

export async function runDpBench(rounds = 3, steps = 12): Promise<DpBench> {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-dp-bench-'));
  try {
    writeSftBenchData(dir);
    const singles: number[] = [],
      dps: { tokensPerS: number; collectiveShare: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      singles.push((await sft(dir, 1, steps)).tokensPerS);
      dps.push(await sft(dir, 2, steps));
    }
    const dp = dps.reduce((a, b) => (b.tokensPerS > a.tokensPerS ? b : a));
    const model = createModel(YARDSTICK_CONFIG, { seed: 0 });
    const numel = model.numParameters(true);
    model.dispose();
    const bytes = numel * 4;
    const port = await freePort();
    const env = (rank: number) => ({
      RANK: String(rank),
      WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      POSTTRAIN_THREADS: '1',
      POSTTRAIN_BLAS_THREADS: '1',
    });
    const worker = resolve(HERE, 'dp_allreduce.js');
    const [a] = await Promise.all([0, 1].map((r) => run([worker, String(numel), '10'], env(r))));
    if (a!.code !== 0) throw new Error(`DP bench: all-reduce measurement failed:\n${a!.stderr}`);
    const { allreduce_ms, latency_ms } = lastJson(a!.stdout) as { allreduce_ms: number; latency_ms: number };
    const stepMs = ((8 * 256) / dp.tokensPerS) * 1000;
    const computeMs = stepMs - allreduce_ms;
    // ring all-reduce over N ranks: 2(N−1) steps, each moving bytes/N per rank
    const sent = (n: number) => (2 * (n - 1) * bytes) / n;
    const loopback = sent(2) / (allreduce_ms / 1000); // bytes/s per rank, measured
    const projection: DpBench['projection'] = [];
    for (const [link, bw] of [
      ['loopback (measured)', loopback],
      ['10 Gb/s', 1.25e9],
      ['100 Gb/s', 12.5e9],
    ] as const) {
      for (const n of [2, 4, 8]) {
        const commMs = (sent(n) / bw) * 1000 + 2 * (n - 1) * latency_ms;
        projection.push({ ranks: n, link, comm_ms: commMs, efficiency: computeMs / (computeMs + commMs) });
      }
    }
    return {
      single_tokens_per_s: Math.max(...singles),
      dp_tokens_per_s: dp.tokensPerS,
      dp_collective_share: dp.collectiveShare,
      gradient_mib: bytes / 2 ** 20,
      allreduce_ms,
      latency_ms,
      dp_step_ms: stepMs,
      allreduce_share: allreduce_ms / stepMs,
      loopback_gbytes_per_s: loopback / 1e9,
      projection,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the DP bench's table. */
export function printDpBench(d: DpBench): void {
  console.log('\ndata parallel (SFT trainer, yardstick model, global batch 8 × 256 tokens, best of alternating rounds)');
  console.log(`  1 process, OpenBLAS 2 threads      ${d.single_tokens_per_s.toFixed(0).padStart(8)} tokens/s`);
  console.log(
    `  2 ranks × 1 thread (Gloo)          ${d.dp_tokens_per_s.toFixed(0).padStart(8)} tokens/s  (${(d.dp_tokens_per_s / d.single_tokens_per_s).toFixed(2)}× the single process)`,
  );
  console.log(
    `  gradient all-reduce alone: ${d.gradient_mib.toFixed(1)} MiB in ${d.allreduce_ms.toFixed(1)} ms (latency ${d.latency_ms.toFixed(2)} ms, ${d.loopback_gbytes_per_s.toFixed(2)} GB/s per rank on loopback) = ${(100 * d.allreduce_share).toFixed(1)}% of a ${d.dp_step_ms.toFixed(0)} ms DP step; ` +
      `the trainer's own time in collectives ${(100 * d.dp_collective_share).toFixed(1)}% (waiting for the slower rank included)`,
  );
  console.log('  projected scaling efficiency (compute per rank fixed, ring all-reduce after the backward, no overlap):');
  for (const link of [...new Set(d.projection.map((p) => p.link))]) {
    const ps = d.projection.filter((p) => p.link === link);
    console.log(
      `    ${link.padEnd(20)} ${ps.map((p) => `${p.ranks} ranks ${(100 * p.efficiency).toFixed(0)}% (${p.comm_ms.toFixed(1)} ms)`).join('   ')}`,
    );
  }
}
