// The kinds of stage a recipe is made of, each a thin adapter from a config (the same fields as the
// matching command's config file; output paths default to the stage's folder) to a trainer or
// tool: pretrain / sft, rm, grpo, distill, gen-data, mix (the sample-type mix ratio), annotate (the
// human annotation gate), and eval (the math harness over several models: accuracy and mean
// response length, the columns of V3 Table 9).
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { resolveConfig } from '../trainers/config.js';
import { schemaWithDefaults, PRETRAIN_DEFAULTS, type SftConfig } from '../trainers/sft_config.js';
import { trainSft } from '../trainers/sft.js';
import { RM_SCHEMA, type RmConfig } from '../trainers/rm_config.js';
import { trainRewardModel } from '../trainers/rm.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../trainers/grpo_config.js';
import { trainGrpo } from '../trainers/grpo.js';
import { DISTILL_SCHEMA, type DistillConfig } from '../trainers/distill_config.js';
import { trainDistill } from '../trainers/distill.js';
import { GEN_DATA_SCHEMA, type GenDataConfig } from '../datagen/gen_config.js';
import { generateData } from '../datagen/gen_data.js';
import { mixSampleTypes } from '../datagen/mix.js';
import { loadModel } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { openChatBackend, isUrl } from '../generation/chat_backend.js';
import { evaluateMath, evaluateMathWith, type MathEvalReport } from './evaluate.js';
import { loadProblems, type ProblemFormat } from './problems.js';
import type { RewardFn } from '../rewards/compose.js';
import type { Schema } from '../trainers/config.js';
import { StageWaiting, type StageKind } from './stages.js';
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

