// The SFT / pretraining run config: one flat schema in TRL's SFTConfig vocabulary, validated once
// (common/schema.ts), its type inferred from it. Defaults follow DeepSeek-V3's SFT (§5.1: 2 epochs,
// cosine 5e-6 → 1e-6, packing with sample masking, loss on responses) where TRL's differ (TRL:
// 3 epochs, linear 2e-5, no packing); `pretrain` changes a few of them (loss on all tokens, higher rates).
import { defineSchema, type ConfigOf, type Schema } from '../common/schema.js';
import { loraFields, loopFields, scaleFields, headFields, dtypeField, adamFields, reportFields, runFolderFields } from './fields.js';
import { readFields } from '../data/read_fields.js';

export const SFT_SCHEMA = defineSchema({
  model_name_or_path: {
    type: 'string',
    default: null,
    nullable: true,
    doc: 'HF model folder to start from (null: a new model from model_config)',
  },
  model_config: { type: 'object', default: null, nullable: true, doc: 'HF config.json fields for a model trained from scratch' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder (default: the model folder)' },
  dataset_name: {
    type: 'strings',
    default: [],
    required: true,
    doc: 'training files (.jsonl, .json, .parquet) or folders of them — local paths (TRL: a hub name or a path)',
  },
  eval_dataset_name: { type: 'strings', default: [], doc: 'held-out files for eval loss' },
  eval_fraction: {
    type: 'number',
    default: 0,
    min: 0,
    max: 0.5,
    doc: 'share of training rows held out for eval loss when eval_dataset_name is empty',
  },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder (config, metrics, checkpoints, final model)' },
  max_length: { type: 'int', default: 512, min: 8, doc: 'tokens per training row (TRL: 1024)' },
  packing: {
    type: 'bool',
    default: true,
    doc: 'pack samples into rows with sample masking (isolated attention, restarting positions; TRL: false)',
  },
  completion_only_loss: { type: 'bool', default: true, doc: 'loss on the assistant / completion tokens only (false: on every token)' },
  error_policy: { type: 'string', default: 'fail', values: ['fail', 'skip'], doc: 'malformed rows: stop, or skip and count' },
  ...readFields(),
  truncation: { type: 'string', default: 'truncate', values: ['drop', 'truncate'], doc: 'samples longer than max_length' },
  ...loopFields({
    epochs: 2,
    epochsDoc: 'passes over the data (V3: 2; TRL: 3)',
    lr: 5e-6,
    lrDoc: 'peak learning rate (V3: 5e-6; TRL: 2e-5)',
    minLr: 1e-6,
    minLrDoc: 'final learning rate of the decay (V3: 1e-6)',
    weightDecay: 0.1,
    batchDoc: 'rows per micro-batch',
  }),
  ...adamFields(0.95, 'AdamW beta2 (TRL: 0.999)'),
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'clip gradients to this global norm (0: no clipping)' },
  ...loraFields({ dropout: 0.05, what: '' }),
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of initialisation, shuffling and dropout' },
  eval_steps: { type: 'int', default: 0, min: 0, doc: 'steps between eval-loss passes (0: at the end only)' },
  save_steps: { type: 'int', default: 0, min: 0, doc: 'steps between checkpoints (0: at the end only)' },
  save_total_limit: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  ...scaleFields(),
  ...reportFields(),
  ...headFields(),
  ...dtypeField('the weights'),
  resume_from_checkpoint: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir when there is one' },
  ...runFolderFields(),
});

export type SftConfig = ConfigOf<typeof SFT_SCHEMA>;

/** What `posttrain pretrain` changes: plain language modelling from scratch. */
export const PRETRAIN_DEFAULTS: Partial<SftConfig> = {
  completion_only_loss: false,
  num_train_epochs: 1,
  learning_rate: 1e-3,
  min_lr: 1e-4,
  warmup_ratio: 0.02,
  weight_decay: 0.1,
};

/** The SFT schema with other defaults (pretrain's). */
export function schemaWithDefaults(overrides: Partial<SftConfig>): typeof SFT_SCHEMA {
  const s: Record<string, Schema[string]> = {};
  for (const [k, spec] of Object.entries(SFT_SCHEMA))
    s[k] = k in overrides ? { ...spec, default: (overrides as Record<string, unknown>)[k] } : spec;
  return s as unknown as typeof SFT_SCHEMA;
}
