// The Llama family (LlamaForCausalLM, also SmolLM and TinyLlama configs): biases follow
// attention_bias / mlp_bias (default none), head_dim may be given, embeddings untied by default.
import type { DecoderConfig } from './decoder.js';
import { ConfigReader } from './hf_config.js';

export const LLAMA_ARCHITECTURE = 'LlamaForCausalLM';

/**
 * The config.json of a small Llama trained from scratch (the demo's, the calibration's): the sizes
 * given, 4 attention heads of which 2 key/value heads, tied embeddings, rope θ 10000.
 */
export function smallLlamaConfig(o: { vocab: number; hidden: number; intermediate: number; layers: number }): Record<string, unknown> {
  return {
    architectures: [LLAMA_ARCHITECTURE],
    model_type: 'llama',
    vocab_size: o.vocab,
    hidden_size: o.hidden,
    intermediate_size: o.intermediate,
    num_hidden_layers: o.layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 1024,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: true,
    hidden_act: 'silu',
    initializer_range: 0.02,
  };
}

export function llamaConfig(hf: Record<string, unknown>, source: string): DecoderConfig {
  const r = new ConfigReader(hf, source);
  r.requireSilu();
  const s = r.sizes();
  const bias = r.bool('attention_bias', false);
  return {
    family: 'llama',
    ...s,
    rope: r.rope(s.headDim, 2048),
    tieEmbeddings: r.bool('tie_word_embeddings', false),
    qkvBias: bias,
    outBias: bias,
    mlpBias: r.bool('mlp_bias', false),
    qkNorm: false,
    hf,
  };
}
