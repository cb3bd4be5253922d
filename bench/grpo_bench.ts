// One GRPO round on the yardstick model, timed by part: the real trainer (src/trainers/grpo/train.ts)
// samples 2 prompts × G = 8 completions of 96 new tokens after ~32-token prompts (the yardstick's
// sampling batch of 16), scores them, and takes one update (policy forward + backward, reference
// forward). Sampling tokens/s compares with ../shared/bench/pytorch_llama_ref.py's KV-cache
// sampling (greedy there, temperature 1 with top-p 1 here).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../src/tokenizer/index.js';
import { createModel, saveModel } from '../src/models/index.js';
import { trainGrpo } from '../src/trainers/grpo/train.js';
import { resolveConfig } from '../src/common/schema.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../src/trainers/grpo/config.js';
import { YARDSTICK_CONFIG } from './llama_engine.js';

export interface GrpoBench {
  generation_s: number;
  scoring_s: number;
  update_s: number;
  step_s: number;
  sampling_tokens_per_s: number;
  update_tokens_per_s: number;
}

export async function runGrpoBench(rounds = 3): Promise<GrpoBench> {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-grpo-bench-'));
  try {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // random letter words, so the BPE fills the yardstick's 1024-token vocabulary
    const word = () => Array.from({ length: 2 + Math.floor(rand() * 6) }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
    const texts = Array.from({ length: 2000 }, () => Array.from({ length: 30 }, word).join(' '));
    const tokDir = join(dir, 'tokenizer');
    mkdirSync(tokDir);
    const tokJson = trainByteLevelBpe(texts, { vocabSize: 1024, specialTokens: CHATML_SPECIAL_TOKENS, minFrequency: 1 });
    const tokenizer = Tokenizer.fromFiles(tokJson, makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }));
    if (tokenizer.vocabSize !== YARDSTICK_CONFIG.vocab_size)
      throw new Error(`GRPO bench: the tokenizer has ${tokenizer.vocabSize} tokens, the yardstick ${YARDSTICK_CONFIG.vocab_size}`);
    tokenizer.save(tokDir);
    const model = createModel({ ...YARDSTICK_CONFIG, max_position_embeddings: 1024 }, { seed: 0 });
    saveModel(model, join(dir, 'model'), {
      tokenizerFiles: Object.fromEntries(['tokenizer.json', 'tokenizer_config.json'].map((f) => [f, readFileSync(join(tokDir, f))])),
    });
    model.dispose();
    // plain-text prompts of 32 tokens, as the yardstick's
    const prompts = texts.map((t) => tokenizer.decode(tokenizer.encode(t).slice(0, 32)));
    writeFileSync(join(dir, 'prompts.jsonl'), prompts.map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
    const cfg = resolveConfig(
      GRPO_SCHEMA,
      {
        model: join(dir, 'model'),
        train_data: [join(dir, 'prompts.jsonl')],
        output_dir: join(dir, 'run'),
        group_size: 8,
        prompts_per_step: 2,
        max_new_tokens: 96,
        rewards: ['textlen'],
        dynamic_sampling: false,
        lr: 1e-5,
        max_steps: rounds + 1,
        log_samples_every: 0,
        resume: false,
      },
      'bench',
      {},
    );
    await trainGrpo(cfg, { quiet: true, stopAfterStep: rounds + 1, rewardFns: { textlen: (x) => (x.completion.length % 7) / 7 } });
    const m = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .slice(1); // round 1 warms up
    const best = m.reduce((a, b) => (b.time_step_s < a.time_step_s ? b : a));
    const updateTokens = 16 * (32 + best.completion_length_mean);
    return {
      generation_s: best.time_generation_s,
      scoring_s: best.time_scoring_s,
      update_s: best.time_update_s,
      step_s: best.time_step_s,
      sampling_tokens_per_s: best.sampling_tokens_per_s,
      update_tokens_per_s: updateTokens / best.time_update_s,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
