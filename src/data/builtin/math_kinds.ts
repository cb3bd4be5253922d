// The shape of a built-in math problem kind (math.ts): its number ranges per difficulty, the named
// numbers it draws, the scene its templates word them in, and the small wording helpers the kinds
// share (math_one_step.ts, math_multi_step.ts).
import type { Rng } from '../../common/rng.js';
import type { Difficulty } from './types.js';
import type { Thing, Verb } from './world.js';

/** Number ranges per difficulty. Every intermediate value and answer stays below `cap`. */
export interface MathRanges {
  /** Largest operand of additions and subtractions. */
  add: number;
  /** Factor ranges: one factor up to `mulBig`, the other up to `mulSmall` (both from 2). */
  mulBig: number;
  mulSmall: number;
  /** Largest unknown in equations. */
  x: number;
  cap: number;
  /** Relative frequency of 1-, 2- and 3-step problems. */
  stepWeights: readonly [number, number, number];
}

export const RANGES: Readonly<Record<Difficulty, MathRanges>> = {
  1: { add: 20, mulBig: 9, mulSmall: 5, x: 10, cap: 100, stepWeights: [0.45, 0.45, 0.1] },
  2: { add: 50, mulBig: 12, mulSmall: 9, x: 20, cap: 300, stepWeights: [0.3, 0.5, 0.2] },
  3: { add: 100, mulBig: 20, mulSmall: 12, x: 50, cap: 1000, stepWeights: [0.2, 0.45, 0.35] },
};

/** Named numbers of one instance: the ones in the question and the intermediate results. */
export type Nums = Record<string, number>;

export interface Scene {
  A: string;
  B: string;
  C: string;
  /** A's pronouns. */
  p: string;
  P: string;
  pos: string;
  thing: Thing;
  one: string;
  many: string;
  box: string;
  boxes: string;
  gain: Verb;
  gain2: Verb;
  loss: Verb;
  day1: string;
  day2: string;
  day3: string;
  col1: string;
  col2: string;
}

export interface Template {
  id: string;
  /** Whether the template reads well for this thing (default: any). */
  fits?: (thing: Thing) => boolean;
  q: (n: Nums, s: Scene) => string;
  sol: (n: Nums, s: Scene) => string;
}

export interface Kind {
  id: string;
  steps: 1 | 2 | 3;
  /** Numbers satisfying the kind's constraints, or null to draw again. */
  draw: (rng: Rng, r: MathRanges) => Nums | null;
  /** Names of the numbers that appear in the question, in the order every template writes them. */
  shown: readonly string[];
  /** Name of the answer among the numbers. */
  ans: string;
  templates: readonly Template[];
  /** The instance as past-tense prose with the results written out (pretraining). */
  story: (n: Nums, s: Scene) => string;
}

export const buyable = (t: Thing): boolean => t.tag !== 'nature';
export const box = (n: number): string => `\\boxed{${n}}`;
/** "1 person gets", "5 people get" (bus templates). */
export const ppl = (n: number | undefined, verb: string): string => (n === 1 ? `1 person ${verb}s` : `${n} people ${verb}`);
/** "After 1 gets off", "After 5 get off". */
export const get = (n: number | undefined): string => (n === 1 ? `${n} gets` : `${n} get`);
/** "1 apple", "3 apples". */
export const count = (n: number, s: Scene): string => `${n} ${n === 1 ? s.one : s.many}`;

/** Two factors, one from each range, in random order. */
export function factors(rng: Rng, r: MathRanges): [number, number] {
  const big = rng.int(2, r.mulBig);
  const small = rng.int(2, r.mulSmall);
  return rng.chance(0.5) ? [big, small] : [small, big];
}

export const under = (r: MathRanges, ...values: number[]): boolean => values.every((v) => v >= 0 && v < r.cap);
