// Reward-model training (`posttrain rm`, SPEC.md §2.1 "model-based RM trained from the SFT
// checkpoint"): the SFT model's decoder plus a value head, trained on preference pairs with the
// Bradley-Terry loss (optional margin column, reward centering), AdamW with warmup + decay, held-out
// accuracy / margin / chosen and rejected rewards, and a final folder in HF sequence-classification
// layout. Checkpoints as sft.ts's (every save_every steps and at the end, the newest keep_last kept,
// written atomically), each a reward-model folder plus optimizer and trainer state, so a run resumes
// exactly: weights with the value head, AdamW moments, step, data position, the same held-out split.
// A straight-line loop like sft.ts.
import { join } from 'node:path';
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { AdamW, GradScaler, decayGroups, type GradScalerState } from '../optim/index.js';
import { forwardBackward, resolvePlacement, placeModel } from '../models/index.js';
import { lrAt, checkSchedule, type Schedule } from '../optim/schedule.js';
import { readJson } from '../common/files.js';
import { Tokenizer } from '../tokenizer/index.js';
import { BatchSampler, loadPreferences, readOptionsOf, type PreferencePair } from '../data/index.js';
import { RewardModel, loadRewardModel, rewardModelFromCausal, saveRewardModel } from '../models/reward_model.js';
import { RM_SCHEMA, type RmConfig } from './rm_config.js';
import { bradleyTerryLoss, type PairStats } from './rm_loss.js';
import { Progress, MetricsWindow } from '../common/run_folder.js';
import { DataParallel } from './data_parallel.js';
import { inRunFolder, type RunStart } from './run_start.js';
import { restoreTraining, saveCheckpoint, tokenizerFiles } from './checkpoint.js';

/** Pairs → one (2B, S) right-padded batch: chosen rows first, then rejected rows. */
function pairBatch(pairs: readonly PreferencePair[], pad: number, device: pt.Device): { ids: Tensor; mask: Tensor; margin: Tensor } {
  const seqs = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const S = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * S).fill(BigInt(pad)),
    mask = new Uint8Array(seqs.length * S);
  seqs.forEach((s, b) =>
    s.forEach((t, j) => {
      ids[b * S + j] = BigInt(t);
      mask[b * S + j] = 1;
    }),
  );
  return {
    ids: pt.tensor(ids, { shape: [seqs.length, S], device }),
    mask: pt.tensor(mask, { dtype: 'bool', shape: [seqs.length, S], device }),
    margin: pt.tensor(Float32Array.from(pairs.map((p) => p.margin)), { device }),
  };
}

/** Rewards of a pair batch (2B), chosen rows first → (B) chosen, (B) rejected. */
function sides(r: Tensor): { chosen: Tensor; rejected: Tensor } {
  const B = r.size(0) / 2;
  return { chosen: r.narrow(0, 0, B), rejected: r.narrow(0, B, B) };
}

/** Rewards of each side of each pair: (B) chosen, (B) rejected. */
function pairRewards(rm: RewardModel, pairs: readonly PreferencePair[], pad: number): { chosen: Tensor; rejected: Tensor; margin: Tensor } {
  return pt.scope(() => {
    const b = pairBatch(pairs, pad, rm.device);
    return { ...sides(rm.rewards(b.ids, b.mask)), margin: b.margin };
  });
}

/** Held-out accuracy, margin and mean rewards over pairs, without grad. */
export function evaluatePairs(rm: RewardModel, pairs: readonly PreferencePair[], pad: number, batch = 16): PairStats & { n: number } {
  const sums = { accuracy: 0, margin: 0, chosen: 0, rejected: 0 };
  pt.noGrad(() => {
    for (let i = 0; i < pairs.length; i += batch) {
      const part = pairs.slice(i, i + batch);
      pt.scope(() => {
        const r = pairRewards(rm, part, pad);
        const s = bradleyTerryLoss(r.chosen, r.rejected, null).stats;
        for (const k of Object.keys(sums) as (keyof PairStats)[]) sums[k] += s[k] * part.length;
      });
    }
  });
  const n = Math.max(1, pairs.length);
  return { n: pairs.length, accuracy: sums.accuracy / n, margin: sums.margin / n, chosen: sums.chosen / n, rejected: sums.rejected / n };
}

