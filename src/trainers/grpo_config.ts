// The GRPO run config (flat, validated once like SFT's): sampling, rewards, the loss variants of
// grpo_loss.ts, the loop's sizes, LoRA and logging. Defaults follow DeepSeekMath where V3 gives none
// (β 0.04, one update per sampling round) with a group of 8 for small runs.
import { loraFields, type Schema } from './config.js';

export interface GrpoConfig {
  model: string;
  tokenizer: string | null;
  train_data: string[];
  output_dir: string;
  system_prompt: string | null;
  group_size: number;
  prompts_per_step: number;
  generation_batch_size: number;
  micro_batch_size: number;
  max_prompt_tokens: number;
  max_new_tokens: number;
  temperature: number;
  top_p: number;
  top_k: number;
  rewards: string[];
  reward_weights: number[];
  accuracy_reward: string | null;
  overlong_buffer: number;
  overlong_penalty: number;
  lr: number;
  schedule: 'constant' | 'cosine' | 'linear';
  warmup_steps: number;
  min_lr: number;
  weight_decay: number;
  max_grad_norm: number;
  beta: number;
  kl_estimator: 'k1' | 'k2' | 'k3';
  kl_in_reward: boolean;
  ref_refresh_every: number;
  entropy_coef: number;
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
  dynamic_sampling_rounds: number;
  mask_truncated: boolean;
  lora: boolean;
  lora_r: number;
  lora_alpha: number;
  lora_dropout: number;
  lora_targets: string[];
  log_samples_every: number;
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
  generation_batch_size: { type: 'int', default: 0, min: 0, doc: 'completions per round instead of prompts_per_step; fitted to a multiple of G (0: prompts_per_step × G)' },
  micro_batch_size: { type: 'int', default: 16, min: 0, doc: 'sequences per forward/backward in the update; gradients accumulate over the round (0: all at once; small ones are faster on CPU)' },
  max_prompt_tokens: { type: 'int', default: 0, min: 0, doc: 'longer prompts keep their last tokens (0: no limit)' },
  max_new_tokens: { type: 'int', default: 128, min: 1, doc: 'completion length limit' },
  temperature: { type: 'number', default: 1, min: 0.01, doc: 'sampling temperature (also applied to the log-probs in the loss)' },
  top_p: { type: 'number', default: 1, min: 0.01, max: 1, doc: 'nucleus sampling' },
  top_k: { type: 'int', default: 0, min: 0, doc: 'top-k sampling (0: off)' },
  rewards: { type: 'strings', default: ['math', 'format'], doc: 'reward functions: math (verifyMath vs the answer column), format (<think> block), boxed (a \\boxed{} answer present), code (tests column run in the sandbox), steps (built-in task: grounded, true equations)' },
  reward_weights: { type: 'numbers', default: [], doc: 'weights, one per reward (empty: 1 each)' },
  accuracy_reward: { type: 'string', default: null, nullable: true, doc: 'the reward logged and shown as accuracy (default: math or code when listed)' },
  overlong_buffer: { type: 'int', default: 0, min: 0, doc: 'DAPO soft overlong punishment over the last N tokens before max_new_tokens (0: off)' },
  overlong_penalty: { type: 'number', default: 1, min: 0, doc: 'weight of the overlong punishment (reaches −weight at max_new_tokens)' },
  lr: { type: 'number', default: 1e-6, min: 0, doc: 'learning rate (DeepSeekMath: 1e-6)' },
  schedule: { type: 'string', default: 'constant', values: ['constant', 'cosine', 'linear'], doc: 'learning-rate schedule over max_steps' },
  warmup_steps: { type: 'int', default: 0, min: 0, doc: 'linear warmup rounds' },
  min_lr: { type: 'number', default: 0, min: 0, doc: 'final learning rate of cosine / linear' },
  weight_decay: { type: 'number', default: 0, min: 0, doc: 'AdamW weight decay' },
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'gradient clipping (0: off)' },
  beta: { type: 'number', default: 0.04, min: 0, doc: 'KL coefficient (0: no reference model)' },
  kl_estimator: { type: 'string', default: 'k3', values: ['k1', 'k2', 'k3'], doc: 'KL estimator' },
  kl_in_reward: { type: 'bool', default: false, doc: 'subtract β × the sequence KL from the reward instead of adding the KL to the loss' },
  ref_refresh_every: { type: 'int', default: 0, min: 0, doc: 'copy the policy into the reference every N rounds (DeepSeekMath iterative RL; 0: never)' },
  entropy_coef: { type: 'number', default: 0, doc: 'entropy bonus coefficient (0: entropy only logged)' },
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
  dynamic_sampling_rounds: { type: 'int', default: 4, min: 1, doc: 'sampling passes per round at most while refilling dropped groups' },
  mask_truncated: { type: 'bool', default: false, doc: 'no loss on completions cut by max_new_tokens' },
  ...loraFields({ dropout: 0, what: ' (the reference is then the base: adapters switched off)' }),
  log_samples_every: { type: 'int', default: 10, min: 0, doc: 'rounds between samples.jsonl entries (prompt, completions, rewards, advantages; 0: never)' },
  max_steps: { type: 'int', default: 100, min: 1, doc: 'sampling rounds' },
  save_every: { type: 'int', default: 0, min: 0, doc: 'rounds between checkpoints (0: at the end)' },
  keep_last: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of prompt order and sampling' },
  resume: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir' },
};
