import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer, TokenizerError, DEFAULT_TEMPLATE_NAME } from '../../src/tokenizer/index.js';
import { readJsonFile, realModelDir, realTokenizer, temporaryDir, type RealModel } from './real_tokenizers.js';

const SAMPLES = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog. It said: "don\'t", we\'ll see!',
  '机器学习是人工智能的一个分支。你好，世界！',
  '東京は日本の首都です。ひらがな、カタカナ、漢字。',
  'مرحبا بالعالم، كيف حالك؟',
  'Emoji: 😀👍🏽👨‍👩‍👧 🇯🇵 ❤️',
  'def f(x):\n\tif x > 0:\n\t\treturn x ** 2\n    return -x  # trailing  \n\n}\r\n',
  'Crème brûlée, naïve façade, São Paulo, Ångström, Łódź, Ελληνικά, Русский',
  ' leading and trailing spaces , . ! ?  ',
  '   \n\n\t  ',
  'a<|im_end|>b <|eot_id|> 1234567 3.14159',
];

for (const model of ['qwen3', 'llama3'] as RealModel[]) {
  test(`${model}: multilingual text, code and emoji round-trip exactly`, () => {
    const tokenizer = realTokenizer(model);
    for (const text of SAMPLES) {
      const ids = tokenizer.encode(text);
      assert.ok(ids.length > 0);
      assert.equal(tokenizer.decode(ids), text, `round trip of ${JSON.stringify(text)}`);
    }
  });

  test(`${model}: special tokens from added_tokens encode to their ids, as single tokens`, () => {
    const tokenizer = realTokenizer(model);
    const json = readJsonFile(path.join(realModelDir(model), 'tokenizer.json'));
    const added = json['added_tokens'] as Array<{ id: number; content: string; special: boolean }>;
    for (const token of added.slice(0, 12)) {
      assert.deepEqual(tokenizer.encode(token.content), [token.id], token.content);
      assert.equal(tokenizer.tokenToId(token.content), token.id);
      assert.equal(tokenizer.idToToken(token.id), token.content);
      assert.equal(tokenizer.specialTokenIds.has(token.id), token.special);
    }
    const ids = [...added.map((t) => t.id), ...Object.values((json['model'] as { vocab: Record<string, number> }).vocab)];
    const maxId = ids.reduce((a, b) => Math.max(a, b), -1);
    assert.equal(tokenizer.vocabSize, maxId + 1);
  });
}

test('qwen3: known ids ("Hello world" = Hello + Ġworld) and special-token properties', () => {
  const qwen = realTokenizer('qwen3');
  const vocab = (qwen.tokenizerJson['model'] as { vocab: Record<string, number> }).vocab;
  assert.equal(vocab['Hello'], 9707);
  assert.equal(vocab['\u0120world'], 1879); // Ġ = the byte-level form of a space
  assert.deepEqual(qwen.encode('Hello world'), [9707, 1879]);
  assert.deepEqual(qwen.encode('<|im_start|>user\n'), [151644, qwen.tokenToId('user'), qwen.tokenToId('\u010a')]);
  assert.equal(qwen.vocabSize, 151669);
  assert.equal(qwen.bosTokenId, undefined); // tokenizer_config: "bos_token": null
  assert.deepEqual(qwen.eosTokenIds, [151645]); // <|im_end|>
  assert.equal(qwen.padTokenId, 151643); // <|endoftext|>
  assert.ok(qwen.specialTokenIds.has(151645));
  assert.ok(!qwen.specialTokenIds.has(151667), '<think> is an added token but not special');
  assert.equal(qwen.isByteLevel, true);
  assert.deepEqual(qwen.encode('Hello', { addSpecialTokens: true }), [9707], 'Qwen adds no BOS');
});

test('llama3: known ids and special-token properties', () => {
  const llama = realTokenizer('llama3');
  const vocab = (llama.tokenizerJson['model'] as { vocab: Record<string, number> }).vocab;
  assert.equal(vocab['Hello'], 9906);
  assert.equal(vocab['\u0120world'], 1917);
  assert.deepEqual(llama.encode('Hello world'), [9906, 1917]);
  assert.equal(llama.bosTokenId, 128000);
  assert.equal(llama.tokenToId('<|eot_id|>'), 128009);
  assert.deepEqual(llama.eosTokenIds, [128001]); // this tokenizer_config's eos is <|end_of_text|>
  assert.equal(llama.padTokenId, undefined);
  assert.equal(llama.vocabSize, 128256);
});

test('decode keeps or skips special tokens and never cleans up spaces', () => {
  const qwen = realTokenizer('qwen3');
  const ids = qwen.encode('<|im_start|>user\nhello , world .<|im_end|>\n');
  assert.equal(qwen.decode(ids), '<|im_start|>user\nhello , world .<|im_end|>\n');
  assert.equal(qwen.decode(ids, { skipSpecialTokens: true }), 'user\nhello , world .\n');
  const llama = realTokenizer('llama3'); // its config asks for clean_up_tokenization_spaces
  assert.equal(llama.decode(llama.encode('a , b . c')), 'a , b . c');
  assert.throws(() => qwen.decode([qwen.vocabSize]), /outside the vocabulary/);
  assert.throws(() => qwen.decode([1.5]), /outside the vocabulary/);
  assert.equal(qwen.decode([]), '');
});

