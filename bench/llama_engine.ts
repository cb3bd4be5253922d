// The posttrain side of ../shared/bench/pytorch_llama_ref.py: the same Hugging Face Llama model
// (src/models, tied embeddings) trained with AdamW on random tokens (next-token cross-entropy),
// then sampled greedily with the KV-cache engine (src/generation), so both do the same work.
import * as pt from '../src/tensor/index.js';
import { AdamW } from '../src/optim/index.js';
import { createModel } from '../src/models/index.js';
import { generate } from '../src/generation/index.js';

export const YARDSTICK_CONFIG = {
  model_type: 'llama',
  vocab_size: 1024,
  hidden_size: 256,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  num_hidden_layers: 4,
  intermediate_size: 688,
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  tie_word_embeddings: true,
};

export interface LlamaBench {
  params: number;
  train_tokens_per_s: number;
  sample_tokens_per_s: number;
  peak_rss_mib: number;
}

export function runLlamaBench(
  o: { batch?: number; seq?: number; steps?: number; genBatch?: number; prompt?: number; newTokens?: number } = {},
): LlamaBench {
  const batch = o.batch ?? 8,
    seq = o.seq ?? 256,
    steps = o.steps ?? 5;
  const genBatch = o.genBatch ?? 16,
    prompt = o.prompt ?? 32,
    newTokens = o.newTokens ?? 96;
  const V = YARDSTICK_CONFIG.vocab_size;
  const model = createModel(YARDSTICK_CONFIG, { seed: 0 });
  const opt = new AdamW(model.trainableParameters(), { lr: 1e-3 });
  const gen = new pt.Generator(0);
  const ids = pt.randint(0, V, [batch, seq + 1], { generator: gen }).keep();
  const step = () =>
    pt.scope(() => {
      const logits = model.forward(ids.slice(1, 0, -1)); // (B, T, V)
      const loss = pt.crossEntropy(logits, ids.slice(1, 1));
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < 2; i++) step();
  let t = performance.now();
  for (let i = 0; i < steps; i++) step();
  const trainTps = (batch * seq * steps) / ((performance.now() - t) / 1000);

  const prompts = pt.randint(0, V, [genBatch, prompt], { generator: gen });
  const promptIds = prompts.toArray() as number[][];
  prompts.dispose();
  t = performance.now();
  generate(model, promptIds, { maxNewTokens: newTokens, temperature: 0 });
  const genTps = (genBatch * newTokens) / ((performance.now() - t) / 1000);
  const params = model.numParameters();
  opt.dispose();
  model.dispose();
  ids.dispose();
  return { params, train_tokens_per_s: trainTps, sample_tokens_per_s: genTps, peak_rss_mib: process.resourceUsage().maxRSS / 1024 };
}
