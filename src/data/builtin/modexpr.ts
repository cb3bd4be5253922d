// The built-in reasoning domain: arithmetic expressions over Z_p (integers modulo a prime p), with
// several operators and parentheses, e.g. "5*(3-(2*(4+6)))" mod 7. Chosen because chain-of-thought
// is what makes it solvable for a small model (Feng et al. 2023; ../shared/notes/cot_calibration.md):
// answering directly needs every operation composed inside one forward pass, while written out one
// reduction at a time every step is a table fact (a op b mod p) next to the expression it rewrites.
//
// Each problem has three answer styles:
//   direct  "The answer is \boxed{2}."
//   short   V2.5-style, a few steps: the top operator's two sides evaluated at once, then combined
//           ("5*(3*(3*(4+6))): the left side is 5, the right side is 6, and 5*6=2. …\boxed{2}.")
//   long    R1-style: inside <think>, every reduction of the leftmost innermost (a op b) as a fact
//           followed by the rewritten expression, then a verification pass re-deriving each fact
//           another way (c-b=a for a+b=c, c+b=a for a-b=c, b*a=c for a*b=c), then the answer.
// Problems are identified by their expression text (key); the answer is exact, so the verifier is
// exact (the \boxed{} integer, compared as a residue). This file knows nothing about models or files.
import { Rng } from '../../common/rng.js';
import { applyOp, finalAnswer, type AnswerStyle, type ChainOp } from './modchain.js';

export type { AnswerStyle };

export type ExprOp = ChainOp;
export type ExprNode = number | { op: ExprOp; l: ExprNode; r: ExprNode };

export interface ExprShape {
  /** The modulus p (a prime, so every non-zero residue has an inverse). */
  modulus: number;
  /** Operators per problem (internal nodes of the expression tree). */
  operators: number;
}

export interface ExprProblem {
  /** The user's question. */
  question: string;
  /** The expression, no spaces, no outer parentheses. */
  expression: string;
  modulus: number;
  answer: number;
  /** The reductions, leftmost innermost first: the fact and the expression after it. */
  steps: { a: number; op: ExprOp; b: number; c: number; rest: string }[];
  /** Canonical identity: modulus and expression text. */
  key: string;
}

const OPS: readonly ExprOp[] = ['+', '-', '*'];

/** A random tree with `n` operators: the operators left of the root are split uniformly. */
export function drawTree(rng: Rng, n: number, p: number): ExprNode {
  if (n === 0) return rng.int(0, p - 1);
  const left = rng.int(0, n - 1);
  return { op: rng.pick(OPS), l: drawTree(rng, left, p), r: drawTree(rng, n - 1 - left, p) };
}

/** Text of a tree: inner operations in parentheses, the outermost without. */
export function renderExpr(node: ExprNode, top = true): string {
  if (typeof node === 'number') return String(node);
  const s = `${renderExpr(node.l, false)}${node.op}${renderExpr(node.r, false)}`;
  return top ? s : `(${s})`;
}

export function evalExpr(node: ExprNode, p: number): number {
  return typeof node === 'number' ? node : applyOp(evalExpr(node.l, p), node.op, evalExpr(node.r, p), p);
}

/** Leftmost innermost reductions, each with the expression it leaves. */
export function reductions(root: ExprNode, p: number): ExprProblem['steps'] {
  const steps: ExprProblem['steps'] = [];
  let tree = root;
  // leftmost innermost (a op b) = the first operator in post-order whose children are both numbers
  const reduceOnce = (node: ExprNode): { node: ExprNode; done: ExprProblem['steps'][number] | null } => {
    if (typeof node === 'number') return { node, done: null };
    if (typeof node.l === 'number' && typeof node.r === 'number') {
      const c = applyOp(node.l, node.op, node.r, p);
      return { node: c, done: { a: node.l, op: node.op, b: node.r, c, rest: '' } };
    }
    const l = reduceOnce(node.l);
    if (l.done) return { node: { ...node, l: l.node }, done: l.done };
    const r = reduceOnce(node.r);
    return { node: { ...node, r: r.node }, done: r.done };
  };
  while (typeof tree !== 'number') {
    const { node, done } = reduceOnce(tree);
    tree = node;
    steps.push({ ...done!, rest: renderExpr(tree) });
  }
  return steps;
}

