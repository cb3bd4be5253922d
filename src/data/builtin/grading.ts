// Checking answers to the built-in task: the last \boxed{...} of a math completion (data/boxed.ts) against the
// reference integer, the worked steps of a solution (each equation true and built from the
// question's numbers or earlier results), and an instruction completion against its exact reference
// (after light normalisation). Pure string functions; they know nothing about models or tokenizers.
import type { InstructionItem } from './types.js';
import { equationsIn } from './math.js';
import { lastBoxed } from '../boxed.js';

/**
 * Parse a boxed answer as an integer: surrounding spaces and $ are ignored, as are a leading
 * "x =", thousands separators ("1,200") and a zero fractional part ("12.0"). Anything else
 * (words, units, fractions, digits split by a space) gives null.
 */
export function parseBoxedInteger(content: string): number | null {
  let s = content
    .trim()
    .replace(/^\$+|\$+$/g, '')
    .trim();
  s = s.replace(/^[a-zA-Z]\s*=\s*/, '');
  if (/^[+-]?\d{1,3}(,\d{3})+(\.0+)?$/.test(s)) s = s.replace(/,/g, '');
  const m = /^([+-]?\d+)(\.0+)?$/.exec(s);
  if (!m) return null;
  const value = Number(m[1]);
  return Number.isSafeInteger(value) ? value : null;
}

/** Whether the completion's last \boxed{} holds an integer equal to `answer`. */
export function mathCorrect(completion: string, answer: number): boolean {
  const boxed = lastBoxed(completion);
  if (boxed === null) return false;
  const value = parseBoxedInteger(boxed);
  return value !== null && value === answer;
}

/**
 * Process check of a worked solution, in [0, 1]: the mean over its equations "a op b = c" of three
 * equal parts — a is a number of the question or an earlier result, so is b, and the equation is
 * true. 0 without any equation. A dense, rule-based signal for the built-in task (a number copied
 * wrong or a slip in arithmetic costs part of its step), used with the answer check, never instead.
 */
export function groundedSteps(completion: string, question: string): number {
  const steps = checkSteps(completion, question);
  if (steps.length === 0) return 0;
  return steps.reduce((sum, x) => sum + ((x.aGiven ? 1 : 0) + (x.bGiven ? 1 : 0) + (x.value === x.c ? 1 : 0)) / 3, 0) / steps.length;
}

/** One equation "a op b = c" of a worked solution, checked: its true value, and whether each
 *  operand is a number of the question or an earlier result. */
export interface CheckedStep {
  a: number;
  op: string;
  b: number;
  c: number;
  value: number;
  aGiven: boolean;
  bGiven: boolean;
}

/** Every equation of `completion` checked against arithmetic and against `question`'s numbers. */
export function checkSteps(completion: string, question: string): CheckedStep[] {
  const known = new Set((question.match(/\d+/g) ?? []).map(Number));
  return equationsIn(completion).map(({ a, op, b, c }) => {
    const value = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : b !== 0 ? a / b : NaN;
    const step = { a, op, b, c, value, aGiven: known.has(a), bGiven: known.has(b) };
    known.add(c);
    return step;
  });
}

/** Kinds whose answers are compared case-sensitively (the case is the point). */
const CASE_SENSITIVE = new Set(['uppercase', 'lowercase']);

/**
 * Normalise an instruction answer: trim; drop surrounding quotes and one trailing . or !; collapse
 * white space; no space around dashes ("a - p" → "a-p"); ", " after commas. Lower-cased unless
 * `keepCase`.
 */
export function normaliseAnswer(text: string, keepCase = false): string {
  let s = text.trim();
  s = s.replace(/^["'`]+|["'`]+$/g, '').trim();
  s = s.replace(/[.!]$/, '').trim();
  s = s.replace(/["'`]+$/g, '').trim();
  s = s.replace(/\s+/g, ' ');
  s = s.replace(/\s*-\s*/g, '-').replace(/\s*,\s*/g, ', ');
  return keepCase ? s : s.toLowerCase();
}

/**
 * Whether a completion answers an instruction: normalised exact match with the reference. Items
 * with `members` and `count` (List three fruits.) also accept any `count` distinct members,
 * separated by commas and/or "and", in any order.
 */
export function instructionCorrect(completion: string, item: InstructionItem): boolean {
  const keepCase = CASE_SENSITIVE.has(item.kind);
  const got = normaliseAnswer(completion, keepCase);
  if (got.length > 0 && got === normaliseAnswer(item.answer, keepCase)) return true;
  if (item.members && item.count !== undefined) {
    const parts = got
      .split(/\s*,\s*(?:and\s+)?|\s+and\s+/)
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const members = new Set(item.members.map((m) => m.toLowerCase()));
    return parts.length === item.count && new Set(parts).size === parts.length && parts.every((p) => members.has(p));
  }
  return false;
}
