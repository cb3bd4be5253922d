// Reward-model data for the chain domain (modchain.ts): responses with and without planted errors,
// preference pairs for a scalar reward model, and judgements for a generative judge whose reasoning
// re-derives every step of the response before its verdict (V3 §5.2: the reward data carries the
// chain-of-thought behind each reward). Planted errors are the mistakes a small model makes:
//   slip  one step's result is wrong and the chain goes on from the wrong value (answer wrong too)
//   box   every step is right but the boxed answer is not the last step's result
// The judge's reasoning copies the response's boxed answer b first, then re-derives every step (one
// fact per line, "c:0-5=2", with the operations the response and the question share), each line
// beginning with b carried down, then a last line "b z-b=d": the last result z minus b as one more
// fact, d = 0 is "ok", else "no"; then the score, 10 or 1 (rubric mode of rewards/judge.ts: no
// reference, the judge needs no ground truth). Every token of it is a copy a few tokens back or a table
// fact the base learned, b is copied where the judge cannot know the answer yet, and nothing is placed
// where the distilled model's own habits write something else (after "\boxed{" it writes its own
// result; after a line's last token it starts the next step from it). Measured (README: the judge):
// b copied after the re-derivation, 67.8% balanced; b carried at the end of each line, 91.5% with one
// base and 52.5% with another; at the start, 100% and 99% on two bases; the comparison as a sentence,
// "The steps give 2, not the same.", never left 50%.
// A scalar RM has to find the same slip inside one forward pass. Deterministic in the seed.
import { Rng } from '../../common/rng.js';
import { applyOp, factOf, longCotOf, type ChainProblem, type ChainStep } from './modchain.js';
import { lastBoxed } from '../boxed.js';
import type { PreferenceRow } from './preferences.js';

export const CHAIN_RUBRIC =
  'Every step is computed correctly modulo the given number, and the final answer is the result of the last step.';
export const CHAIN_JUDGE_SCALE = 10;

export type PlantedError = 'slip' | 'box';

/** A wrong residue other than `v`. */
function otherThan(rng: Rng, v: number, p: number): number {
  return (v + rng.int(1, p - 1)) % p;
}

/** The long-CoT response with one planted error of the given kind. */
export function plantError(p: ChainProblem, rng: Rng, kind: PlantedError): string {
  if (kind === 'box') return longCotOf(p.steps, otherThan(rng, p.answer, p.modulus), p.modulus);
  const at = rng.int(0, p.steps.length - 1);
  const steps: ChainStep[] = [];
  let x = p.start;
  p.steps.forEach((s, i) => {
    const to = i === at ? otherThan(rng, applyOp(x, s.op, s.operand, p.modulus), p.modulus) : applyOp(x, s.op, s.operand, p.modulus);
    steps.push({ ...s, from: x, to });
    x = to;
  });
  return longCotOf(steps, x, p.modulus);
}

/**
 * The judge's reasoning for a response to chain problem `p`: the response's boxed answer b, every step
 * re-derived with b carried at the start of the line ("3 c:0-5=2"), then "b z-b=d" with the last result z
 * — the response holds when d is 0 ("ok"), not otherwise ("no"). A response without a boxed residue
 * fails with a sentence that says so.
 */
export function chainJudgement(p: ChainProblem, response: string): { reasoning: string; correct: boolean } {
  const boxed = lastBoxed(response)?.trim() ?? null;
  if (boxed === null) return { reasoning: `The response boxes no answer.\n${p.steps.map(factOf).join('\n')}`, correct: false };
  if (!/^\d$/.test(boxed) || Number(boxed) >= p.modulus)
    return { reasoning: `\\boxed{${boxed}} is not a residue modulo ${p.modulus}.`, correct: false };
  const diff = applyOp(p.answer, '-', Number(boxed), p.modulus);
  const lines = p.steps.map((s) => `${boxed} ${factOf(s)}`);
  return {
    reasoning: `\\boxed{${boxed}}\n${lines.join('\n')}\n${boxed} ${p.answer}-${boxed}=${diff} ${diff === 0 ? 'ok' : 'no'}`,
    correct: diff === 0,
  };
}

export interface ChainJudgementRow {
  question: string;
  response: string;
  rubric: string;
  reasoning: string;
  score: number;
  label: 'correct' | 'incorrect';
  error: PlantedError | null;
}

/** Each problem's right response and (with probability errorShare) one with a planted error, judged. */
export function chainJudgementRows(problems: readonly ChainProblem[], seed = 0, errorShare = 1): ChainJudgementRow[] {
  const rng = new Rng(seed).fork('chain-judgements');
  const rows: ChainJudgementRow[] = [];
  for (const p of problems) {
    const kinds: (PlantedError | null)[] = [null];
    if (rng.chance(errorShare)) kinds.push(rng.chance(0.75) ? 'slip' : 'box');
    for (const error of kinds) {
      const response = error === null ? longCotOf(p.steps, p.answer, p.modulus) : plantError(p, rng, error);
      const j = chainJudgement(p, response);
      rows.push({
        question: p.question,
        response,
        rubric: CHAIN_RUBRIC,
        reasoning: j.reasoning,
        score: j.correct ? CHAIN_JUDGE_SCALE : 1,
        label: j.correct ? 'correct' : 'incorrect',
        error,
      });
    }
  }
  rng.shuffle(rows);
  return rows;
}

/** Pairs for a scalar reward model: the right long-CoT response over one with a planted error. */
export function chainPreferencePairs(problems: readonly ChainProblem[], seed = 0): PreferenceRow[] {
  const rng = new Rng(seed).fork('chain-preferences');
  return problems.map((p) => {
    const kind: PlantedError = rng.chance(0.75) ? 'slip' : 'box';
    return {
      prompt: [{ role: 'user' as const, content: p.question }],
      chosen: [{ role: 'assistant' as const, content: longCotOf(p.steps, p.answer, p.modulus) }],
      rejected: [{ role: 'assistant' as const, content: plantError(p, rng, kind) }],
      kind: `chain-${kind}`,
    };
  });
}
