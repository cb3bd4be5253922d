// Models by Hugging Face config: which family reads a config.json, creating a random model from a
// config (training from scratch), loading and saving HF model folders that transformers, vLLM and
// llama.cpp read unchanged (HF key names, config fields, dtypes). A saved folder is complete: the
// tokenizer files and generation config the model was loaded or created with go with it
// (companions.ts), and a model with unmerged LoRA adapters is refused rather than saved without them.
import { ArgumentError, checkDevice, DTYPES, type DType, type Device, type Tensor } from '../tensor/index.js';
import { loadHfFolder, saveHfFolder } from '../checkpoint/index.js';
import { checkOptions, type OptionSpecs } from '../common/options.js';
import { CausalLM, type DecoderConfig, type Family } from './decoder.js';
import { loraLayers, mergedStateDict } from './lora.js';
import {
  knownGenerationConfig,
  knownSpecialTokenIds,
  knownTokenizerFiles,
  rememberFolder,
  setModelTokenizer,
  specialTokenIds,
  type ModelTokenizer,
} from './companions.js';
import { llamaConfig, LLAMA_ARCHITECTURE } from './llama.js';
import { qwen2Config, QWEN2_ARCHITECTURE } from './qwen2.js';
import { qwen3Config, QWEN3_ARCHITECTURE } from './qwen3.js';

export { smallLlamaConfig } from './llama.js';
export { CausalLM, type DecoderConfig, type Family, type ForwardOptions, type LayerContext } from './decoder.js';
export { forwardBackward, type BackwardOptions } from './forward_backward.js';
export { DEVICE_FIELD, resolveDevice, resolvePlacement, placeModel, type Placement, type PlacementSettings } from './placement.js';
export { setModelTokenizer, type ModelTokenizer } from './companions.js';

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

const DTYPE_OPTION = { type: 'string', values: DTYPES, doc: "the parameters' dtype, e.g. 'float32' or 'bfloat16'" } as const;
const DEVICE_OPTION = { type: 'string', doc: "where the model lives: 'cpu', 'cuda', 'cuda:1'" } as const;

const CREATE_OPTIONS: OptionSpecs = {
  seed: { type: 'int', min: 0, doc: 'seed of the random initialisation (default 0)' },
  dtype: DTYPE_OPTION,
  device: DEVICE_OPTION,
  tokenizer: {
    type: 'object',
    doc: "the model's tokenizer: its vocabulary size and bos/eos/pad ids go into config.json, its files into every saved folder",
  },
};

export interface CreateModelOptions {
  seed?: number;
  dtype?: DType;
  device?: Device;
  /**
   * The tokenizer the model is trained with (a Tokenizer): vocab_size defaults to its size, its
   * bos/eos/pad ids fill config.json's bos_token_id / eos_token_id / pad_token_id where `hf` has
   * none, and saveModel writes its files and a generation config with its ids.
   */
  tokenizer?: ModelTokenizer;
}

/** A randomly initialised model (HF initialisation, seeded) for a config.json object. */
export function createModel(hf: Record<string, unknown>, opts: CreateModelOptions = {}): CausalLM {
  checkOptions('createModel', opts, CREATE_OPTIONS);
  if (opts.device) checkDevice(opts.device, 'createModel device');
  const tok = opts.tokenizer;
  if (tok) {
    hf = { vocab_size: tok.vocabSize, ...specialTokenIds(tok), ...hf };
    if (typeof hf['vocab_size'] === 'number' && hf['vocab_size'] < tok.vocabSize)
      throw new ArgumentError('createModel', `vocab_size ${hf['vocab_size']} is smaller than the tokenizer's ${tok.vocabSize}`);
  }
  const model = CausalLM.random(decoderConfig(hf), opts.seed ?? 0, opts.dtype); // initialised on the CPU: the same weights on every device
  if (tok) setModelTokenizer(model, tok);
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

const LOAD_OPTIONS: OptionSpecs = { dtype: DTYPE_OPTION, device: DEVICE_OPTION };

/**
 * Loads an HF model folder (config.json + model.safetensors, sharded or not), onto `device` (default
 * cpu). The model remembers the folder's tokenizer files and generation config, which saveModel
 * writes back.
 */
export function loadModel(dir: string, opts: { dtype?: DType; device?: Device } = {}): LoadedModel {
  checkOptions('loadModel', opts, LOAD_OPTIONS);
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
    rememberFolder(model, f.dir, f.tokenizerFiles, f.generationConfig);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of weights.values()) t.dispose();
  }
  if (opts.device && opts.device !== 'cpu') model.to(opts.device);
  return { model, generationConfig: f.generationConfig as Record<string, unknown> | null, dir };
}

