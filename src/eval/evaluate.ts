// Evaluation on held-out items: each question is rendered with the chat template, answered with the
// KV-cache engine, and checked by a verifier. `evaluate` grades free-form items greedily (accuracy
// and mean response length, per kind); `evaluateMath` is the math harness behind `posttrain eval`
// and the demo: greedy accuracy, pass@1 averaged over k samples, unbiased pass@k, maj@k, mean and
// median response length, per-item results — on a model in memory, or through evaluateMathWith on
// any chat backend (a model folder or an OpenAI-compatible server).
import { generate, type Completion } from '../generation/index.js';
import { passAtK, majorityVote, mean, median } from './metrics.js';
import { verifyMath } from '../rewards/math.js';
import { applyChatTemplate, type Tokenizer } from '../tokenizer/index.js';
import type { CausalLM } from '../models/index.js';
import type { ChatBackend } from '../generation/chat_backend.js';

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

export function evaluate(
  model: CausalLM,
  tokenizer: Tokenizer,
  items: readonly EvalItem[],
  o: { maxNewTokens: number; batchSize: number; system?: string },
): EvalReport {
  const results: { kind: string; correct: boolean; length: number; question: string; completion: string }[] = [];
  for (let i = 0; i < items.length; i += o.batchSize) {
    const chunk = items.slice(i, i + o.batchSize);
    const prompts = chunk.map((it) =>
      tokenizer.encode(
        applyChatTemplate(
          tokenizer,
          [...(o.system ? [{ role: 'system' as const, content: o.system }] : []), { role: 'user' as const, content: it.question }],
          { addGenerationPrompt: true },
        ),
      ),
    );
    const out = generate(model, prompts, {
      maxNewTokens: o.maxNewTokens,
      temperature: 0,
      eosTokenIds: tokenizer.eosTokenIds,
      padTokenId: tokenizer.padTokenId ?? 0,
    });
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
  return {
    ...summarise(results),
    byKind,
    samples: results.slice(0, 20).map(({ question, completion, correct }) => ({ question, completion, correct })),
  };
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
  /** Response tokens (null: the backend could not count them). */
  length: number | null;
  samples?: { correct: boolean[]; extracted: (string | null)[]; lengths: (number | null)[] };
}

export interface MathEvalReport {
  n: number;
  greedyAccuracy: number;
  /** Mean correctness over the k samples (R1's pass@1), when k > 0. */
  pass1: number | null;
  passAtK: Record<string, number>;
  majAtK: number | null;
  /** Over the greedy responses whose length is known; null when none is. */
  meanLength: number | null;
  medianLength: number | null;
  items: MathItemResult[];
}

function promptIds(tokenizer: Tokenizer, question: string, system?: string): number[] {
  return tokenizer.encode(
    applyChatTemplate(
      tokenizer,
      [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: question }],
      { addGenerationPrompt: true },
    ),
  );
}

function generateAll(
  model: CausalLM,
  tokenizer: Tokenizer,
  prompts: number[][],
  o: MathEvalOptions,
  temperature: number,
  seed: number,
  tick: (n: number) => void,
): Completion[] {
  const out: Completion[] = [];
  for (let i = 0; i < prompts.length; i += o.batchSize) {
    const chunk = prompts.slice(i, i + o.batchSize);
    out.push(
      ...generate(model, chunk, {
        maxNewTokens: o.maxNewTokens,
        temperature,
        topP: temperature > 0 ? o.topP : 1,
        seed: seed + i,
        eosTokenIds: tokenizer.eosTokenIds,
        padTokenId: tokenizer.padTokenId ?? 0,
      }),
    );
    tick(chunk.length);
  }
  return out;
}

export function evaluateMath(model: CausalLM, tokenizer: Tokenizer, problems: readonly MathProblem[], o: MathEvalOptions): MathEvalReport {
  const prompts = problems.map((p) => promptIds(tokenizer, p.question, o.system));
  const total = problems.length * (1 + o.k);
  let done = 0;
  const tick = (n: number) => {
    done += n;
    o.onProgress?.(done, total);
  };
  const answered = (c: Completion): Answer => ({
    text: tokenizer.decode(c.tokens, { skipSpecialTokens: true }),
    length: c.tokens.filter((t) => !tokenizer.eosTokenIds.includes(t)).length,
  });
  const greedy = generateAll(model, tokenizer, prompts, o, 0, o.seed, tick).map(answered);
  let sampled: Answer[][] | null = null;
  if (o.k > 0) {
    const repeated = prompts.flatMap((p) => Array.from({ length: o.k }, () => p));
    const flat = generateAll(model, tokenizer, repeated, o, o.temperature, o.seed + 1, tick).map(answered);
    sampled = problems.map((_, i) => flat.slice(i * o.k, (i + 1) * o.k));
  }
  return scoreMath(problems, greedy, sampled, o.k);
}

