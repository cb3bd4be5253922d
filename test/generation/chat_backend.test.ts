// The chat backends: a local model folder gathers the requests of one tick into batches and
// answers each exactly as a request of its own would be answered (greedy); the remote backend
// reaches `posttrain serve` over loopback with the same answers; openChatBackend picks by the spec
// and names the setting at fault.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, saveModel, loadModel } from '../../src/models/index.js';
import { Tokenizer, applyChatTemplate, type ChatMessage } from '../../src/tokenizer/index.js';
import { generate } from '../../src/generation/index.js';
import { LocalChatBackend, openChatBackend, RemoteChatBackend } from '../../src/generation/chat_backend.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { evaluateMath, evaluateMathWith } from '../../src/eval/evaluate.js';
import { tokenizerFiles } from '../../src/trainers/checkpoint.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
const modelDir = join(setup.dir, 'chat-model');
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
      max_position_embeddings: 256,
    },
    { seed: 9 },
  );
  saveModel(m, modelDir, { tokenizerFiles: tokenizerFiles(setup.tokDir) });
  m.dispose();
}
let server: RunningServer;
before(async () => {
  server = await startServer({ modelDir, port: 0, modelName: 'tiny' });
});
after(async () => {
  await server.close();
  rmSync(setup.dir, { recursive: true, force: true });
});

const conversations: ChatMessage[][] = ['what is 1 plus 2?', 'what is 7 plus 8?', 'spell cat', 'hello'].map((q) => [
  { role: 'user', content: q },
]);

/** One conversation alone through the engine, greedy. */
function alone(messages: ChatMessage[], maxNew: number): { text: string; length: number } {
  const { model } = loadModel(modelDir);
  const tok = Tokenizer.fromDir(modelDir);
  try {
    const [c] = generate(model, [tok.encode(applyChatTemplate(tok, messages, { addGenerationPrompt: true }))], {
      maxNewTokens: maxNew,
      temperature: 0,
      eosTokenIds: tok.eosTokenIds,
      padTokenId: tok.padTokenId ?? 0,
    });
    return {
      text: tok.decode(c!.tokens, { skipSpecialTokens: true }),
      length: c!.tokens.filter((t) => !tok.eosTokenIds.includes(t)).length,
    };
  } finally {
    model.dispose();
  }
}

test('local backend: requests of one tick are batched (3 rows a batch here) and each equals its own greedy answer', async () => {
  const local = LocalChatBackend.fromDir(modelDir, { batchSize: 3 });
  try {
    const results = await Promise.all(conversations.map((messages) => local.chat({ messages, n: 2, maxTokens: 12, temperature: 0 })));
    conversations.forEach((messages, i) => {
      const expected = alone(messages, 12);
      assert.deepEqual(results[i]!.texts, [expected.text, expected.text]);
      assert.deepEqual(results[i]!.lengths, [expected.length, expected.length]);
    });
    const sampled = await local.chat({ messages: conversations[0]!, n: 4, maxTokens: 12, temperature: 1, seed: 3 });
    assert.equal(sampled.texts.length, 4);
    await assert.rejects(local.chat({ messages: conversations[0]!, n: 0, maxTokens: 4, temperature: 0 }), /n must be a positive integer/);
  } finally {
    local.dispose();
  }
});

test('remote backend: posttrain serve over loopback gives the same greedy answers; lengths counted with a local tokenizer', async () => {
  const remote = openChatBackend({ source: `${server.url}/v1`, model: 'tiny', tokenizer: Tokenizer.fromDir(modelDir) });
  assert.ok(remote instanceof RemoteChatBackend);
  const results = await Promise.all(conversations.map((messages) => remote.chat({ messages, maxTokens: 12, temperature: 0 })));
  conversations.forEach((messages, i) => assert.equal(results[i]!.texts[0], alone(messages, 12).text));
  const several = await remote.chat({ messages: conversations[0]!, n: 3, maxTokens: 6, temperature: 1 });
  assert.ok(
    several.lengths.every((l) => typeof l === 'number'),
    'several completions: re-encoded with the local tokenizer',
  );
  const bare = openChatBackend({ source: `${server.url}/v1`, model: 'tiny' });
  const one = await bare.chat({ messages: conversations[0]!, maxTokens: 12, temperature: 0 });
  assert.equal(
    one.lengths[0],
    alone(conversations[0]!, 12).length + (one.finishReasons[0] === 'stop' ? 1 : 0),
    "the server's usage (which counts the end-of-turn token)",
  );
  assert.deepEqual(
    (await bare.chat({ messages: conversations[0]!, n: 2, maxTokens: 4, temperature: 1 })).lengths,
    [null, null],
    'several completions share one usage count: unknown without a tokenizer',
  );
});

test('the math harness through a backend: over posttrain serve it equals evaluateMath on the model in memory', async () => {
  const problems = [
    { question: 'what is 1 plus 2?', answer: '3' },
    { question: 'what is 4 plus 4?', answer: '8' },
    { question: 'what is 2 plus 0?', answer: '2' },
  ];
  const opts = { k: 2, temperature: 1, topP: 1, maxNewTokens: 10, batchSize: 4, seed: 0 };
  const tok = Tokenizer.fromDir(modelDir);
  const { model } = loadModel(modelDir);
  const direct = evaluateMath(model, tok, problems, opts);
  model.dispose();
  const remote = await evaluateMathWith(openChatBackend({ source: `${server.url}/v1`, model: 'tiny', tokenizer: tok }), problems, opts);
  assert.deepEqual(
    remote.items.map((it) => [it.completion, it.correct]),
    direct.items.map((it) => [it.completion, it.correct]),
    'greedy answers and verdicts',
  );
  assert.ok(
    remote.items.every((it, i) => it.length! >= direct.items[i]!.length! && it.length! <= direct.items[i]!.length! + 1),
    "lengths from the server's usage (+1 where it counts the end-of-turn token)",
  );
  assert.equal(remote.greedyAccuracy, direct.greedyAccuracy);
  assert.ok(remote.items.every((it) => it.samples!.correct.length === 2) && remote.pass1 !== null && remote.majAtK !== null);
});

test('openChatBackend: a URL without a model name, a folder that is not a model', () => {
  assert.throws(
    () => openChatBackend({ source: 'http://127.0.0.1:1/v1', field: "config field 'teacher'" }),
    /config field 'teacher': a server URL .* needs the model name/,
  );
  assert.throws(() => openChatBackend({ source: join(setup.dir, 'nothing'), field: '--judge' }), /--judge: cannot load the model folder/);
});
