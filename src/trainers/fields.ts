// Field groups several trainers' schemas share, in TRL's vocabulary: LoRA (use_peft, lora_r,
// lora_alpha, lora_dropout, lora_target_modules) and the epoch / batch / learning-rate loop of the
// SFT and distillation trainers, and what happens to a run already in output_dir (run_start.ts).
// Each trainer passes its own defaults.
import type { FieldSpec } from '../common/schema.js';
import { DEVICE_FIELD } from '../models/placement.js';
import { DDP_TIMEOUT_FIELD } from './data_parallel.js';

/** The LoRA fields (TRL's ModelConfig names). */
export function loraFields(o: { dropout: number; what: string }) {
  return {
    use_peft: { type: 'bool', default: false, doc: `train LoRA adapters instead of all weights${o.what}` },
    lora_r: { type: 'int', default: 16, min: 1, doc: 'LoRA rank' },
    lora_alpha: { type: 'number', default: 32, min: 0, doc: 'LoRA alpha (scale alpha / r)' },
    lora_dropout: { type: 'number', default: o.dropout, min: 0, max: 0.99, doc: 'LoRA dropout' },
    lora_target_modules: {
      type: 'strings',
      default: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      doc: 'Linear layers that get adapters',
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** The epoch / batch / learning-rate fields of the SFT and distillation trainers (TRL's names; defaults per trainer). */
export function loopFields(o: {
  epochs: number;
  epochsDoc: string;
  lr: number;
  lrDoc: string;
  minLr: number;
  minLrDoc: string;
  weightDecay: number;
  batchDoc: string;
}) {
  return {
    num_train_epochs: { type: 'int', default: o.epochs, min: 1, doc: o.epochsDoc },
    max_steps: { type: 'int', default: 0, min: 0, doc: 'optimizer steps; 0 = as many as the epochs take (TRL: -1)' },
    per_device_train_batch_size: { type: 'int', default: 8, min: 1, doc: o.batchDoc },
    gradient_accumulation_steps: {
      type: 'int',
      default: 1,
      min: 1,
      doc: 'micro-batches per optimizer step (loss normalised by their token count)',
    },
    learning_rate: { type: 'number', default: o.lr, min: 0, doc: o.lrDoc },
    min_lr: { type: 'number', default: o.minLr, min: 0, doc: o.minLrDoc },
    lr_scheduler_type: {
      type: 'string',
      default: 'cosine',
      values: ['cosine', 'linear', 'constant'],
      doc: "learning-rate schedule after warmup (cosine decays to min_lr: TRL's cosine_with_min_lr)",
    },
    warmup_steps: { type: 'int', default: 0, min: 0, doc: 'warmup steps (0: use warmup_ratio)' },
    warmup_ratio: { type: 'number', default: 0.03, min: 0, max: 1, doc: 'warmup as a share of all steps' },
    weight_decay: { type: 'number', default: o.weightDecay, min: 0, doc: 'AdamW weight decay (never on norms and biases)' },
    logging_steps: {
      type: 'int',
      default: 1,
      min: 1,
      doc: 'steps between metrics lines, each field averaged over them (1: every step; TRL: 10)',
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** Where metrics go besides metrics.jsonl (transformers' report_to). */
export function reportFields() {
  return {
    report_to: {
      type: 'strings',
      default: [],
      values: ['tensorboard', 'all', 'none'],
      doc: "also write metrics as TensorBoard event files in <output_dir>/runs/ ('tensorboard'; 'all' is the same here; 'none' or [] for metrics.jsonl only)",
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** AdamW's moments (TRL's TrainingArguments names); beta2's default differs per trainer. */
export function adamFields(beta2: number, beta2Doc: string) {
  return {
    adam_beta1: { type: 'number', default: 0.9, min: 0, max: 0.999999, doc: 'AdamW beta1' },
    adam_beta2: { type: 'number', default: beta2, min: 0, max: 0.999999, doc: beta2Doc },
    adam_epsilon: { type: 'number', default: 1e-8, min: 0, doc: 'AdamW epsilon' },
  } as const satisfies Record<string, FieldSpec>;
}

/** Device, mixed precision, activation memory and data parallelism: every trainer's scale settings (the head's chunking in headFields). */
export function scaleFields() {
  return {
    device: DEVICE_FIELD,
    ddp_timeout: DDP_TIMEOUT_FIELD,
    bf16: {
      type: 'bool',
      default: false,
      doc: 'mixed precision: compute in bfloat16, float32 master weights and optimizer state (as TRL/accelerate bf16)',
    },
    fp16: {
      type: 'bool',
      default: false,
      doc: 'mixed precision in float16 with dynamic loss scaling (CUDA only: the CPU has no float16 matmul)',
    },
    gradient_checkpointing: {
      type: 'bool',
      default: false,
      doc: 'recompute each decoder layer in the backward instead of keeping its activations (less memory, ~1/3 more compute)',
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** The chunked output head of the trainers whose losses read the language-model logits. */
export function headFields() {
  return {
    logits_chunk_size: {
      type: 'int',
      default: 0,
      min: 0,
      doc: 'positions per chunk of the output head in losses, so full (tokens, vocab) logits never exist (0: automatic, ~64 MB of float32 logits per chunk; TRL: use_liger_kernel)',
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** The stored dtype of a trainer's models: float32, or pure half precision asked for explicitly. */
export function dtypeField(whose: string) {
  return {
    dtype: {
      type: 'string',
      default: 'float32',
      values: ['float32', 'bfloat16'],
      doc: `stored dtype of ${whose} and of the optimizer state: bfloat16 is pure half precision (updates below its spacing are lost; bf16: true is mixed precision)`,
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** The fields every trainer's schema takes for what happens to a run already in output_dir. */
export function runFolderFields() {
  return {
    overwrite_output_dir: {
      type: 'bool',
      default: false,
      doc: "with resume_from_checkpoint: false, remove the run already in output_dir (checkpoints, final model, metrics) and start over (transformers' overwrite_output_dir)",
    },
    resume_with_changed_config: {
      type: 'bool',
      default: false,
      doc: 'resume a run whose config.json differs from this config in fields that change training (refused otherwise, naming them); also continues a finished run, e.g. with more max_steps',
    },
  } as const satisfies Record<string, FieldSpec>;
}
