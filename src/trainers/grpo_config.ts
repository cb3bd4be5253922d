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
  rule_rewards: string[];
  reward_models: string[];
  reward_model_ensemble: 'mean' | 'min';
  reward_model_transform: 'sigmoid' | 'none';
  judge: string | null;
  judge_model: string | null;
  judge_api_key_env: string;
  judge_votes: number;
  judge_temperature: number;
  judge_max_tokens: number;
  judge_rubric: string | null;
  judge_without_reference: boolean;
  judge_cache_dir: string | null;
  reward_gate: string | null;
  reward_gate_threshold: number;
  gated_reward: number;
  model_reward_clip: number[];
  cross_check: number;
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
  rewards: { type: 'strings', default: ['math', 'format'], doc: 'reward functions: math (verifyMath vs the answer column, the completion read as TRL\'s accuracy reward reads it: LaTeX, boxes first, an anchor required), format (<think> block), boxed (a \\boxed{} answer present), code (tests column run in the sandbox), steps (built-in task: grounded, true equations), routed (per row as in V3: the math / code verifier where the row has answer / tests, the judge with the reference where it has a free-form reference, the reward models and rubric judge otherwise)' },
  reward_weights: { type: 'numbers', default: [], doc: 'weights, one per reward (empty: 1 each); a weight-0 reward is only logged, and a row it cannot check still counts' },
  accuracy_reward: { type: 'string', default: null, nullable: true, doc: 'the reward logged and shown as accuracy (default: math or code when listed)' },
  // ---- model-based rewards, used through the 'routed' reward (SPEC.md §2.1; src/rewards/routing.ts)
  rule_rewards: { type: 'strings', default: ['math', 'code'], doc: "the 'routed' reward's rule verifiers, tried in order: the first that can check the row (math: an answer column, code: tests) gives the reward" },
  reward_models: { type: 'strings', default: [], doc: "scalar reward-model folders (posttrain rm): the 'routed' reward's model ensemble for rows no rule can check" },
  reward_model_ensemble: { type: 'string', default: 'mean', values: ['mean', 'min'], doc: 'how the model scores of one completion combine (min: the most pessimistic, harder to hack)' },
  reward_model_transform: { type: 'string', default: 'sigmoid', values: ['sigmoid', 'none'], doc: 'reward-model logits → σ(r) in (0, 1), the rule verifiers\' range, or raw' },
  judge: { type: 'string', default: null, nullable: true, doc: 'generative judge: a model folder or an OpenAI-compatible server URL (http://host:port/v1); judges rows with a free-form `reference` column, and with judge_without_reference the others by rubric' },
  judge_model: { type: 'string', default: null, nullable: true, doc: 'the judge\'s model name at the server (judge is a URL)' },
  judge_api_key_env: { type: 'string', default: 'OPENAI_API_KEY', doc: 'environment variable with the judge server\'s API key (unset: none)' },
  judge_votes: { type: 'int', default: 1, min: 1, doc: 'judgements per completion, majority (verdicts) or mean (scores) — V3\'s voting; > 1 needs judge_temperature > 0' },
  judge_temperature: { type: 'number', default: 0, min: 0, doc: 'judge sampling temperature (0: greedy)' },
  judge_max_tokens: { type: 'int', default: 256, min: 1, doc: 'the judge\'s reasoning + verdict length limit' },
  judge_rubric: { type: 'string', default: null, nullable: true, doc: 'rubric / constitution for judging without a reference (a row\'s `rubric` column wins; default: helpful, correct, honest, concise)' },
  judge_without_reference: { type: 'bool', default: false, doc: 'the judge also scores rows without a reference (rubric mode), as a member of the model ensemble' },
  judge_cache_dir: { type: 'string', default: null, nullable: true, doc: 'remote judge: folder of cached responses' },
  reward_gate: { type: 'string', default: null, nullable: true, doc: 'a reward (e.g. format) that must reach reward_gate_threshold before a model score counts' },
  reward_gate_threshold: { type: 'number', default: 1, doc: 'the gate\'s pass mark' },
  gated_reward: { type: 'number', default: 0, doc: 'the routed reward of a completion that fails the gate' },
  model_reward_clip: { type: 'numbers', default: [], doc: '[lo, hi]: model scores are clipped into this range (empty: no clipping)' },
  cross_check: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'share of rule-checked completions also scored by the models, for the model-rule disagreement diagnostic' },
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