/** The pair statistics, in the order the ranks sum them. */
const PAIR_STATS = ['accuracy', 'margin', 'chosen', 'rejected'] as const satisfies readonly (keyof PairStats)[];

export interface RmResult {
  finalDir: string;
  runDir: string;
  steps: number;
  eval: (PairStats & { n: number }) | null;
  trainPairs: number;
}

export interface RmHooks {
  quiet?: boolean;
  label?: string;
  /** Stop (as if killed) after this optimizer step — for tests of resume. */
  stopAfterStep?: number;
}

/** How the pairs were split; a resumed run must see the same split, or its data order means nothing. */
interface PairSplit {
  pairs: number;
  train: number;
  held: number;
}

export async function trainRewardModel(cfg: RmConfig, hooks: RmHooks = {}): Promise<RmResult> {
  const dp = await DataParallel.start(cfg.ddp_timeout);
  const globalBatch = cfg.per_device_train_batch_size * dp.worldSize; // pairs per step
  return inRunFolder({ kind: 'rm', cfg, schema: RM_SCHEMA, dp, globalBatch, quiet: hooks.quiet }, (start) => rmLoop(cfg, hooks, dp, start));
}

async function rmLoop(cfg: RmConfig, hooks: RmHooks, dp: DataParallel, start: RunStart): Promise<RmResult> {
  const run = start.run;
  const trainMetrics = new MetricsWindow(run, cfg.logging_steps);
  const log = (m: string) => run.log(m, !hooks.quiet);
  pt.manualSeed(cfg.seed);
  const tokDir = cfg.tokenizer ?? cfg.model_name_or_path;
  const tokenizer = Tokenizer.fromDir(tokDir);
  const pad = tokenizer.padTokenId ?? tokenizer.eosTokenIds[0] ?? 0;
  const prefOpts = {
    maxLength: cfg.max_length,
    system: cfg.system_prompt,
    ...readOptionsOf(cfg),
  };
  const loaded = await loadPreferences(cfg.dataset_name, tokenizer, prefOpts);
  let train = loaded.pairs,
    held: PreferencePair[] = [];
  let tooLong = loaded.tooLong;
  if (cfg.eval_dataset_name.length) {
    const e = await loadPreferences(cfg.eval_dataset_name, tokenizer, prefOpts);
    held = e.pairs;
    tooLong += e.tooLong;
  } else if (cfg.eval_fraction > 0 && train.length > 1) {
    const order = new BatchSampler(train.length, train.length, { epochs: 1, seed: cfg.seed + 7 }).next()!.rows;
    const nHeld = Math.max(1, Math.round(cfg.eval_fraction * train.length));
    held = order.slice(0, nHeld).map((i) => train[i]!);
    train = order.slice(nHeld).map((i) => train[i]!);
  }
  if (train.length === 0)
    throw new Error(
      `rm: no training pairs in ${cfg.dataset_name.join(', ')}${tooLong ? ` (${tooLong} longer than max_length ${cfg.max_length})` : ''}`,
    );
  log(
    `data: ${train.length} training pairs, ${held.length} held out${tooLong ? `, ${tooLong} dropped as longer than max_length ${cfg.max_length}` : ''}`,
  );
  const split: PairSplit = { pairs: loaded.pairs.length, train: train.length, held: held.length };

  // ---- model, optimizer, schedule, data order (fresh or resumed from the newest checkpoint)
  const resumeFrom = start.resumeFrom;
  const placement = resolvePlacement(cfg, 'rm config');
  let rm: RewardModel;
  if (resumeFrom) {
    rm = loadRewardModel(resumeFrom.dir);
  } else {
    const hf = readJson(join(cfg.model_name_or_path, 'config.json'), 'model config') as Record<string, unknown>;
    const fromRm = Array.isArray(hf['architectures']) && String(hf['architectures'][0]).endsWith('ForSequenceClassification');
    rm = fromRm ? loadRewardModel(cfg.model_name_or_path) : rewardModelFromCausal(cfg.model_name_or_path, cfg.seed);
    log(
      `reward model from ${fromRm ? 'a reward model' : 'the causal LM'} ${cfg.model_name_or_path}: ${(rm.numParameters() / 1e6).toFixed(2)}M parameters`,
    );
  }
  placeModel(rm, placement);
  const scaler = new GradScaler({ enabled: cfg.fp16 });
  const makeOptimizer = () =>
    new AdamW(decayGroups(rm.trainableParameters(), cfg.weight_decay), {
      lr: cfg.learning_rate,
      beta1: cfg.adam_beta1,
      beta2: cfg.adam_beta2,
      eps: cfg.adam_epsilon,
    });
  const globalPairs = cfg.per_device_train_batch_size * dp.worldSize; // pairs per step over all ranks
  let optimizer: AdamW,
    sampler: BatchSampler,
    step = 0;
  if (resumeFrom) {
    const restored = restoreTraining(resumeFrom.dir, rm, makeOptimizer);
    optimizer = restored.optimizer;
    const saved = restored.state.extra['split'] as PairSplit | undefined;
    if (saved && (saved.pairs !== split.pairs || saved.train !== split.train || saved.held !== split.held)) {
      optimizer.dispose();
      rm.dispose();
      throw new Error(
        `rm: cannot resume from ${resumeFrom.dir}: it was trained on ${saved.pairs} pairs (${saved.train} train, ${saved.held} held out), ` +
          `the data now gives ${split.pairs} (${split.train} train, ${split.held} held out); restore the data or set resume_from_checkpoint: false`,
      );
    }
    step = restored.state.step;
    scaler.load(restored.state.extra['gradScaler'] as GradScalerState | undefined);
    sampler = BatchSampler.restore(train.length, globalPairs, cfg.num_train_epochs, restored.state.sampler);
    log(`resumed from ${resumeFrom.dir} at step ${step}`);
  } else {
    optimizer = makeOptimizer();
    sampler = new BatchSampler(train.length, globalPairs, { epochs: cfg.num_train_epochs, seed: cfg.seed });
  }
  rm.train();
  await dp.broadcast(rm.parameters());
  const totalSteps = cfg.max_steps > 0 ? Math.min(cfg.max_steps, sampler.totalSteps) : sampler.totalSteps;
  const schedule: Schedule = {
    kind: cfg.lr_scheduler_type,
    lr: cfg.learning_rate,
    minLr: cfg.min_lr,
    totalSteps,
    warmupSteps: Math.round(cfg.warmup_ratio * totalSteps),
  };
  checkSchedule(schedule);
  const params = rm.trainableParameters();
  const tokFiles = tokenizerFiles(tokDir);
  const save = () =>
    dp.mainWrites(() =>
      saveCheckpoint(cfg.output_dir, {
        model: rm,
        optimizer,
        keepLast: cfg.save_total_limit,
        saveModelFolder: (dir) => saveRewardModel(rm, dir, { padTokenId: pad, tokenizerFiles: tokFiles }),
        state: {
          step,
          epoch: sampler.state().epoch,
          sampler: sampler.state(),
          tokensSeen: 0,
          extra: { config: cfg, log_position: run.position(), split, gradScaler: scaler.state() },
        },
      }),
    );
  const progress = new Progress(hooks.label ?? 'rm', totalSteps, step, hooks.quiet || !dp.isMain);
  let lastEval: (PairStats & { n: number }) | null = null;
  const evaluate = async () => {
    rm.eval();
    const mine = evaluatePairs(rm, dp.shard(held), pad); // each rank scores its share of the held-out pairs
    const [n, ...sums] = await dp.sum([mine.n, ...PAIR_STATS.map((k) => mine[k] * mine.n)]);
    lastEval = { n: n!, ...(Object.fromEntries(PAIR_STATS.map((k, i) => [k, sums[i]! / Math.max(1, n!)])) as unknown as PairStats) };
    rm.train();
    run.metrics({
      step,
      eval_accuracy: lastEval.accuracy,
      eval_margin: lastEval.margin,
      eval_rewards_chosen: lastEval.chosen,
      eval_rewards_rejected: lastEval.rejected,
      eval_pairs: lastEval.n,
    });
    return lastEval;
  };
  while (step < totalSteps) {
    const batch = sampler.next();
    if (!batch) break;
    const lr = lrAt(schedule, step);
    for (const g of optimizer.paramGroups) g.lr = lr;
    optimizer.zeroGrad();
    const pairs = dp.shard(batch.rows, cfg.per_device_train_batch_size).map((i) => train[i]!); // this rank's pairs
    const weight = pairs.length / batch.rows.length; // its share of the global batch's mean
    const local = pt.scope(() => {
      if (pairs.length === 0) return null;
      const b = pairBatch(pairs, pad, placement.device);
      let pairStats: PairStats | null = null;
      const loss = forwardBackward(
        rm,
        b.ids,
        { attentionMask: b.mask },
        (hidden) => {
          const r = sides(rm.rewardsFrom(hidden, b.mask)); // (B) each
          const out = bradleyTerryLoss(r.chosen, r.rejected, b.margin, cfg.center_rewards_coefficient);
          pairStats = out.stats;
          return weight === 1 ? out.loss : out.loss.mul(weight);
        },
        { gradientCheckpointing: cfg.gradient_checkpointing, lossScale: scaler.scale },
      );
      return { ...pairStats!, loss };
    });
    await dp.allReduceGradients(params);
    const [lossSum, ...statSums] = await dp.sum([local?.loss ?? 0, ...PAIR_STATS.map((k) => (local ? local[k] * weight : 0))]);
    const { gradNorm } = scaler.clipAndStep(optimizer, params, cfg.max_grad_norm);
    const stats = {
      ...(Object.fromEntries(PAIR_STATS.map((k, i) => [k, statSums[i]!])) as unknown as PairStats),
      loss: lossSum!,
      gradNorm,
    };
    step++;
    trainMetrics.add(
      {
        step,
        epoch: batch.epoch,
        lr,
        loss: stats.loss,
        accuracy: stats.accuracy,
        margin: stats.margin,
        rewards_chosen: stats.chosen,
        rewards_rejected: stats.rejected,
        grad_norm: stats.gradNorm,
      },
      step === totalSteps,
    );
    if (cfg.eval_steps > 0 && step % cfg.eval_steps === 0 && held.length && step < totalSteps) await evaluate();
    progress.update(step, {
      loss: stats.loss.toFixed(3),
      acc: stats.accuracy.toFixed(2),
      ...(lastEval ? { 'eval acc': (lastEval as PairStats).accuracy.toFixed(3) } : {}),
    });
    if (cfg.save_steps > 0 && step % cfg.save_steps === 0 && step < totalSteps) await save();
    if (hooks.stopAfterStep !== undefined && step >= hooks.stopAfterStep) {
      // as if killed (tests of resume)
      optimizer.dispose();
      rm.dispose();
      await dp.end();
      return { finalDir: '', runDir: cfg.output_dir, steps: step, eval: lastEval, trainPairs: train.length };
    }
  }
  await save(); // before the last evaluation: a run killed after it evaluates (and logs) once more, not twice
  if (held.length) {
    const e = await evaluate();
    log(
      `held-out: accuracy ${(100 * e.accuracy).toFixed(1)}% on ${e.n} pairs, margin ${e.margin.toFixed(3)}, chosen ${e.chosen.toFixed(3)}, rejected ${e.rejected.toFixed(3)}`,
    );
  }
  const finalDir = join(cfg.output_dir, 'final');
  await dp.mainWrites(() => saveRewardModel(rm, finalDir, { padTokenId: pad, tokenizerFiles: tokFiles }));
  log(`done: ${step} steps, reward model in ${finalDir}`);
  optimizer.dispose();
  rm.dispose();
  await dp.end();
  return { finalDir, runDir: cfg.output_dir, steps: step, eval: lastEval, trainPairs: train.length };
}