test('generation_config eos_token_id lists extend eosTokenIds (fromFiles and fromDir)', () => {
  const llama = realTokenizer('llama3');
  const withGeneration = Tokenizer.fromFiles(llama.tokenizerJson, llama.tokenizerConfig, {
    generationConfig: { eos_token_id: [128001, 128008, 128009] },
  });
  assert.deepEqual(withGeneration.eosTokenIds, [128001, 128008, 128009]);
  const single = Tokenizer.fromFiles(llama.tokenizerJson, llama.tokenizerConfig, { generationConfig: { eos_token_id: 128009 } });
  assert.deepEqual(single.eosTokenIds, [128001, 128009]);
  assert.throws(
    () => Tokenizer.fromFiles(llama.tokenizerJson, llama.tokenizerConfig, { generationConfig: { eos_token_id: [10 ** 9] } }),
    (e: unknown) => e instanceof TokenizerError && e.file === 'generation_config.json' && e.field === 'eos_token_id',
  );

  const dir = temporaryDir('gencfg');
  fs.copyFileSync(path.join(realModelDir('llama3'), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  fs.copyFileSync(path.join(realModelDir('llama3'), 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 128000, eos_token_id: [128001, 128009] }));
  assert.deepEqual(Tokenizer.fromDir(dir).eosTokenIds, [128001, 128009]);
  fs.rmSync(dir, { recursive: true });
});

test('save() writes tokenizer.json and tokenizer_config.json that fromDir reads back identically', () => {
  const qwen = realTokenizer('qwen3');
  const dir = temporaryDir('save');
  qwen.save(dir);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['tokenizer.json', 'tokenizer_config.json']);
  const again = Tokenizer.fromDir(dir);
  for (const text of SAMPLES) assert.deepEqual(again.encode(text), qwen.encode(text));
  assert.deepEqual(again.tokenizerJson, qwen.tokenizerJson);
  assert.deepEqual(again.tokenizerConfig, qwen.tokenizerConfig);
  assert.deepEqual([...again.chatTemplates], [...qwen.chatTemplates]);
  assert.deepEqual(again.eosTokenIds, qwen.eosTokenIds);
  assert.equal(again.padTokenId, qwen.padTokenId);
  assert.deepEqual([...again.specialTokenIds], [...qwen.specialTokenIds]);
  fs.rmSync(dir, { recursive: true });
});

test('chat templates: a list of {name, template}, and chat_template.jinja overriding the default', () => {
  const qwen = realTokenizer('qwen3');
  const named = Tokenizer.fromFiles(qwen.tokenizerJson, {
    ...qwen.tokenizerConfig,
    chat_template: [
      { name: 'default', template: 'D' },
      { name: 'tool_use', template: 'T' },
    ],
  });
  assert.deepEqual(
    [...named.chatTemplates],
    [
      ['default', 'D'],
      ['tool_use', 'T'],
    ],
  );

  const dir = temporaryDir('jinja');
  named.save(dir);
  assert.deepEqual(readJsonFile(path.join(dir, 'tokenizer_config.json'))['chat_template'], [
    { name: 'default', template: 'D' },
    { name: 'tool_use', template: 'T' },
  ]);
  fs.writeFileSync(path.join(dir, 'chat_template.jinja'), 'FROM FILE');
  const fromFile = Tokenizer.fromDir(dir);
  assert.equal(fromFile.chatTemplates.get(DEFAULT_TEMPLATE_NAME), 'FROM FILE');
  assert.equal(fromFile.chatTemplates.get('tool_use'), 'T');

  const out = temporaryDir('jinja-out');
  fromFile.save(out);
  assert.equal(fs.readFileSync(path.join(out, 'chat_template.jinja'), 'utf8'), 'FROM FILE');
  assert.deepEqual(readJsonFile(path.join(out, 'tokenizer_config.json'))['chat_template'], [{ name: 'tool_use', template: 'T' }]);
  assert.deepEqual([...Tokenizer.fromDir(out).chatTemplates].sort(), [...fromFile.chatTemplates].sort());
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(out, { recursive: true });
});

test('errors name the file and the field', () => {
  const qwen = realTokenizer('qwen3');
  const empty = temporaryDir('errors');
  assert.throws(
    () => Tokenizer.fromDir(empty),
    (e: unknown) => e instanceof TokenizerError && e.file === path.join(empty, 'tokenizer.json') && /not found/.test(e.message),
  );
  fs.writeFileSync(path.join(empty, 'tokenizer.json'), '{ not json');
  assert.throws(() => Tokenizer.fromDir(empty), /tokenizer\.json: invalid JSON/);
  fs.rmSync(empty, { recursive: true });

  assert.throws(
    () => Tokenizer.fromFiles(qwen.tokenizerJson, { eos_token: '<|no such token|>' }),
    (e: unknown) => e instanceof TokenizerError && e.file === 'tokenizer_config.json' && e.field === 'eos_token',
  );
  assert.throws(
    () => Tokenizer.fromFiles(qwen.tokenizerJson, { bos_token: 42 }),
    (e: unknown) => e instanceof TokenizerError && e.field === 'bos_token',
  );
  assert.throws(
    () => Tokenizer.fromFiles(qwen.tokenizerJson, { chat_template: { not: 'a template' } }),
    (e: unknown) => e instanceof TokenizerError && e.field === 'chat_template',
  );
  assert.throws(
    () => Tokenizer.fromFiles({ model: 'BPE' }),
    (e: unknown) => e instanceof TokenizerError && e.file === 'tokenizer.json' && e.field === 'model',
  );
  // AddedToken-style special tokens ({content: ...}) are accepted.
  const objectStyle = Tokenizer.fromFiles(qwen.tokenizerJson, { eos_token: { content: '<|im_end|>', __type: 'AddedToken' } });
  assert.deepEqual(objectStyle.eosTokenIds, [151645]);
});
