// Supervised fine-tuning (and pretraining: the same loop on `text` rows with loss on every token),
// as DeepSeek-V3 §5.1 sets it up: epochs over packed rows with sample masking, AdamW without decay
// on norms and biases, warmup then cosine decay, gradient accumulation with the loss normalised by
// the step's target-token count, clipping, full fine-tuning or LoRA, held-out eval loss, atomic
// checkpoints with exact resume (weights, optimizer moments, schedule step, data position, RNG).
// Under torchrun (or `posttrain launch`) the same loop is data parallel (data_parallel.ts): each rank
// trains its share of the global batch and gradients are summed across ranks before the step.
// A straight-line loop: no callbacks, no trainer class.
import { join } from 'node:path';
import * as pt from '../tensor/index.js';
import { AdamW, GradScaler, decayGroups, lrAt, checkSchedule, type Schedule, type GradScalerState } from '../optim/index.js';
import { createModel, loadModel, forwardBackward, resolvePlacement, placeModel, type CausalLM } from '../models/index.js';
import { crossEntropyLoss, type HeadSettings } from './token_losses.js';
import { applyLora, type LoraConfig } from '../models/lora.js';
import { Tokenizer } from '../tokenizer/index.js';
import { loadExamples, packExamples, padRows, toBatch, BatchSampler, readOptionsOf, type PackedRow } from '../data/index.js';
import { SFT_SCHEMA, type SftConfig } from './sft_config.js';
import { Progress, MetricsWindow } from '../common/run_folder.js';
import { restoreTraining, saveCheckpoint, saveFinalModel, tokenizerFiles } from './checkpoint.js';
import { DataParallel } from './data_parallel.js';
import { inRunFolder, type RunStart } from './run_start.js';

