// GRPO (SPEC.md §2.2): for each prompt sample a group of G completions from the current policy with
// the KV-cache engine, score them with rule-based (or custom) rewards, turn rewards into
// group-relative advantages, and take μ clipped-surrogate steps with a KL penalty to a frozen
// reference (the starting model). Groups whose rewards all agree are dropped and refilled (dynamic
// sampling). A straight-line loop like sft.ts, with the same run folder and checkpoints.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { AdamW, decayGroups } from '../optim/index.js';
import { loadModel, saveModel, type CausalLM } from '../models/index.js';
import { TOKENIZER_FILES } from '../checkpoint/index.js';
import { Tokenizer, applyChatTemplate, type ChatMessage } from '../tokenizer/index.js';
import { generate } from '../generation/index.js';
import { readRows, BatchSampler, DataError } from '../data/index.js';
import { extractBoxed } from '../data/builtin/index.js';
import { verifyMath } from '../rewards/math.js';
import { thinkFormat } from '../rewards/format.js';
import { scoreAll, type NamedReward, type RewardFn } from '../rewards/compose.js';
import { describeConfig } from './config.js';
import { GRPO_SCHEMA, type GrpoConfig } from './grpo_config.js';
import { groupAdvantages, grpoLoss } from './grpo_loss.js';
import { RunFolder, Progress } from './run.js';
import { latestCheckpoint, restoreTraining, saveCheckpoint } from './checkpoint.js';

/** The built-in reward functions, by the names a config uses. */
export const BUILTIN_REWARDS: Record<string, RewardFn> = {
  math: (x) => (x.example['answer'] === undefined || x.example['answer'] === null ? null : verifyMath(x.completion, String(x.example['answer'])).correct ? 1 : 0),
  format: (x) => thinkFormat(x.completion),
  boxed: (x) => (extractBoxed(x.completion) !== null ? 1 : 0),
};

interface PromptRow { ids: number[]; text: string; example: Record<string, unknown> }

async function loadPrompts(files: readonly string[], tokenizer: Tokenizer, system: string | null): Promise<PromptRow[]> {
  const out: PromptRow[] = [];
  for (const file of files) {
    for await (const row of readRows(file)) {
      const d = row.data;
      const chat = (msgs: ChatMessage[]) => applyChatTemplate(tokenizer, [...(system ? [{ role: 'system' as const, content: system }] : []), ...msgs], { addGenerationPrompt: true });
      let text: string;
      if (Array.isArray(d['messages'])) text = chat((d['messages'] as ChatMessage[]).filter((m) => m.role !== 'assistant'));
      else if (Array.isArray(d['prompt'])) text = chat(d['prompt'] as ChatMessage[]);
      else if (typeof d['prompt'] === 'string') text = d['prompt'];
      else if (typeof d['question'] === 'string') text = chat([{ role: 'user', content: d['question'] }]);
      else throw new DataError(row.file, row.line, "needs 'messages', 'prompt' or 'question'", 'prompt');
      out.push({ ids: tokenizer.encode(text), text, example: d });
    }
  }
  if (out.length === 0) throw new Error(`no prompts in ${files.join(', ')}`);
  return out;
}

/** (B, S−1) log-probabilities of each next token under softmax(logits / T). */
function tokenLogprobs(model: CausalLM, ids: Tensor, mask: Tensor, temperature: number): Tensor {
  return pt.scope(() => {
    const logits = model.forward(ids, { attentionMask: mask });                              // (B, S, V)
    const S = ids.size(1);
    const lp = logits.narrow(1, 0, S - 1).div(temperature).logSoftmax(-1);                   // (B, S−1, V)
    return lp.gather(-1, ids.narrow(1, 1, S - 1).unsqueeze(-1)).squeeze(-1);                  // (B, S−1)
  });
}

export interface GrpoResult { steps: number; rewards: number[]; accuracy: number[]; finalDir: string; runDir: string }

