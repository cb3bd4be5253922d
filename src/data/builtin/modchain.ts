// The built-in reasoning domain of the demo: chains of operations over Z_p (integers modulo p).
// A problem starts from a residue and applies K labelled steps in order, each a line with blanks:
//     Modulo 7, start from 3 and fill in the steps in order:
//     a:?+4=?
//     b:?*2=?
//     c:?-5=?
//     d:?+6=?
// Chain-of-thought is what makes it solvable for a small model: answering directly needs all K
// operations composed inside one forward pass, while written out step by step every line is a table
// fact (x op y mod p) whose operands are the previous line's result and the step with the same
// label — lookups a small transformer learns in minutes (calibration: bench/calibrate_cot.ts, README).
// The expression form (modexpr.ts, parentheses, rewritten one reduction at a time) was measured
// first and learned far more slowly, because every step copies the whole expression.
//
// Answer styles (V3 Table 9's two data sources, plus the answer alone):
//   direct  "The answer is \boxed{1}."
//   short   V2.5-style, a few steps: the value after every second step ("After b: 0. After d: 1.")
//   long    R1-style: inside <think>, one fact per step ("c:0-5=2"), then a verification pass that
//           re-derives each fact another way (the terms swapped for + and *, subtraction as adding
//           the complement: "c:0+2=2"), then the answer after </think>. Each check ends with the
//           step's result, so the answer is given a few tokens after the last one (measured: copied
//           from the first pass, 55 tokens back, a student wrote the same boxed answer for every problem).
// A problem's identity (key) is its modulus, start and steps; answers are exact residues.
// factsDocument writes the base model's arithmetic: runs of one operation, "3*5=1\n1*5=5\n…".
import { Rng } from '../../common/rng.js';

export type ChainOp = '+' | '-' | '*';
export type AnswerStyle = 'direct' | 'short' | 'long';

export interface ChainShape {
  /** The modulus p. */
  modulus: number;
  /** Steps per problem (at most 26: the labels are a…z). */
  steps: number;
}

export interface ChainStep {
  label: string;
  op: ChainOp;
  operand: number;
  from: number;
  to: number;
}

export interface ChainProblem {
  question: string;
  modulus: number;
  start: number;
  steps: ChainStep[];
  answer: number;
  /** Canonical identity: "p|start|op operand …". */
  key: string;
}

const OPS: readonly ChainOp[] = ['+', '-', '*'];
const LABELS = 'abcdefghijklmnopqrstuvwxyz';

export function applyOp(x: number, op: ChainOp, y: number, p: number): number {
  const v = op === '+' ? x + y : op === '-' ? x - y : x * y;
  return ((v % p) + p) % p;
}

export function checkShape(s: ChainShape): void {
  if (!Number.isInteger(s.modulus) || s.modulus < 2 || s.modulus > 10)
    throw new RangeError(`chain problems: modulus must be an integer in 2..10 (one digit per residue), got ${s.modulus}`);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > LABELS.length)
    throw new RangeError(`chain problems: steps must be an integer in 1..${LABELS.length}, got ${s.steps}`);
}

/** A problem from its start and (op, operand) pairs. */
export function makeChain(p: number, start: number, ops: readonly { op: ChainOp; operand: number }[]): ChainProblem {
  let x = start;
  const steps = ops.map(({ op, operand }, i) => {
    const to = applyOp(x, op, operand, p);
    const s = { label: LABELS[i]!, op, operand, from: x, to };
    x = to;
    return s;
  });
  const question = `Modulo ${p}, start from ${start} and fill in the steps in order:\n${steps.map(blankOf).join('\n')}`;
  return { question, modulus: p, start, steps, answer: x, key: `${p}|${start}|${ops.map((o) => `${o.op}${o.operand}`).join(' ')}` };
}

/** A step as the question shows it, a line with blanks for the value before and after: "c:?-5=?". */
export const blankOf = (s: { label: string; op: ChainOp; operand: number }): string => `${s.label}:?${s.op}${s.operand}=?`;

/** Operands are 1..p-1: adding 0 or multiplying by 0 would make a step trivial or erase the chain. */
export function drawChain(rng: Rng, shape: ChainShape): ChainProblem {
  checkShape(shape);
  const p = shape.modulus;
  const start = rng.int(0, p - 1);
  const ops = Array.from({ length: shape.steps }, () => ({ op: rng.pick(OPS), operand: rng.int(1, p - 1) }));
  return makeChain(p, start, ops);
}

/** Reads a question back (null when it is not a chain question). */
export function parseChainQuestion(question: string): ChainProblem | null {
  const m = /^Modulo (\d+), start from (\d+) and fill in the steps in order:\n((?:[a-z]:\?[-+*]\d+=\?\n?)+)$/.exec(question.trim());
  if (!m) return null;
  const lines = m[3]!.trim().split('\n');
  const ops = lines.map((l) => ({ op: l[3] as ChainOp, operand: Number(l.slice(4, -2)) }));
  const p = makeChain(Number(m[1]), Number(m[2]), ops);
  return p.question === question.trim() ? p : null;
}

/** One step as a fact: "c:0-5=2". */
export const factOf = (s: ChainStep): string => `${s.label}:${s.from}${s.op}${s.operand}=${s.to}`;

/** The fact re-derived another way, ending in the same result: a+b=c as b+a=c, a*b=c as b*a=c, a-b=c
 *  as a plus the complement of b (a+(p-b)=c). So the last check ends with the answer, right before it is given. */
export function checkOf(s: ChainStep, p: number): string {
  return s.op === '+'
    ? `${s.label}:${s.operand}+${s.from}=${s.to}`
    : s.op === '-'
      ? `${s.label}:${s.from}+${p - s.operand}=${s.to}`
      : `${s.label}:${s.operand}*${s.from}=${s.to}`;
}

export const finalAnswer = (answer: number): string => `The answer is \\boxed{${answer}}.`;

export function longCot(p: ChainProblem): string {
  return longCotOf(p.steps, p.answer, p.modulus);
}

/** The long-CoT text of any steps and answer, right or not (planted errors write theirs through it too). */
export function longCotOf(steps: readonly ChainStep[], answer: number, p: number): string {
  return `<think>\n${steps.map(factOf).join('\n')}\nCheck:\n${steps.map((s) => checkOf(s, p)).join('\n')}\n</think>\n${finalAnswer(answer)}`;
}

/** A worked solution as plain text (a pretraining document): the question, then one fact per line. */
export function workedDocument(p: ChainProblem): string {
  return `${p.question}\n${p.steps.map(factOf).join('\n')}\n`;
}

/** The value after every second step (and after the last), then the answer. */
export function shortCot(p: ChainProblem): string {
  const shown = p.steps.filter((_, i) => i % 2 === 1 || i === p.steps.length - 1);
  return `${shown.map((s) => `After ${s.label}: ${s.to}.`).join(' ')} ${finalAnswer(p.answer)}`;
}

export function answerIn(p: ChainProblem, style: AnswerStyle): string {
  return style === 'direct' ? finalAnswer(p.answer) : style === 'short' ? shortCot(p) : longCot(p);
}

/** A run of one operation repeated from a random start: "Modulo 7:\n3*5=1\n1*5=5\n…" (each result is the next value). */
export function factsDocument(rng: Rng, p: number, lines = 5): string {
  const op = rng.pick(OPS),
    y = rng.int(1, p - 1);
  let x = rng.int(0, p - 1);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const z = applyOp(x, op, y, p);
    out.push(`${x}${op}${y}=${z}`);
    x = z;
  }
  return `Modulo ${p}:\n${out.join('\n')}\n`;
}
