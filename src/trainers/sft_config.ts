// The SFT / pretraining run config: one flat schema, validated once (trainers/config.ts). Defaults
// follow DeepSeek-V3's SFT (§5.1: 2 epochs, cosine 5e-6 → 1e-6, packing with sample masking, loss on
// responses); `pretrain` changes a few of them (loss on all tokens, higher rates).
import { loraFields, loopFields, type Schema } from './config.js';

export interface SftConfig {
  model: string | null;
  model_config: Record<string, unknown> | null;
  tokenizer: string | null;
  train_data: string[];
  eval_data: string[];
  eval_fraction: number;
  output_dir: string;
  seq_len: number;
  packing: boolean;
  loss_on: 'completion' | 'all';
  error_policy: 'fail' | 'skip';
  truncation: 'drop' | 'truncate';
  epochs: number;
  max_steps: number;
  batch_size: number;
  grad_accum: number;
  lr: number;
  min_lr: number;
  schedule: 'cosine' | 'linear' | 'constant';
  warmup_steps: number;
  warmup_ratio: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  eps: number;
  max_grad_norm: number;
  lora: boolean;
  lora_r: number;
  lora_alpha: number;
  lora_dropout: number;
  lora_targets: string[];
  seed: number;
  eval_every: number;
  save_every: number;
  keep_last: number;
  dtype: 'float32' | 'bfloat16';
  resume: boolean;
}

export const SFT_SCHEMA: Schema = {
  model: { type: 'string', default: null, nullable: true, doc: 'HF model folder to start from (null: a new model from model_config)' },
  model_config: { type: 'object', default: null, nullable: true, doc: 'HF config.json fields for a model trained from scratch' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder (default: the model folder)' },
  train_data: { type: 'strings', default: [], required: true, doc: 'training files (.jsonl, .json, .parquet)' },
  eval_data: { type: 'strings', default: [], doc: 'held-out files for eval loss' },
  eval_fraction: { type: 'number', default: 0, min: 0, max: 0.5, doc: 'share of training rows held out for eval loss when eval_data is empty' },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder (config, metrics, checkpoints, final model)' },
  seq_len: { type: 'int', default: 512, min: 8, doc: 'tokens per training row' },
  packing: { type: 'bool', default: true, doc: 'pack samples into rows with sample masking (isolated attention, restarting positions)' },
  loss_on: { type: 'string', default: 'completion', values: ['completion', 'all'], doc: 'completion: assistant/completion tokens only' },
  error_policy: { type: 'string', default: 'fail', values: ['fail', 'skip'], doc: 'malformed rows: stop, or skip and count' },
  truncation: { type: 'string', default: 'truncate', values: ['drop', 'truncate'], doc: 'samples longer than seq_len' },
  ...loopFields({ epochs: 2, epochsDoc: 'passes over the data (V3: 2)', lr: 5e-6, lrDoc: 'peak learning rate (V3: 5e-6)', minLr: 1e-6, minLrDoc: 'final learning rate of the decay (V3: 1e-6)',
    weightDecay: 0.1, batchDoc: 'rows per micro-batch' }),
  beta1: { type: 'number', default: 0.9, min: 0, max: 0.999999, doc: 'AdamW beta1' },
  beta2: { type: 'number', default: 0.95, min: 0, max: 0.999999, doc: 'AdamW beta2' },
  eps: { type: 'number', default: 1e-8, min: 0, doc: 'AdamW epsilon' },
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'clip gradients to this global norm (0: no clipping)' },
  ...loraFields({ dropout: 0.05, what: '' }),
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of initialisation, shuffling and dropout' },
  eval_every: { type: 'int', default: 0, min: 0, doc: 'steps between eval-loss passes (0: at the end only)' },
  save_every: { type: 'int', default: 0, min: 0, doc: 'steps between checkpoints (0: at the end only)' },
  keep_last: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  dtype: { type: 'string', default: 'float32', values: ['float32', 'bfloat16'], doc: 'parameter dtype' },
  resume: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir when there is one' },
};

/** What `posttrain pretrain` changes: plain language modelling from scratch. */
export const PRETRAIN_DEFAULTS: Partial<SftConfig> = {
  loss_on: 'all', epochs: 1, lr: 1e-3, min_lr: 1e-4, warmup_ratio: 0.02, weight_decay: 0.1,
};

export function schemaWithDefaults(overrides: Partial<SftConfig>): Schema {
  const s: Schema = {};
  for (const [k, spec] of Object.entries(SFT_SCHEMA)) s[k] = k in overrides ? { ...spec, default: (overrides as Record<string, unknown>)[k] } : spec;
  return s;
}
