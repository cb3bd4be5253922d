import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, fitLength, tokenizeExample, tokenizeFull, type Example } from '../../src/data/index.js';
import { makeTokenizerConfig, type ChatMessage } from '../../src/tokenizer/index.js';
import { chatmlTokenizer, chatmlTokenizerWithConfig, CONVERSATION, maskedRuns } from './helpers.js';

const ASSISTANT = CONVERSATION.filter((m) => m.role === 'assistant').map((m) => m.content);

test('messages: the masked tokens decode to exactly the assistant contents, each with <|im_end|>', () => {
  const tokenizer = chatmlTokenizer();
  const out = tokenizeExample({ kind: 'messages', messages: CONVERSATION }, tokenizer)!;
  assert.ok(out.ids instanceof Int32Array && out.lossMask instanceof Uint8Array);
  assert.equal(out.ids.length, out.lossMask.length);
  assert.deepEqual(
    maskedRuns(tokenizer, out.ids, out.lossMask),
    ASSISTANT.map((c) => `${c}<|im_end|>`),
  );
  const masked = [...out.ids].filter((_, i) => out.lossMask[i] === 1);
  assert.equal(tokenizer.decode(masked), ASSISTANT.map((c) => `${c}<|im_end|>`).join(''));
  // No EOS is appended to a chat: its end-of-turn token is the stop signal.
  assert.equal(tokenizer.decode([...out.ids]), CONVERSATION.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join(''));
  // lossOn 'all' trains every token.
  const all = tokenizeExample({ kind: 'messages', messages: CONVERSATION }, tokenizer, { lossOn: 'all' })!;
  assert.deepEqual(all.ids, out.ids);
  assert.ok(all.lossMask.every((m) => m === 1));
});

test('prompt/completion strings: only the completion and EOS are trained; the boundary is exact', () => {
  const tokenizer = chatmlTokenizer();
  const eos = tokenizer.eosTokenIds[0]!;
  const example: Example = { kind: 'prompt_completion', prompt: 'What is the capital of France?', completion: ' Paris.' };
  const out = tokenizeExample(example, tokenizer)!;
  const prompt = tokenizer.encode('What is the capital of France?');
  const completion = tokenizer.encode(' Paris.');
  assert.deepEqual([...out.ids], [...prompt, ...completion, eos]);
  assert.deepEqual([...out.lossMask], [...prompt.map(() => 0), ...completion.map(() => 1), 1]);
  assert.deepEqual(maskedRuns(tokenizer, out.ids, out.lossMask), [' Paris.<|endoftext|>']);
  const noEos = tokenizeExample(example, tokenizer, { addEos: false })!;
  assert.deepEqual([...noEos.ids], [...prompt, ...completion]);
  const all = tokenizeExample(example, tokenizer, { lossOn: 'all' })!;
  assert.ok(all.lossMask.every((m) => m === 1));
});

test('text: every token is trained, EOS appended once', () => {
  const tokenizer = chatmlTokenizer();
  const eos = tokenizer.eosTokenIds[0]!;
  const out = tokenizeExample({ kind: 'text', text: 'The model learns.' }, tokenizer)!;
  assert.deepEqual([...out.ids], [...tokenizer.encode('The model learns.'), eos]);
  assert.ok(out.lossMask.every((m) => m === 1));
  const already = tokenizeExample({ kind: 'text', text: 'The model learns.<|endoftext|>' }, tokenizer)!;
  assert.deepEqual(already.ids, out.ids);
  assert.equal(tokenizeExample({ kind: 'text', text: 'The model learns.' }, tokenizer, { addEos: false })!.ids.length, out.ids.length - 1);
});

test('BOS is prepended to text and string prompts when the tokenizer config asks for it, and never trained', () => {
  const config = makeTokenizerConfig({ bos: '<|im_start|>', eos: '<|endoftext|>' });
  const withBos = chatmlTokenizerWithConfig({ ...config, add_bos_token: true });
  const bos = withBos.bosTokenId!;
  const text = tokenizeExample({ kind: 'text', text: 'Hello there!' }, withBos)!;
  assert.equal(text.ids[0], bos);
  assert.equal(text.lossMask[0], 0);
  const pc = tokenizeExample({ kind: 'prompt_completion', prompt: 'Say hello.', completion: ' Hello there!' }, withBos)!;
  assert.equal(pc.ids[0], bos);
  // makeTokenizerConfig writes add_bos_token: false: no BOS.
  assert.notEqual(tokenizeExample({ kind: 'text', text: 'Hello there!' }, chatmlTokenizerWithConfig(config))!.ids[0], bos);
  // Chats: the template decides, nothing is prepended.
  const chat = tokenizeExample({ kind: 'messages', messages: CONVERSATION.slice(1, 3) }, withBos)!;
  assert.deepEqual(chat.ids, tokenizeExample({ kind: 'messages', messages: CONVERSATION.slice(1, 3) }, chatmlTokenizer())!.ids);
});

