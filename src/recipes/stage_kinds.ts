// The one table of operation kinds: each entry is { summary, schema, run }. `posttrain <kind>
// --config=FILE --key=value` is a one-stage run through it (cli/kind.ts), and a recipe's stages run
// through it too (stages.ts) — one validation path for every config (common/schema.ts: unknown keys
// refused with a did-you-mean), one adapter from a config to a trainer or tool: pretrain / sft, rm,
// grpo, distill, gen-data, mix (the sample-type mix ratio), annotate (the human annotation gate),
// and eval (the math harness over several models: accuracy and mean response length, the columns
// of V3 Table 9). A stage's output paths default to its folder.
import { dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
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
import { loadModel } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { openChatBackend, isUrl } from '../generation/chat_backend.js';
import { evaluateMath, evaluateMathWith, type MathEvalReport } from '../eval/evaluate.js';
import { loadProblems, type ProblemFormat } from '../eval/problems.js';
import type { RewardFn } from '../rewards/compose.js';
import { defineSchema, resolveConfig, type ConfigOf, type Schema } from '../common/schema.js';
import { StageWaiting, type StageContext, type StageKind, type StageResult } from './stages.js';
import { autoAccept, decide, exportAccepted, fillQueue, readQueue, type QueueItem } from '../annotate/queue.js';
import { readPrompts } from '../annotate/prompts.js';

const TRAINER_LABEL = (name: string) => name.slice(0, 12);

export interface StageKindOptions {
  /** Reward functions GRPO stages may name besides the built-in ones (the API's rewardFns). */
  rewardFns?: Record<string, RewardFn>;
  quiet?: boolean;
  /** The automatic annotator of annotate stages with auto: grader — true accepts, false rejects (marked 'auto'). */
  autoAnnotator?: (item: QueueItem) => boolean;
}

export const ANNOTATE_SCHEMA = defineSchema({
  generalist: {
    type: 'string',
    default: null,
    required: true,
    doc: 'the generalist model that answers: a folder or an OpenAI-compatible server URL',
  },
  generalist_model: { type: 'string', default: null, nullable: true, doc: 'its model name at the server' },
  prompts: {
    type: 'string',
    default: null,
    required: true,
    doc: 'non-reasoning prompts: rows with messages | prompt | question | instruction',
  },
  max_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  temperature: { type: 'number', default: 0.7, min: 0, doc: 'sampling temperature' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
  auto: {
    type: 'string',
    default: 'none',
    values: ['none', 'accept', 'grader'],
    doc: "none: people decide (posttrain annotate --queue=<stage>/queue; the recipe waits); accept: accept every undecided item; grader: the recipe's automatic annotator — both marked annotator 'auto'",
  },
});

export interface ModelEvaluation {
  name: string;
  model: string;
  accuracy: number;
  pass1: number | null;
  majAtK: number | null;
  meanLength: number | null;
  n: number;
}

export const EVAL_SCHEMA = defineSchema({
  models: {
    type: 'objects',
    default: [],
    required: true,
    doc: 'models to evaluate: [{name, model (folder or server URL), served_model?, system?}]',
  },
  data: { type: 'string', default: null, required: true, doc: 'problem file (gsm8k / math / built-in JSONL)' },
  format: { type: 'string', default: 'auto', values: ['auto', 'gsm8k', 'math', 'builtin'], doc: 'problem file format' },
  k: { type: 'int', default: 0, min: 0, doc: 'samples per problem for pass@1 / maj@k (0: greedy only)' },
  temperature: { type: 'number', default: 0.6, min: 0, doc: 'sampling temperature of the k samples' },
  top_p: { type: 'number', default: 0.95, min: 0.01, max: 1, doc: 'nucleus sampling of the k samples' },
  max_new_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  batch_size: { type: 'int', default: 32, min: 1, doc: 'rows per generation batch (local models)' },
  limit: { type: 'int', default: 0, min: 0, doc: 'problems at most (0: all)' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
});

/** One model of an eval stage. */
export interface EvalModelSpec {
  name: string;
  model: string;
  served_model?: string;
  system?: string;
}
export type EvalStageConfig = Omit<ConfigOf<typeof EVAL_SCHEMA>, 'models'> & { models: EvalModelSpec[] };

/** Evaluates each model on the problems; writes eval.json (summaries) and <name>.items.jsonl. */
export async function evaluateModels(c: EvalStageConfig, dir: string, where: string): Promise<ModelEvaluation[]> {
  if (!Array.isArray(c.models) || c.models.length === 0) throw new Error(`${where}: 'models' must list at least one {name, model}`);
  const problems = await loadProblems(c.data, c.format, c.limit > 0 ? c.limit : Infinity);
  const results: ModelEvaluation[] = [];
  for (const [i, m] of c.models.entries()) {
    if (typeof m?.name !== 'string' || typeof m?.model !== 'string')
      throw new Error(`${where}: models[${i}] needs 'name' and 'model' strings`);
    const opts = {
      k: c.k,
      temperature: c.temperature,
      topP: c.top_p,
      maxNewTokens: c.max_new_tokens,
      batchSize: c.batch_size,
      seed: c.seed,
      ...(m.system ? { system: m.system } : {}),
    };
    let r: MathEvalReport;
    if (isUrl(m.model)) {
      r = await evaluateMathWith(
        openChatBackend({ source: m.model, model: m.served_model ?? null, field: `${where} models[${i}]` }),
        problems,
        opts,
      );
    } else {
      const { model } = loadModel(m.model);
      try {
        r = evaluateMath(model, Tokenizer.fromDir(m.model), problems, opts);
      } finally {
        model.dispose();
      }
    }
    writeFileSync(join(dir, `${m.name}.items.jsonl`), r.items.map((it) => JSON.stringify(it)).join('\n') + '\n');
    results.push({
      name: m.name,
      model: m.model,
      accuracy: r.greedyAccuracy,
      pass1: r.pass1,
      majAtK: r.majAtK,
      meanLength: r.meanLength,
      n: r.n,
    });
  }
  writeFileSync(join(dir, 'eval.json'), JSON.stringify(results, null, 2) + '\n');
  return results;
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
      outputs: () => ({}),
      folder: () => '.',
      run: async (c, ctx) => {
        const queue = join(ctx.dir, 'queue');
        const backend = openChatBackend({ source: c.generalist, model: c.generalist_model, field: `${ctx.where} 'generalist'` });
        try {
          const fill = await fillQueue(backend, await readPrompts(c.prompts), queue, {
            model: backend.description,
            maxTokens: c.max_tokens,
            temperature: c.temperature,
            seed: c.seed,
          });
          ctx.log(`  annotation queue ${queue}: ${fill.total} items (${fill.asked} answered now by ${backend.description})`);
        } finally {
          backend.dispose();
        }
        if (c.auto === 'accept') autoAccept(queue);
        if (c.auto === 'grader') {
          if (!o.autoAnnotator)
            throw new Error(
              `${ctx.where}: auto: grader needs the recipe's automatic annotator (the built-in task has one; a YAML recipe uses none or accept)`,
            );
          const state = readQueue(queue);
          for (const item of state.items)
            if (!state.decisions[item.id]) decide(queue, item.id, o.autoAnnotator(item) ? 'accept' : 'reject', null, 'auto');
        }
        const { progress } = readQueue(queue);
        if (progress.undecided > 0)
          throw new StageWaiting(
            `${progress.undecided} of ${progress.total} items wait for annotation: run 'posttrain annotate --queue=${queue}', decide them, then run the recipe again`,
          );
        const file = join(ctx.dir, 'accepted.jsonl');
        const e = exportAccepted(queue, file);
        return {
          output: file,
          metrics: { items: progress.total, accepted: e.accepted, edited: e.edited, rejected: e.rejected, auto: c.auto },
        };
      },
    }),
    eval: kind({
      summary:
        'math evaluation of several models (folders or OpenAI-compatible servers): greedy accuracy, pass@1 and maj@k over k samples, mean response length',
      schema: EVAL_SCHEMA,
      outputs: () => ({}),
      folder: () => '.',
      run: async (c, ctx) => {
        const results = await evaluateModels(c as unknown as EvalStageConfig, ctx.dir, ctx.where);
        for (const r of results)
          ctx.log(`  ${r.name.padEnd(16)} accuracy ${(100 * r.accuracy).toFixed(1)}%  mean length ${r.meanLength?.toFixed(1) ?? '—'}`);
        return { output: join(ctx.dir, 'eval.json'), metrics: { models: results } };
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
