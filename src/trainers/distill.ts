// Token-level knowledge distillation (SPEC.md §3; GKD, Agarwal et al. 2024): the student is trained
// to match the teacher's next-token distribution at every response token, with the divergences of
// kd_loss.ts (forward KL, reverse KL, generalised JSD(β)) at temperature T, token mean over the
// step's response tokens. The teacher (same tokenizer and vocab_size — refused otherwise, naming
// both folders and what differs) is loaded once, in eval mode and frozen, and run under no-grad on
// each micro-batch: its logits are computed on the fly, never cached.
// Data: SFT-style rows through src/data (messages or prompt/completion, assistant-only loss masks),
// one example per row, right-padded per micro-batch. On-policy fraction λ: each step draws u from a
// seeded mulberry32 stream (its state checkpointed); when u < λ the batch's prompts — each
// example's tokens before its first trained token, at least one — are answered by the student with
// the KV-cache generator (generation_temperature, max_new_tokens, a seed from (seed, step)) and the
// loss is on those responses (EOS included when sampled); otherwise on the dataset's responses.
// With sft_weight > 0 the loss adds sft_weight × cross-entropy on the dataset's responses, on
// on-policy steps through an extra student pass over the dataset rows.
// metrics.jsonl per step: loss (kd + sft_weight × sft), kd_loss, sft_loss (with sft_weight > 0),
// on_policy (0/1), lr, grad_norm, tokens (trained response tokens), tokens_seen, tokens_per_s
// (sequence tokens through student and teacher per second of the loop), and on on-policy steps
// response_length_mean and time_generation_s.
// A straight-line loop like sft.ts, with its run folder, checkpoints and exact resume (weights,
// AdamW moments, schedule step, data position, the default RNG and the λ stream).
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import * as pt from '../tensor/index.js';
import { AdamW, GradScaler, decayGroups, lrAt, checkSchedule, type Schedule, type GradScalerState } from '../optim/index.js';
import { loadModel, forwardBackward, resolvePlacement, placeModel, type CausalLM } from '../models/index.js';
import { crossEntropyLoss, tokenHeadLoss, trainedTargets } from './token_losses.js';
import { logprobHead, type TokenHead } from '../nn/chunked_head.js';
import { applyLora, type LoraConfig } from '../models/lora.js';
import { Tokenizer } from '../tokenizer/index.js';
import { loadExamples, padRows, toBatch, BatchSampler, readOptionsOf, type Batch, type TokenizedExample } from '../data/index.js';
import { generate } from '../generation/index.js';
import { DISTILL_SCHEMA, type DistillConfig } from './distill_config.js';
import { kdPerToken, type KdOptions } from './kd_loss.js';
import { Progress, MetricsWindow } from '../common/run_folder.js';
import { DataParallel } from './data_parallel.js';
import { inRunFolder, type RunStart } from './run_start.js';
import { seedFrom } from '../common/rng.js';
import { restoreTraining, saveCheckpoint, saveFinalModel, tokenizerFiles } from './checkpoint.js';
import { mulberry32 } from '../common/rng.js';

