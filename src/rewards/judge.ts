// A generative judge as a reward (SPEC.md §2.1, model-based rewards): the judge model writes its
// reasoning and ends with a verdict, which is parsed into a score. Two modes — 'reference' (does
// the response match the free-form reference answer? "Verdict: correct | incorrect" → 1 | 0) and
// 'rubric' (no reference; the rubric or constitution is in the prompt; "Score: N" on 1..scale →
// (N − 1) / (scale − 1)). k judgements per response are combined by majority (verdicts) or mean
// (scores), V3's self-rewarding vote; an output without a parseable verdict counts as no vote, and
// a response with no vote at all gets null (the trainer skips and counts it). The judge is any
// function from chat messages to k texts: a local model or a RemoteModel.
import type { ChatMessage } from '../tokenizer/index.js';
import type { RewardFn } from './compose.js';
import type { ChatBackend } from '../generation/chat_backend.js';
import { seedFrom, textSeed } from '../common/rng.js';

export type JudgeMode = 'reference' | 'rubric';

export interface Judgement {
  score: number | null;
  reasoning: string;
  raw: string;
}

export interface JudgeInput {
  question: string;
  response: string;
  reference?: string | null;
  rubric?: string | null;
}

const REFERENCE_SYSTEM =
  'You grade answers. Compare the response with the reference answer: they match when they say the same thing, ' +
  'whatever the wording. Reason step by step, then end with one line "Verdict: correct" or "Verdict: incorrect".';
const RUBRIC_SYSTEM = (scale: number, rubric: string) =>
  `You grade responses against this rubric:\n${rubric}\n` +
  `Reason step by step about how well the response follows it, then end with one line "Score: N" where N is a whole number from 1 (worst) to ${scale} (best).`;

/** The judge's chat messages for one response. */
export function judgeMessages(x: JudgeInput, mode: JudgeMode, scale = 10): ChatMessage[] {
  if (mode === 'reference') {
    if (x.reference === undefined || x.reference === null) throw new RangeError('judgeMessages: reference mode needs a reference answer');
    return [
      { role: 'system', content: REFERENCE_SYSTEM },
      { role: 'user', content: `Question:\n${x.question}\n\nReference answer:\n${x.reference}\n\nResponse:\n${x.response}` },
    ];
  }
  return [
    { role: 'system', content: RUBRIC_SYSTEM(scale, x.rubric ?? 'Helpful, correct, honest and concise.') },
    { role: 'user', content: `Question:\n${x.question}\n\nResponse:\n${x.response}` },
  ];
}