export function questionOf(expression: string, p: number): string {
  return `Compute modulo ${p}: ${expression}`;
}

/** Reads the expression and modulus back from a question (null when it is not one of ours). */
export function parseQuestion(question: string): { expression: string; modulus: number } | null {
  const m = /^Compute modulo (\d+): ([0-9+\-*()]+)$/.exec(question.trim());
  return m ? { modulus: Number(m[1]), expression: m[2]! } : null;
}

export function makeProblem(tree: ExprNode, p: number): ExprProblem {
  const expression = renderExpr(tree);
  return {
    question: questionOf(expression, p),
    expression,
    modulus: p,
    answer: evalExpr(tree, p),
    steps: reductions(tree, p),
    key: `${p}|${expression}`,
  };
}

export function drawProblem(rng: Rng, shape: ExprShape): ExprProblem {
  return makeProblem(drawTree(rng, shape.operators, shape.modulus), shape.modulus);
}

/** One fact of a reduction: "4+6=3". */
export const factOf = (s: { a: number; op: ExprOp; b: number; c: number }): string => `${s.a}${s.op}${s.b}=${s.c}`;

/** The verification of a fact, derived another way: a+b=c by c-b=a, a-b=c by c+b=a, a*b=c by b*a=c. */
export function checkOf(s: { a: number; op: ExprOp; b: number; c: number }): string {
  return s.op === '+' ? `${s.c}-${s.b}=${s.a}` : s.op === '-' ? `${s.c}+${s.b}=${s.a}` : `${s.b}*${s.a}=${s.c}`;
}

/** The worked reduction lines: "4+6=3, so 5*(3*(3*3))" … the last one "5*6=2". */
export function workedLines(p: ExprProblem): string[] {
  return p.steps.map((s, i) => (i === p.steps.length - 1 ? factOf(s) : `${factOf(s)}, so ${s.rest}`));
}

export function longCot(p: ExprProblem): string {
  const checks = p.steps.map((s) => `${checkOf(s)} ok`).join(', ');
  return `<think>\n${p.expression}\n${workedLines(p).join('\n')}\nCheck: ${checks}.\n</think>\n${finalAnswer(p.answer)}`;
}

/** A tree back from its text (the inverse of renderExpr). */
export function parseExpr(text: string): ExprNode {
  let at = 0;
  const atom = (): ExprNode => {
    const ch = text[at];
    if (ch === '(') {
      at++;
      const n = binary();
      if (text[at] !== ')') throw new SyntaxError(`parseExpr: ')' expected at ${at} in ${JSON.stringify(text)}`);
      at++;
      return n;
    }
    const m = /^\d+/.exec(text.slice(at));
    if (!m) throw new SyntaxError(`parseExpr: a number expected at ${at} in ${JSON.stringify(text)}`);
    at += m[0].length;
    return Number(m[0]);
  };
  const binary = (): ExprNode => {
    const l = atom();
    const op = text[at];
    if (op !== '+' && op !== '-' && op !== '*') return l;
    at++;
    return { op, l, r: atom() };
  };
  const n = binary();
  if (at !== text.length) throw new SyntaxError(`parseExpr: unexpected ${JSON.stringify(text[at])} at ${at} in ${JSON.stringify(text)}`);
  return n;
}

export function shortCot(p: ExprProblem): string {
  const tree = parseExpr(p.expression);
  if (typeof tree === 'number') return finalAnswer(p.answer);
  const l = evalExpr(tree.l, p.modulus),
    r = evalExpr(tree.r, p.modulus);
  return `The left side is ${l}, the right side is ${r}, and ${factOf({ a: l, op: tree.op, b: r, c: p.answer })}. ${finalAnswer(p.answer)}`;
}

export function answerIn(p: ExprProblem, style: AnswerStyle): string {
  return style === 'direct' ? finalAnswer(p.answer) : style === 'short' ? shortCot(p) : longCot(p);
}
