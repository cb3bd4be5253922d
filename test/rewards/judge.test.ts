// The generative judge: the verdict / score parser on well-formed and malformed outputs, voting,
// and the judge as a reward through a real OpenAI-compatible server (posttrain serve over loopback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseJudgement, combineJudgements, judgeMessages, judgeReward, backendJudge, type Judgement } from '../../src/rewards/judge.js';
import { LocalChatBackend } from '../../src/generation/chat_backend.js';
import { RemoteModel } from '../../src/remote/client.js';
import { startServer } from '../../src/serve/server.js';
import { createModel, saveModel } from '../../src/models/index.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';

test('reference verdicts: the last one counts, in the forms judges write; malformed outputs give null', () => {
  const v = (t: string) => parseJudgement(t, 'reference').score;
  assert.equal(v('Both say 12.\nVerdict: correct'), 1);
  assert.equal(v('The response says 13, the reference 12.\nVerdict: incorrect'), 0);
  assert.equal(v('**Verdict:** Correct'), 1);
  assert.equal(v('verdict: "incorrect".'), 0);
  assert.equal(v('Verdict: [[correct]]'), 1);
  assert.equal(v('Verdict: yes'), 1);
  assert.equal(v('First I thought Verdict: correct, but 13 ≠ 12. Verdict: incorrect'), 0);
  for (const bad of [
    '',
    'The answer looks right to me.',
    'Verdict:',
    'Verdict: maybe',
    'Verdict: correctness is unclear',
    'I would say cor',
  ]) {
    assert.equal(v(bad), null, JSON.stringify(bad));
  }
  const j = parseJudgement('Step 1: compare.\nStep 2: same.\nVerdict: correct', 'reference');
  assert.equal(j.reasoning, 'Step 1: compare.\nStep 2: same.');
});

test('rubric scores: 1..scale mapped to [0, 1]; out of range, fractions over another scale, decimals and missing scores give null', () => {
  const s = (t: string, scale = 10) => parseJudgement(t, 'rubric', scale).score;
  assert.equal(s('Good.\nScore: 10'), 1);
  assert.equal(s('Score: 1'), 0);
  assert.equal(s('Score: 4/10'), 3 / 9);
  assert.equal(s('**Score**: 3', 5), 0.5);
  for (const bad of ['Score: 11', 'Score: 0', 'Score: -3', 'Score: 7/5', 'Score: 7.5', 'Score: seven', 'no score here'])
    assert.equal(s(bad), null, bad);
});

test('votes: majority of verdicts (tie 0.5), mean of scores, unparseable outputs cast no vote, none at all → null', () => {
  const j = (score: number | null): Judgement => ({ score, reasoning: '', raw: '' });
  assert.equal(combineJudgements([j(1), j(1), j(0)], 'reference'), 1);
  assert.equal(combineJudgements([j(1), j(0), j(null), j(0)], 'reference'), 0);
  assert.equal(combineJudgements([j(1), j(0)], 'reference'), 0.5);
  assert.equal(combineJudgements([j(0.5), j(1), j(null)], 'rubric'), 0.75);
  assert.equal(combineJudgements([j(null), j(null)], 'reference'), null);
  assert.throws(() => judgeMessages({ question: 'q', response: 'r' }, 'reference'), /needs a reference/);
  assert.match(judgeMessages({ question: 'q', response: 'r', rubric: 'Be kind.' }, 'rubric')[0]!.content, /Be kind\.[\s\S]*Score: N/);
});

