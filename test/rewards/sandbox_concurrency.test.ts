// Sandbox concurrency: every caller in the process shares one limit on running sandboxes, so a
// round graded with Promise.all queues; the limit comes from setSandboxConcurrency, else
// POSTTRAIN_SANDBOX_CONCURRENCY, else the core count; the timeout starts when a run starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import {
  runSandboxed,
  sandboxConcurrency,
  sandboxSlots,
  setSandboxConcurrency,
  SANDBOX_CONCURRENCY_ENV,
} from '../../src/rewards/sandbox.js';

/** Each run prints its start and end time (ns, the host's realtime clock) around a sleep. */
const SPAN = ['/bin/sh', '-c', 'date +%s%N; sleep 0.4; date +%s%N'];

function maxOverlap(spans: [bigint, bigint][]): number {
  const events = spans.flatMap(([a, b]) => [
    { t: a, d: 1 },
    { t: b, d: -1 },
  ]);
  events.sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : x.d - y.d)); // an end before a start at the same instant
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}

test('concurrency: 7 runs started together with a limit of 2 never run more than 2 at once', async () => {
  setSandboxConcurrency(2);
  try {
    const runs = Array.from({ length: 7 }, () => runSandboxed({ command: SPAN, timeoutMs: 10_000 }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sandboxSlots(), { limit: 2, running: 2, queued: 5 });
    const results = await Promise.all(runs);
    const spans = results.map((r) => {
      assert.equal(r.reason, undefined, JSON.stringify(r));
      const [a, b] = r.stdout.trim().split('\n').map(BigInt);
      return [a!, b!] as [bigint, bigint];
    });
    assert.equal(maxOverlap(spans), 2);
    assert.deepEqual(sandboxSlots(), { limit: 2, running: 0, queued: 0 });
  } finally {
    setSandboxConcurrency(undefined);
  }
});

test('concurrency: the timeout counts from the start of a run, not from its wait in the queue', async () => {
  setSandboxConcurrency(1);
  try {
    const results = await Promise.all(
      [0, 1, 2].map(() => runSandboxed({ command: ['/bin/sh', '-c', 'sleep 0.5; echo done'], timeoutMs: 2500 })),
    );
    for (const r of results) assert.deepEqual([r.stdout, r.reason], ['done\n', undefined]);
  } finally {
    setSandboxConcurrency(undefined);
  }
});

test('concurrency: the limit comes from the call, else the environment variable, else the core count; bad values are refused', async () => {
  const saved = process.env[SANDBOX_CONCURRENCY_ENV];
  try {
    delete process.env[SANDBOX_CONCURRENCY_ENV];
    assert.equal(sandboxConcurrency(), availableParallelism());
    process.env[SANDBOX_CONCURRENCY_ENV] = '3';
    assert.equal(sandboxConcurrency(), 3);
    setSandboxConcurrency(5);
    assert.equal(sandboxConcurrency(), 5);
    setSandboxConcurrency(undefined);
    assert.equal(sandboxConcurrency(), 3);
    process.env[SANDBOX_CONCURRENCY_ENV] = 'lots';
    await assert.rejects(runSandboxed({ command: ['/bin/true'] }), {
      message: 'POSTTRAIN_SANDBOX_CONCURRENCY must be a positive integer, got "lots"',
    });
    process.env[SANDBOX_CONCURRENCY_ENV] = '0';
    assert.throws(() => sandboxConcurrency(), { message: 'POSTTRAIN_SANDBOX_CONCURRENCY must be a positive integer, got 0' });
    assert.throws(() => setSandboxConcurrency(0), { message: 'setSandboxConcurrency: limit must be a positive integer, got 0' });
    assert.throws(() => setSandboxConcurrency(2.5), { message: 'setSandboxConcurrency: limit must be a positive integer, got 2.5' });
  } finally {
    if (saved === undefined) delete process.env[SANDBOX_CONCURRENCY_ENV];
    else process.env[SANDBOX_CONCURRENCY_ENV] = saved;
    setSandboxConcurrency(undefined);
  }
});
