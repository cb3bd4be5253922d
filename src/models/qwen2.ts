// The Qwen2 / Qwen2.5 family (Qwen2ForCausalLM): q/k/v projections carry biases, o_proj does not;
// head_dim is hidden_size / num_attention_heads. Sliding-window attention is refused (not built).
import type { DecoderConfig } from './decoder.js';
import { ConfigReader } from './hf_config.js';

export const QWEN2_ARCHITECTURE = 'Qwen2ForCausalLM';

export function qwen2Config(hf: Record<string, unknown>, source: string): DecoderConfig {
  const r = new ConfigReader(hf, source);
  r.requireSilu();
  if (r.bool('use_sliding_window', false)) throw new Error(`${source}: use_sliding_window=true is not supported`);
  const s = r.sizes();
  return {
    family: 'qwen2',
    ...s,
    rope: r.rope(s.headDim, 32768),
    tieEmbeddings: r.bool('tie_word_embeddings', false),
    qkvBias: true,
    outBias: false,
    mlpBias: false,
    qkNorm: false,
    hf,
  };
}