export async function trainGrpo(cfg: GrpoConfig, hooks: { quiet?: boolean; label?: string; rewardFns?: Record<string, RewardFn>; stopAfterStep?: number } = {}): Promise<GrpoResult> {
  const run = new RunFolder(cfg.output_dir);
  run.writeConfig(cfg as unknown as Record<string, unknown>, describeConfig(GRPO_SCHEMA, cfg as unknown as Record<string, unknown>));
  const log = (m: string) => run.log(m, !hooks.quiet);
  pt.manualSeed(cfg.seed);
  const fns = { ...BUILTIN_REWARDS, ...hooks.rewardFns };
  const rewards: NamedReward[] = cfg.rewards.map((name, i) => {
    const fn = fns[name];
    if (!fn) throw new Error(`config: unknown reward '${name}' (known: ${Object.keys(fns).join(', ')})`);
    return { name, weight: cfg.reward_weights[i] ?? 1, fn };
  });
  const tokDir = cfg.tokenizer ?? cfg.model;
  const tokenizer = Tokenizer.fromDir(tokDir);
  const prompts = await loadPrompts(cfg.train_data, tokenizer, cfg.system_prompt);
  const resumeFrom = cfg.resume ? latestCheckpoint(cfg.output_dir) : null;
  const { model, generationConfig } = loadModel(resumeFrom ? resumeFrom.dir : cfg.model);
  const ref = cfg.beta > 0 ? loadModel(cfg.model).model.eval().freeze() : null;
  const makeOptimizer = () => new AdamW(decayGroups(model.trainableParameters(), cfg.weight_decay), { lr: cfg.lr, beta1: 0.9, beta2: 0.99 });
  const G = cfg.group_size;
  let optimizer: AdamW, sampler: BatchSampler, step = 0;
  if (resumeFrom) {
    const r = restoreTraining(resumeFrom.dir, model, makeOptimizer);
    optimizer = r.optimizer; step = r.state.step;
    sampler = BatchSampler.restore(prompts.length, 1, 1_000_000, r.state.sampler);
    log(`resumed from ${resumeFrom.dir} at step ${step}`);
  } else {
    optimizer = makeOptimizer();
    sampler = new BatchSampler(prompts.length, 1, { epochs: 1_000_000, seed: cfg.seed });
  }
  const params = model.trainableParameters();
  const eos = tokenizer.eosTokenIds;
  const tokFiles: Record<string, Uint8Array> = {};
  for (const n of TOKENIZER_FILES) if (existsSync(join(tokDir, n))) tokFiles[n] = readFileSync(join(tokDir, n));
  const progress = new Progress(hooks.label ?? 'grpo', cfg.max_steps, step, hooks.quiet);
  const rewardCurve: number[] = [], accuracyCurve: number[] = [];
  const save = () => saveCheckpoint(cfg.output_dir, { model, optimizer, generationConfig, tokenizerFiles: tokFiles, keepLast: cfg.keep_last,
    state: { step, epoch: 0, sampler: sampler.state(), tokensSeen: 0, extra: { config: cfg } } });
  log(`GRPO: ${prompts.length} prompts, ${cfg.prompts_per_step} × G=${G} per step, rewards ${rewards.map((r) => `${r.name}×${r.weight}`).join(' + ')}, β ${cfg.beta}`);

  while (step < cfg.max_steps) {
    const t0 = performance.now();
    // ---- sample groups until prompts_per_step groups with differing rewards (dynamic sampling)
    const kept: { prompt: PromptRow; tokens: number[][]; truncated: boolean[]; rewards: number[]; breakdown: Record<string, (number | null)[]> }[] = [];
    let dropped = 0, skippedSamples = 0, genMs = 0, scoreMs = 0, rounds = 0;
    const allRewards: number[] = [];
    while (kept.length < cfg.prompts_per_step && rounds < 4) {
      const need = cfg.prompts_per_step - kept.length;
      const batch = Array.from({ length: need }, () => prompts[sampler.next()!.rows[0]!]!);
      const tg = performance.now();
      model.eval();
      const outs = generate(model, batch.flatMap((p) => Array.from({ length: G }, () => p.ids)), {
        maxNewTokens: cfg.max_new_tokens, temperature: cfg.temperature, topP: cfg.top_p, topK: cfg.top_k,
        eosTokenIds: eos, padTokenId: tokenizer.padTokenId ?? 0, seed: cfg.seed * 1_000_003 + step * 101 + rounds,
      });
      model.train();
      genMs += performance.now() - tg;
      const ts = performance.now();
      const texts = outs.map((c) => tokenizer.decode(c.tokens, { skipSpecialTokens: true }));
      const scores = await scoreAll(rewards, texts.map((completion, i) => ({ prompt: batch[Math.floor(i / G)]!.text, completion, completionTokens: outs[i]!.tokens.length, example: batch[Math.floor(i / G)]!.example })));
      scoreMs += performance.now() - ts;
      skippedSamples += scores.skipped;
      batch.forEach((p, j) => {
        const r = scores.total.slice(j * G, (j + 1) * G).map((v) => v ?? 0);
        allRewards.push(...r);
        if (cfg.dynamic_sampling && r.every((v) => v === r[0])) { dropped++; return; }
        const breakdown = Object.fromEntries(Object.entries(scores.breakdown).map(([k, v]) => [k, v.slice(j * G, (j + 1) * G)]));
        kept.push({ prompt: p, tokens: outs.slice(j * G, (j + 1) * G).map((c) => c.tokens), truncated: outs.slice(j * G, (j + 1) * G).map((c) => c.finishReason === 'length'), rewards: r, breakdown });
      });
      rounds++;
    }
    step++;
    const meanReward = allRewards.reduce((a, b) => a + b, 0) / Math.max(1, allRewards.length);
    rewardCurve.push(meanReward);
    let stats = { kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, ratioMean: 1 };
    const tu = performance.now();
    if (kept.length > 0) {
      // ---- advantages and the batch: prompt + completion, right-padded
      const adv = groupAdvantages(kept.flatMap((g) => g.rewards), G, { scale: cfg.adv_scale, eps: cfg.adv_eps, bessel: cfg.bessel });
      const seqs = kept.flatMap((g) => g.tokens.map((t) => [...g.prompt.ids, ...t]));
      const promptLen = kept.flatMap((g) => g.tokens.map(() => g.prompt.ids.length));
      const trunc = kept.flatMap((g) => g.truncated);
      const S = Math.max(...seqs.map((s) => s.length));
      const B = seqs.length;
      const ids = new BigInt64Array(B * S), attn = new Uint8Array(B * S), comp = new Float64Array(B * (S - 1));
      seqs.forEach((s, b) => {
        s.forEach((t, j) => { ids[b * S + j] = BigInt(t); attn[b * S + j] = 1; });
        if (cfg.mask_truncated && trunc[b]) return;
        for (let j = promptLen[b]! - 1; j < s.length - 1; j++) comp[b * (S - 1) + j] = 1;   // positions that predict completion tokens
      });
      pt.scope(() => {
        const idsT = pt.tensor(ids, { shape: [B, S] }), maskT = pt.tensor(attn, { dtype: 'bool', shape: [B, S] });
        const compT = pt.tensor(comp, { shape: [B, S - 1] }).float();
        const advT = pt.tensor(Float32Array.from(adv));
        const old = pt.noGrad(() => tokenLogprobs(model, idsT, maskT, cfg.temperature));          // (B, S−1)
        const refLp = ref ? pt.noGrad(() => tokenLogprobs(ref, idsT, maskT, cfg.temperature)) : null;
        for (let u = 0; u < cfg.mu; u++) {
          pt.scope(() => {
            optimizer.zeroGrad();
            const lp = tokenLogprobs(model, idsT, maskT, cfg.temperature);
            const out = grpoLoss(lp, old, refLp, advT, compT, {
              ratioLevel: cfg.ratio_level, aggregation: cfg.aggregation, epsLow: cfg.eps_low, epsHigh: cfg.eps_high,
              dualClip: cfg.dual_clip > 1 ? cfg.dual_clip : null, beta: cfg.beta, klEstimator: cfg.kl_estimator, maxLength: cfg.max_new_tokens,
            });
            out.loss.backward();
            if (cfg.max_grad_norm > 0) pt.clipGradNorm(params, cfg.max_grad_norm);
            optimizer.step();
            stats = out.stats;
          });
        }
      });
    }
    const updateMs = performance.now() - tu;
    const lengths = kept.flatMap((g) => g.tokens.map((t) => t.length));
    const perFn = Object.fromEntries(rewards.map((r) => {
      const vals = kept.flatMap((g) => g.breakdown[r.name]!).filter((v): v is number => v !== null);
      return [`rewards/${r.name}`, vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null];
    }));
    const acc = perFn['rewards/math'] ?? null;
    if (typeof acc === 'number') accuracyCurve.push(acc);
    const groupsSeen = kept.length + dropped;
    run.metrics({
      step, reward: meanReward, reward_std: Math.sqrt(allRewards.reduce((a, b) => a + (b - meanReward) ** 2, 0) / Math.max(1, allRewards.length)),
      ...perFn, frac_reward_zero_std: groupsSeen ? dropped / groupsSeen : 0, groups_kept: kept.length, skipped_samples: skippedSamples,
      kl: stats.kl, clip_ratio_low: stats.clipLow, clip_ratio_high: stats.clipHigh, clip_ratio_region: stats.clipRegion,
      completion_length_mean: lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 0,
      completion_length_min: lengths.length ? Math.min(...lengths) : 0, completion_length_max: lengths.length ? Math.max(...lengths) : 0,
      clipped_ratio: kept.length ? kept.flatMap((g) => g.truncated).filter(Boolean).length / lengths.length : 0,
      time_generation_s: genMs / 1000, time_scoring_s: scoreMs / 1000, time_update_s: updateMs / 1000, time_step_s: (performance.now() - t0) / 1000,
    });
    progress.update(step, { reward: meanReward.toFixed(3), ...(typeof acc === 'number' ? { acc: acc.toFixed(3) } : {}), kl: stats.kl.toExponential(1) });
    if (cfg.save_every > 0 && step % cfg.save_every === 0 && step < cfg.max_steps) save();
    if (hooks.stopAfterStep !== undefined && step >= hooks.stopAfterStep) {            // as if killed (tests of resume)
      optimizer.dispose(); model.dispose(); ref?.dispose();
      return { steps: step, rewards: rewardCurve, accuracy: accuracyCurve, finalDir: '', runDir: cfg.output_dir };
    }
  }
  save();
  const finalDir = join(cfg.output_dir, 'final');
  saveModel(model, finalDir, { generationConfig, tokenizerFiles: tokFiles });
  optimizer.dispose(); model.dispose(); ref?.dispose();
  return { steps: step, rewards: rewardCurve, accuracy: accuracyCurve, finalDir, runDir: cfg.output_dir };
}
