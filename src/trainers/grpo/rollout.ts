// GRPO's sampling side: the prompt dataset and one sampling round — G
// completions per prompt from the current policy through the KV-cache engine, scored by the
// weighted rewards (plus DAPO's soft overlong punishment when set), with dynamic sampling: groups
// whose judged rewards all agree carry no signal and are dropped, and more prompts are drawn until
// the round has its groups or runs out of passes. Every completion samples from its own stream,
// seeded by (round seed, pass, group, sample), so a group's completions do not depend on which
// other groups share its batch. Under data parallelism each rank generates and scores a contiguous
// share of each pass's groups and the ranks exchange the scored groups (plain JSON), so every rank
// holds the same round and makes the same keep/drop decisions. Plain numbers in, plain numbers out: the update
// (update.ts) turns the kept groups into tensors; the reward functions by name are rewards/registry.ts.
import type { CausalLM } from '../../models/index.js';
import { Tokenizer, applyChatTemplate, type ChatMessage } from '../../tokenizer/index.js';
import { generate } from '../../generation/index.js';
import { readRows, DataError, type BatchSampler, type ReadRowsOptions } from '../../data/index.js';
import { scoreAll, type NamedReward, type RewardFn } from '../../rewards/compose.js';
import { overlongPenalty } from '../../rewards/format.js';
import { seedFrom } from '../../common/rng.js';
import type { DataParallel } from '../data_parallel.js';

export interface PromptRow {
  ids: number[];
  text: string;
  example: Record<string, unknown>;
}

/** Rows with messages | prompt (string or messages) | question, rendered with the chat template. */
export async function loadPrompts(
  files: readonly string[],
  tokenizer: Tokenizer,
  system: string | null,
  maxTokens = 0,
  read: ReadRowsOptions = {},
): Promise<PromptRow[]> {
  const out: PromptRow[] = [];
  for (const file of files) {
    for await (const row of readRows(file, read)) {
      const d = row.data;
      const chat = (msgs: ChatMessage[]) =>
        applyChatTemplate(tokenizer, [...(system ? [{ role: 'system' as const, content: system }] : []), ...msgs], {
          addGenerationPrompt: true,
        });
      let text: string;
      if (Array.isArray(d['messages'])) text = chat((d['messages'] as ChatMessage[]).filter((m) => m.role !== 'assistant'));
      else if (Array.isArray(d['prompt'])) text = chat(d['prompt'] as ChatMessage[]);
      else if (typeof d['prompt'] === 'string') text = d['prompt'];
      else if (typeof d['question'] === 'string') text = chat([{ role: 'user', content: d['question'] }]);
      else throw new DataError(row.file, row.line, "needs 'messages', 'prompt' or 'question'", 'prompt');
      // what the row asks, without the template around it: blank means there is nothing to sample for
      const field = Array.isArray(d['messages']) ? 'messages' : d['prompt'] !== undefined ? 'prompt' : 'question';
      const asked = Array.isArray(d[field])
        ? (d[field] as { content?: unknown }[]).map((m) => (typeof m?.content === 'string' ? m.content : '')).join('')
        : String(d[field]);
      if (asked.trim() === '') throw new DataError(row.file, row.line, 'is blank: the row asks nothing', field);
      const ids = tokenizer.encode(text);
      out.push({ ids: maxTokens > 0 && ids.length > maxTokens ? ids.slice(ids.length - maxTokens) : ids, text, example: d });
    }
  }
  if (out.length === 0) throw new Error(`no prompts in ${files.join(', ')}`);
  return out;
}

/** A prompt's G completions with their rewards (null: a reward could not judge that completion). */
export interface Group {
  prompt: PromptRow;
  tokens: number[][];
  /** The sampler's log-probability of each completion token (for importance sampling against the trainer's). */
  logprobs: number[][];
  texts: string[];
  truncated: boolean[];
  rewards: (number | null)[];
  breakdown: Record<string, (number | null)[]>;
  /** What the reward functions noted on each completion (route, judge reasoning, RM score). */
  notes: Record<string, unknown>[];
}

export interface RolloutOptions {
  groupSize: number;
  groups: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  eosTokenIds: number[];
  padTokenId: number;
  dynamicSampling: boolean;
  maxPasses: number;
  /** DAPO soft overlong punishment: interval (tokens, 0 = off) and weight. */
  overlongBuffer: number;
  overlongWeight: number;
  seed: number;
}

export interface Rollout {
  kept: Group[];
  /** Every sampled group, kept or dropped (for unbiased reward / accuracy metrics). */
  all: Group[];
  dropped: number;
  skippedSamples: number;
  passes: number;
  generationMs: number;
  scoringMs: number;
}

/** A scored group without its prompt: what ranks exchange. */
type Scored = Omit<Group, 'prompt'>;

/** Completions for prompts (one entry per completion) with one seed each, and the sampler's token log-probs. */
export type CompletionSampler = (
  prompts: readonly PromptRow[],
  seeds: readonly number[],
  o: RolloutOptions,
) => Promise<{ tokens: number[]; logprobs: number[]; truncated: boolean }[]>;

/** Sampling in this process, with the KV-cache engine (each completion its own stream). */
export function localSampler(model: CausalLM): CompletionSampler {
  return async (prompts, seeds, o) => {
    const wasTraining = model.training;
    model.eval();
    try {
      return generate(
        model,
        prompts.map((p) => p.ids),
        {
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          topP: o.topP,
          topK: o.topK,
          eosTokenIds: o.eosTokenIds,
          padTokenId: o.padTokenId,
          seeds,
        },
      ).map((c) => ({ tokens: c.tokens, logprobs: c.logprobs, truncated: c.finishReason === 'length' }));
    } finally {
      model.train(wasTraining);
    }
  };
}

