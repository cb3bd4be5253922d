// GGUF export checked in llama.cpp itself (node-llama-cpp from npm, CPU build): for Llama, Qwen2
// and Qwen3 folders with a tokenizer posttrain trained, llama.cpp loads the file, tokenizes like
// posttrain (chat template special tokens included), gives the same next-token probabilities
// (f32 to 1e-5; f16, bf16, q8_0 looser) and the same greedy tokens; a tokenizer whose split regex
// llama.cpp does not know is refused unless a pre-tokenizer is named; q8_0 blocks against their definition.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import * as pt from '../../src/tensor/index.js';
import { loadModel } from '../../src/models/index.js';
import { generate } from '../../src/generation/index.js';
import {
  Tokenizer,
  trainByteLevelBpe,
  makeTokenizerConfig,
  CHATML_SPECIAL_TOKENS,
  STEP_SPLIT_PATTERN,
  applyChatTemplate,
} from '../../src/tokenizer/index.js';
import { quantizeQ8_0, float16Bits } from '../../src/checkpoint/gguf.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
let llama: Llama;
before(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
});

const exportGguf = (dir: string, out: string, ...extra: string[]) =>
  spawnSync(process.execPath, [MAIN, 'export', `--model=${dir}`, `--output=${out}`, ...extra], { encoding: 'utf8' });

const texts = ['what is 3 plus 14? 3 plus 14 is 17.', "it's   two\n\nlines, don't split 12345 wrong!"];

for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
  test(`${family}: llama.cpp reads the exported file — same tokens, next-token probabilities and greedy continuation (f32, f16, bf16, q8_0)`, async () => {
    const dir = saveTinyModel(setup, join(setup.dir, `m-${family}`), 3, family === 'llama' ? {} : { model_type: family });
    const tok = Tokenizer.fromDir(dir);
    const { model } = loadModel(dir);
    const chat = applyChatTemplate(tok, [{ role: 'user', content: texts[0]! }], { addGenerationPrompt: true });
    const prompt = tok.encode(chat);
    const ours = pt.scope(
      () =>
        model
          .forward(pt.tensor([prompt], { dtype: 'int64' }))
          .select(1, -1)
          .softmax(-1)
          .toFlatArray() as number[],
    );
    const greedy = generate(model, [prompt], { maxNewTokens: 12, temperature: 0 })[0]!.tokens;
    model.dispose();
    for (const [type, tol] of [
      ['f32', 1e-5],
      ['f16', 1e-3],
      ['bf16', 1e-2],
      ['q8_0', 1e-2],
    ] as const) {
      const file = join(setup.dir, `m-${family}-${type}.gguf`);
      const r = exportGguf(dir, file, `--type=${type}`);
      assert.equal(r.status, 0, r.stderr);
      const lm = await llama.loadModel({ modelPath: file });
      try {
        for (const t of [...texts, chat])
          assert.deepEqual(Array.from(lm.tokenize(t, true)), tok.encode(t), `${type}: tokens of ${JSON.stringify(t)}`);
        const ctx = await lm.createContext({ contextSize: 128 });
        let worst = 0;
        for await (const out of ctx.getSequence().evaluateWithMetadata(prompt as never, { probabilities: true }, { temperature: 0 })) {
          for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((out.probabilities.get(i as never) ?? 0) - ours[i]!));
          break;
        }
        assert.ok(worst < tol, `${family} ${type}: next-token probabilities differ by up to ${worst} (tolerance ${tol})`);
        await ctx.dispose();
        if (type === 'f32') {
          const ctx2 = await lm.createContext({ contextSize: 128 });
          const theirs: number[] = [];
          for await (const t of ctx2.getSequence().evaluate(prompt as never, { temperature: 0 })) {
            theirs.push(t as number);
            if (theirs.length === greedy.length) break;
          }
          assert.deepEqual(theirs, greedy, `${family}: greedy tokens`);
          await ctx2.dispose();
        }
      } finally {
        await lm.dispose();
      }
    }
  });
}

test('a split regex llama.cpp does not know is refused, naming the choices; --pre-tokenizer exports anyway', () => {
  const dir = join(setup.dir, 'step-tok');
  mkdirSync(dir, { recursive: true });
  const corpus = ['a:3+5=8', 'b:7-2=5', 'what is 3 plus 14?'];
  const tj = trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: CHATML_SPECIAL_TOKENS, preTokenizerPattern: STEP_SPLIT_PATTERN });
  const model = saveTinyModel(setup, join(dir, 'model'), 1);
  Tokenizer.fromFiles(tj, makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' })).save(model);
  const r = exportGguf(model, join(dir, 'm.gguf'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /pre-tokenizer regex .* is none llama\.cpp knows \(llama-bpe, qwen2\).*--pre-tokenizer/);
  const forced = exportGguf(model, join(dir, 'm.gguf'), '--pre-tokenizer=qwen2');
  assert.equal(forced.status, 0, forced.stderr);
});

test('q8_0 blocks: a half-precision scale max|x|/127 and values rounded to it (llama.cpp quantize_row_q8_0_ref)', () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * (i < 32 ? 0.05 : 3));
  const q = quantizeQ8_0(x);
  assert.equal(q.length, 2 * 34);
  for (let b = 0; b < 2; b++) {
    const part = x.subarray(b * 32, b * 32 + 32);
    const d = Math.max(...part.map(Math.abs)) / 127;
    assert.equal(q.readUInt16LE(b * 34), float16Bits(d));
    for (let i = 0; i < 32; i++) assert.equal(q.readInt8(b * 34 + 2 + i), Math.round(part[i]! / d));
  }
  assert.equal(float16Bits(1), 0x3c00);
  assert.equal(float16Bits(-2), 0xc000);
  assert.equal(float16Bits(65504), 0x7bff);
  assert.equal(float16Bits(2 ** -24), 0x0001);
});