test('a judge served over loopback: k judgements per response, unparseable ones counted, null when no vote, reasoning reported', async () => {
  const setup = makeSftSetup(8);
  const dir = join(setup.dir, 'judge');
  const m = createModel(
    {
      model_type: 'llama',
      vocab_size: setup.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 512,
    },
    { seed: 9 },
  );
  saveModel(m, dir, {
    tokenizerFiles: {
      'tokenizer.json': readFileSync(join(setup.tokDir, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(setup.tokDir, 'tokenizer_config.json')),
    },
  });
  m.dispose();
  const server = await startServer({ modelDir: dir, port: 0, modelName: 'judge' });
  try {
    const remote = new RemoteModel({ baseURL: `${server.url}/v1`, model: 'judge' });
    const seen: number[] = [];
    const reward = judgeReward(
      async (messages, k) => (await remote.chat(messages, { n: k, maxTokens: 16, temperature: 1, seed: 1 })).texts,
      { mode: 'reference', k: 3, onJudged: (_i, js) => seen.push(js.length) },
    );
    // an untrained judge writes no verdict: every judgement unparseable, the reward null
    assert.equal(await reward({ prompt: 'p', completion: 'It is 5.', example: { question: 'What is 2 + 3?', answer: '5' } }), null);
    assert.equal(reward.unparseable(), 3);
    assert.deepEqual(seen, [3]);
    assert.equal(
      await reward({ prompt: 'p', completion: 'x', example: { question: 'q' } }),
      null,
      'reference mode without a reference: cannot judge',
    );
    assert.equal(remote.stats.requests, 1);
  } finally {
    await server.close();
    rmSync(setup.dir, { recursive: true, force: true });
  }
});

test('judgement rows become SFT conversations: the judge prompt, then the reasoning and the verdict or score line; bad rows name the field', async () => {
  const { judgementConversation } = await import('../../src/rewards/judge.js');
  const c = judgementConversation({
    question: 'What is 2 + 3?',
    response: '2 + 3 = 6. \\boxed{6}',
    reference: '5',
    reasoning: '2 + 3 is 5, not 6.',
    verdict: 'incorrect',
  });
  assert.equal(c.length, 3);
  assert.match(c[1]!.content, /Reference answer:\n5[\s\S]*Response:\n2 \+ 3 = 6/);
  assert.equal(c[2]!.content, '2 + 3 is 5, not 6.\nVerdict: incorrect');
  assert.equal(parseJudgement(c[2]!.content, 'reference').score, 0, 'the parser reads back what the judge is taught');
  const r = judgementConversation({ question: 'Say hi', response: 'hi', reasoning: 'Short and polite.', score: 9 });
  assert.equal(parseJudgement(r[2]!.content, 'rubric').score, 8 / 9);
  assert.throws(
    () => judgementConversation({ question: 'q', response: 'r', reference: '1', reasoning: 'x', verdict: undefined }),
    /'verdict' must be/,
  );
  assert.throws(
    () => judgementConversation({ question: 'q', response: 'r', reasoning: 'x', score: 11 }),
    /'score' must be a whole number in 1\.\.10/,
  );
  assert.throws(
    () => judgementConversation({ question: 'q', response: 'r', reference: '1', reasoning: ' ', verdict: true }),
    /'reasoning' must be a non-empty string/,
  );
});

test('backendJudge: each judged conversation samples from its own stream, the same one whatever the order', async () => {
  const setup = makeSftSetup(8);
  try {
    const dir = join(setup.dir, 'judge');
    saveTinyModel(setup, dir, 4);
    const backend = LocalChatBackend.fromDir(dir);
    const ask = backendJudge(backend, { maxTokens: 12, temperature: 1, seed: 3 });
    const conv = (q: string) => [{ role: 'user' as const, content: q }];
    const one = await ask(conv('is 2 plus 2 four?'), 2);
    const [a, b] = await Promise.all([ask(conv('is 3 plus 3 six?'), 2), ask(conv('is 2 plus 2 four?'), 2)]);
    assert.deepEqual(b, one, 'the same conversation gets the same votes alone or beside another');
    // the same question asked of the same seed would draw the same uniforms: the other conversation's
    // votes come from another stream (a shared stream makes every row's votes err together)
    const shared = await new LocalChatBackend(backend['model'], backend['tokenizer']).chat({
      messages: conv('is 3 plus 3 six?'),
      n: 2,
      maxTokens: 12,
      temperature: 1,
      seed: 3,
    });
    assert.notDeepEqual(a, shared.texts, 'a judgement is not drawn from the run seed alone');
    backend.dispose();
  } finally {
    rmSync(setup.dir, { recursive: true, force: true });
  }
});
