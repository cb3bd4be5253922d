// Decoding against llama.cpp (issue [6/7]), measured in the same command on the same model: a
// 75M-parameter Llama (768 hidden, 8 layers, 12/4 heads, 2048 MLP, 8192 vocab, random weights) with
// a Llama-3-split BPE tokenizer, exported by `posttrain export --format=gguf` (F32 and F16) and run
// by llama.cpp through node-llama-cpp (CPU build, 2 threads), and by posttrain's KV-cache engine:
//   batch 1: greedy decode tokens/s after a 32-token prompt (prefill excluded)
//   batch 16: 16 sequences decoded together, total tokens/s
//   serve: time to first token of a request joining the server's batcher, in decode steps after the prompt's prefill
// Best of `rounds` alternating rounds.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, saveModel, type CausalLM } from '../src/models/index.js';
import { generate } from '../src/generation/index.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../src/tokenizer/index.js';
import { writeGguf, type GgufType } from '../src/checkpoint/gguf.js';
import { ggufSource } from '../src/cli/export.js';
import { ContinuousBatcher } from '../src/generation/batcher.js';

export const DECODE_CONFIG = {
  model_type: 'llama',
  vocab_size: 8192,
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: 8,
  num_attention_heads: 12,
  num_key_value_heads: 4,
  max_position_embeddings: 1024,
  tie_word_embeddings: true,
};

export interface DecodeBench {
  params: number;
  rows: { case: string; posttrain: number; llamacpp: number }[];
  ttft_steps: number;
  prefill_ms: number;
  step_ms: number;
}

const WORDS = 'the a one two three apple box river stone green quick slow count add take give more less each many few red blue'.split(' ');

function exportFor(model: CausalLM, dir: string, tokDir: string, type: GgufType): string {
  const file = join(dir, `model-${type}.gguf`);
  writeGguf(file, ggufSource(model, tokDir), { type });
  return file;
}

