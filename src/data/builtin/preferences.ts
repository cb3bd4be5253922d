// Built-in preference pairs for reward models, and judgement rows for a generative judge (the same
// solutions and corrupted copies, each with the reasoning that finds the mistake and a verdict —
// V3's chain-of-thought reward data). Pairs: each math problem's worked solution (chosen)
// against a corrupted copy (rejected) carrying the mistakes a small model makes — an arithmetic
// slip carried to the answer, a number copied wrong from the question, a boxed answer that
// disagrees with the work — and each instruction's exact answer against another item's answer of
// the same kind. Rows are TRL's explicit-prompt conversational format, deterministic in the seed.
import { Rng } from '../../common/rng.js';
import { equationsIn } from './math.js';
import { checkSteps, instructionCorrect } from './grading.js';
import { lastBoxed } from '../boxed.js';
import type { InstructionItem, MathProblem } from './types.js';

export interface PreferenceRow {
  prompt: { role: 'user'; content: string }[];
  chosen: { role: 'assistant'; content: string }[];
  rejected: { role: 'assistant'; content: string }[];
  kind: string;
}

/** A wrong number near n (never n, never negative). */
function near(rng: Rng, n: number): number {
  const d = rng.int(1, 3) * (rng.chance(0.5) ? 1 : -1);
  return n + d >= 0 ? n + d : n + Math.abs(d);
}

/** The solution with one mistake, or null when it has no equation to corrupt. */
export function corruptSolution(
  p: MathProblem,
  rng: Rng,
  kinds: readonly ('slip' | 'copy' | 'box')[] = ['slip', 'copy', 'box'],
): { text: string; mistake: string } | null {
  const eqs = equationsIn(p.solution);
  if (eqs.length === 0) return null;
  const mistake = rng.pick(kinds);
  const last = eqs.at(-1)!;
  if (mistake === 'box') {
    const wrong = near(rng, p.answer);
    return { text: p.solution.replace(/\\boxed\{[^}]*\}/, `\\boxed{${wrong}}`), mistake };
  }
  if (mistake === 'copy') {
    const first = eqs[0]!;
    const from = `${first.a} ${first.op} ${first.b} = ${first.c}`;
    const to = `${near(rng, first.a)} ${first.op} ${first.b} = ${first.c}`;
    return { text: p.solution.replace(from, to), mistake };
  }
  // an arithmetic slip in the last equation, carried into the boxed answer
  const wrong = near(rng, last.c);
  const from = `${last.a} ${last.op} ${last.b} = ${last.c}`;
  return {
    text: p.solution.replace(from, `${last.a} ${last.op} ${last.b} = ${wrong}`).replace(/\\boxed\{[^}]*\}/, `\\boxed{${wrong}}`),
    mistake: 'slip',
  };
}

/** The reasoning a careful judge writes for a response to `p`, checked against its reference. */
export function judgementReasoning(p: MathProblem, response: string): { reasoning: string; correct: boolean } {
  const steps: string[] = [];
  let flawed = false;
  for (const { a, op, b, c, value, aGiven, bGiven } of checkSteps(response, p.question)) {
    for (const [x, given] of [
      [a, aGiven],
      [b, bGiven],
    ] as const)
      if (!given) steps.push(`${x} is neither in the question nor an earlier result.`);
    steps.push(value === c ? `${a} ${op} ${b} = ${c} is right.` : `${a} ${op} ${b} is ${value}, not ${c}.`);
    flawed ||= !aGiven || !bGiven || value !== c;
  }
  const boxed = lastBoxed(response)?.trim() ?? null;
  const correct = boxed === String(p.answer);
  steps.push(
    boxed === null
      ? 'The response gives no boxed answer.'
      : `The response answers ${boxed}; the reference is ${p.answer}${correct ? ', the same' : ''}.`,
  );
  if (correct && flawed) steps.push('The work has a mistake, but the final answer matches the reference.');
  return { reasoning: steps.join(' '), correct };
}

export interface JudgementExample {
  question: string;
  response: string;
  reference: string;
  reasoning: string;
  verdict: 'correct' | 'incorrect';
}

/**
 * For each problem: its worked solution and a copy whose answer is wrong (an arithmetic slip carried
 * to the answer, or a boxed answer that disagrees with the work), each judged with its reasoning:
 * half the verdicts are "correct", half "incorrect".
 */
export function judgementRows(math: readonly MathProblem[], seed = 0): JudgementExample[] {
  const rng = new Rng(seed).fork('judgements');
  const rows: JudgementExample[] = [];
  for (const p of math) {
    const bad = corruptSolution(p, rng, ['slip', 'box']);
    for (const response of bad && bad.text !== p.solution ? [p.solution, bad.text] : [p.solution]) {
      const j = judgementReasoning(p, response);
      rows.push({
        question: p.question,
        response,
        reference: String(p.answer),
        reasoning: j.reasoning,
        verdict: j.correct ? 'correct' : 'incorrect',
      });
    }
  }
  rng.shuffle(rows);
  return rows;
}

/**
 * For each instruction: its exact answer and another item's answer of the same kind, each judged
 * against the reference (the instruction's answer) by quoting both and comparing — the check a
 * judge with a free-form reference makes; labels follow the built-in grader (instructionCorrect).
 */
export function instructionJudgementRows(instructions: readonly InstructionItem[], seed = 0): JudgementExample[] {
  const rng = new Rng(seed).fork('instruction-judgements');
  const byKind = new Map<string, InstructionItem[]>();
  for (const it of instructions) byKind.set(it.kind, [...(byKind.get(it.kind) ?? []), it]);
  const rows: JudgementExample[] = [];
  for (const it of instructions) {
    const others = byKind.get(it.kind)!.filter((o) => o.answer !== it.answer);
    for (const response of others.length ? [it.answer, rng.pick(others).answer] : [it.answer]) {
      const correct = instructionCorrect(response, it);
      rows.push({
        question: it.instruction,
        response,
        reference: it.answer,
        verdict: correct ? 'correct' : 'incorrect',
        reasoning: `The response says "${response}". The reference says "${it.answer}". ${correct ? 'They match.' : 'They differ.'}`,
      });
    }
  }
  rng.shuffle(rows);
  return rows;
}

export function preferencePairs(math: readonly MathProblem[], instructions: readonly InstructionItem[], seed = 0): PreferenceRow[] {
  const rng = new Rng(seed).fork('preferences');
  const rows: PreferenceRow[] = [];
  for (const p of math) {
    const bad = corruptSolution(p, rng);
    if (!bad || bad.text === p.solution) continue;
    rows.push({
      prompt: [{ role: 'user', content: p.question }],
      chosen: [{ role: 'assistant', content: p.solution }],
      rejected: [{ role: 'assistant', content: bad.text }],
      kind: `math-${bad.mistake}`,
    });
  }
  const byKind = new Map<string, InstructionItem[]>();
  for (const it of instructions) byKind.set(it.kind, [...(byKind.get(it.kind) ?? []), it]);
  for (const it of instructions) {
    const others = byKind.get(it.kind)!.filter((o) => o.answer !== it.answer);
    if (others.length === 0) continue;
    rows.push({
      prompt: [{ role: 'user', content: it.instruction }],
      chosen: [{ role: 'assistant', content: it.answer }],
      rejected: [{ role: 'assistant', content: rng.pick(others).answer }],
      kind: `instruction-${it.kind}`,
    });
  }
  rng.shuffle(rows);
  return rows;
}
