// Continuous batching (src/generation/batcher.ts) against the engine: a request's tokens equal
// generate() with the same per-choice seeds whatever shares its batch; a request submitted while
// another decodes joins at the next step (fewer steps than one after the other); mixed sampling
// settings, stop strings and EOS in one batch; the event loop runs between steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { generate } from '../../src/generation/index.js';
import { ContinuousBatcher, type BatchRequest } from '../../src/generation/batcher.js';
import { tinyModel } from '../helpers/models.js';

const req = (prompt: number[], over: Partial<BatchRequest> = {}): BatchRequest => ({
  prompt,
  n: 1,
  sampling: { temperature: 1 },
  maxNewTokens: 12,
  eosTokenIds: [],
  seeds: [7],
  ...over,
});

const alone = (m: ReturnType<typeof tinyModel>, r: BatchRequest) =>
  generate(
    m,
    Array.from({ length: r.n }, () => r.prompt),
    {
      maxNewTokens: r.maxNewTokens,
      ...r.sampling,
      eosTokenIds: r.eosTokenIds,
      seeds: r.seeds,
      stopStrings: r.stopStrings,
      detokenize: r.detokenize,
    },
  ).map((c) => c.tokens);

test('a request alone, or joining others mid-decode, samples what generate() samples with the same seeds', async () => {
  const m = tinyModel('llama', 3, 'float64').eval();
  const b = new ContinuousBatcher(m);
  const r1 = req([1, 2, 3, 4, 5, 6], { n: 2, seeds: [1, 2], maxNewTokens: 20 });
  const r2 = req([9, 8], { seeds: [3], sampling: { temperature: 0.7, topK: 5 } });
  const r3 = req([4, 4, 4, 4, 4, 4, 4, 4, 4], { seeds: [4], sampling: { temperature: 0 }, maxNewTokens: 6 });
  const p1 = b.submit(r1);
  // the others arrive while r1 is decoding
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  const stepsBefore = b.steps;
  assert.ok(stepsBefore >= 1 && b.active === 2, `r1 is decoding (${stepsBefore} steps, ${b.active} rows)`);
  const [o1, o2, o3] = await Promise.all([p1, b.submit(r2), b.submit(r3)]);
  assert.deepEqual(
    o1!.map((c) => c.tokens),
    alone(m, r1),
  );
  assert.deepEqual(
    o2!.map((c) => c.tokens),
    alone(m, r2),
  );
  assert.deepEqual(
    o3!.map((c) => c.tokens),
    alone(m, r3),
  );
  // shared steps: r1 needs 19 decoding steps after its prefill, r2 11 and r3 5; together fewer than 19 + 11 + 5
  assert.ok(b.steps < 19 + 11 + 5 && b.steps >= 19, `${b.steps} steps`);
  assert.ok(b.rowSteps > b.steps, 'steps decoded several requests at once');
  assert.equal(b.active, 0);
  b.close();
  m.dispose();
});

test('EOS and stop strings end their rows; the rest keep decoding; tokens are reported as they are sampled', async () => {
  const m = tinyModel('qwen2', 2, 'float64').eval();
  const free = alone(m, req([1, 2, 3], { sampling: { temperature: 0 }, maxNewTokens: 12 }))[0]!;
  const eos = free[4]!;
  const detok = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');
  const stop = detok(free).slice(1, 3);
  const b = new ContinuousBatcher(m);
  const seen: number[] = [];
  const [e, s, long] = await Promise.all([
    b.submit(req([1, 2, 3], { sampling: { temperature: 0 }, eosTokenIds: [eos], onToken: (_, t) => seen.push(t) })),
    b.submit(req([1, 2, 3], { sampling: { temperature: 0 }, stopStrings: [stop], detokenize: detok })),
    b.submit(req([5, 6], { seeds: [9], maxNewTokens: 16 })),
  ]);
  assert.equal(e![0]!.finishReason, 'eos');
  assert.equal(e![0]!.tokens.at(-1), eos);
  assert.deepEqual(seen, e![0]!.tokens);
  assert.equal(s![0]!.finishReason, 'stop');
  assert.equal(s![0]!.stopString, stop);
  assert.equal(long![0]!.tokens.length, 16);
  assert.deepEqual(long![0]!.tokens, alone(m, req([5, 6], { seeds: [9], maxNewTokens: 16 }))[0]);
  b.close();
  m.dispose();
});

test('the event loop runs between decoding steps, and the batcher frees what it allocates', async () => {
  const m = tinyModel('llama', 1, 'float32').eval();
  const b = new ContinuousBatcher(m);
  await b.submit(req([1, 2], { maxNewTokens: 2 })); // warm-up: the model's rotary tables are made once and kept
  const before = pt.memory().liveTensors;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const out = await b.submit(req([1, 2, 3], { maxNewTokens: 60 }));
  clearInterval(timer);
  assert.equal(out[0]!.tokens.length, 60);
  assert.ok(ticks >= 5, `timers ran ${ticks} times during 60 steps`);
  assert.equal(pt.memory().liveTensors, before, 'no tensor left behind');
  await assert.rejects(b.submit(req([1], { n: 2, seeds: [1] })), /1 seeds for 2 choices/);
  b.close();
  await assert.rejects(b.submit(req([1])), /closed/);
  m.dispose();
});
