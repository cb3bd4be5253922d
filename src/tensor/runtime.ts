// Process-wide engine settings and facts: thread counts (libtorch intra-op and OpenBLAS's own
// pool), what the linked libtorch supports, and memory numbers that count native tensors.
import { N } from './native.js';
import { ArgumentError, DeviceError } from './errors.js';
import type { Device } from './tensor.js';

export interface ThreadSettings {
  /** libtorch intra-op threads (elementwise kernels, reductions). */
  intraOp?: number;
  /** OpenBLAS threads (matmul). */
  blas?: number;
}

/**
 * Defaults measured on the 2-core reference machine (bench/bench.ts, DESIGN.md): intra-op 1 and
 * OpenBLAS at the core count; 2+2 oversubscribes and halves speed. POSTTRAIN_THREADS and
 * POSTTRAIN_BLAS_THREADS override them.
 */
export function setThreads(s: ThreadSettings): void {
  for (const [k, v] of Object.entries(s)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new ArgumentError('setThreads', `${k} must be a positive integer, got ${v}`);
  }
  N.setThreads(s.intraOp ?? null, s.blas ?? null);
}

export function getThreads(): { intraOp: number; blas: number | null } {
  return N.getThreads();
}

export function buildInfo(): { torchVersion: string; cuda: boolean; cudaDevices: number; openblas: boolean; config: string } {
  return N.buildInfo();
}

/**
 * How the addon set glibc's allocator when it loaded (native/addon.cc configureMalloc): 'retained …'
 * (freed blocks up to 32 MiB stay in the heap and the heap is not trimmed: a training step reuses
 * the last step's pages instead of faulting them in again, ~2x tokens/s on the 2-core machine) or
 * 'system …' (POSTTRAIN_MALLOC=system, or MALLOC_*_ / GLIBC_TUNABLES set by the user).
 */
export function mallocPolicy(): string {
  return N.mallocPolicy();
}

export function cudaAvailable(): boolean {
  return N.buildInfo().cuda;
}

/** The devices the linked libtorch can use: 'cpu', then 'cuda:0' … for each visible GPU. */
export function devices(): Device[] {
  const b = N.buildInfo();
  return ['cpu', ...(b.cuda ? Array.from({ length: b.cudaDevices }, (_, i) => `cuda:${i}`) : [])];
}

/** A device name as libtorch spells a tensor's device: 'cuda' → 'cuda:0'. */
export function normalizeDevice(d: Device): Device {
  return d === 'cuda' ? 'cuda:0' : d;
}

/**
 * Checks a device setting before anything is allocated on it: 'cpu', 'cuda' or 'cuda:N', present in
 * the linked libtorch. `where` names the setting for the message (e.g. "sft config field 'device'").
 */
export function checkDevice(d: Device, where: string): Device {
  if (typeof d !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(d))
    throw new DeviceError(where, `device must be 'cpu', 'cuda' or 'cuda:N', got ${JSON.stringify(d)}`);
  if (d === 'cpu') return d;
  const b = N.buildInfo();
  if (!b.cuda)
    throw new DeviceError(
      where,
      `device '${d}' requested, but the linked libtorch ${b.torchVersion} has no CUDA support (rebuild the addon against one: make -C native LIBTORCH=/path/to/libtorch, as scripts/gpu_check.sh does)`,
    );
  const index = d === 'cuda' ? 0 : Number(d.slice(5));
  if (index >= b.cudaDevices) throw new DeviceError(where, `device '${d}' requested, but libtorch sees ${b.cudaDevices} CUDA device(s)`);
  return d;
}

export interface MemoryStats {
  /** Tensor handles alive in JS (not yet disposed or collected). */
  liveTensors: number;
  /** Distinct storages they hold. */
  liveStorages: number;
  /** Bytes of host (CPU) storage held by live tensors, counted once per storage. */
  hostBytes: number;
  /** Bytes of device storage held by live tensors. */
  deviceBytes: number;
  /** V8's count of external memory (our host bytes are reported into it, so GC sees them). */
  v8ExternalBytes: number;
  /** Process resident set size, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
}

export function memory(): MemoryStats {
  const m = N.memory();
  const p = process.memoryUsage();
  return { ...m, rss: p.rss, heapUsed: p.heapUsed };
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError('threads', `${name} must be a positive integer, got '${v}'`);
  return n;
}

/** Applied once when the tensor layer loads. */
export function applyDefaultThreads(): void {
  setThreads({ intraOp: envInt('POSTTRAIN_THREADS') ?? 1, blas: envInt('POSTTRAIN_BLAS_THREADS') });
}