test('conversational prompt/completion: only the assistant turns of the completion are trained', () => {
  const tokenizer = chatmlTokenizer();
  const prompt: ChatMessage[] = CONVERSATION.slice(0, 6);
  const completion: ChatMessage[] = CONVERSATION.slice(6);
  const out = tokenizeExample({ kind: 'prompt_completion', prompt, completion }, tokenizer)!;
  assert.deepEqual(maskedRuns(tokenizer, out.ids, out.lossMask), ['You are welcome.<|im_end|>']);
  const whole = tokenizeExample({ kind: 'messages', messages: CONVERSATION }, tokenizer)!;
  assert.deepEqual(out.ids, whole.ids);
  // With generation markers (spans without message indices) the split is where the prompt ends.
  const marked =
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' }}{% if m.role == 'assistant' %}{% generation %}{{ m.content + '<|im_end|>' }}" +
    "{% endgeneration %}{% else %}{{ m.content + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const markedTokenizer = chatmlTokenizerWithConfig(makeTokenizerConfig({ eos: '<|endoftext|>', chatTemplate: marked }));
  const viaMarkers = tokenizeExample({ kind: 'prompt_completion', prompt, completion }, markedTokenizer)!;
  assert.deepEqual(viaMarkers.ids, out.ids);
  assert.deepEqual(viaMarkers.lossMask, out.lossMask);
});

test('length limit: truncate keeps the head, drop drops; truncated to nothing trained is dropped', () => {
  const tokenizer = chatmlTokenizer();
  const example: Example = { kind: 'prompt_completion', prompt: 'Translate to French: good morning', completion: ' bonjour' };
  const full = tokenizeFull(example, tokenizer);
  const n = full.ids.length;
  assert.deepEqual(tokenizeExample(example, tokenizer, { maxLength: n }), full);
  assert.equal(tokenizeExample(example, tokenizer, { maxLength: n - 1, truncation: 'drop' }), null);
  const cut = fitLength(full, n - 1, 'truncate')!;
  assert.equal(cut.truncated, true);
  assert.deepEqual(cut.ids, full.ids.slice(0, n - 1));
  assert.deepEqual(cut.lossMask, full.lossMask.slice(0, n - 1));
  const promptLength = tokenizer.encode('Translate to French: good morning').length;
  assert.equal(tokenizeExample(example, tokenizer, { maxLength: promptLength, truncation: 'truncate' }), null);
  assert.throws(() => fitLength(full, 1, 'truncate'), RangeError);
});

test('an example with nothing to train, or a template that cannot render it, is a DataError', () => {
  const tokenizer = chatmlTokenizer();
  const source = { file: 'f.jsonl', line: 4 };
  assert.throws(
    () => tokenizeExample({ kind: 'prompt_completion', prompt: 'Q', completion: '' }, tokenizer, { addEos: false, source }),
    (e: unknown) => e instanceof DataError && e.line === 4 && /nothing to train on/.test(e.message),
  );
  const raising = chatmlTokenizerWithConfig(
    makeTokenizerConfig({ eos: '<|endoftext|>', chatTemplate: "{{ raise_exception('roles must alternate') }}" }),
  );
  assert.throws(
    () => tokenizeExample({ kind: 'messages', messages: CONVERSATION }, raising, { source }),
    (e: unknown) => e instanceof DataError && e.file === 'f.jsonl' && /chat template: .*roles must alternate/.test(e.message),
  );
  const noEos = chatmlTokenizerWithConfig({ ...makeTokenizerConfig({ eos: '<|endoftext|>' }), eos_token: null });
  assert.throws(() => tokenizeExample({ kind: 'text', text: 'Hi' }, noEos), /no eos_token; pass addEos: false/);
});
