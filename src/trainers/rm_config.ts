// The reward-model run config (`posttrain rm`), flat and validated once like SFT's: the SFT folder
// the model starts from, preference files, the Bradley-Terry options, the loop's sizes and its
// checkpoints (save_every, keep_last, resume as in GRPO's).
// Defaults follow TRL's RewardTrainer where it has one.
import type { Schema } from './config.js';

export interface RmConfig {
  model: string;
  tokenizer: string | null;
  train_data: string[];
  eval_data: string[];
  eval_fraction: number;
  output_dir: string;
  system_prompt: string | null;
  max_length: number;
  batch_size: number;
  epochs: number;
  max_steps: number;
  lr: number;
  min_lr: number;
  schedule: 'constant' | 'cosine' | 'linear';
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  center_rewards: number;
  eval_every: number;
  save_every: number;
  keep_last: number;
  seed: number;
  resume: boolean;
}

export const RM_SCHEMA: Schema = {
  model: { type: 'string', default: null, required: true, doc: 'SFT (causal LM) folder the reward model starts from, or a reward-model folder to continue' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder (default: the model folder)' },
  train_data: { type: 'strings', default: [], required: true, doc: 'preference files: {prompt | question, chosen, rejected, margin?} or {chosen, rejected} conversations' },
  eval_data: { type: 'strings', default: [], doc: 'held-out preference files (default: eval_fraction of train_data)' },
  eval_fraction: { type: 'number', default: 0.05, min: 0, max: 0.5, doc: 'share of train_data held out when eval_data is empty' },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder (config, metrics, checkpoints, final reward model)' },
  system_prompt: { type: 'string', default: null, nullable: true, doc: 'system message put before conversational prompts' },
  max_length: { type: 'int', default: 1024, min: 2, doc: 'pairs with a longer side are dropped (and counted)' },
  batch_size: { type: 'int', default: 8, min: 1, doc: 'pairs per step' },
  epochs: { type: 'int', default: 1, min: 1, doc: 'passes over the pairs' },
  max_steps: { type: 'int', default: 0, min: 0, doc: 'stop after this many steps (0: epochs decide)' },
  lr: { type: 'number', default: 1e-5, min: 0, doc: 'learning rate' },
  min_lr: { type: 'number', default: 0, min: 0, doc: 'final learning rate of cosine / linear' },
  schedule: { type: 'string', default: 'cosine', values: ['constant', 'cosine', 'linear'], doc: 'learning-rate schedule' },
  warmup_ratio: { type: 'number', default: 0.03, min: 0, max: 1, doc: 'warmup as a share of all steps' },
  weight_decay: { type: 'number', default: 0, min: 0, doc: 'AdamW weight decay (never on norms and biases)' },
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'gradient clipping (0: off)' },
  center_rewards: { type: 'number', default: 0, min: 0, doc: 'reward centering λ: adds λ·mean((r_chosen + r_rejected)²) (TRL center_rewards_coefficient; 0: off)' },
  eval_every: { type: 'int', default: 0, min: 0, doc: 'steps between held-out evaluations (0: at the end only)' },
  save_every: { type: 'int', default: 0, min: 0, doc: 'steps between checkpoints (0: at the end)' },
  keep_last: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of the value head, the split and the order' },
  resume: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir' },
};
