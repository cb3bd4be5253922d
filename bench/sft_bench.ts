// SFT throughput on the yardstick model: the real trainer (src/trainers/sft.ts) — data loading,
// chat-template masks, packing with sample masking, AdamW, clipping — on synthetic chat data, rows
// of 256 tokens, 8 rows per step, as ../shared/bench/pytorch_llama_ref.py trains (batch 8 × seq 256).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../src/tokenizer/index.js';
import { trainSft } from '../src/trainers/sft.js';
import { resolveConfig } from '../src/common/schema.js';
import { schemaWithDefaults, type SftConfig } from '../src/trainers/sft_config.js';
import { YARDSTICK_CONFIG } from './llama_engine.js';

export interface SftBench {
  tokens_per_s: number;
  peak_rss_mib: number;
}

const WORDS = 'the a one two three apple box river stone green quick slow count add take give more less each many few red blue'.split(' ');

/** Writes the bench's synthetic chat data (sft.jsonl) and its 1024-token BPE tokenizer (tokenizer/) into dir. */
export function writeSftBenchData(dir: string): { data: string; tokDir: string } {
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const rows = Array.from({ length: 1200 }, () => ({
    messages: [
      { role: 'user', content: sentence(8 + Math.floor(rand() * 20)) },
      { role: 'assistant', content: sentence(20 + Math.floor(rand() * 60)) },
    ],
  }));
  writeFileSync(join(dir, 'sft.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const tokJson = trainByteLevelBpe(
    rows.flatMap((r) => r.messages.map((m) => m.content)),
    { vocabSize: 1024, specialTokens: CHATML_SPECIAL_TOKENS, minFrequency: 1 },
  );
  const tokDir = join(dir, 'tokenizer');
  mkdirSync(tokDir);
  Tokenizer.fromFiles(tokJson, makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' })).save(tokDir);
  return { data: join(dir, 'sft.jsonl'), tokDir };
}

/** The SFT trainer's config of the bench: the yardstick model, rows of 256 tokens, `batch` rows per rank and step. */
export function sftBenchConfig(dir: string, steps: number, batch = 8): Record<string, unknown> {
  return {
    model_config: { ...YARDSTICK_CONFIG, max_position_embeddings: 1024 },
    tokenizer: join(dir, 'tokenizer'),
    dataset_name: [join(dir, 'sft.jsonl')],
    output_dir: join(dir, 'run'),
    max_length: 256,
    per_device_train_batch_size: batch,
    max_steps: steps,
    learning_rate: 1e-4,
    save_steps: 0,
    resume_from_checkpoint: false,
  };
}

export async function runSftBench(steps = 12): Promise<SftBench> {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-sft-bench-'));
  try {
    writeSftBenchData(dir);
    const cfg = resolveConfig(schemaWithDefaults({}), sftBenchConfig(dir, steps), 'bench', {});
    const r = await trainSft(cfg, { quiet: true, stopAfterStep: steps });
    return { tokens_per_s: r.tokensPerSecond, peak_rss_mib: process.resourceUsage().maxRSS / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