export const ANNOTATE_SCHEMA: Schema = {
  generalist: { type: 'string', default: null, required: true, doc: 'the generalist model that answers: a folder or an OpenAI-compatible server URL' },
  generalist_model: { type: 'string', default: null, nullable: true, doc: 'its model name at the server' },
  prompts: { type: 'string', default: null, required: true, doc: 'non-reasoning prompts: rows with messages | prompt | question | instruction' },
  max_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  temperature: { type: 'number', default: 0.7, min: 0, doc: 'sampling temperature' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
  auto: { type: 'string', default: 'none', values: ['none', 'accept', 'grader'], doc: "none: people decide (posttrain annotate --queue=<stage>/queue; the recipe waits); accept: accept every undecided item; grader: the recipe's automatic annotator — both marked annotator 'auto'" },
};

interface AnnotateStageConfig { generalist: string; generalist_model: string | null; prompts: string; max_tokens: number; temperature: number; seed: number; auto: 'none' | 'accept' | 'grader' }

export interface ModelEvaluation { name: string; model: string; accuracy: number; pass1: number | null; majAtK: number | null; meanLength: number | null; n: number }

export const EVAL_SCHEMA: Schema = {
  models: { type: 'objects', default: [], required: true, doc: 'models to evaluate: [{name, model (folder or server URL), served_model?, system?}]' },
  data: { type: 'string', default: null, required: true, doc: 'problem file (gsm8k / math / built-in JSONL)' },
  format: { type: 'string', default: 'auto', values: ['auto', 'gsm8k', 'math', 'builtin'], doc: 'problem file format' },
  k: { type: 'int', default: 0, min: 0, doc: 'samples per problem for pass@1 / maj@k (0: greedy only)' },
  temperature: { type: 'number', default: 0.6, min: 0, doc: 'sampling temperature of the k samples' },
  top_p: { type: 'number', default: 0.95, min: 0.01, max: 1, doc: 'nucleus sampling of the k samples' },
  max_new_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  batch_size: { type: 'int', default: 32, min: 1, doc: 'rows per generation batch (local models)' },
  limit: { type: 'int', default: 0, min: 0, doc: 'problems at most (0: all)' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
};

export interface EvalStageConfig { models: { name: string; model: string; served_model?: string; system?: string }[]; data: string; format: ProblemFormat; k: number; temperature: number; top_p: number; max_new_tokens: number; batch_size: number; limit: number; seed: number }

/** Evaluates each model on the problems; writes eval.json (summaries) and <name>.items.jsonl. */
export async function evaluateModels(c: EvalStageConfig, dir: string, where: string): Promise<ModelEvaluation[]> {
  if (!Array.isArray(c.models) || c.models.length === 0) throw new Error(`${where}: 'models' must list at least one {name, model}`);
  const problems = await loadProblems(c.data, c.format, c.limit > 0 ? c.limit : Infinity);
  const results: ModelEvaluation[] = [];
  for (const [i, m] of c.models.entries()) {
    if (typeof m?.name !== 'string' || typeof m?.model !== 'string') throw new Error(`${where}: models[${i}] needs 'name' and 'model' strings`);
    const opts = { k: c.k, temperature: c.temperature, topP: c.top_p, maxNewTokens: c.max_new_tokens, batchSize: c.batch_size, seed: c.seed, ...(m.system ? { system: m.system } : {}) };
    let r: MathEvalReport;
    if (isUrl(m.model)) {
      r = await evaluateMathWith(openChatBackend({ source: m.model, model: m.served_model ?? null, field: `${where} models[${i}]` }), problems, opts);
    } else {
      const { model } = loadModel(m.model);
      try { r = evaluateMath(model, Tokenizer.fromDir(m.model), problems, opts); } finally { model.dispose(); }
    }
    writeFileSync(join(dir, `${m.name}.items.jsonl`), r.items.map((it) => JSON.stringify(it)).join('\n') + '\n');
    results.push({ name: m.name, model: m.model, accuracy: r.greedyAccuracy, pass1: r.pass1, majAtK: r.majAtK, meanLength: r.meanLength, n: r.n });
  }
  writeFileSync(join(dir, 'eval.json'), JSON.stringify(results, null, 2) + '\n');
  return results;
}

export function stageKinds(o: StageKindOptions = {}): Record<string, StageKind> {
  const trainer = (kind: 'sft' | 'pretrain'): StageKind => async (config, ctx) => {
    const cfg = resolveConfig<SftConfig>(schemaWithDefaults(kind === 'pretrain' ? PRETRAIN_DEFAULTS : {}), { output_dir: ctx.dir, ...config }, ctx.where, {});
    const r = await trainSft(cfg, { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
    return { output: r.finalDir, metrics: { steps: r.steps, final_loss: r.finalLoss, eval_loss: r.evalLoss, tokens_per_s: r.tokensPerSecond } };
  };
  return {
    pretrain: trainer('pretrain'),
    sft: trainer('sft'),
    rm: async (config, ctx) => {
      const r = await trainRewardModel(resolveConfig<RmConfig>(RM_SCHEMA, { output_dir: ctx.dir, ...config }, ctx.where, {}), { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
      return { output: r.finalDir, metrics: { steps: r.steps, ...(r.eval ? { eval_accuracy: r.eval.accuracy, eval_margin: r.eval.margin, eval_pairs: r.eval.n } : {}) } };
    },
    grpo: async (config, ctx) => {
      const r = await trainGrpo(resolveConfig<GrpoConfig>(GRPO_SCHEMA, { output_dir: ctx.dir, ...config }, ctx.where, {}), { label: TRAINER_LABEL(ctx.name), quiet: o.quiet, rewardFns: o.rewardFns });
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      return { output: r.finalDir, metrics: { steps: r.steps, reward_first5: mean(r.rewards.slice(0, 5)), reward_last5: mean(r.rewards.slice(-5)), accuracy_first5: mean(r.accuracy.slice(0, 5)), accuracy_last5: mean(r.accuracy.slice(-5)) } };
    },
    distill: async (config, ctx) => {
      const r = await trainDistill(resolveConfig<DistillConfig>(DISTILL_SCHEMA, { output_dir: ctx.dir, ...config }, ctx.where, {}), { label: TRAINER_LABEL(ctx.name), quiet: o.quiet });
      return { output: r.finalDir, metrics: { steps: r.steps, final_loss: r.finalLoss, final_kd_loss: r.finalKdLoss, on_policy_steps: r.onPolicySteps, tokens: r.tokensSeen } };
    },
    'gen-data': async (config, ctx) => {
      const cfg = resolveConfig<GenDataConfig>(GEN_DATA_SCHEMA, { output: join(ctx.dir, 'data.jsonl'), ...config }, ctx.where, {});
      const s = await generateData(cfg, { log: ctx.log, quiet: o.quiet });
      return { output: cfg.output, metrics: { ...s } };
    },
    mix: async (config, ctx) => {
      const file = join(ctx.dir, 'mixed.jsonl');
      const s = await mixSampleTypes({ ...(config as Record<string, unknown>), output: file } as Parameters<typeof mixSampleTypes>[0], ctx.where);
      return { output: file, metrics: { ...s } };
    },
    annotate: async (config, ctx) => {
      const c = resolveConfig<AnnotateStageConfig>(ANNOTATE_SCHEMA, config, ctx.where, {});
      const queue = join(ctx.dir, 'queue');
      const backend = openChatBackend({ source: c.generalist, model: c.generalist_model, field: `${ctx.where} 'generalist'` });
      try {
        const fill = await fillQueue(backend, await readPrompts(c.prompts), queue, { model: backend.description, maxTokens: c.max_tokens, temperature: c.temperature, seed: c.seed });
        ctx.log(`  annotation queue ${queue}: ${fill.total} items (${fill.asked} answered now by ${backend.description})`);
      } finally {
        backend.dispose();
      }
      if (c.auto === 'accept') autoAccept(queue);
      if (c.auto === 'grader') {
        if (!o.autoAnnotator) throw new Error(`${ctx.where}: auto: grader needs the recipe's automatic annotator (the built-in task has one; a YAML recipe uses none or accept)`);
        const state = readQueue(queue);
        for (const item of state.items) if (!state.decisions[item.id]) decide(queue, item.id, o.autoAnnotator(item) ? 'accept' : 'reject', null, 'auto');
      }
      const { progress } = readQueue(queue);
      if (progress.undecided > 0) throw new StageWaiting(`${progress.undecided} of ${progress.total} items wait for annotation: run 'posttrain annotate --queue=${queue}', decide them, then run the recipe again`);
      const file = join(ctx.dir, 'accepted.jsonl');
      const e = exportAccepted(queue, file);
      return { output: file, metrics: { items: progress.total, accepted: e.accepted, edited: e.edited, rejected: e.rejected, auto: c.auto } };
    },
    eval: async (config, ctx) => {
      const cfg = resolveConfig<EvalStageConfig>(EVAL_SCHEMA, config, ctx.where, {});
      const results = await evaluateModels(cfg, ctx.dir, ctx.where);
      for (const r of results) ctx.log(`  ${r.name.padEnd(16)} accuracy ${(100 * r.accuracy).toFixed(1)}%  mean length ${r.meanLength?.toFixed(1) ?? '—'}`);
      return { output: join(ctx.dir, 'eval.json'), metrics: { models: results } };
    },
  };
}
