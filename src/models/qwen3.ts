// The Qwen3 family (Qwen3ForCausalLM): RMSNorm over head_dim on queries and keys (q_norm, k_norm)
// before rotary, biases per attention_bias (default none), an explicit head_dim (default 128).
import type { DecoderConfig } from './decoder.js';
import { ConfigReader } from './hf_config.js';

export const QWEN3_ARCHITECTURE = 'Qwen3ForCausalLM';

export function qwen3Config(hf: Record<string, unknown>, source: string): DecoderConfig {
  const r = new ConfigReader(hf, source);
  r.requireSilu();
  if (r.bool('use_sliding_window', false)) throw new Error(`${source}: use_sliding_window=true is not supported`);
  const s = r.sizes(128);
  const bias = r.bool('attention_bias', false);
  return {
    family: 'qwen3',
    ...s,
    rope: r.rope(s.headDim, 32768),
    tieEmbeddings: r.bool('tie_word_embeddings', false),
    qkvBias: bias,
    outBias: bias,
    mlpBias: false,
    qkNorm: true,
    hf,
  };
}
