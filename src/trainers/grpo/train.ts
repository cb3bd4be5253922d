// GRPO (SPEC.md §2.2): for each prompt sample a group of G completions from the current policy with
// the KV-cache engine, score them with rule-based (or custom) rewards, turn rewards into
// group-relative advantages, and take μ clipped-surrogate steps with a KL penalty to a frozen
// reference (the starting model; with LoRA the base with adapters off; optionally refreshed to the
// policy every N rounds). Groups whose rewards all agree are dropped and refilled (dynamic
// sampling). A straight-line loop like sft.ts, with the same run folder and checkpoints; sampling
// lives in rollout.ts, the update in update.ts, the objective in loss.ts, the rewards in rewards.ts.
// Data parallel under torchrun / `posttrain launch`: a round's groups are global; each rank samples
// and scores a share of them (whole groups, so group statistics need no communication), every rank
// then holds the whole round, computes the same advantages, updates on its share of the rows and
// sums gradients with the others — the one-process round on all groups.
import * as pt from '../../tensor/index.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { AdamW, GradScaler, decayGroups, type GradScalerState } from '../../optim/index.js';
import { lrAt, checkSchedule, type Schedule } from '../../optim/schedule.js';
import { loadModel, resolvePlacement, placeModel, type CausalLM } from '../../models/index.js';
import { applyLora, saveAdapter, withAdaptersDisabled, mergedStateDict, type LoraConfig } from '../../models/lora.js';
import { readSafetensors } from '../../checkpoint/index.js';
import { Tokenizer } from '../../tokenizer/index.js';
import { BatchSampler, readOptionsOf } from '../../data/index.js';
import type { RewardFn } from '../../rewards/compose.js';
import { buildGrpoRewards, checkRewardColumns, describeUnscored } from './rewards.js';
import { GRPO_SCHEMA, type GrpoConfig } from './config.js';
import { groupAdvantages, sequenceKl } from './loss.js';
import { fitGroups, loadPrompts, sampleRound, localSampler, type Group } from './rollout.js';
import { RemoteRollout } from './remote_rollout.js';
import { rmSync } from 'node:fs';
import { VERIFIER_REWARDS } from '../../rewards/registry.js';
import { frozenLogprobs, microBatches, policyUpdate, NO_UPDATE, type MicroBatch, type UpdateRow, type UpdateStats } from './update.js';
import { Progress, MetricsWindow, type RunFolder } from '../../common/run_folder.js';
import { restoreTraining, saveCheckpoint, tokenizerFiles, saveFinalModel } from '../checkpoint.js';
import { DataParallel } from '../data_parallel.js';
import { inRunFolder, type RunStart } from '../run_start.js';

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const judged = (xs: readonly (number | null)[]) => xs.filter((v): v is number => v !== null);

export interface GrpoResult {
  steps: number;
  rewards: number[];
  accuracy: number[];
  finalDir: string;
  runDir: string;
}

export interface GrpoHooks {
  quiet?: boolean;
  label?: string;
  rewardFns?: Record<string, RewardFn>;
  /** Stop (as if killed) after this round — for tests of resume. */
  stopAfterStep?: number;
}

export async function trainGrpo(cfg: GrpoConfig, hooks: GrpoHooks = {}): Promise<GrpoResult> {
  const dp = await DataParallel.start(cfg.ddp_timeout);
  const globalBatch = fitGroups(cfg, dp.worldSize).groups * cfg.num_generations; // completions per round
  return inRunFolder({ kind: 'grpo', cfg, schema: GRPO_SCHEMA, dp, globalBatch, quiet: hooks.quiet }, (start) =>
    grpoLoop(cfg, hooks, dp, start),
  );
}

