// posttrain serve over loopback with the official openai client: chat and text completions,
// streaming, logprobs against the engine itself, bad requests as 4xx with the server staying up,
// concurrent requests all answered, and the bearer token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createModel, saveModel, loadModel } from '../../src/models/index.js';
import { Tokenizer, applyChatTemplate } from '../../src/tokenizer/index.js';
import { generate } from '../../src/generation/index.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
const modelDir = join(setup.dir, 'tiny-chat');
{
  const m = createModel(
    {
      model_type: 'llama',
      vocab_size: setup.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 128,
    },
    { seed: 5 },
  );
  saveModel(m, modelDir, {
    tokenizerFiles: {
      'tokenizer.json': readFileSync(join(setup.tokDir, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(setup.tokDir, 'tokenizer_config.json')),
    },
  });
  m.dispose();
}
let server: RunningServer;
let client: OpenAI;
before(async () => {
  server = await startServer({ modelDir, port: 0, modelName: 'tiny' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.close();
  rmSync(setup.dir, { recursive: true, force: true });
});

const messages = [{ role: 'user' as const, content: 'what is 2 plus 3?' }];

/** What the engine itself produces for the same request (greedy). */
function direct(maxNew: number): { text: string; logprobs: number[] } {
  const { model } = loadModel(modelDir);
  const tok = Tokenizer.fromDir(modelDir);
  const [c] = generate(model, [tok.encode(applyChatTemplate(tok, messages, { addGenerationPrompt: true }))], {
    maxNewTokens: maxNew,
    temperature: 0,
    eosTokenIds: tok.eosTokenIds,
    padTokenId: tok.padTokenId ?? 0,
  });
  model.dispose();
  const tokens = c!.tokens.filter((t, i) => !(i === c!.tokens.length - 1 && tok.eosTokenIds.includes(t)));
  return { text: tok.decode(tokens, { skipSpecialTokens: true }), logprobs: c!.logprobs.slice(0, tokens.length) };
}

test("chat completion: the engine's greedy text, usage, finish reason and sampled-token log-probs", async () => {
  const r = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 12, temperature: 0, logprobs: true });
  const ref = direct(12);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0]!.message.content, ref.text);
  assert.ok(['stop', 'length'].includes(r.choices[0]!.finish_reason));
  const lps = r.choices[0]!.logprobs!.content!.map((x) => x.logprob);
  assert.equal(lps.length, ref.logprobs.length);
  lps.forEach((v, i) => assert.ok(Math.abs(v - ref.logprobs[i]!) < 1e-9));
  assert.ok(
    r.usage!.prompt_tokens > 0 &&
      r.usage!.completion_tokens >= lps.length &&
      r.usage!.total_tokens === r.usage!.prompt_tokens + r.usage!.completion_tokens,
  );
  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['tiny'],
  );
});

test('streaming chat: the deltas add up to the non-streamed text; n = 2 streams both choices; usage at the end', async () => {
  const whole = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 12, temperature: 0 });
  const stream = await client.chat.completions.create({
    model: 'tiny',
    messages,
    max_tokens: 12,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '',
    chunks = 0,
    finish: string | null = null,
    usage = 0;
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage.completion_tokens;
    for (const ch of c.choices) {
      text += ch.delta.content ?? '';
      finish = ch.finish_reason ?? finish;
    }
  }
  assert.equal(text, whole.choices[0]!.message.content);
  assert.ok(chunks >= 3 && finish !== null && usage === whole.usage!.completion_tokens);
  const two = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 8, temperature: 1, n: 2, seed: 3, stream: true });
  const texts = ['', ''];
  for await (const c of two) for (const ch of c.choices) texts[ch.index] += ch.delta.content ?? '';
  const same = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 8, temperature: 1, n: 2, seed: 3 });
  assert.deepEqual(
    texts,
    same.choices.map((c) => c.message.content),
    'seeded sampling: streamed = not streamed',
  );
});

