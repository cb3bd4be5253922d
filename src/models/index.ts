// Models by Hugging Face config: which family reads a config.json, creating a random model from a
// config (training from scratch), loading and saving HF model folders that transformers, vLLM and
// llama.cpp read unchanged (HF key names, config fields, dtypes).
import { ArgumentError, checkDevice, type DType, type Device } from '../tensor/index.js';
import { loadHfFolder, saveHfFolder } from '../checkpoint/index.js';
import { CausalLM, type DecoderConfig, type Family } from './decoder.js';
import { llamaConfig, LLAMA_ARCHITECTURE } from './llama.js';
import { qwen2Config, QWEN2_ARCHITECTURE } from './qwen2.js';
import { qwen3Config, QWEN3_ARCHITECTURE } from './qwen3.js';

export { smallLlamaConfig } from './llama.js';
export { CausalLM, type DecoderConfig, type Family, type ForwardOptions, type LayerContext } from './decoder.js';
export { forwardBackward, type BackwardOptions } from './forward_backward.js';
export { DEVICE_FIELD, resolveDevice, resolvePlacement, placeModel, type Placement, type PlacementSettings } from './placement.js';

const FAMILIES: Record<Family, { read: (hf: Record<string, unknown>, source: string) => DecoderConfig; architecture: string }> = {
  llama: { read: llamaConfig, architecture: LLAMA_ARCHITECTURE },
  qwen2: { read: qwen2Config, architecture: QWEN2_ARCHITECTURE },
  qwen3: { read: qwen3Config, architecture: QWEN3_ARCHITECTURE },
};

/** The family's reading of a config.json object (model_type picks the family). */
export function decoderConfig(hf: Record<string, unknown>, source = 'config'): DecoderConfig {
  const type = hf['model_type'];
  if (typeof type !== 'string' || !(type in FAMILIES)) {
    throw new ArgumentError(
      'config',
      `${source}: model_type ${JSON.stringify(type)} is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`,
    );
  }
  return FAMILIES[type as Family].read(hf, source);
}

/** A randomly initialised model (HF initialisation, seeded) for a config.json object. */
export function createModel(hf: Record<string, unknown>, opts: { seed?: number; dtype?: DType; device?: Device } = {}): CausalLM {
  if (opts.device) checkDevice(opts.device, 'createModel device');
  const model = CausalLM.random(decoderConfig(hf), opts.seed ?? 0, opts.dtype); // initialised on the CPU: the same weights on every device
  return opts.device && opts.device !== 'cpu' ? model.to(opts.device) : model;
}

/** The config.json to write for a model: the one it was read from, with sizes and dtype made exact. */
export function hfConfigOf(model: CausalLM): Record<string, unknown> {
  const c = model.config;
  const dtype = model.model.embed_tokens.weight.dtype;
  return {
    ...c.hf,
    architectures: [FAMILIES[c.family].architecture],
    model_type: c.family,
    vocab_size: c.vocabSize,
    hidden_size: c.hidden,
    intermediate_size: c.intermediate,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    ...(c.family === 'qwen3' || c.hf['head_dim'] !== undefined ? { head_dim: c.headDim } : {}),
    hidden_act: 'silu',
    rms_norm_eps: c.rmsEps,
    rope_theta: c.rope.theta,
    max_position_embeddings: c.rope.maxPositionEmbeddings,
    tie_word_embeddings: c.tieEmbeddings,
    torch_dtype: dtype === 'float32' ? 'float32' : dtype === 'bfloat16' ? 'bfloat16' : dtype === 'float16' ? 'float16' : dtype,
  };
}

export interface LoadedModel {
  model: CausalLM;
  generationConfig: Record<string, unknown> | null;
  dir: string;
}

/** Loads an HF model folder (config.json + model.safetensors, sharded or not), onto `device` (default cpu). */
export function loadModel(dir: string, opts: { dtype?: DType; device?: Device } = {}): LoadedModel {
  if (opts.device) checkDevice(opts.device, `loadModel ${dir} device`);
  const f = loadHfFolder(dir);
  const config = decoderConfig(f.config as Record<string, unknown>, `${dir}/config.json`);
  const model = new CausalLM(config, { dtype: opts.dtype ?? 'float32' });
  const weights = f.weights;
  if (config.tieEmbeddings) {
    const head = weights.get('lm_head.weight'); // some tied checkpoints still store it
    if (head) {
      head.dispose();
      weights.delete('lm_head.weight');
    }
  }
  try {
    model.loadStateDict(weights, { source: dir });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of weights.values()) t.dispose();
  }
  if (opts.device && opts.device !== 'cpu') model.to(opts.device);
  return { model, generationConfig: f.generationConfig as Record<string, unknown> | null, dir };
}

/**
 * Saves an HF model folder atomically. LoRA adapters are not part of the model: merge them first
 * (mergeLora) or save them separately (saveAdapter).
 */
export function saveModel(
  model: CausalLM,
  dir: string,
  opts: { generationConfig?: Record<string, unknown> | null; tokenizerFiles?: Record<string, string | Uint8Array> } = {},
): void {
  const weights = new Map([...model.stateDict()].filter(([k]) => !k.includes('.lora_A.') && !k.includes('.lora_B.')));
  saveHfFolder(dir, {
    config: hfConfigOf(model),
    generationConfig: opts.generationConfig ?? null,
    weights,
    tokenizerFiles: opts.tokenizerFiles,
  });
}
