import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { generate, generateReference, type GenerateOptions } from '../../src/generation/index.js';
import { selectTokens, checkSampling } from '../../src/generation/sampler.js';
import { tinyModel } from '../helpers/models.js';

const prompts = [[1, 2, 3], [5, 6, 7, 8, 9, 10, 11], [12]];

function same(o: GenerateOptions, dtype: pt.DType = 'float64', family: 'llama' | 'qwen2' | 'qwen3' = 'llama') {
  const m = tinyModel(family, 1, dtype);
  const fast = generate(m, prompts, o);
  const slow = generateReference(m, prompts, o);
  m.dispose();
  assert.deepEqual(
    fast.map((c) => c.tokens),
    slow.map((c) => c.tokens),
  );
  assert.deepEqual(
    fast.map((c) => c.finishReason),
    slow.map((c) => c.finishReason),
  );
  fast.forEach((c, i) =>
    c.logprobs.forEach((l, j) => assert.ok(Math.abs(l - slow[i]!.logprobs[j]!) < (dtype === 'float64' ? 1e-9 : 1e-3))),
  );
  return fast;
}

test('KV-cache generation equals the no-cache reference: greedy, every family', () => {
  for (const f of ['llama', 'qwen2', 'qwen3'] as const) {
    const out = same({ maxNewTokens: 10, temperature: 0 }, 'float64', f);
    assert.ok(out.every((c) => c.tokens.length === 10 && c.finishReason === 'length'));
  }
  same({ maxNewTokens: 10, temperature: 0 }, 'float32');
});

test('KV-cache generation equals the reference for seeded sampling with every processor', () => {
  same({ maxNewTokens: 12, temperature: 1, seed: 3 });
  same({ maxNewTokens: 12, temperature: 0.7, topK: 8, topP: 0.9, minP: 0.02, repetitionPenalty: 1.3, seed: 9 });
});

test('EOS and stop strings end sequences early (rows leave the batch) and still match the reference', () => {
  const m = tinyModel('llama', 1, 'float64');
  const free = generate(m, prompts, { maxNewTokens: 12, temperature: 0 });
  m.dispose();
  const eos = free[1]!.tokens[3]!; // a token the second prompt emits at step 4
  const out = same({ maxNewTokens: 12, temperature: 0, eosTokenIds: [eos] });
  assert.equal(out[1]!.finishReason, 'eos');
  assert.equal(out[1]!.tokens.at(-1), eos);
  assert.ok(out[1]!.tokens.length <= 4);
  const detok = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');
  const target = detok(free[0]!.tokens).slice(2, 4); // a two-letter string the first prompt produces
  const stopped = same({ maxNewTokens: 12, temperature: 0, stopStrings: [target], detokenize: detok });
  assert.equal(stopped[0]!.finishReason, 'stop');
  assert.equal(stopped[0]!.stopString, target);
  assert.ok(detok(stopped[0]!.tokens).endsWith(target) || detok(stopped[0]!.tokens).includes(target));
  assert.ok(!detok(stopped[0]!.tokens.slice(0, -1)).includes(target), 'stops at the first token that completes it');
});

test('sampling is seeded: same seed same tokens, another seed other tokens; topK 1 is greedy', () => {
  const m = tinyModel('qwen3', 2);
  const a = generate(m, prompts, { maxNewTokens: 16, seed: 5 });
  const b = generate(m, prompts, { maxNewTokens: 16, seed: 5 });
  const c = generate(m, prompts, { maxNewTokens: 16, seed: 6 });
  assert.deepEqual(
    a.map((x) => x.tokens),
    b.map((x) => x.tokens),
  );
  assert.notDeepEqual(
    a.map((x) => x.tokens),
    c.map((x) => x.tokens),
  );
  const greedy = generate(m, prompts, { maxNewTokens: 8, temperature: 0 });
  const top1 = generate(m, prompts, { maxNewTokens: 8, temperature: 1.5, topK: 1, seed: 1 });
  assert.deepEqual(
    top1.map((x) => x.tokens),
    greedy.map((x) => x.tokens),
  );
  m.dispose();
});

test('per-prompt seeds: the fast engine equals the reference, and a prompt samples the same tokens alone or in any batch', () => {
  const seeds = [11, 22, 33];
  same({ maxNewTokens: 12, temperature: 1, seeds });
  same({ maxNewTokens: 12, temperature: 0.8, topK: 6, topP: 0.9, repetitionPenalty: 1.2, seeds }, 'float32');
  const m = tinyModel('llama', 4, 'float64');
  const all = generate(m, prompts, { maxNewTokens: 10, seeds });
  prompts.forEach((p, i) => {
    const alone = generate(m, [p], { maxNewTokens: 10, seeds: [seeds[i]!] });
    assert.deepEqual(alone[0]!.tokens, all[i]!.tokens, `prompt ${i} alone`);
  });
  const reversed = generate(m, [...prompts].reverse(), { maxNewTokens: 10, seeds: [...seeds].reverse() });
  assert.deepEqual(
    reversed.reverse().map((c) => c.tokens),
    all.map((c) => c.tokens),
  );
  assert.throws(() => generate(m, prompts, { maxNewTokens: 2, seeds: [1] }), /seeds has 1 entries for 3 prompts/);
  m.dispose();
});

