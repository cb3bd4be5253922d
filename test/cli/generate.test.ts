// `posttrain generate` and `posttrain chat` run as real child processes on a model folder made here:
// a byte-level BPE tokenizer trained on a small corpus, a tiny random Llama of the same vocabulary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, saveModel, loadModel } from '../../src/models/index.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, applyChatTemplate, CHATML_SPECIAL_TOKENS } from '../../src/tokenizer/index.js';
import { generate } from '../../src/generation/index.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let dir = '';
let modelDir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'posttrain-cli-'));
  modelDir = join(dir, 'model');
  const corpus = Array.from({ length: 200 }, (_, i) => `question ${i}: what is ${i} plus ${i + 1}? the answer is ${2 * i + 1}.`);
  const tokJson = trainByteLevelBpe(corpus, { vocabSize: 320, specialTokens: CHATML_SPECIAL_TOKENS });
  const tokConfig = makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' });
  const tok = Tokenizer.fromFiles(tokJson, tokConfig);
  const model = createModel(
    {
      model_type: 'llama',
      vocab_size: tok.vocabSize,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 512,
    },
    { seed: 3 },
  );
  saveModel(model, modelDir, {
    generationConfig: { eos_token_id: tok.tokenToId('<|im_end|>'), do_sample: false, max_new_tokens: 12 },
    tokenizerFiles: { 'tokenizer.json': JSON.stringify(tokJson), 'tokenizer_config.json': JSON.stringify(tokConfig) },
  });
  model.dispose();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input });

test('generate: JSONL prompts and messages in, completions out, equal to in-process generation', () => {
  const input = join(dir, 'prompts.jsonl');
  const output = join(dir, 'out.jsonl');
  writeFileSync(
    input,
    [
      JSON.stringify({ id: 'a', prompt: 'question 7: what is 7 plus 8?' }),
      '',
      JSON.stringify({ id: 'b', messages: [{ role: 'user', content: 'what is 3 plus 4?' }] }),
      JSON.stringify({ id: 'c', prompt: 'the answer is' }),
    ].join('\n') + '\n',
  );
  const r = run(['generate', `--model=${modelDir}`, `--input=${input}`, `--output=${output}`, '--batch-size=2', '--logprobs']);
  assert.equal(r.status, 0, r.stderr);
  const rows = readFileSync(output, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((x) => x.id),
    ['a', 'b', 'c'],
  );
  const tok = Tokenizer.fromDir(modelDir);
  const { model } = loadModel(modelDir);
  const eos = tok.tokenToId('<|im_end|>')!;
  const prompts = [
    tok.encode('question 7: what is 7 plus 8?'),
    tok.encode(applyChatTemplate(tok, [{ role: 'user', content: 'what is 3 plus 4?' }], { addGenerationPrompt: true })),
  ];
  const want = generate(model, prompts, { maxNewTokens: 12, temperature: 0, eosTokenIds: [eos], padTokenId: tok.padTokenId ?? eos });
  for (let i = 0; i < 2; i++) {
    assert.equal(rows[i].completion, tok.decode(want[i]!.tokens, { skipSpecialTokens: true }));
    assert.equal(rows[i].finish_reason, want[i]!.finishReason);
    assert.equal(rows[i].completion_tokens, want[i]!.tokens.length);
    assert.equal(rows[i].logprobs.length, want[i]!.tokens.length);
  }
  model.dispose();
});

test('generate: a malformed row is reported with file, line and field, and rows before it are kept', () => {
  const input = join(dir, 'bad.jsonl');
  const output = join(dir, 'bad-out.jsonl');
  writeFileSync(input, `${JSON.stringify({ prompt: 'hello' })}\n${JSON.stringify({ messages: [{ role: 'user' }] })}\n`);
  const r = run(['generate', `--model=${modelDir}`, `--input=${input}`, `--output=${output}`, '--batch-size=1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.jsonl:2: field 'messages\[0\]'/);
  assert.equal(readFileSync(output, 'utf8').trim().split('\n').length, 1, 'the finished row is on disk');
  const r2 = run(['generate', `--model=${modelDir}`, `--input=${input}`, '--temperature=-1']);
  assert.match(r2.stderr, /--temperature: field 'temperature' must be >= 0/);
  const r3 = run(['generate', `--model=${join(dir, 'nope')}`, `--input=${input}`]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /nope/);
});

test('chat: each line gets a streamed reply, the conversation carries over, /exit quits', () => {
  const r = run(['chat', `--model=${modelDir}`, '--system=you add numbers'], 'what is 1 plus 2?\nand 2 plus 3?\n/exit\n');
  assert.equal(r.status, 0, r.stderr);
  const replies = r.stdout.split('\n').filter((l) => l.length > 0);
  const tok = Tokenizer.fromDir(modelDir);
  const { model } = loadModel(modelDir);
  const eos = tok.tokenToId('<|im_end|>')!;
  const msgs = [
    { role: 'system', content: 'you add numbers' },
    { role: 'user', content: 'what is 1 plus 2?' },
  ];
  const [first] = generate(model, [tok.encode(applyChatTemplate(tok, msgs, { addGenerationPrompt: true }))], {
    maxNewTokens: 12,
    temperature: 0,
    eosTokenIds: [eos],
  });
  const firstText = tok.decode(
    first!.tokens.filter((t) => t !== eos),
    { skipSpecialTokens: true },
  );
  assert.equal(
    r.stdout.startsWith(firstText + '\n'),
    true,
    `stdout ${JSON.stringify(r.stdout.slice(0, 200))} vs ${JSON.stringify(firstText)}`,
  );
  assert.ok(replies.length >= 1);
  model.dispose();
});