/** One sampling round: draw prompts, sample G completions each, score, keep groups with signal. */
export async function sampleRound(
  complete: CompletionSampler,
  tokenizer: Tokenizer,
  prompts: readonly PromptRow[],
  sampler: BatchSampler,
  rewards: readonly NamedReward[],
  o: RolloutOptions,
  dp: DataParallel | null = null,
): Promise<Rollout> {
  const G = o.groupSize;
  const r: Rollout = { kept: [], all: [], dropped: 0, skippedSamples: 0, passes: 0, generationMs: 0, scoringMs: 0 };
  while (r.kept.length < o.groups && r.passes < o.maxPasses) {
    const batch = Array.from({ length: o.groups - r.kept.length }, () => {
      const next = sampler.next();
      if (!next) throw new Error('GRPO: the prompt sampler ran out of prompts');
      return prompts[next.rows[0]!]!;
    });
    // this rank's share of the pass's groups (all of them in one process)
    const share = dp ? dp.shard(batch.map((_, j) => j)) : batch.map((_, j) => j);
    const mine = await scoreGroups(complete, tokenizer, share, batch, rewards, o, r);
    const scored = dp?.enabled ? (await dp.gather(mine.groups)).flat() : mine.groups;
    r.skippedSamples += dp?.enabled ? (await dp.sum([mine.skipped]))[0]! : mine.skipped;
    batch.forEach((prompt, j) => {
      const group: Group = { prompt, ...scored[j]! };
      r.all.push(group);
      const judged = group.rewards.filter((v): v is number => v !== null);
      const noSignal = judged.length < 2 || (o.dynamicSampling && judged.every((v) => v === judged[0]));
      if (noSignal) r.dropped++;
      else r.kept.push(group);
    });
    r.passes++;
  }
  return r;
}

/** Samples and scores the groups `share` (indices into the pass's prompts); adds its times to `r`; counts the samples no reward could judge. */
async function scoreGroups(
  complete: CompletionSampler,
  tokenizer: Tokenizer,
  share: readonly number[],
  batch: readonly PromptRow[],
  rewards: readonly NamedReward[],
  o: RolloutOptions,
  r: Rollout,
): Promise<{ groups: Scored[]; skipped: number }> {
  if (share.length === 0) return { groups: [], skipped: 0 };
  const G = o.groupSize;
  const tg = performance.now();
  const outs = await complete(
    share.flatMap((j) => Array.from({ length: G }, () => batch[j]!)),
    share.flatMap((j) => Array.from({ length: G }, (_, k) => seedFrom(o.seed, r.passes, j, k))),
    o,
  );
  r.generationMs += performance.now() - tg;
  const ts = performance.now();
  const texts = outs.map((c) => tokenizer.decode(c.tokens, { skipSpecialTokens: true }));
  const promptOf = (i: number) => batch[share[Math.floor(i / G)]!]!;
  const scores = await scoreAll(
    rewards,
    texts.map((completion, i) => ({
      prompt: promptOf(i).text,
      completion,
      completionTokens: outs[i]!.tokens.length,
      example: promptOf(i).example,
    })),
  );
  const total = scores.total;
  const breakdown = scores.breakdown;
  if (o.overlongBuffer > 0) {
    breakdown['overlong'] = outs.map((c) => overlongPenalty(c.tokens.length, o.maxNewTokens, o.overlongBuffer));
    for (let i = 0; i < total.length; i++) if (total[i] !== null) total[i] = total[i]! + o.overlongWeight * breakdown['overlong'][i]!;
  }
  r.scoringMs += performance.now() - ts;
  const groups = share.map((_, s) => {
    const part = <T>(xs: readonly T[]) => xs.slice(s * G, (s + 1) * G);
    return {
      tokens: part(outs).map((c) => c.tokens),
      logprobs: part(outs).map((c) => c.logprobs),
      texts: part(texts),
      truncated: part(outs).map((c) => c.truncated),
      rewards: part(total),
      notes: part(scores.notes),
      breakdown: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, part(v)])),
    };
  });
  return { groups, skipped: scores.skipped };
}

/** Groups (prompts) per round: the round's completions — generation_batch_size when set — fitted
 *  to a multiple of num_generations; else prompts_per_step when set; else the completions of
 *  per_device_train_batch_size × gradient_accumulation_steps × ranks, as TRL derives them (all
 *  global: a round is the same set of groups however many ranks share it). */
export function fitGroups(
  o: {
    prompts_per_step: number;
    generation_batch_size: number;
    per_device_train_batch_size: number;
    gradient_accumulation_steps: number;
    num_generations: number;
  },
  worldSize = 1,
): { groups: number; note: string | null } {
  if (o.generation_batch_size <= 0 && o.prompts_per_step > 0) return { groups: o.prompts_per_step, note: null };
  const completions =
    o.generation_batch_size > 0 ? o.generation_batch_size : o.per_device_train_batch_size * o.gradient_accumulation_steps * worldSize;
  const from =
    o.generation_batch_size > 0
      ? `generation_batch_size ${completions}`
      : `per_device_train_batch_size × gradient_accumulation_steps${worldSize > 1 ? ` × ${worldSize} ranks` : ''} = ${completions}`;
  const groups = Math.max(1, Math.round(completions / o.num_generations));
  const note =
    groups * o.num_generations === completions
      ? null
      : `${from} is not a multiple of num_generations ${o.num_generations}: using ${groups} groups = ${groups * o.num_generations} completions per round`;
  return { groups, note };
}