test('the inverse-CDF draw of per-row streams follows the distribution (χ² over 4000 draws) and never picks a zero-probability token', () => {
  const probs = [0.5, 0.25, 0.15, 0.1, 0];
  const logits = pt.tensor([probs.map((p) => Math.log(p))]); // (1, 5); the last is -inf
  const counts = new Array<number>(5).fill(0);
  let state = 7;
  for (let i = 0; i < 4000; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const { tokens } = selectTokens(logits, null, checkSampling({}), [state / 4294967296]);
    counts[tokens.item() as number]!++;
    tokens.dispose();
  }
  logits.dispose();
  assert.equal(counts[4], 0);
  const chi2 = probs.slice(0, 4).reduce((x, p, k) => x + (counts[k]! - 4000 * p) ** 2 / (4000 * p), 0);
  assert.ok(chi2 < 16.3, `χ² ${chi2.toFixed(2)} with 3 degrees of freedom (p = 0.001 at 16.3); counts ${counts}`);
  // the edges: u = 0 draws the first token with probability, u → 1 the last
  for (const [u, want] of [
    [0, 1],
    [0.999999, 2],
  ] as const) {
    const l = pt.tensor([[-Infinity, 0, 0, -Infinity]]);
    const { tokens } = selectTokens(l, null, checkSampling({}), [u]);
    assert.equal(tokens.item(), want);
    l.dispose();
    tokens.dispose();
  }
});

test('logprobs are log softmax(logits / T) of the chosen tokens (checked against a full forward)', () => {
  const m = tinyModel('llama', 4, 'float64');
  const [c] = generate(m, [[3, 4, 5]], { maxNewTokens: 4, temperature: 0.5, seed: 2 });
  const ids = pt.tensor([[3, 4, 5, ...c!.tokens.slice(0, -1)]]);
  const lp = pt.noGrad(() => m.forward(ids).div(0.5).logSoftmax(-1)); // (1, T, V)
  c!.tokens.forEach((t, j) => {
    const want = lp
      .select(1, 2 + j)
      .select(0, 0)
      .select(0, t)
      .item() as number;
    assert.ok(Math.abs(want - c!.logprobs[j]!) < 1e-9, `step ${j}: ${want} vs ${c!.logprobs[j]}`);
  });
  m.dispose();
});

test('a cached forward equals the full forward (prefill + decode steps, left padding)', () => {
  const m = tinyModel('qwen2', 3, 'float64');
  pt.noGrad(() => {
    const ids = pt.tensor([
      [0, 0, 7, 8, 9, 10, 11],
      [1, 2, 3, 4, 5, 6, 7],
    ]);
    const mask = pt.tensor(
      [
        [0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1],
      ],
      { dtype: 'bool' },
    );
    const full = m.forward(ids, { attentionMask: mask }); // (2, 7, V)
    const cache = m.newCache(2, 7);
    const pre = m.forward(ids.slice(1, 0, 4), { attentionMask: mask.slice(1, 0, 4), cache });
    const steps = [pre];
    for (let t = 4; t < 7; t++) steps.push(m.forward(ids.slice(1, t, t + 1), { attentionMask: mask.slice(1, 0, t + 1), cache }));
    const inc = pt.cat(steps, 1);
    const valid = mask.unsqueeze(-1);
    assert.ok(inc.maskedFill(valid.logicalNot(), 0).allclose(full.maskedFill(valid.logicalNot(), 0), 1e-10, 1e-10));
    cache.dispose();
  });
  m.dispose();
});

test('bad generation options are refused with the option named', () => {
  const m = tinyModel('llama');
  assert.throws(() => generate(m, [[1]], { maxNewTokens: 0 }), /maxNewTokens/);
  assert.throws(() => generate(m, [[]], { maxNewTokens: 2 }), /prompt 0 is empty/);
  assert.throws(() => generate(m, [[999]], { maxNewTokens: 2 }), /token id 999/);
  assert.throws(() => generate(m, [[1]], { maxNewTokens: 2, topP: 0 }), /topP/);
  assert.throws(() => generate(m, [[1]], { maxNewTokens: 2, temperature: -1 }), /temperature/);
  assert.throws(() => generate(m, [[1]], { maxNewTokens: 2, stopStrings: ['x'] }), /detokenize/);
  m.dispose();
});

test('generation frees everything it allocates', () => {
  const m = tinyModel('llama');
  generate(m, [[1]], { maxNewTokens: 1 }); // warms the rotary frequency cache (kept by design)
  const before = pt.memory().liveTensors;
  generate(m, prompts, { maxNewTokens: 6, temperature: 0.8, repetitionPenalty: 1.2, eosTokenIds: [3] });
  assert.equal(pt.memory().liveTensors, before);
  m.dispose();
});
