// The GRPO run config (flat, validated once like SFT's): sampling, rewards, the loss variants of
// grpo_loss.ts, and the loop's sizes. Defaults follow DeepSeekMath where V3 gives none (β 0.04,
// one update per sampling round) with a group of 8 for small runs.
import type { Schema } from './config.js';

export interface GrpoConfig {
  model: string;
  tokenizer: string | null;
  train_data: string[];
  output_dir: string;
  system_prompt: string | null;
  group_size: number;
  prompts_per_step: number;
  max_new_tokens: number;
  temperature: number;
  top_p: number;
  top_k: number;
  rewards: string[];
  reward_weights: number[];
  lr: number;
  weight_decay: number;
  max_grad_norm: number;
  beta: number;
  kl_estimator: 'k1' | 'k2' | 'k3';
  eps_low: number;
  eps_high: number;
  dual_clip: number;
  ratio_level: 'token' | 'sequence-geomean' | 'sequence';
  aggregation: 'sequence-mean' | 'token-mean' | 'constant-sum';
  adv_scale: 'group' | 'batch' | 'none';
  adv_eps: number;
  bessel: boolean;
  mu: number;
  dynamic_sampling: boolean;
  mask_truncated: boolean;
  max_steps: number;
  save_every: number;
  keep_last: number;
  seed: number;
  resume: boolean;
}

export const GRPO_SCHEMA: Schema = {
  model: { type: 'string', default: null, required: true, doc: 'HF model folder of the policy (and the reference)' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder (default: the model folder)' },
  train_data: { type: 'strings', default: [], required: true, doc: 'prompt files: rows with messages | prompt | question, plus reward columns (answer, …)' },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder' },
  system_prompt: { type: 'string', default: null, nullable: true, doc: 'system message put before each prompt' },
  group_size: { type: 'int', default: 8, min: 2, doc: 'completions sampled per prompt (G)' },
  prompts_per_step: { type: 'int', default: 8, min: 1, doc: 'prompts per sampling round (batch = prompts × G)' },
  max_new_tokens: { type: 'int', default: 128, min: 1, doc: 'completion length limit' },
  temperature: { type: 'number', default: 1, min: 0.01, doc: 'sampling temperature (also applied to the log-probs in the loss)' },
  top_p: { type: 'number', default: 1, min: 0.01, max: 1, doc: 'nucleus sampling' },
  top_k: { type: 'int', default: 0, min: 0, doc: 'top-k sampling (0: off)' },
  rewards: { type: 'strings', default: ['math', 'format'], doc: 'reward functions: math (verifyMath vs the answer column), format (<think> block), boxed (a \\boxed{} answer present)' },
  reward_weights: { type: 'numbers', default: [], doc: 'weights, one per reward (empty: 1 each)' },
  lr: { type: 'number', default: 1e-6, min: 0, doc: 'learning rate (DeepSeekMath: 1e-6)' },
  weight_decay: { type: 'number', default: 0, min: 0, doc: 'AdamW weight decay' },
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'gradient clipping (0: off)' },
  beta: { type: 'number', default: 0.04, min: 0, doc: 'KL coefficient (0: no reference model)' },
  kl_estimator: { type: 'string', default: 'k3', values: ['k1', 'k2', 'k3'], doc: 'KL estimator' },
  eps_low: { type: 'number', default: 0.2, min: 0, max: 1, doc: 'clip below 1 − eps_low' },
  eps_high: { type: 'number', default: 0.2, min: 0, doc: 'clip above 1 + eps_high (DAPO clip-higher: 0.28)' },
  dual_clip: { type: 'number', default: 0, min: 0, doc: 'dual clip c > 1 (0: off)' },
  ratio_level: { type: 'string', default: 'token', values: ['token', 'sequence-geomean', 'sequence'], doc: 'importance ratio per token (GRPO), sequence geometric mean (GSPO), sequence product (V3)' },
  aggregation: { type: 'string', default: 'sequence-mean', values: ['sequence-mean', 'token-mean', 'constant-sum'], doc: 'GRPO | DAPO | Dr. GRPO' },
  adv_scale: { type: 'string', default: 'group', values: ['group', 'batch', 'none'], doc: 'advantage scaling' },
  adv_eps: { type: 'number', default: 1e-4, min: 0, doc: 'added to the std' },
  bessel: { type: 'bool', default: false, doc: 'sample std (n − 1)' },
  mu: { type: 'int', default: 1, min: 1, doc: 'policy updates per sampling round' },
  dynamic_sampling: { type: 'bool', default: true, doc: 'drop groups whose rewards all agree (and sample more prompts)' },
  mask_truncated: { type: 'bool', default: false, doc: 'no loss on completions cut by max_new_tokens' },
  max_steps: { type: 'int', default: 100, min: 1, doc: 'sampling rounds' },
  save_every: { type: 'int', default: 0, min: 0, doc: 'rounds between checkpoints (0: at the end)' },
  keep_last: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of prompt order and sampling' },
  resume: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir' },
};
