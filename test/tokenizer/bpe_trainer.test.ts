import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  applyChatTemplate,
  byteLevelToBytes,
  CHATML_SPECIAL_TOKENS,
  makeTokenizerConfig,
  renderChatForTraining,
  Tokenizer,
  trainByteLevelBpe,
  type JsonObject,
} from '../../src/tokenizer/index.js';
import { maskedRuns, temporaryDir } from './real_tokenizers.js';
import { random } from '../helpers/random.js';

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her she there been one all we their has would when if so no what up out who them some into more time only ' +
  'model token train learn loss gradient layer attention weight batch value reward policy sample'
).split(' ');
const EXTRAS = ['数据', '模型', '训练', 'café', 'naïve', 'Zürich', '東京', '—', '…', '42', '3.14', 'x_1', '()', '{}', '=>'];

/** A small synthetic corpus: English-like sentences with numbers, punctuation, code and CJK. */
function corpus(lines: number, seed = 1): string[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const words: string[] = [];
    const n = 4 + Math.floor(rnd() * 14);
    for (let j = 0; j < n; j++) words.push(rnd() < 0.08 ? pick(EXTRAS) : rnd() < 0.05 ? String(Math.floor(rnd() * 10000)) : pick(WORDS));
    let line = words.join(' ');
    line = line[0]!.toUpperCase() + line.slice(1) + pick(['.', '!', '?', ':', ';']);
    if (rnd() < 0.1) line = `\tif (x > ${i}) {\n\t\treturn ${pick(WORDS)};\n\t}`;
    out.push(line + '\n');
  }
  return out;
}

const TEXTS = corpus(3000);
const VOCAB_SIZE = 1000;
let trained: JsonObject | undefined;
function trainedJson(): JsonObject {
  trained ??= trainByteLevelBpe(TEXTS, { vocabSize: VOCAB_SIZE, specialTokens: CHATML_SPECIAL_TOKENS });
  return trained;
}
function trainedTokenizer(): Tokenizer {
  return Tokenizer.fromFiles(trainedJson(), makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }));
}

const UNSEEN = [
  'Ünïcödé nöt in the corpus: Ελληνικά, Русский, עברית, हिन्दी, ไทย',
  'emoji 😀👍🏽👨‍👩‍👧🇯🇵 and symbols ∮ ∞ ≠ ≤ ← ℤ',
  'control \u0000\u0001\u007f bytes, tabs\t\tand\r\nCRLF',
  '   leading and trailing   ',
  'the model learns 1234567890 tokens.',
];

test('the trained tokenizer.json loads in @huggingface/tokenizers, with the requested vocabulary size', () => {
  const json = trainedJson();
  const tokenizer = trainedTokenizer();
  const model = json['model'] as { type: string; vocab: Record<string, number>; merges: string[] };
  assert.equal(model.type, 'BPE');
  assert.equal(tokenizer.vocabSize, VOCAB_SIZE);
  assert.equal(Object.keys(model.vocab).length, VOCAB_SIZE - CHATML_SPECIAL_TOKENS.length);
  assert.equal(model.merges.length, VOCAB_SIZE - CHATML_SPECIAL_TOKENS.length - 256);
  assert.equal(tokenizer.isByteLevel, true);
  // Every merge joins two existing tokens into an existing token with a later id.
  for (const merge of model.merges) {
    const [left, right, ...rest] = merge.split(' ');
    assert.equal(rest.length, 0);
    const merged = model.vocab[left! + right!];
    assert.ok(merged !== undefined && merged > model.vocab[left!]! && merged > model.vocab[right!]!, merge);
  }
  // The 256 byte tokens come first, in byte order.
  for (let b = 0; b < 256; b++) assert.deepEqual([...byteLevelToBytes(tokenizer.idToToken(b)!)!], [b]);
});

test('encode/decode round-trips corpus text and unseen characters (byte fallback through the byte alphabet)', () => {
  const tokenizer = trainedTokenizer();
  for (const text of [...TEXTS.slice(0, 50), ...UNSEEN]) assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  const sample = TEXTS.slice(0, 200).join('');
  const ids = tokenizer.encode(sample);
  assert.ok(
    ids.length < 0.4 * Buffer.byteLength(sample),
    `merges compress the corpus (${ids.length} tokens for ${Buffer.byteLength(sample)} bytes)`,
  );
  assert.ok(tokenizer.encode('emoji 😀').length >= 4, 'the unseen emoji is spelled in byte tokens');
});

test('special tokens are single ids after the learned vocabulary, also inside text', () => {
  const tokenizer = trainedTokenizer();
  CHATML_SPECIAL_TOKENS.forEach((token, i) => {
    const id = VOCAB_SIZE - CHATML_SPECIAL_TOKENS.length + i;
    assert.deepEqual(tokenizer.encode(token), [id]);
    assert.ok(tokenizer.specialTokenIds.has(id));
  });
  const ids = tokenizer.encode('<|im_start|>user\nthe model<|im_end|>\n');
  assert.equal(ids[0], tokenizer.tokenToId('<|im_start|>'));
  assert.ok(ids.includes(tokenizer.tokenToId('<|im_end|>')!));
  assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'user\nthe model\n');
  assert.deepEqual(tokenizer.eosTokenIds, [tokenizer.tokenToId('<|im_end|>')]);
  assert.equal(tokenizer.padTokenId, tokenizer.tokenToId('<|endoftext|>'));
});