export interface SaveModelOptions {
  /** generation_config.json; default the one the model was loaded with (or its tokenizer's ids); null writes none. */
  generationConfig?: Record<string, unknown> | null;
  /** File name → content; default the tokenizer files the model was loaded or created with. */
  tokenizerFiles?: Record<string, string | Uint8Array>;
  /**
   * A model with LoRA adapters attached: 'merge' saves the weights with the adapters merged in
   * (the model keeps its adapters); 'base' saves the base weights alone (a training checkpoint,
   * which saves the adapter beside them). Unset, such a model is refused.
   */
  lora?: 'merge' | 'base';
}

const SAVE_OPTIONS: OptionSpecs = {
  generationConfig: { type: 'object', nullable: true, doc: 'the generation_config.json object, or null for none' },
  tokenizerFiles: { type: 'object', doc: 'tokenizer file name → content' },
  lora: { type: 'string', values: ['merge', 'base'], doc: "with LoRA adapters attached: 'merge' or 'base'", aka: ['mergeLora', 'merge'] },
};

const SPECIAL_IDS = ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const;

/**
 * Saves an HF model folder atomically, with the tokenizer files and generation config the model
 * knows (explicit options win). config.json names bos/eos/pad ids the model's config lacks from
 * its tokenizer or the generation config. A model with LoRA adapters attached needs `lora`:
 * otherwise merge them first (mergeLora) or save them separately (saveAdapter).
 */
export function saveModel(model: CausalLM, dir: string, opts: SaveModelOptions = {}): void {
  checkOptions('saveModel', opts, SAVE_OPTIONS);
  const adapted = loraLayers(model);
  if (adapted.length > 0 && opts.lora === undefined) {
    throw new ArgumentError(
      'saveModel',
      `${dir}: the model has unmerged LoRA adapters on ${adapted.length} layer${adapted.length > 1 ? 's' : ''} (${adapted.slice(0, 3).join(', ')}${adapted.length > 3 ? ', ...' : ''}), ` +
        `which a model folder cannot hold. Call mergeLora(model) first to save the merged weights, ` +
        `saveAdapter(model, dir, loraConfig) to save the adapter alone, ` +
        `or pass { lora: 'merge' } to save merged weights and keep the adapters attached`,
    );
  }
  let weights: Map<string, Tensor>;
  let created: Tensor[] = [];
  if (adapted.length > 0 && opts.lora === 'merge') ({ weights, created } = mergedStateDict(model));
  else weights = new Map([...model.stateDict()].filter(([k]) => !k.includes('.lora_A.') && !k.includes('.lora_B.')));
  const generationConfig = opts.generationConfig !== undefined ? opts.generationConfig : (knownGenerationConfig(model) ?? null);
  const config = hfConfigOf(model);
  const known = { ...(generationConfig ?? {}), ...knownSpecialTokenIds(model) };
  for (const key of SPECIAL_IDS) if (config[key] === undefined && known[key] !== undefined && known[key] !== null) config[key] = known[key];
  try {
    saveHfFolder(dir, { config, generationConfig, weights, tokenizerFiles: opts.tokenizerFiles ?? knownTokenizerFiles(model) });
  } finally {
    for (const t of created) t.dispose();
  }
}