export interface DistillResult {
  runDir: string;
  /** output_dir/final (HF folder), '' when stopped by stopAfterStep. */
  finalDir: string;
  steps: number;
  /** kd_loss of each step this call ran (a resumed run: from the resume point on). */
  kdLosses: number[];
  /** loss (kd + sft_weight × sft) and kd_loss of the last step. */
  finalLoss: number;
  finalKdLoss: number;
  /** Steps of this call whose batch was answered by the student. */
  onPolicySteps: number;
  tokensSeen: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface DistillHooks {
  label?: string;
  quiet?: boolean;
  /** Stop (as if killed) after this optimizer step — for tests of resume. */
  stopAfterStep?: number;
}

/** Keys in sorted order at every level, so two JSON values compare by content. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object')
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x) ?? 'null';
}

/** What differs between two tokenizers (vocabulary size, id → token, merges, added tokens, …), or null. */
export function tokenizerDifference(a: Tokenizer, b: Tokenizer): string | null {
  if (a.vocabSize !== b.vocabSize) return `vocabulary sizes differ: ${a.vocabSize} vs ${b.vocabSize}`;
  let first = -1,
    count = 0;
  for (let id = 0; id < a.vocabSize; id++)
    if (a.idToToken(id) !== b.idToToken(id)) {
      if (first < 0) first = id;
      count++;
    }
  if (count > 0)
    return `${count} token id${count > 1 ? 's map' : ' maps'} to different tokens, first id ${first}: ${JSON.stringify(a.idToToken(first))} vs ${JSON.stringify(b.idToToken(first))}`;
  for (const section of ['model', 'added_tokens', 'normalizer', 'pre_tokenizer']) {
    if (canonical(a.tokenizerJson[section]) !== canonical(b.tokenizerJson[section])) {
      return `same vocabulary, but their tokenizer.json '${section}' sections differ${section === 'model' ? ' (merges or model settings)' : ''}`;
    }
  }
  return null;
}

/** Refuses a teacher whose tokenizer is not the student's: token-level KD compares logits id by id. */
export function checkSameTokenizer(studentTokDir: string, teacherDir: string): void {
  const what = `student tokenizer ${studentTokDir} and teacher ${teacherDir}`;
  if (!existsSync(join(teacherDir, 'tokenizer.json'))) {
    throw new Error(
      `distill: the teacher folder ${teacherDir} has no tokenizer.json, so it cannot be checked against the student's (${studentTokDir}); token-level distillation needs one shared tokenizer`,
    );
  }
  const diff = tokenizerDifference(Tokenizer.fromDir(studentTokDir), Tokenizer.fromDir(teacherDir));
  if (diff)
    throw new Error(`distill: teacher and student must share a tokenizer for token-level distillation, but the ${what} differ: ${diff}`);
}

/** The tokens before an example's first trained token (at least one): the prompt of an on-policy step. */
export function promptOf(ex: TokenizedExample): number[] {
  const first = ex.lossMask.indexOf(1);
  return Array.from(ex.ids.subarray(0, Math.max(1, first)));
}

/** A prompt and the student's response as a training example: loss on the response tokens only. */
function responseExample(prompt: readonly number[], response: readonly number[]): TokenizedExample {
  return { ids: Int32Array.from([...prompt, ...response]), lossMask: Uint8Array.from([...prompt.map(() => 0), ...response.map(() => 1)]) };
}

/** Positions whose next token is trained (the targets of the examples). */
function trainedTokens(examples: readonly TokenizedExample[]): number {
  let n = 0;
  for (const ex of examples) for (let i = 1; i < ex.lossMask.length; i++) n += ex.lossMask[i]!;
  return n;
}

/** Examples → one right-padded batch, one example per row (T = the longest − 1). */
function microBatch(examples: readonly TokenizedExample[], padId: number, device: pt.Device): Batch {
  const seqLen = Math.max(...examples.map((e) => e.ids.length)) - 1;
  return toBatch(padRows(examples, seqLen, { padId }), { device });
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

export async function trainDistill(cfg: DistillConfig, hooks: DistillHooks = {}): Promise<DistillResult> {
  const dp = await DataParallel.start(cfg.ddp_timeout);
  const globalBatch = cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps * dp.worldSize;
  return inRunFolder({ kind: 'distill', cfg, schema: DISTILL_SCHEMA, dp, globalBatch, quiet: hooks.quiet }, (start) =>
    distillLoop(cfg, hooks, dp, start),
  );
}

async function distillLoop(cfg: DistillConfig, hooks: DistillHooks, dp: DataParallel, start: RunStart): Promise<DistillResult> {
  const t0 = performance.now();
  const run = start.run;
  const trainMetrics = new MetricsWindow(run, cfg.logging_steps);
  const log = (m: string) => run.log(m, !hooks.quiet);
  pt.manualSeed(cfg.seed);

  // ---- one tokenizer for both, then the data
  const tokDir = cfg.tokenizer ?? cfg.model_name_or_path;
  checkSameTokenizer(tokDir, cfg.teacher_model_name_or_path);
  const tokenizer = Tokenizer.fromDir(tokDir);
  const train = await loadExamples(cfg.dataset_name, tokenizer, {
    errorPolicy: cfg.error_policy,
    lossOn: 'completion',
    maxLength: cfg.max_length,
    truncation: cfg.truncation,
    addEos: true,
    ...readOptionsOf(cfg),
  });
  for (const s of train.skipped.slice(0, 20)) log(`skipped ${s.file}:${s.line}${s.field ? ` field '${s.field}'` : ''}: ${s.message}`);
  log(
    `data: ${train.counts.rows} rows, ${train.counts.kept} kept, ${train.counts.skipped} skipped, ${train.counts.truncated} truncated, ${train.counts.dropped} dropped`,
  );
  const examples = train.examples;
  if (examples.length === 0) throw new Error(`distill: no training examples left in ${cfg.dataset_name.join(', ')}`);

  // ---- teacher (frozen), student, optimizer, schedule, data order and λ stream (fresh or resumed)
  const placement = resolvePlacement(cfg, 'distill config');
  const teacher = placeModel(loadModel(cfg.teacher_model_name_or_path, { dtype: cfg.dtype }).model.eval().freeze(), placement);
  const resumeFrom = start.resumeFrom;
  const loaded = loadModel(resumeFrom ? resumeFrom.dir : cfg.model_name_or_path, { dtype: cfg.dtype });
  const student = loaded.model;
  let generationConfig = loaded.generationConfig;
  const refuse = (why: string): never => {
    student.dispose();
    teacher.dispose();
    throw new Error(`distill: ${why}`);
  };
  if (student.config.vocabSize !== teacher.config.vocabSize) {
    refuse(
      `the student's vocab_size is ${student.config.vocabSize} (${cfg.model_name_or_path}), the teacher's ${teacher.config.vocabSize} (${cfg.teacher_model_name_or_path}): their logits cannot be compared token by token`,
    );
  }
  if (student.config.vocabSize < tokenizer.vocabSize)
    refuse(`the models' vocab_size ${student.config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} (${tokDir})`);
  placeModel(student, placement);
  const scaler = new GradScaler({ enabled: cfg.fp16 });
  generationConfig ??= {
    eos_token_id: tokenizer.eosTokenIds,
    ...(tokenizer.bosTokenId !== undefined ? { bos_token_id: tokenizer.bosTokenId } : {}),
  };
  const lora: LoraConfig | null = cfg.use_peft
    ? { r: cfg.lora_r, alpha: cfg.lora_alpha, dropout: cfg.lora_dropout, targetModules: cfg.lora_target_modules }
    : null;
  const makeOptimizer = () =>
    new AdamW(decayGroups(student.trainableParameters(), cfg.weight_decay), {
      lr: cfg.learning_rate,
      beta1: cfg.adam_beta1,
      beta2: cfg.adam_beta2,
      eps: cfg.adam_epsilon,
    });
  const rowsPerStep = cfg.per_device_train_batch_size * cfg.gradient_accumulation_steps; // per rank
  const globalRows = rowsPerStep * dp.worldSize;
  const stepsPerEpoch = Math.ceil(examples.length / globalRows);
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
  let optimizer: AdamW,
    sampler: BatchSampler,
    step = 0,
    tokensSeen = 0;
  let lambdaState = (Math.imul(cfg.seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  if (resumeFrom) {
    const restored = restoreTraining(resumeFrom.dir, student, makeOptimizer);
    optimizer = restored.optimizer;
    step = restored.state.step;
    tokensSeen = restored.state.tokensSeen;
    sampler = BatchSampler.restore(examples.length, globalRows, epochs, restored.state.sampler);
    const saved = restored.state.extra['lambda_rng_state'];
    if (typeof saved !== 'number')
      throw new Error(`distill: ${resumeFrom.dir}/trainer_state.json has no lambda_rng_state: not a distillation checkpoint?`);
    lambdaState = saved;
    scaler.load(restored.state.extra['gradScaler'] as GradScalerState | undefined);
    log(`resumed from ${resumeFrom.dir} at step ${step}`);
  } else {
    if (lora) log(`LoRA on ${applyLora(student, lora, new pt.Generator(cfg.seed + 1)).length} layers (r ${lora.r}, alpha ${lora.alpha})`);
    optimizer = makeOptimizer();
    sampler = new BatchSampler(examples.length, globalRows, { epochs, seed: cfg.seed });
  }
  student.train();
  const params = student.trainableParameters();
  await dp.broadcast(student.parameters());
  const kdOptions: KdOptions = { loss: cfg.loss, beta: cfg.beta, temperature: cfg.temperature };
  const generationTemperature = cfg.generation_temperature ?? cfg.temperature;
  const padId = tokenizer.padTokenId ?? 0;
  log(
    `distill: ${cfg.loss}${cfg.loss === 'jsd' ? ` β ${cfg.beta}` : ''}, T ${cfg.temperature}, λ ${cfg.lmbda}${cfg.sft_weight > 0 ? `, + ${cfg.sft_weight} × SFT` : ''}; ` +
      `teacher ${cfg.teacher_model_name_or_path} (${(teacher.numParameters() / 1e6).toFixed(2)}M), student ${(student.numParameters() / 1e6).toFixed(2)}M parameters ` +
      `(${(student.numParameters(true) / 1e6).toFixed(2)}M trainable); ${examples.length} examples, ${totalSteps} steps of ${globalRows}${dp.enabled ? ` (${dp.worldSize} ranks × ${rowsPerStep})` : ''}`,
  );

  const tokFiles = tokenizerFiles(tokDir);
  const save = (s: number) =>
    dp.mainWrites(() =>
      saveCheckpoint(cfg.output_dir, {
        model: student,
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
          extra: { config: cfg, log_position: run.position(), lambda_rng_state: lambdaState, gradScaler: scaler.state() },
        },
      }),
    );
  const dispose = () => {
    optimizer.dispose();
    student.dispose();
    teacher.dispose();
  };

  // ---- the loop
  const progress = new Progress(hooks.label ?? 'distill', totalSteps, step, hooks.quiet || !dp.isMain);
  const kdLosses: number[] = [];
  let lastLoss = NaN,
    lastKd = NaN,
    onPolicySteps = 0,
    loopTokens = 0;
  const loopStart = performance.now();
  while (step < totalSteps) {
    const batch = sampler.next();
    if (!batch) break;
    const stepStart = performance.now();
    const lr = lrAt(schedule, step);
    for (const g of optimizer.paramGroups) g.lr = lr;
    const draw = mulberry32(lambdaState);
    lambdaState = draw.state;
    const onPolicy = draw.u < cfg.lmbda;
    const share = dp.shard(
      batch.rows.map((_, j) => j),
      rowsPerStep,
    ); // this rank's positions in the global batch
    const dataset = share.map((j) => examples[batch.rows[j]!]!);
    let kdExamples = dataset,
      generationSeconds = 0,
      responseLengths: number[] = [];
    if (onPolicy) {
      const tg = performance.now();
      const prompts = dataset.map(promptOf);
      // one stream per row of the global batch: a response does not depend on the rank that samples it
      const responses = prompts.length
        ? generate(student, prompts, {
            maxNewTokens: cfg.max_new_tokens,
            temperature: generationTemperature,
            eosTokenIds: tokenizer.eosTokenIds,
            padTokenId: padId,
            seeds: share.map((j) => seedFrom(cfg.seed, step, j)),
          })
        : [];
      kdExamples = prompts.map((p, i) => responseExample(p, responses[i]!.tokens));
      responseLengths = responses.map((r) => r.tokens.length);
      generationSeconds = (performance.now() - tg) / 1000;
      onPolicySteps++;
    }
    // the global batch's token counts: on-policy responses are known only where they were sampled
    const allRows = batch.rows.map((i) => examples[i]!);
    const kdTokens = Math.max(1, onPolicy ? (await dp.sum([trainedTokens(kdExamples)]))[0]! : trainedTokens(allRows));
    const sftTokens = Math.max(1, trainedTokens(allRows));
    optimizer.zeroGrad();
    let kdSum = 0,
      sftSum = 0;
    const head = { logits_chunk_size: cfg.logits_chunk_size, gradScale: scaler.scale };
    const backwardOptions = { gradientCheckpointing: cfg.gradient_checkpointing, lossScale: scaler.scale };
    const withSft = cfg.sft_weight > 0 && !onPolicy; // the same rows: the dataset's responses
    for (const part of chunks(kdExamples, cfg.per_device_train_batch_size)) {
      pt.scope(() => {
        const b = microBatch(part, padId, placement.device);
        const { ids: targets, keep: trained } = trainedTargets(b.targets); // (B·T) each
        const keep = trained.float(); // (B·T) 1 on trained positions
        const teacherHidden = pt.noGrad(() => teacher.hiddenStates(b.inputs, { segmentIds: b.segmentIds })); // (B, T, H_teacher)
        const teacherRows = teacherHidden.reshape(-1, teacherHidden.size(-1)); // (B·T, H_teacher)
        const teacherW = teacher.headWeight(); // (V, H_teacher)
        const logp = logprobHead(targets);
        // per chunk of rows: the teacher's logits for the same rows, the divergence, and log p(target) for the SFT term
        const kdHead: TokenHead = (logits, start) => {
          const t = pt.noGrad(() => pt.linear(teacherRows.narrow(0, start, logits.size(0)), teacherW).float()); // (n, V)
          const kd = kdPerToken(logits.unsqueeze(0), t.unsqueeze(0), kdOptions).squeeze(0); // (n)
          return withSft ? [kd, logp(logits, start)[0]!] : [kd];
        };
        const kdWeights = keep.div(kdTokens); // (B·T)
        const weights = withSft ? [kdWeights, keep.mul(-cfg.sft_weight / sftTokens)] : [kdWeights];
        forwardBackward(
          student,
          b.inputs,
          { segmentIds: b.segmentIds },
          (hidden) => {
            const out = tokenHeadLoss(student, hidden, kdHead, { weights }, head);
            kdSum += pt.noGrad(() => out.values[0]!.reshape(-1).mul(kdWeights).sum().item() as number);
            if (withSft) sftSum += pt.noGrad(() => out.values[1]!.reshape(-1).mul(keep).sum().item() as number) / -sftTokens;
            return out.loss;
          },
          backwardOptions,
        );
      });
    }
    if (cfg.sft_weight > 0 && onPolicy) {
      for (const part of chunks(dataset, cfg.per_device_train_batch_size)) {
        pt.scope(() => {
          const b = microBatch(part, padId, placement.device);
          const ce = forwardBackward(
            student,
            b.inputs,
            { segmentIds: b.segmentIds },
            (hidden) => crossEntropyLoss(student, hidden, b.targets, cfg.sft_weight / sftTokens, head),
            backwardOptions,
          );
          sftSum += ce / cfg.sft_weight;
        });
      }
    }
    await dp.allReduceGradients(params);
    let stepTokens = kdExamples.reduce((n, e) => n + e.ids.length, 0);
    if (dp.enabled) [kdSum, sftSum, stepTokens] = (await dp.sum([kdSum, sftSum, stepTokens])) as [number, number, number];
    if (onPolicy && dp.enabled) responseLengths = (await dp.gather(responseLengths)).flat();
    const { gradNorm, stepped } = scaler.clipAndStep(optimizer, params, cfg.max_grad_norm);
    if (!stepped) log(`step ${step + 1}: gradients overflowed in float16 (loss scale now ${scaler.scale}); update skipped`);
    step++;
    tokensSeen += kdTokens;
    loopTokens += stepTokens;
    lastKd = kdSum;
    lastLoss = kdSum + cfg.sft_weight * sftSum;
    kdLosses.push(kdSum);
    const tps = loopTokens / ((performance.now() - loopStart) / 1000);
    trainMetrics.add(
      {
        step,
        epoch: batch.epoch,
        loss: lastLoss,
        kd_loss: kdSum,
        ...(cfg.sft_weight > 0 ? { sft_loss: sftSum } : {}),
        on_policy: onPolicy ? 1 : 0,
        lr,
        grad_norm: gradNorm,
        tokens: kdTokens,
        tokens_seen: tokensSeen,
        tokens_per_s: tps,
        ...(onPolicy
          ? {
              response_length_mean: responseLengths.reduce((a, b) => a + b, 0) / responseLengths.length,
              time_generation_s: generationSeconds,
            }
          : {}),
        time_step_s: (performance.now() - stepStart) / 1000,
      },
      step === totalSteps,
    );
    progress.update(step, {
      kd: kdSum.toFixed(4),
      ...(cfg.sft_weight > 0 ? { sft: sftSum.toFixed(3) } : {}),
      data: onPolicy ? 'student' : 'dataset',
      lr: lr.toExponential(1),
      'tok/s': tps.toFixed(0),
    });
    if (cfg.save_steps > 0 && step % cfg.save_steps === 0 && step < totalSteps) await save(step);
    if (hooks.stopAfterStep !== undefined && step >= hooks.stopAfterStep) {
      // as if killed (tests of resume)
      dispose();
      await dp.end();
      return {
        runDir: cfg.output_dir,
        finalDir: '',
        steps: step,
        kdLosses,
        finalLoss: lastLoss,
        finalKdLoss: lastKd,
        onPolicySteps,
        tokensSeen,
        seconds: (performance.now() - t0) / 1000,
        tokensPerSecond: tps,
      };
    }
  }
  await save(step);
  const finalDir = join(cfg.output_dir, 'final');
  await dp.mainWrites(() =>
    saveFinalModel(student, cfg.output_dir, { lora, base: cfg.model_name_or_path, generationConfig, tokenizerFiles: tokFiles }),
  );
  const tokensPerSecond = loopTokens / ((performance.now() - loopStart) / 1000);
  log(`done: ${step} steps (${onPolicySteps} on-policy), kd_loss ${kdLosses[0]?.toFixed(4)} → ${lastKd.toFixed(4)}, model in ${finalDir}`);
  dispose();
  await dp.end();
  return {
    runDir: cfg.output_dir,
    finalDir,
    steps: step,
    kdLosses,
    finalLoss: lastLoss,
    finalKdLoss: lastKd,
    onPolicySteps,
    tokensSeen,
    seconds: (performance.now() - t0) / 1000,
    tokensPerSecond,
  };
}
