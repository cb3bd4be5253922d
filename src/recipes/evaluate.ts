// Evaluation on held-out items: each question is rendered with the chat template, answered with the
// KV-cache engine, and checked by a verifier. `evaluate` grades free-form items greedily (accuracy
// and mean response length, per kind); `evaluateMath` is the math harness behind `posttrain eval`
// and the demo: greedy accuracy, pass@1 averaged over k samples, unbiased pass@k, maj@k, mean and
// median response length, per-item results.
import { generate, type Completion } from '../generation/index.js';
import { passAtK, majorityVote, mean, median } from '../rewards/metrics.js';
import { verifyMath } from '../rewards/math.js';
import { applyChatTemplate, type Tokenizer } from '../tokenizer/index.js';
import type { CausalLM } from '../models/index.js';

export interface EvalItem {
  question: string;
  kind: string;
  check: (completion: string) => boolean;
}

export interface EvalReport {
  n: number;
  accuracy: number;
  meanLength: number;
  byKind: Record<string, { n: number; accuracy: number; meanLength: number }>;
  samples: { question: string; completion: string; correct: boolean }[];
}

export function evaluate(model: CausalLM, tokenizer: Tokenizer, items: readonly EvalItem[], o: { maxNewTokens: number; batchSize: number; system?: string }): EvalReport {
  const results: { kind: string; correct: boolean; length: number; question: string; completion: string }[] = [];
  for (let i = 0; i < items.length; i += o.batchSize) {
    const chunk = items.slice(i, i + o.batchSize);
    const prompts = chunk.map((it) => tokenizer.encode(applyChatTemplate(tokenizer,
      [...(o.system ? [{ role: 'system' as const, content: o.system }] : []), { role: 'user' as const, content: it.question }], { addGenerationPrompt: true })));
    const out = generate(model, prompts, { maxNewTokens: o.maxNewTokens, temperature: 0, eosTokenIds: tokenizer.eosTokenIds, padTokenId: tokenizer.padTokenId ?? 0 });
    chunk.forEach((it, j) => {
      const c = out[j]!;
      const completion = tokenizer.decode(c.tokens, { skipSpecialTokens: true });
      const length = c.tokens.filter((t) => !tokenizer.eosTokenIds.includes(t)).length;
      results.push({ kind: it.kind, correct: it.check(completion), length, question: it.question, completion });
    });
  }
  const summarise = (rs: typeof results) => ({
    n: rs.length,
    accuracy: rs.length ? rs.filter((r) => r.correct).length / rs.length : 0,
    meanLength: rs.length ? rs.reduce((a, r) => a + r.length, 0) / rs.length : 0,
  });
  const byKind: EvalReport['byKind'] = {};
  for (const kind of new Set(results.map((r) => r.kind))) byKind[kind] = summarise(results.filter((r) => r.kind === kind));
  return { ...summarise(results), byKind, samples: results.slice(0, 20).map(({ question, completion, correct }) => ({ question, completion, correct })) };
}

export interface MathProblem {
  question: string;
  /** The reference answer, as text (a number, a LaTeX expression, an interval, …). */
  answer: string;
  id?: string;
}

export interface MathEvalOptions {
  /** Samples per problem for pass@k / maj@k (0: greedy only). */
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
  system?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface MathItemResult {
  id?: string;
  question: string;
  answer: string;
  completion: string;
  extracted: string | null;
  correct: boolean;
  length: number;
  samples?: { correct: boolean[]; extracted: (string | null)[]; lengths: number[] };
}

export interface MathEvalReport {
  n: number;
  greedyAccuracy: number;
  /** Mean correctness over the k samples (R1's pass@1), when k > 0. */
  pass1: number | null;
  passAtK: Record<string, number>;
  majAtK: number | null;
  meanLength: number;
  medianLength: number;
  items: MathItemResult[];
}

function promptIds(tokenizer: Tokenizer, question: string, system?: string): number[] {
  return tokenizer.encode(applyChatTemplate(tokenizer,
    [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: question }], { addGenerationPrompt: true }));
}

function generateAll(model: CausalLM, tokenizer: Tokenizer, prompts: number[][], o: MathEvalOptions, temperature: number, seed: number, tick: (n: number) => void): Completion[] {
  const out: Completion[] = [];
  for (let i = 0; i < prompts.length; i += o.batchSize) {
    const chunk = prompts.slice(i, i + o.batchSize);
    out.push(...generate(model, chunk, { maxNewTokens: o.maxNewTokens, temperature, topP: temperature > 0 ? o.topP : 1, seed: seed + i,
      eosTokenIds: tokenizer.eosTokenIds, padTokenId: tokenizer.padTokenId ?? 0 }));
    tick(chunk.length);
  }
  return out;
}

export function evaluateMath(model: CausalLM, tokenizer: Tokenizer, problems: readonly MathProblem[], o: MathEvalOptions): MathEvalReport {
  const prompts = problems.map((p) => promptIds(tokenizer, p.question, o.system));
  const total = problems.length * (1 + o.k);
  let done = 0;
  const tick = (n: number) => { done += n; o.onProgress?.(done, total); };
  const text = (c: Completion) => tokenizer.decode(c.tokens, { skipSpecialTokens: true });
  const len = (c: Completion) => c.tokens.filter((t) => !tokenizer.eosTokenIds.includes(t)).length;
  const greedy = generateAll(model, tokenizer, prompts, o, 0, o.seed, tick);
  const items: MathItemResult[] = problems.map((p, i) => {
    const completion = text(greedy[i]!);
    const v = verifyMath(completion, p.answer);
    return { id: p.id, question: p.question, answer: p.answer, completion, extracted: v.extracted, correct: v.correct, length: len(greedy[i]!) };
  });
  let pass1: number | null = null, majAtK: number | null = null;
  const passK: Record<string, number> = {};
  if (o.k > 0) {
    const repeated = prompts.flatMap((p) => Array.from({ length: o.k }, () => p));
    const sampled = generateAll(model, tokenizer, repeated, o, o.temperature, o.seed + 1, tick);
    items.forEach((it, i) => {
      const mine = sampled.slice(i * o.k, (i + 1) * o.k);
      const verdicts = mine.map((c) => verifyMath(text(c), it.answer));
      it.samples = { correct: verdicts.map((v) => v.correct), extracted: verdicts.map((v) => v.extracted), lengths: mine.map(len) };
    });
    pass1 = mean(items.map((it) => mean(it.samples!.correct.map(Number))));
    for (const k of [1, 2, 4, 8, 16, 32, 64].filter((k) => k <= o.k)) {
      passK[`pass@${k}`] = mean(items.map((it) => passAtK(o.k, it.samples!.correct.filter(Boolean).length, k)));
    }
    majAtK = mean(items.map((it) => {
      const voted = majorityVote(it.samples!.extracted);
      return voted !== null && verifyMath(`\\boxed{${voted}}`, it.answer).correct ? 1 : 0;
    }));
  }
  const lengths = items.map((it) => it.length);
  return { n: items.length, greedyAccuracy: mean(items.map((it) => Number(it.correct))), pass1, passAtK: passK, majAtK, meanLength: mean(lengths), medianLength: median(lengths), items };
}