const VERDICT = /verdict\s*[*_`]*\s*[:：]?\s*[*_`"'[(]*\s*(correct|incorrect|right|wrong|yes|no)\b/gi;
const SCORE = /score\s*[*_`]*\s*[:：]?\s*[*_`"'[(]*\s*(-?\d+(?:\.\d+)?)\s*(?:\/\s*(\d+))?/gi;

/**
 * The last verdict (or score) in a judge's output. Malformed outputs — none, a score outside
 * 1..scale, a fraction over another scale, an empty text — give score null; the reasoning is the
 * text before the verdict line.
 */
export function parseJudgement(raw: string, mode: JudgeMode, scale = 10): Judgement {
  const matches = [...raw.matchAll(mode === 'reference' ? VERDICT : SCORE)];
  const last = matches.at(-1);
  if (!last) return { score: null, reasoning: raw.trim(), raw };
  const reasoning = raw.slice(0, last.index).trim();
  if (mode === 'reference') {
    const word = last[1]!.toLowerCase();
    return { score: word === 'correct' || word === 'right' || word === 'yes' ? 1 : 0, reasoning, raw };
  }
  const value = Number(last[1]);
  const outOf = last[2] !== undefined ? Number(last[2]) : scale;
  if (outOf !== scale || !Number.isInteger(value) || value < 1 || value > scale) return { score: null, reasoning, raw };
  return { score: (value - 1) / (scale - 1), reasoning, raw };
}

/** k judgements → one score: majority of verdicts (a tie scores 0.5), mean of scores; null without any vote. */
export function combineJudgements(js: readonly Judgement[], mode: JudgeMode): number | null {
  const votes = js.map((j) => j.score).filter((s): s is number => s !== null);
  if (votes.length === 0) return null;
  if (mode === 'rubric') return votes.reduce((a, b) => a + b, 0) / votes.length;
  const yes = votes.filter((v) => v === 1).length,
    no = votes.length - yes;
  return yes > no ? 1 : yes < no ? 0 : 0.5;
}

export interface JudgeRewardOptions {
  mode: JudgeMode;
  /** Judgements per response (V3's voting; default 1). */
  k?: number;
  scale?: number;
  /** Rubric mode: the rubric (default: helpful, correct, honest, concise); or a row's `rubric` column. */
  rubric?: string;
  /** Every judgement, for logs (the reasoning behind each reward). */
  onJudged?: (input: JudgeInput, judgements: Judgement[], score: number | null) => void;
}

/** A reward function backed by a judge: reads question / reference (column `answer` or `reference`) from the row. */
export function judgeReward(
  judge: (messages: ChatMessage[], k: number) => Promise<string[]>,
  o: JudgeRewardOptions,
): RewardFn & { unparseable: () => number } {
  let unparseable = 0;
  const fn = async (x: Parameters<RewardFn>[0]) => {
    const e = x.example;
    const reference = o.mode === 'reference' ? (e['reference'] ?? e['answer']) : null;
    if (o.mode === 'reference' && (reference === undefined || reference === null)) return null;
    const question = typeof e['question'] === 'string' ? e['question'] : x.prompt;
    const input: JudgeInput = {
      question,
      response: x.completion,
      reference: reference === null ? null : String(reference),
      rubric: typeof e['rubric'] === 'string' ? e['rubric'] : (o.rubric ?? null),
    };
    const texts = await judge(judgeMessages(input, o.mode, o.scale ?? 10), o.k ?? 1);
    const judgements = texts.map((t) => parseJudgement(t, o.mode, o.scale ?? 10));
    unparseable += judgements.filter((j) => j.score === null).length;
    const score = combineJudgements(judgements, o.mode);
    o.onJudged?.(input, judgements, score);
    x.note?.(`judge_${o.mode}`, { score, votes: judgements.map((j) => j.score), reasoning: judgements.map((j) => j.reasoning) });
    return score;
  };
  return Object.assign(fn, { unparseable: () => unparseable });
}

/**
 * A judge on a chat backend (local folder or server): k texts per judgement, sampled when k > 1,
 * each judgement from its own seed (the run's seed and the judged conversation), so the votes on
 * different responses are independent draws, whatever order they are asked in.
 */
export function backendJudge(
  backend: ChatBackend,
  o: { maxTokens: number; temperature: number; seed?: number },
): (messages: ChatMessage[], k: number) => Promise<string[]> {
  return async (messages, k) => {
    if (k > 1 && o.temperature === 0) throw new RangeError(`judge: ${k} votes need a temperature above 0 (greedy votes are all the same)`);
    const seed = seedFrom(o.seed ?? 0, textSeed(JSON.stringify(messages)));
    return (await backend.chat({ messages, n: k, maxTokens: o.maxTokens, temperature: o.temperature, seed })).texts;
  };
}

/** A judgement training row (V3: the reward data carries the chain-of-thought behind each reward). */
export interface JudgementRow {
  question: string;
  response: string;
  reference?: string | null;
  rubric?: string | null;
  reasoning: string;
  verdict?: boolean | 'correct' | 'incorrect';
  score?: number;
}

/**
 * The SFT conversation that teaches a judge one judgement: the judge prompt of its mode (reference
 * when the row has one, else rubric) and the reasoning followed by the verdict or score line.
 * Throws a RangeError naming the field at fault.
 */
export function judgementConversation(row: JudgementRow, scale = 10): ChatMessage[] {
  if (typeof row.question !== 'string' || typeof row.response !== 'string')
    throw new RangeError("judgement row: 'question' and 'response' must be strings");
  if (typeof row.reasoning !== 'string' || row.reasoning.trim() === '')
    throw new RangeError("judgement row: 'reasoning' must be a non-empty string (the chain-of-thought behind the verdict)");
  const hasRef = row.reference !== undefined && row.reference !== null;
  let last: string;
  if (hasRef) {
    const v = row.verdict;
    if (v !== true && v !== false && v !== 'correct' && v !== 'incorrect')
      throw new RangeError(
        `judgement row: 'verdict' must be true, false, "correct" or "incorrect" when there is a reference, got ${JSON.stringify(v)}`,
      );
    last = `Verdict: ${v === true || v === 'correct' ? 'correct' : 'incorrect'}`;
  } else {
    const s = row.score;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > scale)
      throw new RangeError(`judgement row: 'score' must be a whole number in 1..${scale} without a reference, got ${JSON.stringify(s)}`);
    last = `Score: ${s}`;
  }
  return [
    ...judgeMessages(row, hasRef ? 'reference' : 'rubric', scale),
    { role: 'assistant', content: `${row.reasoning.trim()}\n${last}` },
  ];
}
