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

test('streaming streams: chunks arrive spread over time, and other routes answer while a stream runs', async () => {
  // @ts-expect-error vLLM's ignore_eos: the untrained model's answer runs to max_tokens
  const stream = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 80, stream: true, seed: 3, ignore_eos: true });
  const times: number[] = [];
  const t0 = performance.now();
  let modelsAt = -1;
  const side = (async () => {
    await new Promise((res) => setTimeout(res, 5));
    await client.models.list();
    modelsAt = performance.now() - t0;
  })();
  for await (const chunk of stream) if (chunk.choices[0]?.delta.content) times.push(performance.now() - t0);
  const end = performance.now() - t0;
  await side;
  assert.ok(times.length >= 10, `${times.length} content chunks`);
  assert.ok(times[0]! < end / 2, `first chunk at ${times[0]!.toFixed(0)} ms of ${end.toFixed(0)} ms`);
  assert.ok(
    modelsAt > 0 && modelsAt < end,
    `GET /v1/models answered at ${modelsAt.toFixed(0)} ms, the stream ended at ${end.toFixed(0)} ms`,
  );
});

test('concurrent requests share decoding steps (continuous batching); unseeded requests differ; /health', async () => {
  const health = async () => (await (await fetch(`${server.url}/health`)).json()) as { status: string; steps: number; row_steps: number };
  const h0 = await health();
  assert.equal(h0.status, 'ok');
  const outs = await Promise.all(
    [1, 2, 3, 4].map(() => client.chat.completions.create({ model: 'tiny', messages, max_tokens: 24, temperature: 1 })),
  );
  const h1 = await health();
  const steps = h1.steps - h0.steps,
    rows = h1.row_steps - h0.row_steps;
  assert.ok(rows / steps > 1.5, `${rows} row-steps in ${steps} steps: requests decoded together`);
  const texts = new Set(outs.map((o) => o.choices[0]!.message.content));
  assert.ok(texts.size >= 3, `unseeded requests differ (${texts.size} distinct of 4)`);
});

test('top_logprobs, vLLM sampling extras, and parameters this server cannot honour refused by name', async () => {
  const r = await client.chat.completions.create({
    model: 'tiny',
    messages,
    max_tokens: 5,
    temperature: 0,
    logprobs: true,
    top_logprobs: 3,
  });
  const content = r.choices[0]!.logprobs!.content!;
  for (const t of content) {
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(Math.abs(t.top_logprobs[0]!.logprob - t.logprob) < 1e-5, 'greedy: the sampled token is the most likely');
    assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob);
  }
  const extra = await client.chat.completions.create({
    model: 'tiny',
    messages,
    max_tokens: 5,
    seed: 1,
    // @ts-expect-error vLLM's extra sampling parameters
    top_k: 5,
    min_p: 0.05,
    repetition_penalty: 1.2,
  });
  assert.equal(extra.choices.length, 1);
  const refuse = async (body: Record<string, unknown>, param: string) => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages, ...body }),
    });
    const j = (await res.json()) as { error: { param: string; message: string } };
    assert.equal(res.status, 400, param);
    assert.equal(j.error.param, param);
    assert.match(j.error.message, /not supported by this server/);
  };
  await refuse({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools');
  await refuse({ response_format: { type: 'json_object' } }, 'response_format');
  await refuse({ presence_penalty: 0.5 }, 'presence_penalty');
  await refuse({ frequency_penalty: 1 }, 'frequency_penalty');
  await refuse({ logit_bias: { '5': 10 } }, 'logit_bias');
});

test('a 413 on a keep-alive connection closes it cleanly; the next request succeeds; an overlong prompt is refused by its bytes', async () => {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/v1/chat/completions`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const big = await send(JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] }));
  assert.equal(big.status, 413);
  const t0 = performance.now();
  const ok = await send(JSON.stringify({ model: 'tiny', messages, max_tokens: 3 }));
  assert.equal(ok.status, 200, ok.text);
  assert.ok(performance.now() - t0 < 3000);
  agent.destroy();
  const long = await fetch(`${server.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', prompt: 'word '.repeat(300_000) }),
  });
  assert.equal(long.status, 400);
  assert.match(
    ((await long.json()) as { error: { message: string } }).error.message,
    /bytes: at least \d+ tokens, more than the model's context of 128/,
  );
});

