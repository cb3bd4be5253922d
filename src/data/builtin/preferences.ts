// Built-in preference pairs for reward models: each math problem's worked solution (chosen)
// against a corrupted copy (rejected) carrying the mistakes a small model makes — an arithmetic
// slip carried to the answer, a number copied wrong from the question, a boxed answer that
// disagrees with the work — and each instruction's exact answer against another item's answer of
// the same kind. Rows are TRL's explicit-prompt conversational format, deterministic in the seed.
import { Rng } from './rng.js';
import { equationsIn } from './math.js';
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
export function corruptSolution(p: MathProblem, rng: Rng): { text: string; mistake: string } | null {
  const eqs = equationsIn(p.solution);
  if (eqs.length === 0) return null;
  const mistake = rng.pick(['slip', 'copy', 'box']);
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
  return { text: p.solution.replace(from, `${last.a} ${last.op} ${last.b} = ${wrong}`).replace(/\\boxed\{[^}]*\}/, `\\boxed{${wrong}}`), mistake: 'slip' };
}

export function preferencePairs(math: readonly MathProblem[], instructions: readonly InstructionItem[], seed = 0): PreferenceRow[] {
  const rng = new Rng(seed).fork('preferences');
  const rows: PreferenceRow[] = [];
  for (const p of math) {
    const bad = corruptSolution(p, rng);
    if (!bad || bad.text === p.solution) continue;
    rows.push({ prompt: [{ role: 'user', content: p.question }], chosen: [{ role: 'assistant', content: p.solution }], rejected: [{ role: 'assistant', content: bad.text }], kind: `math-${bad.mistake}` });
  }
  const byKind = new Map<string, InstructionItem[]>();
  for (const it of instructions) byKind.set(it.kind, [...(byKind.get(it.kind) ?? []), it]);
  for (const it of instructions) {
    const others = byKind.get(it.kind)!.filter((o) => o.answer !== it.answer);
    if (others.length === 0) continue;
    rows.push({ prompt: [{ role: 'user', content: it.instruction }], chosen: [{ role: 'assistant', content: it.answer }], rejected: [{ role: 'assistant', content: rng.pick(others).answer }], kind: `instruction-${it.kind}` });
  }
  rng.shuffle(rows);
  return rows;
}
