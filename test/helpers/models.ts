// Tiny model configs for tests (HF config.json objects), one per family.
import { createModel } from '../../src/models/index.js';
import type { CausalLM } from '../../src/models/index.js';
import type { DType } from '../../src/tensor/index.js';

export const TINY: Record<'llama' | 'qwen2' | 'qwen3', Record<string, unknown>> = {
  llama: {
    model_type: 'llama',
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
  },
  qwen2: {
    model_type: 'qwen2',
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: true,
  },
  qwen3: {
    model_type: 'qwen3',
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
  },
};

/** A tiny random model whose weights are scaled up so its distributions are not near-uniform. */
export function tinyModel(family: keyof typeof TINY, seed = 0, dtype: DType = 'float32', scale = 6): CausalLM {
  const m = createModel(TINY[family], { seed, dtype });
  for (const [k, p] of m.namedParameters())
    if (!k.endsWith('norm.weight')) {
      p.requiresGrad_(false);
      p.mul_(scale);
      p.requiresGrad_(true);
    }
  return m;
}
