// The one table of operation kinds: each entry is { summary, schema, run }. `posttrain <kind>
// --config=FILE --key=value` is a one-stage run through it (cli/kind.ts), and a recipe's stages run
// through it too (stages.ts) — one validation path for every config (common/schema.ts: unknown keys
// refused with a did-you-mean), one adapter from a config to a trainer or tool: pretrain / sft, rm,
// grpo, distill, gen-data, mix (the sample-type mix ratio), annotate (the human annotation gate,
// annotate/gate.ts), and eval (the math harness over several models, eval/models.ts: accuracy and
// mean response length, the columns of V3 Table 9). A stage's output paths default to its folder.
import { dirname, join } from 'node:path';
import { schemaWithDefaults, PRETRAIN_DEFAULTS, type SftConfig } from '../trainers/sft_config.js';
import { trainSft } from '../trainers/sft.js';
import { RM_SCHEMA, type RmConfig } from '../trainers/rm_config.js';
import { trainRewardModel } from '../trainers/rm.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../trainers/grpo/config.js';
import { trainGrpo } from '../trainers/grpo/train.js';
import { DISTILL_SCHEMA, type DistillConfig } from '../trainers/distill_config.js';
import { trainDistill } from '../trainers/distill.js';
import { GEN_DATA_SCHEMA, type GenDataConfig } from '../datagen/gen_config.js';
import { generateData } from '../datagen/gen_data.js';
import { MIX_SCHEMA, mixSampleTypes } from '../datagen/mix.js';
import type { RewardFn } from '../rewards/compose.js';
import { resolveConfig, type ConfigOf, type Schema } from '../common/schema.js';
import { EVAL_SCHEMA, evaluateModels } from '../eval/models.js';
import { ANNOTATE_SCHEMA, runAnnotationGate } from '../annotate/gate.js';
import type { QueueItem } from '../annotate/queue.js';
import { StageWaiting, type StageContext, type StageKind, type StageResult } from './stages.js';

const TRAINER_LABEL = (name: string) => name.slice(0, 12);

export interface StageKindOptions {
  /** Reward functions GRPO stages may name besides the built-in ones (the API's rewardFns). */
  rewardFns?: Record<string, RewardFn>;
  quiet?: boolean;
  /** The automatic annotator of annotate stages with auto: grader — true accepts, false rejects (marked 'auto'). */
  autoAnnotator?: (item: QueueItem) => boolean;
}

/** One kind of operation: what it does, its config's fields, and how it runs a resolved config. */
export interface KindSpec<S extends Schema = Schema> {
  summary: string;
  schema: S;
  /** Output fields a stage fills from its own folder when its config leaves them out. */
  outputs: (dir: string) => Record<string, unknown>;
  /** The folder a one-stage run (the command) works in, from its resolved config. */
  folder: (cfg: ConfigOf<S>) => string;
  run: (cfg: ConfigOf<S>, ctx: StageContext) => Promise<StageResult>;
  /** A trainer that runs data parallel when launched as several ranks (torchrun, `posttrain launch`). */
  dataParallel?: boolean;
}