test('training is deterministic and independent of text order', () => {
  const again = trainByteLevelBpe(TEXTS, { vocabSize: VOCAB_SIZE, specialTokens: CHATML_SPECIAL_TOKENS });
  assert.equal(JSON.stringify(again), JSON.stringify(trainedJson()));
  const reversed = trainByteLevelBpe([...TEXTS].reverse(), { vocabSize: VOCAB_SIZE, specialTokens: CHATML_SPECIAL_TOKENS });
  assert.equal(JSON.stringify(reversed), JSON.stringify(trainedJson()));
  const other = trainByteLevelBpe(corpus(3000, 2), { vocabSize: VOCAB_SIZE, specialTokens: CHATML_SPECIAL_TOKENS });
  assert.notEqual(JSON.stringify(other), JSON.stringify(trainedJson()));
});

test('merges follow pair frequency; training stops when no pair reaches minFrequency', () => {
  // Pieces: "ab" and " ab" (Llama-3 split). Pair (a,b) occurs twice, (Ġ,ab) once.
  const small = trainByteLevelBpe(['ab ab'], { vocabSize: 1000 });
  assert.deepEqual((small['model'] as { merges: string[] }).merges, ['a b']);
  const once = trainByteLevelBpe(['ab ab'], { vocabSize: 1000, minFrequency: 1 });
  assert.deepEqual((once['model'] as { merges: string[] }).merges, ['a b', '\u0120 ab']);
  // The most frequent pair is merged first: (z,z) x3. Then (Ġ,zz), (Ġ,x) and (x,y) tie at 2 and
  // the smallest (left id, right id) wins: Ġ is byte 32, x is 120, zz is 256.
  const ordered = trainByteLevelBpe(['zz zz zz xy xy'], { vocabSize: 258, minFrequency: 1 });
  assert.deepEqual((ordered['model'] as { merges: string[] }).merges, ['z z', '\u0120 x']);
  const tie = trainByteLevelBpe(['qr', 'mn'], { vocabSize: 257, minFrequency: 1 });
  assert.deepEqual((tie['model'] as { merges: string[] }).merges, ['m n']);
});

test('bosToken makes encode(addSpecialTokens) prepend it; makeTokenizerConfig gives a working ChatML template', () => {
  const json = trainByteLevelBpe(TEXTS.slice(0, 500), {
    vocabSize: 400,
    specialTokens: ['<|begin|>', ...CHATML_SPECIAL_TOKENS],
    bosToken: '<|begin|>',
  });
  const tokenizer = Tokenizer.fromFiles(json, makeTokenizerConfig({ bos: '<|begin|>', eos: '<|im_end|>', pad: '<|endoftext|>' }));
  const bos = tokenizer.tokenToId('<|begin|>')!;
  assert.equal(tokenizer.bosTokenId, bos);
  assert.deepEqual(tokenizer.encode('the', { addSpecialTokens: true }), [bos, ...tokenizer.encode('the')]);
  const messages = [
    { role: 'user', content: 'What is the loss?' },
    { role: 'assistant', content: 'The loss is 0.5.' },
    { role: 'user', content: 'And now?' },
    { role: 'assistant', content: '0.25 — lower.' },
  ];
  assert.equal(
    applyChatTemplate(tokenizer, messages.slice(0, 1), { addGenerationPrompt: true }),
    '<|im_start|>user\nWhat is the loss?<|im_end|>\n<|im_start|>assistant\n',
  );
  const rendered = renderChatForTraining(tokenizer, messages);
  assert.deepEqual(maskedRuns(tokenizer, rendered.ids, rendered.assistantMask), ['The loss is 0.5.<|im_end|>', '0.25 — lower.<|im_end|>']);
  assert.throws(() => trainByteLevelBpe(['x'], { vocabSize: 300, bosToken: '<s>' }), /bosToken/);
  assert.throws(() => trainByteLevelBpe(['x'], { vocabSize: 100 }), /vocabSize 100/);
  assert.throws(() => makeTokenizerConfig({ eos: '' }), /eos/);
});

test('training is fast: ~1.5 MB of text to a 4k vocabulary in seconds', () => {
  const texts = corpus(32000, 3);
  const bytes = texts.reduce((n, t) => n + t.length, 0);
  assert.ok(bytes > 1_400_000, `corpus size ${bytes}`);
  const start = performance.now();
  const json = trainByteLevelBpe(texts, { vocabSize: 4096 });
  const seconds = (performance.now() - start) / 1000;
  assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
  assert.ok(Object.keys((json['model'] as { vocab: object }).vocab).length > 1000);
});

const pythonHasTokenizers = spawnSync('/usr/bin/python3', ['-c', 'import tokenizers'], { encoding: 'utf8' }).status === 0;

test(
  'Python `tokenizers` loads the file and encodes identically',
  { skip: pythonHasTokenizers ? false : '/usr/bin/python3 cannot import tokenizers (not installed here)' },
  () => {
    const dir = temporaryDir('bpe-python');
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(trainedJson()));
    const texts = [...TEXTS.slice(0, 20), ...UNSEEN, '<|im_start|>user\nhi<|im_end|>'];
    const script =
      'import json,sys\nfrom tokenizers import Tokenizer\nt=Tokenizer.from_file(sys.argv[1])\n' +
      'texts=json.load(sys.stdin)\nprint(json.dumps([t.encode(x, add_special_tokens=False).ids for x in texts]))';
    const run = spawnSync('/usr/bin/python3', ['-c', script, file], { input: JSON.stringify(texts), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const tokenizer = trainedTokenizer();
    assert.deepEqual(
      JSON.parse(run.stdout),
      texts.map((t) => tokenizer.encode(t)),
    );
    fs.rmSync(dir, { recursive: true });
  },
);
