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

export async function runSftBench(steps = 12): Promise<SftBench> {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-sft-bench-'));
  try {
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
    const cfg = resolveConfig(
      schemaWithDefaults({}),
      {
        model_config: { ...YARDSTICK_CONFIG, max_position_embeddings: 1024 },
        tokenizer: tokDir,
        train_data: [join(dir, 'sft.jsonl')],
        output_dir: join(dir, 'run'),
        seq_len: 256,
        batch_size: 8,
        max_steps: steps,
        lr: 1e-4,
        save_every: 0,
        resume: false,
      },
      'bench',
      {},
    );
    const r = await trainSft(cfg, { quiet: true, stopAfterStep: steps });
    return { tokens_per_s: r.tokensPerSecond, peak_rss_mib: process.resourceUsage().maxRSS / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
