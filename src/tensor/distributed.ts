// pt.distributed: torch.distributed's default process group over c10d (TCPStore rendezvous hosted
// by rank 0, ProcessGroupGloo), initialised the way torchrun's env:// does it.
//
// Contract:
//  - envRendezvous() reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//    (and torchrun's TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT) (set by torchrun, `posttrain launch`, Slurm scripts and Kubernetes PyTorchJobs); null when
//    WORLD_SIZE is unset, an error naming the variable when one is malformed or missing.
//  - Every collective returns a Promise and waits on a native worker thread; collectives are queued
//    so they are issued in call order even when a caller does not await (the order must be the
//    same on every rank). Tensors passed in are updated in place: do not touch them until the
//    Promise settles.
//  - Failures reject with DistributedError: code 'rendezvous' | 'peer' | 'timeout' | 'collective'
//    | 'config', the ranks found dead, and a message that names them.
//  - Before init (or after destroy) the process is a world of one: rank() 0, worldSize() 1, and the
//    collectives are identities, so single-process code paths call them unconditionally.
import { N } from './native.js';
import type { Handle } from './native.js';
import { Tensor } from './tensor.js';
import { tensor } from './create.js';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';
export type DistributedErrorCode = 'rendezvous' | 'peer' | 'timeout' | 'collective' | 'config';

export class DistributedError extends Error {
  constructor(
    message: string,
    readonly code: DistributedErrorCode,
    readonly deadRanks: readonly number[] = [],
  ) {
    super(message);
    this.name = 'DistributedError';
  }
}

export interface Rendezvous {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's agent hosts the store on MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True): rank 0 connects to it instead of hosting one. */
  agentStore: boolean;
  /** Restarts of an elastic job so far (TORCHELASTIC_RESTART_COUNT): each attempt rendezvouses under its own keys. */
  restartCount: number;
}