export interface SftResult {
  runDir: string;
  finalDir: string;
  steps: number;
  finalLoss: number;
  evalLoss: number | null;
  tokensSeen: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface SftHooks {
  label?: string;
  quiet?: boolean;
  /** Stop (as if killed) after this optimizer step — for tests of resume. */
  stopAfterStep?: number;
}

/** Token-weighted mean cross-entropy of `model` over rows, in micro-batches (the head chunked as `head` says). */
export function evalLoss(model: CausalLM, rows: PackedRow[], batchSize: number, head: HeadSettings = { logits_chunk_size: 0 }): number {
  const { sum, tokens } = evalLossSums(model, rows, batchSize, head);
  return tokens > 0 ? sum / tokens : NaN;
}

/** evalLoss over the ranks: each rank scores its share of the rows, the sums are added. */
export async function evalLossParallel(
  dp: DataParallel,
  model: CausalLM,
  rows: PackedRow[],
  batchSize: number,
  head: HeadSettings = { logits_chunk_size: 0 },
): Promise<number> {
  const { sum, tokens } = evalLossSums(model, dp.shard(rows), batchSize, head);
  const [s, n] = await dp.sum([sum, tokens]);
  return n! > 0 ? s! / n! : NaN;
}

/** Summed cross-entropy and target-token count of `model` over rows. */
function evalLossSums(model: CausalLM, rows: PackedRow[], batchSize: number, head: HeadSettings): { sum: number; tokens: number } {
  const wasTraining = model.training;
  model.eval();
  let sum = 0,
    tokens = 0;
  pt.noGrad(() => {
    for (let i = 0; i < rows.length; i += batchSize) {
      pt.scope(() => {
        const b = toBatch(rows.slice(i, i + batchSize), { device: model.device });
        const hidden = model.hiddenStates(b.inputs, { segmentIds: b.segmentIds }); // (B, T, H)
        sum += crossEntropyLoss(model, hidden, b.targets, 1, head).item() as number;
        tokens += b.tokens;
      });
    }
  });
  model.train(wasTraining);
  return { sum, tokens };
}

export async function trainSft(cfg: SftConfig, hooks: SftHooks = {}): Promise<SftResult> {
  const dp = await DataParallel.start(cfg.ddp_timeout);
  const globalBatch = cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps * dp.worldSize;
  return inRunFolder({ kind: 'sft', cfg, schema: SFT_SCHEMA, dp, globalBatch, quiet: hooks.quiet }, (start) =>
    sftLoop(cfg, hooks, dp, start),
  );
}

async function sftLoop(cfg: SftConfig, hooks: SftHooks, dp: DataParallel, start: RunStart): Promise<SftResult> {
  const t0 = performance.now();
  const run = start.run;
  const trainMetrics = new MetricsWindow(run, cfg.logging_steps);
  const log = (m: string) => run.log(m, !hooks.quiet);
  pt.manualSeed(cfg.seed);
  const placement = resolvePlacement(cfg, 'sft config');

  // ---- data
  const tokDir = cfg.tokenizer ?? cfg.model_name_or_path;
  if (!tokDir) throw new Error('config: set `tokenizer` (or `model`, whose folder holds the tokenizer)');
  const tokenizer = Tokenizer.fromDir(tokDir);
  const dataOpts = {
    errorPolicy: cfg.error_policy,
    lossOn: cfg.completion_only_loss ? 'completion' : 'all',
    maxLength: cfg.max_length + 1,
    truncation: cfg.truncation,
    addEos: true,
    ...readOptionsOf(cfg),
  } as const;
  const train = await loadExamples(cfg.dataset_name, tokenizer, dataOpts);
  for (const s of train.skipped.slice(0, 20)) log(`skipped ${s.file}:${s.line}${s.field ? ` field '${s.field}'` : ''}: ${s.message}`);
  log(
    `data: ${train.counts.rows} rows, ${train.counts.kept} kept, ${train.counts.skipped} skipped, ${train.counts.truncated} truncated, ${train.counts.dropped} dropped`,
  );
  let examples = train.examples;
  let evalExamples = cfg.eval_dataset_name.length ? (await loadExamples(cfg.eval_dataset_name, tokenizer, dataOpts)).examples : [];
  if (!cfg.eval_dataset_name.length && cfg.eval_fraction > 0) {
    const perm = pt.scope(() => pt.randperm(examples.length, { generator: new pt.Generator(cfg.seed + 7) }).toFlatArray() as number[]);
    const nEval = Math.max(1, Math.round(examples.length * cfg.eval_fraction));
    const evalSet = new Set(perm.slice(0, nEval));
    evalExamples = examples.filter((_, i) => evalSet.has(i));
    examples = examples.filter((_, i) => !evalSet.has(i));
  }
  if (examples.length === 0) throw new Error(`no training examples left in ${cfg.dataset_name.join(', ')}`);
  const rows = cfg.packing ? packExamples(examples, cfg.max_length) : padRows(examples, cfg.max_length);
  const evalRows = evalExamples.length
    ? cfg.packing
      ? packExamples(evalExamples, cfg.max_length)
      : padRows(evalExamples, cfg.max_length)
    : [];
  log(
    `rows: ${rows.length} training rows of ${cfg.max_length} tokens (${examples.length} samples${cfg.packing ? ', packed' : ''}), ${evalRows.length} eval rows`,
  );

  // ---- model, optimizer, schedule, data order (fresh or resumed)
  const resumeFrom = start.resumeFrom;
  const dtype = cfg.dtype;
  let model: CausalLM;
  let generationConfig: Record<string, unknown> | null = null;
  if (resumeFrom) ({ model, generationConfig } = loadModel(resumeFrom.dir, { dtype }));
  else if (cfg.model_name_or_path) ({ model, generationConfig } = loadModel(cfg.model_name_or_path, { dtype }));
  else if (cfg.model_config)
    model = createModel(cfg.model_config, { seed: cfg.seed, dtype, tokenizer }); // vocab_size and bos/eos/pad ids from the tokenizer
  else throw new Error('config: set `model` (a folder) or `model_config` (to train from scratch)');
  if (model.config.vocabSize < tokenizer.vocabSize)
    throw new Error(`the model's vocab_size ${model.config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize}`);
  placeModel(model, placement);
  const scaler = new GradScaler({ enabled: cfg.fp16 });
  generationConfig ??= {
    eos_token_id: tokenizer.eosTokenIds,
    ...(tokenizer.bosTokenId !== undefined ? { bos_token_id: tokenizer.bosTokenId } : {}),
  };
  const lora: LoraConfig | null = cfg.use_peft
    ? { r: cfg.lora_r, alpha: cfg.lora_alpha, dropout: cfg.lora_dropout, targetModules: cfg.lora_target_modules }
    : null;
  const makeOptimizer = () =>
    new AdamW(decayGroups(model.trainableParameters(), cfg.weight_decay), {
      lr: cfg.learning_rate,
      beta1: cfg.adam_beta1,
      beta2: cfg.adam_beta2,
      eps: cfg.adam_epsilon,
    });
  const rowsPerStep = cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps; // per rank
  const globalRows = rowsPerStep * dp.worldSize;
  const stepsPerEpoch = Math.ceil(rows.length / globalRows);
  const totalSteps = cfg.max_steps > 0 ? cfg.max_steps : stepsPerEpoch * cfg.num_train_epochs;
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const schedule: Schedule = {
    kind: cfg.lr_scheduler_type,
    lr: cfg.learning_rate,
    minLr: cfg.min_lr,
    totalSteps,
    warmupSteps: cfg.warmup_steps > 0 ? cfg.warmup_steps : Math.round(cfg.warmup_ratio * totalSteps),
  };
  checkSchedule(schedule);
  let optimizer: AdamW;
  let sampler: BatchSampler;
  let step = 0,
    tokensSeen = 0;
  if (resumeFrom) {
    const restored = restoreTraining(resumeFrom.dir, model, makeOptimizer);
    optimizer = restored.optimizer;
    step = restored.state.step;
    tokensSeen = restored.state.tokensSeen;
    scaler.load(restored.state.extra['gradScaler'] as GradScalerState | undefined);
    sampler = BatchSampler.restore(rows.length, globalRows, epochs, restored.state.sampler);
    log(`resumed from ${resumeFrom.dir} at step ${step}`);
  } else {
    if (lora) log(`LoRA on ${applyLora(model, lora, new pt.Generator(cfg.seed + 1)).length} layers (r ${lora.r}, alpha ${lora.alpha})`);
    optimizer = makeOptimizer();
    sampler = new BatchSampler(rows.length, globalRows, { epochs, seed: cfg.seed });
  }
  model.train();
  const params = model.trainableParameters();
  await dp.broadcast(model.parameters());
  log(
    `model: ${model.config.family}, ${(model.numParameters() / 1e6).toFixed(2)}M parameters (${(model.numParameters(true) / 1e6).toFixed(2)}M trainable) on ${placement.device}${placement.compute ? `, computing in ${placement.compute} with float32 master weights` : ''}; ${totalSteps} steps of ${globalRows} rows${dp.enabled ? ` (${dp.worldSize} ranks × ${rowsPerStep})` : ''}`,
  );

  const tokFiles = tokenizerFiles(tokDir);
  const save = (s: number) =>
    dp.mainWrites(() =>
      saveCheckpoint(cfg.output_dir, {
        model,
        optimizer,
        lora,
        tokenizerFiles: tokFiles,
        generationConfig,
        keepLast: cfg.save_total_limit,
        state: {
          step: s,
          epoch: sampler.state().epoch,
          sampler: sampler.state(),
          tokensSeen,
          extra: { config: cfg, log_position: run.position(), gradScaler: scaler.state() },
        },
      }),
    );

  // ---- the loop
  const progress = new Progress(hooks.label ?? 'train', totalSteps, step, hooks.quiet || !dp.isMain);
  let lastLoss = NaN,
    lastEval: number | null = null;
  const loopStart = performance.now();
  let loopTokens = 0;
  while (step < totalSteps) {
    const batch = sampler.next();
    if (!batch) break;
    const lr = lrAt(schedule, step);
    for (const g of optimizer.paramGroups) g.lr = lr;
    const mine = dp.shard(batch.rows, rowsPerStep); // this rank's rows of the global batch
    const micro: PackedRow[][] = [];
    for (let i = 0; i < mine.length; i += cfg.per_device_train_batch_size)
      micro.push(mine.slice(i, i + cfg.per_device_train_batch_size).map((r) => rows[r]!));
    const stepTokens = toBatchTokens(batch.rows.map((r) => rows[r]!)); // the global batch's: every rank normalises by it
    optimizer.zeroGrad();
    let lossSum = 0;
    const head = { logits_chunk_size: cfg.logits_chunk_size, gradScale: scaler.scale };
    for (const m of micro) {
      lossSum += pt.scope(() => {
        const b = toBatch(m, { device: placement.device });
        return forwardBackward(
          model,
          b.inputs,
          { segmentIds: b.segmentIds },
          (hidden) => crossEntropyLoss(model, hidden, b.targets, 1 / Math.max(1, stepTokens), head),
          { gradientCheckpointing: cfg.gradient_checkpointing, lossScale: scaler.scale },
        );
      });
    }
    await dp.allReduceGradients(params);
    if (dp.enabled) [lossSum] = (await dp.sum([lossSum])) as [number];
    const { gradNorm, stepped } = scaler.clipAndStep(optimizer, params, cfg.max_grad_norm);
    if (!stepped) log(`step ${step + 1}: gradients overflowed in float16 (loss scale now ${scaler.scale}); update skipped`);
    step++;
    tokensSeen += stepTokens;
    loopTokens += batch.rows.length * cfg.max_length;
    lastLoss = lossSum;
    const elapsed = (performance.now() - loopStart) / 1000;
    const tps = loopTokens / elapsed;
    trainMetrics.add(
      { step, epoch: batch.epoch, loss: lossSum, lr, grad_norm: gradNorm, tokens: stepTokens, tokens_seen: tokensSeen, tokens_per_s: tps },
      step === totalSteps,
    );
    if (cfg.eval_steps > 0 && step % cfg.eval_steps === 0 && evalRows.length) {
      lastEval = await evalLossParallel(dp, model, evalRows, cfg.per_device_train_batch_size, cfg);
      run.metrics({ step, eval_loss: lastEval });
    }
    progress.update(step, { loss: lossSum.toFixed(3), lr: lr.toExponential(1), 'tok/s': tps.toFixed(0) });
    if (cfg.save_steps > 0 && step % cfg.save_steps === 0 && step < totalSteps) await save(step);
    if (hooks.stopAfterStep !== undefined && step >= hooks.stopAfterStep) {
      optimizer.dispose();
      model.dispose();
      await dp.end();
      return {
        runDir: cfg.output_dir,
        finalDir: '',
        steps: step,
        finalLoss: lastLoss,
        evalLoss: lastEval,
        tokensSeen,
        seconds: (performance.now() - t0) / 1000,
        tokensPerSecond: tps,
      };
    }
  }
  await save(step); // before the last evaluation: a run killed after it evaluates (and logs) once more, not twice
  if (evalRows.length) {
    lastEval = await evalLossParallel(dp, model, evalRows, cfg.per_device_train_batch_size, cfg);
    run.metrics({ step, eval_loss: lastEval });
    log(`eval loss ${lastEval.toFixed(4)}`);
  }
  const finalDir = join(cfg.output_dir, 'final');
  await dp.mainWrites(() => saveFinalModel(model, cfg.output_dir, { lora, generationConfig, tokenizerFiles: tokFiles }));
  const seconds = (performance.now() - t0) / 1000;
  const tokensPerSecond = loopTokens / ((performance.now() - loopStart) / 1000);
  log(
    `done: ${step} steps, loss ${lastLoss.toFixed(4)}, ${tokensPerSecond.toFixed(0)} tok/s${dp.enabled ? ` over ${dp.worldSize} ranks (${((100 * dp.commSeconds) / ((performance.now() - loopStart) / 1000)).toFixed(1)}% in collectives)` : ''}, model in ${finalDir}`,
  );
  optimizer.dispose();
  model.dispose();
  await dp.end();
  return { runDir: cfg.output_dir, finalDir, steps: step, finalLoss: lastLoss, evalLoss: lastEval, tokensSeen, seconds, tokensPerSecond };
}

/** Target tokens (loss-bearing) in a set of rows, without building tensors. */
function toBatchTokens(rows: PackedRow[]): number {
  let n = 0;
  for (const r of rows) for (let i = 0; i < r.targets.length; i++) if (r.targets[i] !== -100) n++;
  return n;
}
