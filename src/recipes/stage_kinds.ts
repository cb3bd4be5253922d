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
import type { StageKind } from './stages.js';

const TRAINER_LABEL = (name: string) => name.slice(0, 12);

export interface StageKindOptions {
  /** Reward functions GRPO stages may name besides the built-in ones (the API's rewardFns). */
  rewardFns?: Record<string, RewardFn>;
  quiet?: boolean;
}

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
    eval: async (config, ctx) => {
      const cfg = resolveConfig<EvalStageConfig>(EVAL_SCHEMA, config, ctx.where, {});
      const results = await evaluateModels(cfg, ctx.dir, ctx.where);
      for (const r of results) ctx.log(`  ${r.name.padEnd(16)} accuracy ${(100 * r.accuracy).toFixed(1)}%  mean length ${r.meanLength?.toFixed(1) ?? '—'}`);
      return { output: join(ctx.dir, 'eval.json'), metrics: { models: results } };
    },
  };
}