export async function runDecodeBench(rounds = 3, newTokens = 64): Promise<DecodeBench> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-decode-bench-'));
  try {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const corpus = Array.from({ length: 400 }, () => Array.from({ length: 30 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
    const tokDir = join(dir, 'model');
    mkdirSync(tokDir);
    const tok = Tokenizer.fromFiles(
      trainByteLevelBpe(corpus, { vocabSize: 600, specialTokens: CHATML_SPECIAL_TOKENS }),
      makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
    );
    const model = createModel(DECODE_CONFIG, { seed: 0 });
    model.eval();
    saveModel(model, tokDir);
    tok.save(tokDir); // after the model: saving a model folder replaces what was there
    const prompt = tok.encode(corpus[0]!).slice(0, 32);
    const prompts16 = Array.from({ length: 16 }, (_, i) => tok.encode(corpus[i + 1]!).slice(0, 32));
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const best = { b1f32: [0, 0], b1f16: [0, 0], b16f32: [0, 0] } as Record<string, [number, number]>;
    const half = createModel(DECODE_CONFIG, { seed: 0 }).to('bfloat16').autocast('float32'); // weight-only bfloat16, float32 activations (as llama.cpp runs F16)
    half.eval();
    const oursB1 = (m: CausalLM) => {
      const t0 = performance.now();
      generate(m, [prompt], { maxNewTokens: 1, temperature: 0 });
      const prefill = performance.now() - t0;
      const t1 = performance.now();
      generate(m, [prompt], { maxNewTokens: newTokens, temperature: 0, eosTokenIds: [] });
      return { tps: (newTokens - 1) / ((performance.now() - t1 - prefill) / 1000), prefill };
    };
    const oursB16 = () => {
      const t0 = performance.now();
      generate(model, prompts16, { maxNewTokens: newTokens, temperature: 0, eosTokenIds: [] });
      return (16 * newTokens) / ((performance.now() - t0) / 1000);
    };
    const files = { f32: exportFor(model, dir, tokDir, 'f32'), f16: exportFor(model, dir, tokDir, 'f16') };
    const theirsB1 = async (file: string) => {
      const lm = await llama.loadModel({ modelPath: file });
      const ctx = await lm.createContext({ contextSize: 256, threads: 2 });
      const seq = ctx.getSequence();
      let n = 0,
        tFirst = 0;
      for await (const _ of seq.evaluate(prompt as never, { temperature: 0 })) {
        if (n === 0) tFirst = performance.now(); // the first token comes with the prefill
        if (++n === newTokens) break;
      }
      const tps = (newTokens - 1) / ((performance.now() - tFirst) / 1000);
      await ctx.dispose();
      await lm.dispose();
      return tps;
    };
    const theirsB16 = async (file: string) => {
      const lm = await llama.loadModel({ modelPath: file });
      const ctx = await lm.createContext({ contextSize: 16 * 128, sequences: 16, threads: 2, batchSize: 512 });
      const t0 = performance.now();
      await Promise.all(
        prompts16.map(async (p) => {
          const seq = ctx.getSequence();
          let n = 0;
          for await (const _ of seq.evaluate(p as never, { temperature: 0 })) if (++n === newTokens) break;
        }),
      );
      const tps = (16 * newTokens) / ((performance.now() - t0) / 1000);
      await ctx.dispose();
      await lm.dispose();
      return tps;
    };
    let prefillMs = Infinity;
    for (let r = 0; r < rounds; r++) {
      const o = oursB1(model);
      prefillMs = Math.min(prefillMs, o.prefill);
      best['b1f32'] = [Math.max(best['b1f32']![0], o.tps), Math.max(best['b1f32']![1], await theirsB1(files.f32))];
      best['b1f16'] = [Math.max(best['b1f16']![0], oursB1(half).tps), Math.max(best['b1f16']![1], await theirsB1(files.f16))];
      best['b16f32'] = [Math.max(best['b16f32']![0], oursB16()), Math.max(best['b16f32']![1], await theirsB16(files.f32))];
    }
    // time to first token of a request joining the server's batcher (serve streams each token as its onToken fires)
    const stepMs = 1000 / best['b1f32']![0];
    const batcher = new ContinuousBatcher(model);
    let ttft = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      let first = 0;
      await batcher.submit({
        prompt,
        n: 1,
        sampling: { temperature: 0 },
        maxNewTokens: 16,
        eosTokenIds: [],
        seeds: [r],
        onToken: () => (first ||= performance.now()),
      });
      ttft = Math.min(ttft, first - t0);
    }
    batcher.close();
    const params = model.numParameters();
    model.dispose();
    half.dispose();
    return {
      params,
      rows: [
        { case: 'batch 1 decode tokens/s, F32', posttrain: best['b1f32']![0], llamacpp: best['b1f32']![1] },
        { case: 'batch 1 decode tokens/s, half (ours bf16, theirs F16)', posttrain: best['b1f16']![0], llamacpp: best['b1f16']![1] },
        { case: 'batch 16 decode tokens/s, F32', posttrain: best['b16f32']![0], llamacpp: best['b16f32']![1] },
      ],
      ttft_steps: (ttft - prefillMs) / stepMs,
      prefill_ms: prefillMs,
      step_ms: stepMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printDecodeBench(d: DecodeBench): void {
  console.log(
    `\ndecoding against llama.cpp (node-llama-cpp, CPU, 2 threads), ${(d.params / 1e6).toFixed(0)}M-parameter Llama, greedy, best of alternating rounds`,
  );
  console.log(`  ${'case'.padEnd(48)} ${'posttrain'.padStart(10)} ${'llama.cpp'.padStart(10)} ${'ratio'.padStart(7)}  target`);
  const targets = ['≥ 1.00×', '≥ 1.00×', '≥ 1.50×'];
  d.rows.forEach((r, i) => {
    const ratio = r.posttrain / r.llamacpp;
    const ok = ratio >= Number(targets[i]!.slice(2, 6));
    console.log(
      `  ${r.case.padEnd(48)} ${r.posttrain.toFixed(1).padStart(10)} ${r.llamacpp.toFixed(1).padStart(10)} ${(ratio.toFixed(2) + '×').padStart(7)}  ${targets[i]}${ok ? '  ok' : '  MISSED'}`,
    );
  });
  console.log(
    `  serve's batcher: first token ${d.ttft_steps.toFixed(2)} decode steps after the prefill (prefill ${d.prefill_ms.toFixed(1)} ms, step ${d.step_ms.toFixed(1)} ms; target < 2)${d.ttft_steps < 2 ? '  ok' : '  MISSED'}`,
  );
}
