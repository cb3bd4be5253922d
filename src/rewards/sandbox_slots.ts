// How many sandboxes may run at once in this process: one queue shared by every caller of
// runSandboxed (GRPO grades a whole round with Promise.all over samples, one run per test), so a
// large round waits for a slot instead of starting every program at once and multiplying the
// per-run memory, tmpfs and process caps by the batch size.
//
// Contract: `acquireSandboxSlot` resolves with a release function once fewer than the limit are
// running; slots are handed out in arrival order. The limit is, in order: the last
// `setSandboxConcurrency(n)`, else the environment variable POSTTRAIN_SANDBOX_CONCURRENCY, else
// os.availableParallelism(). Changing it takes effect for runs not yet started (lowering it never
// stops a running sandbox). A bad value throws an Error naming where it came from.
import { availableParallelism } from 'node:os';

export const SANDBOX_CONCURRENCY_ENV = 'POSTTRAIN_SANDBOX_CONCURRENCY';

let explicitLimit: number | undefined;
let running = 0;
const queue: (() => void)[] = [];

function checkLimit(value: number, source: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${source} must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/** The current limit (see the contract above for where it comes from). */
export function sandboxConcurrency(): number {
  if (explicitLimit !== undefined) return explicitLimit;
  const env = process.env[SANDBOX_CONCURRENCY_ENV];
  if (env !== undefined && env.trim() !== '') {
    if (!/^\s*\d+\s*$/.test(env)) throw new Error(`${SANDBOX_CONCURRENCY_ENV} must be a positive integer, got ${JSON.stringify(env)}`);
    return checkLimit(Number(env), SANDBOX_CONCURRENCY_ENV);
  }
  return availableParallelism();
}

/** Sets the limit for this process; undefined goes back to the environment variable / core count. */
export function setSandboxConcurrency(limit: number | undefined): void {
  explicitLimit = limit === undefined ? undefined : checkLimit(limit, 'setSandboxConcurrency: limit');
  pump();
}

/** Sandboxes running now and waiting for a slot (for logs and tests). */
export function sandboxSlots(): { limit: number; running: number; queued: number } {
  return { limit: sandboxConcurrency(), running, queued: queue.length };
}

function pump(): void {
  let limit = 1;
  try {
    limit = sandboxConcurrency();
  } catch {
    /* the environment variable turned bad mid-run: acquireSandboxSlot reports it to the next caller */
  }
  while (running < limit && queue.length > 0) {
    running++;
    queue.shift()!();
  }
}

/** Waits for a free slot; the returned function gives it back (calling it twice is harmless). */
export async function acquireSandboxSlot(): Promise<() => void> {
  sandboxConcurrency(); // a bad environment value throws here, before queueing
  await new Promise<void>((resolve) => {
    queue.push(resolve);
    pump();
  });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    running--;
    pump();
  };
}