function kind<const S extends Schema>(k: KindSpec<S>): KindSpec<S> {
  return k;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const inDir = (dir: string) => ({ output_dir: dir });

/** The table of kinds, by the names configs and commands use. */
export function kindTable(o: StageKindOptions = {}): Record<string, KindSpec> {
  const trainer = (k: 'sft' | 'pretrain') =>
    kind({
      summary:
        k === 'sft'
          ? 'supervised fine-tuning (DeepSeek-V3 §5.1 defaults: 2 epochs, cosine 5e-6 → 1e-6, packing with sample masking, loss on responses)'
          : 'the SFT trainer on text rows from scratch or a base: loss on every token',
      schema: schemaWithDefaults(k === 'pretrain' ? PRETRAIN_DEFAULTS : {}),
      dataParallel: true,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (cfg, ctx) => {
        const r = await trainSft(cfg, { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
        return {
          output: r.finalDir,
          metrics: { steps: r.steps, final_loss: r.finalLoss, eval_loss: r.evalLoss, tokens_per_s: r.tokensPerSecond },
        };
      },
    });
  const table = {
    pretrain: trainer('pretrain'),
    sft: trainer('sft'),
    rm: kind({
      summary: 'a scalar reward model from an SFT folder on preference pairs (Bradley-Terry)',
      schema: RM_SCHEMA,
      dataParallel: true,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (cfg, ctx) => {
        const r = await trainRewardModel(cfg, { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
        return {
          output: r.finalDir,
          metrics: {
            steps: r.steps,
            ...(r.eval ? { eval_accuracy: r.eval.accuracy, eval_margin: r.eval.margin, eval_pairs: r.eval.n } : {}),
          },
        };
      },
    }),
    grpo: kind({
      summary: 'GRPO: group sampling, rule / judge / reward-model rewards routed per row, clipped surrogate with KL',
      schema: GRPO_SCHEMA,
      dataParallel: true,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (cfg, ctx) => {
        const r = await trainGrpo(cfg, { label: TRAINER_LABEL(ctx.name), quiet: o.quiet, rewardFns: o.rewardFns });
        return {
          output: r.finalDir,
          metrics: {
            steps: r.steps,
            reward_first5: mean(r.rewards.slice(0, 5)),
            reward_last5: mean(r.rewards.slice(-5)),
            accuracy_first5: mean(r.accuracy.slice(0, 5)),
            accuracy_last5: mean(r.accuracy.slice(-5)),
          },
        };
      },
    }),
    distill: kind({
      summary:
        'token-level distillation from a teacher folder (same tokenizer): forward KL, reverse KL or generalised JSD(β), on-policy fraction λ (GKD)',
      schema: DISTILL_SCHEMA,
      dataParallel: true,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (cfg, ctx) => {
        const r = await trainDistill(cfg, { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
        return {
          output: r.finalDir,
          metrics: {
            steps: r.steps,
            final_loss: r.finalLoss,
            final_kd_loss: r.finalKdLoss,
            on_policy_steps: r.onPolicySteps,
            tokens: r.tokensSeen,
          },
        };
      },
    }),
    'gen-data': kind({
      summary:
        'expert data with rejection sampling: a teacher (folder or server URL) answers under a reflection/verification system prompt; verified samples of both types, decontaminated, with provenance; resumable',
      schema: GEN_DATA_SCHEMA,
      outputs: (dir) => ({ output: join(dir, 'data.jsonl') }),
      folder: (c) => dirname(c.output),
      run: async (cfg, ctx) => {
        const s = await generateData(cfg, { log: ctx.log, quiet: o.quiet });
        return { output: cfg.output, metrics: { ...s } };
      },
    }),
    mix: kind({
      summary: "the mix ratio of V3's two reasoning sample types (a length control of Table 9), plus further files as they are",
      schema: MIX_SCHEMA,
      outputs: (dir) => ({ output: join(dir, 'mixed.jsonl') }),
      folder: (c) => dirname(c.output),
      run: async (cfg, ctx) => ({ output: cfg.output, metrics: { ...(await mixSampleTypes(cfg)) } }),
    }),
    annotate: kind({
      summary:
        'the annotation gate: a generalist model answers prompts into a queue that people (or an automatic annotator) decide; the accepted and edited answers are the output',
      schema: ANNOTATE_SCHEMA,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (c, ctx) => {
        const r = await runAnnotationGate(c, { where: ctx.where, log: ctx.log, autoAnnotator: o.autoAnnotator });
        if (r.waiting !== null) throw new StageWaiting(r.waiting);
        return {
          output: r.output,
          metrics: { items: r.items, accepted: r.accepted, edited: r.edited, rejected: r.rejected, auto: c.auto },
        };
      },
    }),
    eval: kind({
      summary:
        'math evaluation of one model or several (folders or OpenAI-compatible servers): greedy accuracy, pass@1, pass@k and maj@k over k samples, response lengths',
      schema: EVAL_SCHEMA,
      outputs: inDir,
      folder: (c) => c.output_dir,
      run: async (c, ctx) => {
        const results = await evaluateModels(c, { where: ctx.where, log: ctx.log });
        return { output: join(c.output_dir, 'eval.json'), metrics: { models: results } };
      },
    }),
  };
  return table as unknown as Record<string, KindSpec>;
}

/** The table as the stage runner's kinds: each resolves its config (its folder filling the outputs) and runs. */
export function stageKinds(o: StageKindOptions = {}): Record<string, StageKind> {
  return Object.fromEntries(
    Object.entries(kindTable(o)).map(([name, k]) => [
      name,
      (config: Record<string, unknown>, ctx: StageContext) =>
        k.run(resolveConfig(k.schema, { ...k.outputs(ctx.dir), ...config }, ctx.where), ctx),
    ]),
  );
}