async function grpoLoop(cfg: GrpoConfig, hooks: GrpoHooks, dp: DataParallel, start: RunStart): Promise<GrpoResult> {
  const run = start.run;
  const trainMetrics = new MetricsWindow(run, cfg.logging_steps);
  const log = (m: string) => run.log(m, !hooks.quiet);
  pt.manualSeed(cfg.seed);
  if (cfg.rollout_url && !cfg.use_peft)
    throw new Error(
      'config: rollout_url needs use_peft: true — the policy reaches the server as a LoRA adapter loaded each round (full weights have no OpenAI-protocol route)',
    );
  if (cfg.rollout_url && dp.enabled)
    throw new Error('config: rollout_url under data parallelism is not supported yet: run one trainer process against the server');
  const accuracyName = cfg.accuracy_reward ?? cfg.reward_funcs.find((r) => VERIFIER_REWARDS.includes(r)) ?? null;
  if (accuracyName !== null && !cfg.reward_funcs.includes(accuracyName))
    throw new Error(`config: accuracy_reward '${accuracyName}' is not one of rewards [${cfg.reward_funcs.join(', ')}]`);
  const schedule: Schedule = {
    kind: cfg.lr_scheduler_type,
    lr: cfg.learning_rate,
    minLr: cfg.min_lr,
    totalSteps: cfg.max_steps,
    warmupSteps: cfg.warmup_steps,
  };
  checkSchedule(schedule);
  const { groups: groupsPerRound, note } = fitGroups(cfg, dp.worldSize);
  if (note) log(note);

  const tokDir = cfg.tokenizer ?? cfg.model_name_or_path;
  const tokenizer = Tokenizer.fromDir(tokDir);
  const rewardSet = buildGrpoRewards(cfg, hooks.rewardFns ?? {}, tokenizer);
  const rewards = rewardSet.rewards;
  for (const line of rewardSet.description) log(line);
  const prompts = await loadPrompts(cfg.dataset_name, tokenizer, cfg.system_prompt, cfg.max_prompt_length, readOptionsOf(cfg));
  checkRewardColumns(cfg, hooks.rewardFns ?? {}, prompts, cfg.dataset_name);
  const resumeFrom = start.resumeFrom;
  const placement = resolvePlacement(cfg, 'grpo config');
  const { model, generationConfig } = loadModel(resumeFrom ? resumeFrom.dir : cfg.model_name_or_path);
  placeModel(model, placement);
  const scaler = new GradScaler({ enabled: cfg.fp16 });
  const lora: LoraConfig | null = cfg.use_peft
    ? { r: cfg.lora_r, alpha: cfg.lora_alpha, dropout: cfg.lora_dropout, targetModules: cfg.lora_target_modules }
    : null;
  // The reference: none (β = 0), the LoRA policy with adapters off, or a frozen copy of the start model.
  const refMode = cfg.beta === 0 ? 'none' : lora && cfg.ref_model_sync_steps === 0 ? 'adapters-off' : 'copy';
  const ref: CausalLM | null = refMode === 'copy' ? placeModel(loadModel(cfg.model_name_or_path).model.eval().freeze(), placement) : null;
  const makeOptimizer = () =>
    new AdamW(decayGroups(model.trainableParameters(), cfg.weight_decay), {
      lr: cfg.learning_rate,
      beta1: cfg.adam_beta1,
      beta2: cfg.adam_beta2,
      eps: cfg.adam_epsilon,
    });
  const G = cfg.num_generations;
  let optimizer: AdamW,
    sampler: BatchSampler,
    step = 0,
    refreshedAt = 0;
  if (resumeFrom) {
    const r = restoreTraining(resumeFrom.dir, model, makeOptimizer);
    optimizer = r.optimizer;
    step = r.state.step;
    sampler = BatchSampler.restore(prompts.length, 1, 1_000_000, r.state.sampler);
    scaler.load(r.state.extra['gradScaler'] as GradScalerState | undefined);
    const refFile = join(resumeFrom.dir, 'reference.safetensors');
    if (ref && existsSync(refFile)) {
      const { tensors } = readSafetensors(refFile);
      try {
        ref.loadStateDict(tensors, { source: refFile });
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
      refreshedAt = Number((r.state.extra as Record<string, unknown> | undefined)?.['reference_step'] ?? 0);
    }
    log(`resumed from ${resumeFrom.dir} at step ${step}`);
  } else {
    if (lora) log(`LoRA on ${applyLora(model, lora, new pt.Generator(cfg.seed + 1)).length} layers (r ${lora.r}, alpha ${lora.alpha})`);
    optimizer = makeOptimizer();
    sampler = new BatchSampler(prompts.length, 1, { epochs: 1_000_000, seed: cfg.seed });
  }
  model.train();
  await dp.broadcast(model.parameters());
  const eos = tokenizer.eosTokenIds;
  const tokFiles = tokenizerFiles(tokDir);
  const progress = new Progress(hooks.label ?? 'grpo', cfg.max_steps, step, hooks.quiet || !dp.isMain);
  const rewardCurve: number[] = [],
    accuracyCurve: number[] = [];
  const save = () =>
    dp.mainWrites(() =>
      saveCheckpoint(cfg.output_dir, {
        model,
        optimizer,
        lora,
        generationConfig,
        tokenizerFiles: tokFiles,
        keepLast: cfg.save_total_limit,
        extraWeights: ref && refreshedAt > 0 ? { reference: ref.stateDict() } : {},
        state: {
          step,
          epoch: 0,
          sampler: sampler.state(),
          tokensSeen: 0,
          extra: { config: cfg, log_position: run.position(), reference_step: refreshedAt, gradScaler: scaler.state() },
        },
      }),
    );
  log(
    `GRPO: ${prompts.length} prompts, ${groupsPerRound} × G=${G} per round, rewards ${rewards.map((r) => `${r.name}×${r.weight}`).join(' + ')}` +
      `${cfg.overlong_buffer > 0 ? ` + overlong×${cfg.overlong_penalty}` : ''}, β ${cfg.beta} (${refMode === 'none' ? 'no reference' : `reference: ${refMode}`}${cfg.kl_in_reward ? ', KL in the reward' : ''})` +
      `; ${(model.numParameters() / 1e6).toFixed(2)}M parameters (${(model.numParameters(true) / 1e6).toFixed(2)}M trainable)`,
  );

  const remote = cfg.rollout_url
    ? await RemoteRollout.connect(cfg.rollout_url, cfg.rollout_model, process.env[cfg.rollout_api_key_env] || null)
    : null;
  if (remote) log(`rollouts from ${remote.baseUrl} (base model '${remote.baseModel}'), the policy's adapter hot-loaded each round`);
  const complete = remote ? remote.sampler() : localSampler(model);
  const adapterRoot = join(cfg.output_dir, 'rollout-adapter');
  let unscoredRounds = 0; // rounds in a row in which no group had two judged samples
  while (step < cfg.max_steps) {
    const t0 = performance.now();
    if (remote) {
      // the server samples from this round's policy: its adapter saved and hot-loaded (the previous one unloaded)
      const dir = join(adapterRoot, `step-${step}`);
      saveAdapter(model, dir, lora!, cfg.model_name_or_path);
      await remote.loadAdapter(`posttrain-${process.pid}-step-${step}`, dir);
      if (step > 0) rmSync(join(adapterRoot, `step-${step - 1}`), { recursive: true, force: true });
    }
    const rollout = await sampleRound(
      complete,
      tokenizer,
      prompts,
      sampler,
      rewards,
      {
        groupSize: G,
        groups: groupsPerRound,
        maxNewTokens: cfg.max_completion_length,
        temperature: cfg.temperature,
        topP: cfg.top_p,
        topK: cfg.top_k,
        eosTokenIds: eos,
        padTokenId: tokenizer.padTokenId ?? 0,
        dynamicSampling: cfg.dynamic_sampling,
        maxPasses: cfg.dynamic_sampling_rounds,
        overlongBuffer: cfg.overlong_buffer,
        overlongWeight: cfg.overlong_penalty,
        seed: cfg.seed * 1_000_003 + step * 101,
      },
      dp,
    );
    for (const g of optimizer.paramGroups) g.lr = lrAt(schedule, step);
    step++;
    const tu = performance.now();
    const { kept } = rollout;
    let stats: UpdateStats = { ...NO_UPDATE };
    let advantages: number[] = [],
      rewardKl: number | null = null,
      isStats: Record<string, number> = {};
    if (kept.length > 0) {
      const rows: UpdateRow[] = kept.flatMap((g) =>
        g.tokens.map((t, k) => ({
          ids: [...g.prompt.ids, ...t],
          promptLength: g.prompt.ids.length,
          lossMask: g.rewards[k] !== null && !(cfg.mask_truncated_completions && g.truncated[k]),
          samplerLogprobs: g.logprobs[k]!,
        })),
      );
      const correct = remote !== null && cfg.vllm_importance_sampling_correction;
      // this rank's rows (all of them in one process); the denominators are the whole round's
      const per = Math.ceil(rows.length / dp.worldSize);
      const lo = Math.min(rows.length, dp.rank * per),
        hi = Math.min(rows.length, lo + per);
      const totals = {
        sequences: rows.length,
        tokens: rows.reduce((n, r) => n + (r.lossMask ? r.ids.length - r.promptLength : 0), 0),
      };
      const { mbs, refLp, old } = pt.scope(() => {
        const mbs = microBatches(rows.slice(lo, hi), cfg.per_device_train_batch_size, placement.device);
        const refLp =
          refMode === 'none'
            ? null
            : refMode === 'adapters-off'
              ? withAdaptersDisabled(model, () => frozenLogprobs(model, mbs, cfg.temperature, cfg))
              : frozenLogprobs(ref!, mbs, cfg.temperature, cfg);
        const old =
          cfg.num_iterations > 1 || (cfg.kl_in_reward && refLp) || correct ? frozenLogprobs(model, mbs, cfg.temperature, cfg) : null;
        return { mbs, refLp, old };
      });
      // truncated importance sampling: the trainer's log-probs of the sampled tokens against the server's
      const isWeights = correct ? importanceWeights(rows.slice(lo, hi), mbs, old!, cfg.vllm_importance_sampling_cap) : null;
      if (isWeights) isStats = isWeights.stats;
      try {
        const groupRewards = kept.flatMap((g) => g.rewards);
        if (cfg.kl_in_reward && refLp && old) {
          const mine = pt.scope(() => mbs.flatMap((mb, i) => sequenceKl(old[i]!, refLp[i]!, mb.completion, cfg.kl_estimator)));
          const kl = dp.enabled ? (await dp.gather(mine)).flat() : mine;
          rewardKl = mean(kl);
          groupRewards.forEach((r, i) => {
            if (r !== null) groupRewards[i] = r - cfg.beta * kl[i]!;
          });
        }
        advantages = groupAdvantages(groupRewards, G, { scale_rewards: cfg.scale_rewards, adv_eps: cfg.adv_eps, bessel: cfg.bessel });
        stats = await policyUpdate(
          model,
          optimizer,
          mbs,
          cfg.num_iterations > 1 || (cfg.kl_in_reward && refLp) ? old : null, // computed for importance sampling alone: μ = 1 keeps ratio 1
          cfg.kl_in_reward ? null : refLp,
          advantages.slice(lo, hi),
          {
            importance_sampling_level: cfg.importance_sampling_level,
            loss_type: cfg.loss_type,
            epsilon: cfg.epsilon,
            epsilon_high: cfg.epsilon_high,
            dual_clip: cfg.dual_clip > 1 ? cfg.dual_clip : null,
            beta: cfg.kl_in_reward ? 0 : cfg.beta,
            kl_estimator: cfg.kl_estimator,
            max_completion_length: cfg.max_completion_length,
            entropy_coef: cfg.entropy_coef,
          },
          {
            num_iterations: cfg.num_iterations,
            temperature: cfg.temperature,
            max_grad_norm: cfg.max_grad_norm,
            logits_chunk_size: cfg.logits_chunk_size,
            gradient_checkpointing: cfg.gradient_checkpointing,
            scaler,
            dp,
            totals,
            isWeights: isWeights?.weights ?? null,
          },
        );
      } finally {
        for (const mb of mbs) for (const t of [mb.ids, mb.attention, mb.completion]) t.dispose();
        for (const t of [...(refLp ?? []), ...(old ?? []), ...(isWeights?.weights ?? [])]) t.dispose();
      }
    }
    const updateMs = performance.now() - tu;
    if (ref && cfg.ref_model_sync_steps > 0 && step % cfg.ref_model_sync_steps === 0 && step < cfg.max_steps) {
      refreshReference(ref, model);
      refreshedAt = step;
      log(`step ${step}: reference refreshed to the current policy`);
    }

    // ---- metrics: rewards over every sampled completion (kept or dropped), the rest over the update batch
    const all = rollout.all;
    const allRewards = judged(all.flatMap((g) => g.rewards));
    const meanReward = mean(allRewards);
    rewardCurve.push(meanReward);
    const perFn = Object.fromEntries(
      Object.keys(all[0]?.breakdown ?? {}).map((k) => {
        const vals = judged(all.flatMap((g) => g.breakdown[k]!));
        return [`rewards/${k}`, vals.length ? mean(vals) : null];
      }),
    );
    const acc = accuracyName ? (perFn[`rewards/${accuracyName}`] ?? null) : null;
    if (typeof acc === 'number') accuracyCurve.push(acc);
    const lengths = kept.flatMap((g) => g.tokens.map((t) => t.length));
    const allLengths = all.flatMap((g) => g.tokens.map((t) => t.length));
    trainMetrics.add(
      {
        step,
        lr: optimizer.paramGroups[0]!.lr,
        reward: meanReward,
        reward_std: Math.sqrt(mean(allRewards.map((r) => (r - meanReward) ** 2))),
        ...perFn,
        ...(typeof acc === 'number' ? { accuracy: acc } : {}),
        frac_reward_zero_std: all.length ? rollout.dropped / all.length : 0,
        groups_kept: kept.length,
        sampling_passes: rollout.passes,
        skipped_samples: rollout.skippedSamples,
        loss: stats.loss,
        grad_norm: stats.gradNorm,
        kl: stats.kl,
        ...(rewardKl !== null ? { kl_in_reward: rewardKl } : {}),
        ...isStats,
        entropy: stats.entropy,
        clip_ratio_low: stats.clipLow,
        clip_ratio_high: stats.clipHigh,
        clip_ratio_region: stats.clipRegion,
        completion_length_mean: mean(allLengths),
        completion_length_min: allLengths.length ? Math.min(...allLengths) : 0,
        completion_length_max: allLengths.length ? Math.max(...allLengths) : 0,
        update_length_mean: mean(lengths),
        clipped_ratio: allLengths.length ? all.flatMap((g) => g.truncated).filter(Boolean).length / allLengths.length : 0,
        sampling_tokens_per_s: allLengths.reduce((a, b) => a + b, 0) / Math.max(1e-9, rollout.generationMs / 1000),
        time_generation_s: rollout.generationMs / 1000,
        time_scoring_s: rollout.scoringMs / 1000,
        time_update_s: updateMs / 1000,
        time_step_s: (performance.now() - t0) / 1000,
        ...rewardSet.roundDiagnostics(),
      },
      step === cfg.max_steps,
    );
    if (cfg.log_samples_every > 0 && (step % cfg.log_samples_every === 0 || step === 1)) logSamples(run, step, kept, advantages, G);
    progress.update(step, {
      reward: meanReward.toFixed(3),
      ...(typeof acc === 'number' ? { acc: acc.toFixed(3) } : {}),
      kl: stats.kl.toExponential(1),
      len: mean(allLengths).toFixed(0),
    });
    // no group scored (rewards null), as opposed to groups that all scored alike (dropped by dynamic sampling)
    if (all.every((g) => judged(g.rewards).length < 2)) {
      unscoredRounds++;
      log(`step ${step}: no group could be scored (${describeUnscored(all)})`);
      if (cfg.max_unscored_rounds > 0 && unscoredRounds >= cfg.max_unscored_rounds)
        throw new Error(
          `GRPO: ${unscoredRounds} rounds in a row without a scored group (max_unscored_rounds ${cfg.max_unscored_rounds}): ${describeUnscored(all)}. ` +
            'The rewards cannot judge these rows (does the data have the columns they read?); no final model was written',
        );
    } else unscoredRounds = 0;
    if (cfg.save_steps > 0 && step % cfg.save_steps === 0 && step < cfg.max_steps) await save();
    if (hooks.stopAfterStep !== undefined && step >= hooks.stopAfterStep) {
      // as if killed (tests of resume)
      optimizer.dispose();
      model.dispose();
      ref?.dispose();
      rewardSet.dispose();
      await dp.end();
      return { steps: step, rewards: rewardCurve, accuracy: accuracyCurve, finalDir: '', runDir: cfg.output_dir };
    }
  }
  await save();
  const finalDir = join(cfg.output_dir, 'final');
  await dp.mainWrites(() =>
    saveFinalModel(model, cfg.output_dir, { lora, base: cfg.model_name_or_path, generationConfig, tokenizerFiles: tokFiles }),
  );
  log(`done: ${step} rounds, reward ${rewardCurve[0]?.toFixed(3)} → ${rewardCurve.at(-1)?.toFixed(3)}, model in ${finalDir}`);
  optimizer.dispose();
  model.dispose();
  ref?.dispose();
  rewardSet.dispose();
  await remote?.close();
  await dp.end();
  return { steps: step, rewards: rewardCurve, accuracy: accuracyCurve, finalDir, runDir: cfg.output_dir };
}

/** The reference takes the policy's current weights (with LoRA: base + adapters merged). */
function refreshReference(ref: CausalLM, policy: CausalLM): void {
  const { weights, created } = mergedStateDict(policy);
  try {
    ref.loadStateDict(weights, { source: 'the policy' });
  } finally {
    for (const t of created) t.dispose();
  }
}

/** One samples.jsonl line per kept group: prompt, completions with rewards and advantages. */
function logSamples(run: RunFolder, step: number, kept: readonly Group[], advantages: readonly number[], G: number): void {
  kept.forEach((g, j) =>
    run.sample({
      step,
      prompt: g.prompt.text,
      ...('answer' in g.prompt.example ? { answer: g.prompt.example['answer'] } : {}),
      completions: g.texts.map((text, k) => ({
        text,
        reward: g.rewards[k],
        rewards: Object.fromEntries(Object.entries(g.breakdown).map(([n, v]) => [n, v[k]])),
        advantage: advantages[j * G + k] ?? null,
        length: g.tokens[k]!.length,
        truncated: g.truncated[k],
        ...(Object.keys(g.notes[k] ?? {}).length ? { notes: g.notes[k] } : {}),
      })),
    }),
  );
}

/**
 * Per micro-batch (B, S−1) weights min(exp(log π_trainer − log π_sampler), cap) on the completion
 * positions (truncated importance sampling, as TRL corrects vLLM's sampling), and the mismatch
 * statistics: the ratio's mean / min / max and the share capped, the mean |Δ log-prob|.
 */
function importanceWeights(
  rows: readonly UpdateRow[],
  mbs: readonly MicroBatch[],
  old: readonly pt.Tensor[],
  cap: number,
): { weights: pt.Tensor[]; stats: Record<string, number> } {
  let row = 0,
    n = 0,
    sum = 0,
    min = Infinity,
    max = 0,
    capped = 0,
    diff = 0;
  const weights = mbs.map((mb, i) =>
    pt.scope(() => {
      const S1 = mb.completion.size(1);
      const sampler = new Float32Array(mb.rows * S1);
      for (let b = 0; b < mb.rows; b++, row++) {
        const r = rows[row]!;
        r.samplerLogprobs!.forEach((lp, t) => (sampler[b * S1 + r.promptLength - 1 + t] = lp));
      }
      const samplerLp = pt.tensor(sampler, { shape: [mb.rows, S1], device: mb.ids.device }); // (B, S−1)
      const logRatio = old[i]!.sub(samplerLp).mul(mb.completion); // (B, S−1)
      const ratio = logRatio.exp(); // (B, S−1)
      const mask = mb.completion.toFlatArray() as number[],
        r = ratio.toFlatArray() as number[],
        d = logRatio.toFlatArray() as number[];
      mask.forEach((m, k) => {
        if (!m) return;
        n++;
        sum += r[k]!;
        min = Math.min(min, r[k]!);
        max = Math.max(max, r[k]!);
        if (r[k]! > cap) capped++;
        diff += Math.abs(d[k]!);
      });
      return ratio.clamp(null, cap).mul(mb.completion); // (B, S−1)
    }),
  );
  return {
    weights,
    stats: n
      ? {
          'sampling/importance_sampling_ratio/mean': sum / n,
          'sampling/importance_sampling_ratio/min': min,
          'sampling/importance_sampling_ratio/max': max,
          'sampling/importance_sampling_ratio/capped': capped / n,
          'sampling/logprob_mismatch': diff / n,
        }
      : {},
  };
}