test("vLLM's runtime LoRA routes: load an adapter by path, serve it by name (the merged model's answers), unload it; refused unless allowed", async () => {
  const { trainSft } = await import('../../src/trainers/sft.js');
  const { sftConfig } = await import('../helpers/sft_setup.js');
  const { loadAdapter, mergeLora } = await import('../../src/models/lora.js');
  const run = await trainSft(
    sftConfig(setup, join(setup.dir, 'lora-run'), {
      model_name_or_path: modelDir,
      model_config: null,
      max_steps: 3,
      use_peft: true,
      lora_r: 4,
      learning_rate: 5e-2,
    }),
    { quiet: true },
  );
  const adapterDir = join(run.runDir, 'final-adapter');
  const post = (s: RunningServer, path: string, body: unknown) =>
    fetch(`${s.url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post(server, 'load_lora_adapter', { lora_name: 'a', lora_path: adapterDir })).status, 404, 'off by default');
  const s = await startServer({ modelDir, port: 0, modelName: 'tiny', allowRuntimeLora: true });
  try {
    const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const loaded = await post(s, 'load_lora_adapter', { lora_name: 'math', lora_path: adapterDir });
    assert.equal(loaded.status, 200);
    assert.match(await loaded.text(), /Success: LoRA adapter 'math' added/);
    assert.equal((await post(s, 'load_lora_adapter', { lora_name: 'math', lora_path: adapterDir })).status, 400, 'already loaded');
    const bad = await post(s, 'load_lora_adapter', { lora_name: 'x', lora_path: join(setup.dir, 'nowhere') });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /cannot load the lora adapter/);
    assert.deepEqual(
      (await c.models.list()).data.map((m) => m.id),
      ['tiny', 'math'],
    );
    const viaServer = await c.chat.completions.create({ model: 'math', messages, max_tokens: 8, temperature: 0 });
    const { model } = loadModel(modelDir);
    loadAdapter(model, adapterDir);
    mergeLora(model);
    const tok = Tokenizer.fromDir(modelDir);
    const [g] = generate(model, [tok.encode(applyChatTemplate(tok, messages, { addGenerationPrompt: true }))], {
      maxNewTokens: 8,
      temperature: 0,
      eosTokenIds: tok.eosTokenIds,
    });
    model.dispose();
    const tokens = g!.tokens.filter((t, i) => !(i === g!.tokens.length - 1 && tok.eosTokenIds.includes(t)));
    assert.equal(viaServer.choices[0]!.message.content, tok.decode(tokens, { skipSpecialTokens: true }));
    assert.equal(viaServer.model, 'math');
    const base = await c.chat.completions.create({ model: 'tiny', messages, max_tokens: 8, temperature: 0 });
    assert.notEqual(base.choices[0]!.message.content, viaServer.choices[0]!.message.content, 'the adapter changed the answer');
    assert.equal((await post(s, 'unload_lora_adapter', { lora_name: 'math' })).status, 200);
    await assert.rejects(
      c.chat.completions.create({ model: 'math', messages, max_tokens: 2 }),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
  } finally {
    await s.close();
  }
});

test('dtype: bfloat16 serves weight-only half precision: the greedy answer of the bfloat16-loaded model computed in float32', async () => {
  const half = await startServer({ modelDir, port: 0, modelName: 'tiny', dtype: 'bfloat16' });
  try {
    const c = new OpenAI({ baseURL: `${half.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const r = await c.completions.create({ model: 'tiny', prompt: 'what is 2 plus 3?', max_tokens: 8, temperature: 0 });
    const { model } = loadModel(modelDir, { dtype: 'bfloat16' });
    model.autocast('float32');
    const tok = Tokenizer.fromDir(modelDir);
    const [g] = generate(model, [tok.encode('what is 2 plus 3?')], { maxNewTokens: 8, temperature: 0, eosTokenIds: tok.eosTokenIds });
    assert.equal(r.choices[0]!.text, tok.decode(g!.tokens, { skipSpecialTokens: true }));
    model.dispose();
  } finally {
    await half.close();
  }
});
