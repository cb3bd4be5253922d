// The built-in task's long chain-of-thought: what the demo's expert (the "R1" of the recipe) is
// taught to write when the reflection/verification system prompt asks for it. Inside <think> … </think>
// the short solution's sentences are written again — optionally with every operation worked in
// smaller steps: a two-digit number split into tens and ones, a product into a tens part and a ones
// part, a quotient through its product — followed by a check of each result by working backwards
// (the verification); then, after </think>, the final answer ("The answer is \boxed{N}.", R1's short
// summary) or the short solution again. Measured on the demo's model (README): the decomposed form
// made the expert less accurate and writing the solution a second time after </think> gave it a
// second chance to go wrong (10.5% vs 14.0% held-out, same data), so the demo restates without
// decomposing and ends with the answer.
import { equationsIn } from './math.js';
import type { MathProblem } from './types.js';

/** The demo's reflection/verification system prompt (V3 §5.1 gives no text; this is a setting). */
export const REFLECTION_SYSTEM_PROMPT =
  'Think before answering, inside <think> and </think>: work through the problem step by step, ' +
  'then verify each result by working backwards. After thinking, give the final answer in \\boxed{}.';

/** One operation in small steps: "24 + 16: 24 + 10 = 34, 34 + 6 = 40." */
export function workedOperation(a: number, op: string, b: number, c: number): string {
  const tens = (n: number) => n - (n % 10),
    ones = (n: number) => n % 10;
  if (op === '+' && b >= 10 && ones(b) !== 0) {
    const x = a + tens(b);
    return `${a} + ${b}: ${a} + ${tens(b)} = ${x}, ${x} + ${ones(b)} = ${c}.`;
  }
  if (op === '-' && b >= 10 && ones(b) !== 0) {
    const x = a - tens(b);
    return `${a} - ${b}: ${a} - ${tens(b)} = ${x}, ${x} - ${ones(b)} = ${c}.`;
  }
  if (op === '*' && (a >= 10 || b >= 10)) {
    const [big, small] = a >= b ? [a, b] : [b, a];
    if (ones(big) !== 0 && big >= 10) {
      const x = tens(big) * small,
        y = ones(big) * small;
      return `${a} * ${b}: ${tens(big)} * ${small} = ${x}, ${ones(big)} * ${small} = ${y}, ${x} + ${y} = ${c}.`;
    }
  }
  if (op === '/' && b !== 0) return `${a} / ${b}: ${b} * ${c} = ${a}, so ${a} / ${b} = ${c}.`;
  return `${a} ${op} ${b} = ${c}.`;
}

/** The backwards check of one operation: "40 - 16 = 24, right." */
export function checkOperation(a: number, op: string, b: number, c: number): string {
  const inverse =
    op === '+'
      ? `${c} - ${b} = ${a}`
      : op === '-'
        ? `${c} + ${b} = ${a}`
        : op === '*'
          ? b !== 0
            ? `${c} / ${b} = ${a}`
            : `${b} * ${a} = ${c}`
          : `${c} * ${b} = ${a}`;
  return `${inverse}, right.`;
}

/**
 * The long-CoT response to a built-in problem: inside <think>, the solution's sentences (with every
 * operation worked in small steps when `decompose`), then the backwards checks; after it the final
 * answer (`after: 'answer'`, the default) or the solution itself (`after: 'solution'`).
 */
export function longCotSolution(p: MathProblem, o: { decompose?: boolean; after?: 'answer' | 'solution' } = {}): string {
  const eqs = equationsIn(p.solution);
  const body = p.solution.replace(/\s*\\boxed\{[^}]*\}\s*$/, '');
  const worked =
    o.decompose === false
      ? body
      : body.replace(/(?<![\w.])(\d+) ([-+*/]) (\d+) = (\d+)(?![\w])/g, (_, a: string, op: string, b: string, c: string) =>
          workedOperation(Number(a), op, Number(b), Number(c)).replace(/\.$/, ''),
        );
  const checks = eqs
    .slice()
    .reverse()
    .map(({ a, op, b, c }) => checkOperation(a, op, b, c));
  const after = o.after === 'solution' ? p.solution : `The answer is \\boxed{${p.answer}}.`;
  return `<think>\n${worked}\nCheck: ${checks.join(' ')}\n</think>\n${after}`;
}
