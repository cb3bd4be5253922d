// The token-level distillation run config (`posttrain distill`), flat and validated once like SFT's
// (common/schema.ts), in TRL's GKDConfig vocabulary: the student and teacher folders (one tokenizer), SFT-style training rows,
// the divergence of kd_loss.ts with its β and temperature, GKD's on-policy fraction λ, an optional
// cross-entropy term on the dataset's responses, the loop's sizes, LoRA and checkpoints.
// Defaults: off-policy forward KL (classic token-level KD, the cheapest); GKD's setting as in TRL's
// GKDConfig is loss: jsd, beta: 0.5, lmbda: 0.5.
import { defineSchema, type ConfigOf } from '../common/schema.js';
import { loraFields, loopFields, scaleFields, headFields, dtypeField, adamFields, reportFields, runFolderFields } from './fields.js';
import { KD_LOSSES, type KdLossKind } from './kd_loss.js';
import { readFields } from '../data/read_fields.js';

export const DISTILL_SCHEMA = defineSchema({
  model_name_or_path: { type: 'string', default: null, required: true, doc: 'HF model folder of the student (the model trained)' },
  teacher_model_name_or_path: {
    type: 'string',
    default: null,
    required: true,
    doc: "HF model folder of the teacher: loaded once, frozen, run under no-grad each step; must share the student's tokenizer and vocab_size",
  },
  tokenizer: {
    type: 'string',
    default: null,
    nullable: true,
    doc: "tokenizer folder (default: the student folder); the teacher folder's tokenizer must be the same",
  },
  dataset_name: {
    type: 'strings',
    default: [],
    required: true,
    doc: 'SFT-style rows: messages conversations or prompt/completion (the loss is on the assistant / completion tokens)',
  },
  output_dir: { type: 'string', default: null, required: true, doc: 'run folder (config, metrics, checkpoints, final model)' },
  loss: {
    type: 'string',
    default: 'forward_kl',
    values: KD_LOSSES,
    doc: 'forward_kl KL(p_T‖p_S) | reverse_kl KL(p_S‖p_T) | jsd: generalised JSD(β) of GKD',
  },
  beta: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    doc: 'JSD β (TRL convention): M = β·p_T + (1−β)·p_S, JSD = β·KL(p_T‖M) + (1−β)·KL(p_S‖M); 0 = forward KL, 1 = reverse KL',
  },
  lmbda: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1,
    doc: "on-policy fraction λ: each step, with probability λ (seeded draw), the batch's prompts are answered by the student and the loss is on those responses",
  },
  temperature: {
    type: 'number',
    default: 1,
    min: 0.01,
    doc: 'distillation temperature T: both distributions are softmax(logits / T) (no T² factor)',
  },
  generation_temperature: {
    type: 'number',
    default: null,
    nullable: true,
    min: 0,
    doc: 'sampling temperature of the on-policy responses (null: temperature; 0: greedy)',
  },
  max_new_tokens: { type: 'int', default: 128, min: 1, doc: 'length limit of the on-policy responses' },
  sft_weight: {
    type: 'number',
    default: 0,
    min: 0,
    doc: "loss = kd_loss + sft_weight × cross-entropy on the dataset's responses (on on-policy steps too: an extra student pass over the dataset rows)",
  },
  max_length: { type: 'int', default: 1024, min: 8, doc: 'tokens per dataset example (prompt + response)' },
  truncation: { type: 'string', default: 'truncate', values: ['drop', 'truncate'], doc: 'examples longer than max_length' },
  error_policy: { type: 'string', default: 'fail', values: ['fail', 'skip'], doc: 'malformed rows: stop, or skip and count' },
  ...readFields(),
  ...loopFields({
    epochs: 1,
    epochsDoc: 'passes over the data',
    lr: 1e-5,
    lrDoc: 'peak learning rate',
    minLr: 1e-6,
    minLrDoc: 'final learning rate of the decay',
    weightDecay: 0,
    batchDoc: 'examples per micro-batch',
  }),
  max_grad_norm: { type: 'number', default: 1, min: 0, doc: 'clip gradients to this global norm (0: no clipping)' },
  ...loraFields({ dropout: 0.05, what: ' of the student' }),
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of the data order, the λ draws, on-policy sampling and dropout' },
  save_steps: { type: 'int', default: 0, min: 0, doc: 'steps between checkpoints (0: at the end only)' },
  save_total_limit: { type: 'int', default: 2, min: 1, doc: 'checkpoints kept' },
  ...scaleFields(),
  ...reportFields(),
  ...adamFields(0.95, 'AdamW beta2'),
  ...headFields(),
  ...dtypeField("the student's and the teacher's weights"),
  resume_from_checkpoint: { type: 'bool', default: true, doc: 'continue from the newest checkpoint in output_dir when there is one' },
  ...runFolderFields(),
});

export type DistillConfig = ConfigOf<typeof DISTILL_SCHEMA>;
