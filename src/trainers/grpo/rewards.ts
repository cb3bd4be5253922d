// GRPO's reward functions from its config: the built-in rule rewards by name, the caller's own, and
// 'routed' — V3's per-row routing (src/rewards/routing.ts) over the rule verifiers (rule_rewards,
// first that can check the row), a generative judge (local folder or OpenAI-compatible server;
// with the row's free-form reference, and by rubric without one) and scalar reward models (an
// ensemble, mean or min), with the guards: a rule gate, clipping of model scores, σ-squashing of RM
// logits, and per-round diagnostics (routes taken, gated, score-length correlation, model-rule
// disagreement, unparseable judgements). Owns the models it loads: dispose() frees them.
// checkRewardColumns refuses, before the first round, data that lacks a column a configured reward
// reads (every sample would score null); describeUnscored says what the rewards returned in a round
// where no group could be scored.
import { join } from 'node:path';
import { loadRewardModel, type RewardModel } from '../../models/reward_model.js';
import { resolveDevice } from '../../models/index.js';
import { readJson } from '../../common/files.js';
import { Tokenizer } from '../../tokenizer/index.js';
import { openChatBackend, type ChatBackend } from '../../generation/chat_backend.js';
import { backendJudge, judgeReward } from '../../rewards/judge.js';
import { routedReward, REFERENCE_COLUMN } from '../../rewards/routing.js';
import { scalarRewardFn } from '../../rewards/scalar_rm.js';
import type { NamedReward, RewardFn } from '../../rewards/compose.js';
import { BUILTIN_REWARDS, REWARD_COLUMNS } from '../../rewards/registry.js';
import type { GrpoConfig } from './config.js';

export interface GrpoRewards {
  rewards: NamedReward[];
  /** Lines for the run log: what each model-based part is. */
  description: string[];
  /** The routing diagnostics since the last call, as metrics fields (empty without 'routed'). */
  roundDiagnostics(): Record<string, number | null>;
  dispose(): void;
}

const MODEL_FIELDS = ['reward_models', 'judge'] as const;

export function buildGrpoRewards(cfg: GrpoConfig, own: Record<string, RewardFn>, policyTokenizer: Tokenizer): GrpoRewards {
  if (cfg.reward_weights.length > cfg.reward_funcs.length)
    throw new Error(`config: ${cfg.reward_weights.length} reward_weights for ${cfg.reward_funcs.length} rewards`);
  const fns: Record<string, RewardFn> = { ...BUILTIN_REWARDS, ...own };
  const usesRouted = cfg.reward_funcs.includes('routed') && !('routed' in own);
  const configured = MODEL_FIELDS.filter((f) => (f === 'judge' ? cfg.judge !== null : cfg.reward_models.length > 0));
  if (!usesRouted && configured.length)
    throw new Error(
      `config: ${configured.join(' and ')} ${configured.length > 1 ? 'are' : 'is'} used through the 'routed' reward; add 'routed' to rewards`,
    );
  const description: string[] = [];
  const rms: RewardModel[] = [];
  let backend: ChatBackend | null = null;
  let roundDiagnostics = (): Record<string, number | null> => ({});
  try {
    if (usesRouted) {
      const rule = cfg.rule_rewards.map((name) => {
        const fn = fns[name];
        if (!fn) throw new Error(`config: unknown rule reward '${name}' in rule_rewards (known: ${Object.keys(fns).join(', ')})`);
        return fn;
      });
      const device = resolveDevice(cfg.device, "config field 'device'");
      const models: RewardFn[] = cfg.reward_models.map((dir, i) => {
        const rm = loadRewardModel(dir);
        if (device !== 'cpu') rm.to(device);
        rms.push(rm);
        const hf = readJson(join(dir, 'config.json'), 'reward model config') as Record<string, unknown>;
        const maxLength = typeof hf['max_position_embeddings'] === 'number' ? hf['max_position_embeddings'] : undefined;
        description.push(
          `reward model ${i}: ${dir} (${(rm.numParameters() / 1e6).toFixed(2)}M parameters, ${cfg.reward_model_transform === 'sigmoid' ? 'σ(score)' : 'raw score'})`,
        );
        return scalarRewardFn(rm, Tokenizer.fromDir(dir), { maxLength, transform: cfg.reward_model_transform, name: `reward_model_${i}` });
      });
      let judgeWithReference: (RewardFn & { unparseable(): number }) | undefined,
        judgeRubric: (RewardFn & { unparseable(): number }) | undefined;
      if (cfg.judge !== null) {
        backend = openChatBackend({
          source: cfg.judge,
          model: cfg.judge_model,
          apiKeyEnv: cfg.judge_api_key_env,
          tokenizer: policyTokenizer,
          remote: { cacheDir: cfg.judge_cache_dir },
          local: { device: cfg.device },
          field: "config field 'judge'",
        });
        if (cfg.judge_votes > 1 && cfg.judge_temperature === 0)
          throw new Error(`config: judge_votes ${cfg.judge_votes} needs judge_temperature > 0 (greedy votes are all the same)`);
        const ask = backendJudge(backend, { maxTokens: cfg.judge_max_tokens, temperature: cfg.judge_temperature, seed: cfg.seed });
        const shared = { k: cfg.judge_votes, ...(cfg.judge_rubric !== null ? { rubric: cfg.judge_rubric } : {}) };
        judgeWithReference = judgeReward(ask, { mode: 'reference', ...shared });
        if (cfg.judge_without_reference) {
          judgeRubric = judgeReward(ask, { mode: 'rubric', ...shared });
          models.push(judgeRubric);
        }
        description.push(
          `judge: ${backend.description}, ${cfg.judge_votes} vote(s) at T ${cfg.judge_temperature}, with the reference${judgeRubric ? ' and by rubric without one' : ''}`,
        );
      }
      if (
        cfg.model_reward_clip.length !== 0 &&
        !(cfg.model_reward_clip.length === 2 && cfg.model_reward_clip[0]! < cfg.model_reward_clip[1]!)
      ) {
        throw new Error(`config: model_reward_clip must be empty or [lo, hi] with lo < hi, got [${cfg.model_reward_clip.join(', ')}]`);
      }
      let gate: RewardFn | undefined;
      if (cfg.reward_gate !== null) {
        gate = fns[cfg.reward_gate];
        if (!gate) throw new Error(`config: unknown reward_gate '${cfg.reward_gate}' (known: ${Object.keys(fns).join(', ')})`);
      }
      if (!models.length && !judgeWithReference)
        description.push('routed: no reward_models or judge configured — rows no rule can check get no reward (skipped)');
      const routed = routedReward({
        rule: async (x) => {
          for (const r of rule) {
            const v = await r(x);
            if (v !== null) return v;
          }
          return null;
        },
        judgeWithReference,
        models,
        ensemble: cfg.reward_model_ensemble,
        gate,
        gateThreshold: cfg.reward_gate_threshold,
        gatedValue: cfg.gated_reward,
        clip: cfg.model_reward_clip.length === 2 ? [cfg.model_reward_clip[0]!, cfg.model_reward_clip[1]!] : undefined,
        crossCheck: cfg.cross_check,
      });
      fns['routed'] = routed;
      let unparseableBefore = 0;
      roundDiagnostics = () => {
        const d = routed.diagnostics({ reset: true });
        const unparseable = (judgeWithReference?.unparseable() ?? 0) + (judgeRubric?.unparseable() ?? 0);
        const fresh = unparseable - unparseableBefore;
        unparseableBefore = unparseable;
        return {
          'routing/rule': d.routed.rule,
          'routing/judge_with_reference': d.routed.judgeWithReference,
          'routing/models': d.routed.models,
          'routing/none': d.routed.none,
          'routing/gated': d.gated,
          'routing/model_length_correlation': d.modelLengthCorrelation,
          'routing/model_rule_disagreement': d.modelRuleDisagreement,
          'routing/cross_checked': d.crossChecked,
          ...(judgeWithReference ? { 'routing/judge_unparseable': fresh } : {}),
        };
      };
    }
    const rewards = cfg.reward_funcs.map((name, i) => {
      const fn = fns[name];
      if (!fn) throw new Error(`config: unknown reward '${name}' (known: ${Object.keys(fns).join(', ')})`);
      return { name, weight: cfg.reward_weights[i] ?? 1, fn };
    });
    return {
      rewards,
      description,
      roundDiagnostics,
      dispose: () => {
        for (const rm of rms) rm.dispose();
        backend?.dispose();
      },
    };
  } catch (e) {
    for (const rm of rms) rm.dispose();
    backend?.dispose();
    throw e;
  }
}