/**
 * The same harness on any chat backend (a model folder, or an OpenAI-compatible server): one greedy
 * request and one request for k samples per problem, all in flight together (the backend batches
 * locally, or limits concurrency remotely). Lengths are the backend's (null where it cannot count).
 */
export async function evaluateMathWith(
  backend: ChatBackend,
  problems: readonly MathProblem[],
  o: MathEvalOptions,
): Promise<MathEvalReport> {
  const total = problems.length * (1 + o.k);
  let done = 0;
  const tick = (n: number) => {
    done += n;
    o.onProgress?.(done, total);
  };
  const messages = (q: string) => [
    ...(o.system ? [{ role: 'system' as const, content: o.system }] : []),
    { role: 'user' as const, content: q },
  ];
  const greedy = await Promise.all(
    problems.map(async (p) => {
      const r = await backend.chat({ messages: messages(p.question), maxTokens: o.maxNewTokens, temperature: 0, seed: o.seed });
      tick(1);
      return { text: r.texts[0] ?? '', length: r.lengths[0] ?? null };
    }),
  );
  const sampled =
    o.k > 0
      ? await Promise.all(
          problems.map(async (p, i) => {
            const r = await backend.chat({
              messages: messages(p.question),
              n: o.k,
              maxTokens: o.maxNewTokens,
              temperature: o.temperature,
              topP: o.topP,
              seed: o.seed + 1 + i,
            });
            tick(o.k);
            return r.texts.map((text, j) => ({ text, length: r.lengths[j] ?? null }));
          }),
        )
      : null;
  return scoreMath(problems, greedy, sampled, o.k);
}

interface Answer {
  text: string;
  length: number | null;
}

/** Greedy accuracy, pass@1 / pass@k / maj@k over the samples, lengths (over those known). */
function scoreMath(
  problems: readonly MathProblem[],
  greedy: readonly Answer[],
  sampled: readonly (readonly Answer[])[] | null,
  k: number,
): MathEvalReport {
  const items: MathItemResult[] = problems.map((p, i) => {
    const completion = greedy[i]!.text;
    const v = verifyMath(completion, p.answer);
    return {
      id: p.id,
      question: p.question,
      answer: p.answer,
      completion,
      extracted: v.extracted,
      correct: v.correct,
      length: greedy[i]!.length,
    };
  });
  let pass1: number | null = null,
    majAtK: number | null = null;
  const passK: Record<string, number> = {};
  if (sampled && k > 0) {
    items.forEach((it, i) => {
      const mine = sampled[i]!;
      const verdicts = mine.map((c) => verifyMath(c.text, it.answer));
      it.samples = {
        correct: verdicts.map((v) => v.correct),
        extracted: verdicts.map((v) => v.extracted),
        lengths: mine.map((c) => c.length),
      };
    });
    pass1 = mean(items.map((it) => mean(it.samples!.correct.map(Number))));
    for (const kk of [1, 2, 4, 8, 16, 32, 64].filter((kk) => kk <= k)) {
      passK[`pass@${kk}`] = mean(items.map((it) => passAtK(k, it.samples!.correct.filter(Boolean).length, kk)));
    }
    majAtK = mean(
      items.map((it) => {
        const voted = majorityVote(it.samples!.extracted);
        return voted !== null && verifyMath(`\\boxed{${voted}}`, it.answer).correct ? 1 : 0;
      }),
    );
  }
  const lengths = items.map((it) => it.length).filter((l): l is number => l !== null);
  return {
    n: items.length,
    greedyAccuracy: mean(items.map((it) => Number(it.correct))),
    pass1,
    passAtK: passK,
    majAtK,
    meanLength: lengths.length ? mean(lengths) : null,
    medianLength: lengths.length ? median(lengths) : null,
    items,
  };
}