/** torchrun's environment, or null when WORLD_SIZE is unset (a plain single-process run). */
export function envRendezvous(env: NodeJS.ProcessEnv = process.env): Rendezvous | null {
  if (env['WORLD_SIZE'] === undefined || env['WORLD_SIZE'] === '') return null;
  const int = (name: string, min: number, dflt?: number): number => {
    const v = env[name];
    if (v === undefined || v === '') {
      if (dflt !== undefined) return dflt;
      throw new DistributedError(
        `environment variable ${name} is not set (WORLD_SIZE is, so this is a distributed launch: set ${name} too)`,
        'config',
      );
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new DistributedError(`environment variable ${name} must be an integer >= ${min}, got '${v}'`, 'config');
    return n;
  };
  const worldSize = int('WORLD_SIZE', 1);
  const rank = int('RANK', 0);
  if (rank >= worldSize) throw new DistributedError(`environment variable RANK=${rank} must be below WORLD_SIZE=${worldSize}`, 'config');
  const masterAddr = env['MASTER_ADDR'];
  if (worldSize > 1 && !masterAddr)
    throw new DistributedError(
      'environment variable MASTER_ADDR is not set (the host of rank 0, where the rendezvous store listens)',
      'config',
    );
  const masterPort = int('MASTER_PORT', 1, worldSize > 1 ? undefined : 29500);
  if (masterPort > 65535)
    throw new DistributedError(`environment variable MASTER_PORT must be a port in [1, 65535], got ${masterPort}`, 'config');
  return {
    rank,
    worldSize,
    localRank: int('LOCAL_RANK', 0, rank),
    localWorldSize: int('LOCAL_WORLD_SIZE', 1, worldSize),
    masterAddr: masterAddr ?? '127.0.0.1',
    masterPort,
    agentStore: env['TORCHELASTIC_USE_AGENT_STORE'] === 'True',
    restartCount: int('TORCHELASTIC_RESTART_COUNT', 0, 0),
  };
}

export interface InitOptions {
  /** How long the rendezvous and each collective may wait, ms (TRL/transformers' `ddp_timeout` is in seconds). Default 1,800,000. */
  timeoutMs?: number;
  /** Where the group comes from: torchrun's environment by default. */
  rendezvous?: Rendezvous;
}

let info: { rank: number; worldSize: number; localRank: number } | null = null;
let queue: Promise<unknown> = Promise.resolve();

function wrapError(e: unknown): DistributedError {
  if (e instanceof DistributedError) return e;
  const err = e as { message?: string; code?: string; deadRanks?: number[] };
  const code = (['rendezvous', 'peer', 'timeout', 'collective'] as const).find((c) => c === err.code) ?? 'collective';
  return new DistributedError(err.message ?? String(e), code, err.deadRanks ?? []);
}

function enqueue<T>(f: () => Promise<T>): Promise<T> {
  const run = queue.then(f, f);
  queue = run.catch(() => undefined);
  return run.catch((e: unknown) => {
    throw wrapError(e);
  });
}

/**
 * Joins the process group described by `rendezvous` (default: the environment). A world of one
 * initialises nothing. Rank 0 hosts the store; the others retry connecting until the timeout.
 */
export async function init(options: InitOptions = {}): Promise<void> {
  const rv = options.rendezvous ?? envRendezvous();
  if (!rv || rv.worldSize === 1) return;
  if (info) throw new DistributedError(`distributed.init: already initialised as rank ${info.rank} of ${info.worldSize}`, 'config');
  const timeoutMs = options.timeoutMs ?? 1_800_000;
  await enqueue(() =>
    N.distInit(rv.rank, rv.worldSize, rv.masterAddr, rv.masterPort, Math.round(timeoutMs), !rv.agentStore, `posttrain/${rv.restartCount}`),
  );
  info = { rank: rv.rank, worldSize: rv.worldSize, localRank: rv.localRank };
}

export function isInitialized(): boolean {
  return info !== null;
}
export function rank(): number {
  return info?.rank ?? 0;
}
export function worldSize(): number {
  return info?.worldSize ?? 1;
}
export function localRank(): number {
  return info?.localRank ?? 0;
}
/** True on rank 0 (and in a single process): the rank that writes files and prints. */
export function isMain(): boolean {
  return rank() === 0;
}

/** Leaves the group (after every queued collective has settled). */
export async function destroy(): Promise<void> {
  await queue;
  if (info) N.distDestroy();
  info = null;
}

const handles = (ts: readonly Tensor[], op: string): Handle[] => ts.map((t) => t.h(op));

/** Reduces `tensors` across ranks in place, in buckets of at most `bucketBytes` (default 25 MiB, DDP's). */
export function allReduce(tensors: readonly Tensor[], op: ReduceOp = 'sum', bucketBytes = 25 << 20): Promise<void> {
  if (!info || tensors.length === 0) return Promise.resolve();
  const hs = handles(tensors, 'distributed.allReduce');
  return enqueue(() => N.distAllReduce(hs, op, bucketBytes));
}

/** Overwrites `tensors` on every rank with rank `root`'s values. */
export function broadcast(tensors: readonly Tensor[], root = 0, bucketBytes = 25 << 20): Promise<void> {
  if (!info || tensors.length === 0) return Promise.resolve();
  const hs = handles(tensors, 'distributed.broadcast');
  return enqueue(() => N.distBroadcast(hs, root, bucketBytes));
}

/** Every rank's `t` (same shape on all ranks), in rank order; new tensors the caller owns. */
export async function allGather(t: Tensor): Promise<Tensor[]> {
  if (!info) return [t.clone()];
  const h = t.h('distributed.allGather');
  const out = await enqueue(() => N.distAllGather(h));
  return out.map((x) => new Tensor(x));
}

export function barrier(): Promise<void> {
  if (!info) return Promise.resolve();
  return enqueue(() => N.distBarrier());
}

/** Reduces plain numbers across ranks (float64 on the wire). */
export async function allReduceNumbers(values: readonly number[], op: ReduceOp = 'sum'): Promise<number[]> {
  if (!info || values.length === 0) return [...values];
  const t = tensor(Float64Array.from(values));
  try {
    await allReduce([t], op);
    return Array.from(t.toFlatArray() as number[]);
  } finally {
    t.dispose();
  }
}

/** Every rank's JSON-serialisable value, in rank order (lengths are gathered first, then padded bytes). */
export async function allGatherObject<T>(value: T): Promise<T[]> {
  if (!info) return [value];
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  const lengths = await allReduceLengths(bytes.length);
  const max = Math.max(...lengths);
  const padded = new Uint8Array(max);
  padded.set(bytes);
  const t = tensor(padded);
  try {
    const parts = await allGather(t);
    return parts.map((p, r) => {
      const raw = Buffer.from((p.toFlatArray() as number[]).slice(0, lengths[r]));
      p.dispose();
      return JSON.parse(raw.toString('utf8')) as T;
    });
  } finally {
    t.dispose();
  }
}

async function allReduceLengths(n: number): Promise<number[]> {
  const mine = new Array<number>(worldSize()).fill(0);
  mine[rank()] = n;
  return allReduceNumbers(mine, 'sum');
}