/**
 * Throws when no row of the prompt data has a column a configured built-in reward reads (the
 * caller's own rewards are not checked): such a reward would be null for every sample and no group
 * would ever be scored. 'routed' needs one of its rule verifiers' columns (or the reference column
 * when a judge is set) unless a model can score any row (reward_models, or the judge by rubric).
 */
export function checkRewardColumns(
  cfg: GrpoConfig,
  own: Record<string, RewardFn>,
  prompts: readonly { example: Record<string, unknown> }[],
  files: readonly string[],
): void {
  const present = new Set<string>();
  for (const { example } of prompts) for (const [k, v] of Object.entries(example)) if (v !== null && v !== undefined) present.add(k);
  const where = `the data in ${files.join(', ')} does not have (columns: ${[...present].sort().join(', ') || 'none'})`;
  for (const name of cfg.reward_funcs) {
    if (name in own) continue;
    if (name === 'routed') {
      if (cfg.reward_models.length > 0 || (cfg.judge !== null && cfg.judge_without_reference)) continue;
      const rules = cfg.rule_rewards.filter((r) => !(r in own) && REWARD_COLUMNS[r] !== undefined);
      if (rules.length < cfg.rule_rewards.length) continue; // a rule that needs no column (or the caller's own) can judge any row
      const needs = [...rules.flatMap((r) => REWARD_COLUMNS[r]!), ...(cfg.judge !== null ? [REFERENCE_COLUMN] : [])];
      if (needs.some((c) => present.has(c))) continue;
      if (needs.length === 0) throw new Error("config: reward 'routed' has no rule_rewards, reward_models or judge: it can score no row");
      throw new Error(
        `config: reward 'routed' (rule_rewards ${cfg.rule_rewards.join(', ')}${cfg.judge !== null ? ', judge with reference' : ''}, no reward_models) ` +
          `reads column ${needs.map((c) => `'${c}'`).join(' or ')}, which ${where}`,
      );
    }
    for (const column of REWARD_COLUMNS[name] ?? []) {
      if (!present.has(column)) throw new Error(`config: reward '${name}' reads column '${column}', which ${where}`);
    }
  }
}

/** What each reward returned over a round's samples, e.g. "math: null for all 16 samples; format: a number for all 16 samples". */
export function describeUnscored(groups: readonly { breakdown: Record<string, (number | null)[]> }[]): string {
  const names = Object.keys(groups[0]?.breakdown ?? {});
  return names
    .map((name) => {
      const values = groups.flatMap((g) => g.breakdown[name] ?? []);
      const nulls = values.filter((v) => v === null).length;
      if (nulls === values.length) return `${name}: null for all ${values.length} samples`;
      return nulls === 0 ? `${name}: a number for all ${values.length} samples` : `${name}: null for ${nulls} of ${values.length} samples`;
    })
    .join('; ');
}
