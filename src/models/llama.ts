// The Llama family (LlamaForCausalLM, also SmolLM and TinyLlama configs): biases follow
// attention_bias / mlp_bias (default none), head_dim may be given, embeddings untied by default.
import type { DecoderConfig } from './decoder.js';
import { ConfigReader } from './hf_config.js';

export const LLAMA_ARCHITECTURE = 'LlamaForCausalLM';

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
