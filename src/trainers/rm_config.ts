// The reward-model run config (`posttrain rm`), flat and validated once like SFT's: the SFT folder
// the model starts from, preference files, the Bradley-Terry options, the loop's sizes and its
// checkpoints (save_every, keep_last, resume as in GRPO's).
// Defaults follow TRL's RewardTrainer where it has one.
import { defineSchema, type ConfigOf } from '../common/schema.js';
import { scaleFields, adamFields, reportFields, runFolderFields } from './fields.js';
import { readFields } from '../data/read_fields.js';

export const RM_SCHEMA = defineSchema({
  model_name_or_path: {
    type: 'string',
    default: null,
    required: true,
    doc: 'SFT (causal LM) folder the reward model starts from, or a reward-model folder to continue',
  },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder (default: the model folder)' },
  dataset_name: {
    type: 'strings',
    default: [],
    required: true,
    doc: 'preference files: {prompt | question, chosen, rejected, margin?} or {chosen, rejected} conversations',
  },
  eval_dataset_name: { type: 'strings', default: [], doc: 'held-out preference files (default: eval_fraction of dataset_name)' },
  eval_fraction: { type: 'number', default: 0.05, min: 0, max: 0.5, doc: 'share of dataset_name held out when eval_dataset_name is empty' },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder (config, metrics, checkpoints, final reward model)' },
  system_prompt: { type: 'string', default: null, nullable: true, doc: 'system message put before conversational prompts' },
  max_length: { type: 'int', default: 1024, min: 2, doc: 'pairs with a longer side are dropped (and counted)' },
  ...readFields(),
  per_device_train_batch_size: { type: 'int', default: 8, min: 1, doc: 'pairs per step' },
  num_train_epochs: { type: 'int', default: 1, min: 1, doc: 'passes over the pairs' },
  max_steps: { type: 'int', default: 0, min: 0, doc: 'stop after this many steps (0: epochs decide)' },
  learning_rate: { type: 'number', default: 1e-5, min: 0, doc: 'learning rate' },
  min_lr: { type: 'number', default: 0, min: 0, doc: 'final learning rate of cosine / linear' },
  lr_scheduler_type: { type: 'string', default: 'cosine', values: ['constant', 'cosine', 'linear'], doc: 'learning-rate schedule' },
  warmup_ratio: { type: 'number', default: 0.03, min: 0, max: 1, doc: 'warmup as a share of all steps' },
  weight_decay: { type: 'number', default: 0, min: 0, doc: 'AdamW weight decay (never on norms and biases)' },
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'gradient clipping (0: off)' },
  center_rewards_coefficient: {
    type: 'number',
    default: 0,
    min: 0,
    doc: 'reward centering λ: adds λ·mean((r_chosen + r_rejected)²) (0: off)',
  },
  eval_steps: { type: 'int', default: 0, min: 0, doc: 'steps between held-out evaluations (0: at the end only)' },
  save_steps: { type: 'int', default: 0, min: 0, doc: 'steps between checkpoints (0: at the end)' },
  save_total_limit: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  logging_steps: {
    type: 'int',
    default: 1,
    min: 1,
    doc: 'steps between metrics lines, each field averaged over them (1: every step; TRL: 10)',
  },
  ...scaleFields(),
  ...reportFields(),
  ...adamFields(0.999, 'AdamW beta2'),
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of the value head, the split and the order' },
  resume_from_checkpoint: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir' },
  ...runFolderFields(),
});

export type RmConfig = ConfigOf<typeof RM_SCHEMA>;