test('text completions: plain prompt, logprobs, stop string removed from the text, streaming', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: 'what is 1 plus', max_tokens: 10, temperature: 0, logprobs: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0]!.logprobs!.tokens!.length, r.choices[0]!.logprobs!.token_logprobs!.length);
  let streamed = '';
  for await (const c of await client.completions.create({
    model: 'tiny',
    prompt: 'what is 1 plus',
    max_tokens: 10,
    temperature: 0,
    stream: true,
  }))
    streamed += c.choices[0]?.text ?? '';
  assert.equal(streamed, r.choices[0]!.text);
  const text = r.choices[0]!.text;
  if (text.length > 2) {
    const stop = text.slice(1, 2);
    const cut = await client.completions.create({ model: 'tiny', prompt: 'what is 1 plus', max_tokens: 10, temperature: 0, stop });
    assert.ok(
      !cut.choices[0]!.text.includes(stop) && text.startsWith(cut.choices[0]!.text),
      `${JSON.stringify(cut.choices[0]!.text)} from ${JSON.stringify(text)} at ${JSON.stringify(stop)}`,
    );
    assert.equal(cut.choices[0]!.finish_reason, 'stop');
  }
});

test('bad requests get 4xx with a message naming the problem, and the server keeps answering', async () => {
  const post = async (path: string, body: string) => {
    const res = await fetch(`${server.url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as { error: { message: string; param: string | null; code: string | null } } };
  };
  const cases: [string, string, number, RegExp][] = [
    ['chat/completions', '{"model": "tiny", "messages": [', 400, /invalid JSON/],
    ['chat/completions', JSON.stringify({ model: 'other', messages }), 404, /model 'other' does not exist/],
    [
      'chat/completions',
      JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'word '.repeat(400) }] }),
      400,
      /context of 128/,
    ],
    ['chat/completions', JSON.stringify({ model: 'tiny', messages, temperature: -1 }), 400, /temperature must be a number in \[0, 2\]/],
    ['chat/completions', JSON.stringify({ model: 'tiny', messages, max_tokens: 0 }), 400, /max_tokens must be an integer/],
    ['chat/completions', JSON.stringify({ model: 'tiny', messages: 'hi' }), 400, /messages must be a non-empty list/],
    ['chat/completions', JSON.stringify({ model: 'tiny', messages: [{ role: 'robot', content: 'x' }] }), 400, /messages\[0\]\.role/],
    ['chat/completions', JSON.stringify({ model: 'tiny', messages, stream: true, max_tokens: 500 }), 400, /context of 128/],
    ['completions', JSON.stringify({ model: 'tiny', prompt: 5 }), 400, /prompt must be a string/],
    ['embeddings', JSON.stringify({ model: 'tiny', input: 'x' }), 404, /no route/],
  ];
  for (const [path, body, status, message] of cases) {
    const r = await post(path, body);
    assert.equal(r.status, status, `${path} ${body.slice(0, 60)}`);
    assert.match(r.body.error.message, message);
  }
  await assert.rejects(
    client.chat.completions.create({ model: 'tiny', messages, top_p: 2 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && /top_p/.test(e.message),
  );
  const ok = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 4 });
  assert.equal(ok.choices.length, 1, 'still serving');
});

test('concurrent requests are all answered (queued), and seeded ones match their sequential answers', async () => {
  const ask = (seed: number) => client.chat.completions.create({ model: 'tiny', messages, max_tokens: 6, temperature: 1, seed });
  const parallel = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(ask));
  assert.equal(parallel.length, 8);
  for (const [i, r] of parallel.entries()) assert.equal(r.choices[0]!.message.content, (await ask(i + 1)).choices[0]!.message.content);
});

test('with a bearer token, requests without it get 401', async () => {
  const locked = await startServer({ modelDir, port: 0, modelName: 'tiny', apiKey: 'sekret' });
  try {
    const wrong = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
    const right = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    assert.equal((await right.models.list()).data[0]!.id, 'tiny');
  } finally {
    await locked.close();
  }
});
