// Math word problems for the built-in task: short English stories and equations with one to three
// arithmetic operations, each with a reference answer and a short step-by-step solution that
// writes every operation as "a op b = c" (op: + - * /) and ends with \boxed{answer}.
//
// A problem is drawn in three parts: a *kind* (the mathematical structure: 'add', 'mul-sub',
// 'linear' ...) draws the numbers; a *scene* (people, thing, container, verbs) is drawn to suit;
// one of the kind's *templates* words the question and its solution. The same drawn instance can
// also be told as past-tense prose (pretraining stories) or as a plain-text worked problem.
//
// Two canonical keys identify a problem regardless of wording (used to keep held-out problems out
// of every training text, see index.ts):
//   key      = kind | the question's numbers, sorted     ("add-sub|3,5,7")
//   stepsKey = the solution's equations, + and * operands sorted ("5+7=12;12-3=9")
// This file knows nothing about splits or chat formats.
import { Rng } from '../../common/rng.js';
import type { Difficulty, MathProblem } from './types.js';
import {
  BOX_COLOURS,
  CONTAINERS,
  DAYS,
  GAIN_VERBS,
  LOSS_VERBS,
  PEOPLE,
  THINGS,
  pronouns,
  verbsFor,
  type Person,
  type Thing,
  type Verb,
} from './world.js';

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
type Nums = Record<string, number>;

interface Scene {
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

interface Template {
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

const buyable = (t: Thing): boolean => t.tag !== 'nature';
const box = (n: number): string => `\\boxed{${n}}`;
/** "1 person gets", "5 people get" (bus templates). */
const ppl = (n: number | undefined, verb: string): string => (n === 1 ? `1 person ${verb}s` : `${n} people ${verb}`);
/** "After 1 gets off", "After 5 get off". */
const get = (n: number | undefined): string => (n === 1 ? `${n} gets` : `${n} get`);
/** "1 apple", "3 apples". */
const count = (n: number, s: Scene): string => `${n} ${n === 1 ? s.one : s.many}`;

/** Two factors, one from each range, in random order. */
function factors(rng: Rng, r: MathRanges): [number, number] {
  const big = rng.int(2, r.mulBig);
  const small = rng.int(2, r.mulSmall);
  return rng.chance(0.5) ? [big, small] : [small, big];
}

const under = (r: MathRanges, ...values: number[]): boolean => values.every((v) => v >= 0 && v < r.cap);

// ---------------------------------------------------------------- one step

const ADD: Kind = {
  id: 'add',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'c',
  draw: (rng, r) => {
    const a = rng.int(2, r.add),
      b = rng.int(2, r.add);
    return under(r, a + b) ? { a, b, c: a + b } : null;
  },
  templates: [
    {
      id: 'add.gain',
      q: (n, s) => `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.gain.s} ${n.b} more. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a} ${s.many}. After ${s.gain.ing} ${n.b} more, ${s.p} has ${n.a} + ${n.b} = ${n.c}. ${box(n.c!)}`,
    },
    {
      id: 'add.together',
      q: (n, s) => `${s.A} has ${n.a} ${s.many} and ${s.B} has ${n.b} ${s.many}. How many ${s.many} do they have together?`,
      sol: (n, s) => `${s.A} has ${n.a} and ${s.B} has ${n.b}. Together they have ${n.a} + ${n.b} = ${n.c} ${s.many}. ${box(n.c!)}`,
    },
    {
      id: 'add.box',
      q: (n, s) => `There are ${n.a} ${s.many} in a ${s.box}. ${s.A} puts in ${n.b} more. How many ${s.many} are in the ${s.box} now?`,
      sol: (n, s) => `The ${s.box} has ${n.a} ${s.many}. Adding ${n.b} more gives ${n.a} + ${n.b} = ${n.c}. ${box(n.c!)}`,
    },
    {
      id: 'add.days',
      q: (n, s) =>
        `${s.A} ${s.gain.past} ${n.a} ${s.many} on ${s.day1} and ${n.b} ${s.many} on ${s.day2}. How many ${s.many} did ${s.A} ${s.gain.base} in all?`,
      sol: (n, s) =>
        `${s.A} ${s.gain.past} ${n.a} on ${s.day1} and ${n.b} on ${s.day2}. In all that is ${n.a} + ${n.b} = ${n.c}. ${box(n.c!)}`,
    },
  ],
  story: (n, s) => `${s.A} had ${n.a} ${s.many}. ${s.P} ${s.gain.past} ${n.b} more, so ${s.p} had ${n.c} ${s.many}.`,
};

const SUB: Kind = {
  id: 'sub',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'c',
  draw: (rng, r) => {
    const a = rng.int(5, r.add),
      b = rng.int(1, a - 1);
    return { a, b, c: a - b };
  },
  templates: [
    {
      id: 'sub.loss',
      q: (n, s) => `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.loss.s} ${n.b} of them. How many ${s.many} does ${s.A} have left?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a} ${s.many}. After ${s.loss.ing} ${n.b}, ${s.p} has ${n.a} - ${n.b} = ${n.c} left. ${box(n.c!)}`,
    },
    {
      id: 'sub.compare',
      q: (n, s) => `${s.A} has ${n.a} ${s.many} and ${s.B} has ${n.b} ${s.many}. How many more ${s.many} does ${s.A} have than ${s.B}?`,
      sol: (n, s) => `${s.A} has ${n.a} and ${s.B} has ${n.b}. The difference is ${n.a} - ${n.b} = ${n.c}. ${box(n.c!)}`,
    },
    {
      id: 'sub.box',
      q: (n, s) => `There are ${n.a} ${s.many} in a ${s.box}. ${s.A} takes out ${n.b}. How many ${s.many} are still in the ${s.box}?`,
      sol: (n, s) => `The ${s.box} has ${n.a} ${s.many}. Taking out ${n.b} leaves ${n.a} - ${n.b} = ${n.c}. ${box(n.c!)}`,
    },
    {
      id: 'sub.need',
      q: (n, s) => `${s.A} wants ${n.a} ${s.many}. ${s.P} already has ${n.b}. How many more ${s.many} does ${s.A} need?`,
      sol: (n, s) => `${s.A} wants ${n.a} and has ${n.b}, so ${s.p} needs ${n.a} - ${n.b} = ${n.c} more. ${box(n.c!)}`,
    },
  ],
  story: (n, s) => `${s.A} had ${n.a} ${s.many}. ${s.P} ${s.loss.past} ${n.b} of them, so ${s.p} had ${count(n.c!, s)} left.`,
};

const MUL: Kind = {
  id: 'mul',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'c',
  draw: (rng, r) => {
    const [a, b] = factors(rng, r);
    return under(r, a * b) ? { a, b, c: a * b } : null;
  },
  templates: [
    {
      id: 'mul.boxes',
      q: (n, s) => `A ${s.box} holds ${n.a} ${s.many}. How many ${s.many} are in ${n.b} ${s.boxes}?`,
      sol: (n, s) => `Each ${s.box} holds ${n.a} ${s.many}, so ${n.b} ${s.boxes} hold ${n.b} * ${n.a} = ${n.c}. ${box(n.c!)}`,
    },
    {
      id: 'mul.bags',
      q: (n, s) =>
        `${s.A} ${s.gain.s} ${n.a} ${s.boxes} of ${s.many}. Each ${s.box} has ${n.b} ${s.many}. How many ${s.many} does ${s.A} ${s.gain.base}?`,
      sol: (n, s) => `There are ${n.a} ${s.boxes} with ${n.b} ${s.many} each. That makes ${n.a} * ${n.b} = ${n.c} ${s.many}. ${box(n.c!)}`,
    },
    {
      id: 'mul.rows',
      q: (n, s) => `${s.A} puts ${s.many} in ${n.a} rows with ${n.b} in each row. How many ${s.many} are there in all?`,
      sol: (n, s) => `There are ${n.a} rows of ${n.b}, so there are ${n.a} * ${n.b} = ${n.c} ${s.many}. ${box(n.c!)}`,
    },
    {
      id: 'mul.cost',
      fits: buyable,
      q: (n, s) => `One ${s.one} costs ${n.a} dollars. How many dollars do ${n.b} ${s.many} cost?`,
      sol: (n, s) => `Each ${s.one} costs ${n.a} dollars, so ${n.b} ${s.many} cost ${n.b} * ${n.a} = ${n.c} dollars. ${box(n.c!)}`,
    },
    {
      id: 'mul.each',
      q: (n, s) => `${s.A} gives ${n.a} ${s.many} to each of ${n.b} friends. How many ${s.many} does ${s.A} give away?`,
      sol: (n, s) => `Each of ${n.b} friends gets ${n.a} ${s.many}, so ${s.A} gives away ${n.b} * ${n.a} = ${n.c}. ${box(n.c!)}`,
    },
  ],
  story: (n, s) => `${s.A} had ${n.a} ${s.boxes} with ${n.b} ${s.many} in each, so ${s.p} had ${n.c} ${s.many}.`,
};

const DIV: Kind = {
  id: 'div',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'q',
  draw: (rng, r) => {
    const [q, b] = factors(rng, r);
    return under(r, q * b) ? { a: q * b, b, q } : null;
  },
  templates: [
    {
      id: 'div.share',
      q: (n, s) => `${s.A} has ${n.a} ${s.many} and shares them equally among ${n.b} friends. How many ${s.many} does each friend get?`,
      sol: (n, s) => `${s.A} shares ${n.a} ${s.many} among ${n.b} friends, so each gets ${n.a} / ${n.b} = ${n.q}. ${box(n.q!)}`,
    },
    {
      id: 'div.boxes',
      q: (n, s) => `${s.A} packs ${n.a} ${s.many} into ${s.boxes} of ${n.b}. How many ${s.boxes} does ${s.A} fill?`,
      sol: (n, s) => `Each ${s.box} holds ${n.b}, so ${s.A} fills ${n.a} / ${n.b} = ${n.q} ${s.boxes}. ${box(n.q!)}`,
    },
    {
      id: 'div.rows',
      q: (n, s) => `${s.A} puts ${n.a} ${s.many} into ${n.b} equal rows. How many ${s.many} are in each row?`,
      sol: (n, s) => `${n.a} ${s.many} in ${n.b} equal rows makes ${n.a} / ${n.b} = ${n.q} in each row. ${box(n.q!)}`,
    },
    {
      id: 'div.cost',
      fits: buyable,
      q: (n, s) =>
        `${s.A} pays ${n.a} dollars for ${n.b} ${s.many}. Each ${s.one} costs the same. How many dollars does one ${s.one} cost?`,
      sol: (n, s) => `${n.b} ${s.many} cost ${n.a} dollars, so one costs ${n.a} / ${n.b} = ${n.q} dollars. ${box(n.q!)}`,
    },
  ],
  story: (n, s) => `${s.A} shared ${n.a} ${s.many} equally among ${n.b} friends, so each friend got ${n.q}.`,
};

const X_PLUS: Kind = {
  id: 'x-plus',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'x',
  draw: (rng, r) => {
    const x = rng.int(1, r.add),
      a = rng.int(1, r.add);
    return under(r, x + a) ? { x, a, b: x + a } : null;
  },
  templates: [
    {
      id: 'x-plus.what',
      q: (n) => `What number x satisfies x + ${n.a} = ${n.b}?`,
      sol: (n) => `Subtract ${n.a} from both sides: x = ${n.b} - ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'x-plus.solve',
      q: (n) => `Solve for x: x + ${n.a} = ${n.b}.`,
      sol: (n) => `Subtract ${n.a} from both sides: x = ${n.b} - ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'x-plus.story',
      q: (n, s) =>
        `${s.A} has some ${s.many}. ${s.P} ${s.gain.s} ${n.a} more and now has ${n.b}. How many ${s.many} did ${s.A} have at first?`,
      sol: (n, s) => `${s.A} has ${n.b} after ${s.gain.ing} ${n.a}, so ${s.p} had ${n.b} - ${n.a} = ${n.x} at first. ${box(n.x!)}`,
    },
  ],
  story: (n, s) => `${s.A} had some ${s.many}. After ${s.gain.ing} ${n.a} more, ${s.p} had ${n.b}, so at first ${s.p} had ${n.x}.`,
};

const X_TIMES: Kind = {
  id: 'x-times',
  steps: 1,
  shown: ['a', 'b'],
  ans: 'x',
  draw: (rng, r) => {
    const a = rng.int(2, r.mulBig),
      x = rng.int(1, r.x);
    return under(r, a * x) ? { a, x, b: a * x } : null;
  },
  templates: [
    {
      id: 'x-times.what',
      q: (n) => `What number x satisfies ${n.a}x = ${n.b}?`,
      sol: (n) => `Divide both sides by ${n.a}: x = ${n.b} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'x-times.solve',
      q: (n) => `Solve for x: ${n.a}x = ${n.b}.`,
      sol: (n) => `Divide both sides by ${n.a}: x = ${n.b} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'x-times.think',
      q: (n, s) => `${s.A} thinks of a number and multiplies it by ${n.a}. The result is ${n.b}. What is the number?`,
      sol: (n) => `Call the number x, so ${n.a}x = ${n.b}. Then x = ${n.b} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
  ],
  story: (n, s) => `${s.A} thought of a number and multiplied it by ${n.a}. ${s.P} got ${n.b}, so the number was ${n.x}.`,
};

// ---------------------------------------------------------------- two steps

const ADD_SUB: Kind = {
  id: 'add-sub',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const a = rng.int(2, r.add),
      b = rng.int(2, r.add),
      s = a + b,
      c = rng.int(1, Math.min(s - 1, r.add));
    return under(r, s) ? { a, b, c, s, t: s - c } : null;
  },
  templates: [
    {
      id: 'add-sub.give',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.gain.s} ${n.b} more and gives ${n.c} to ${s.B}. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a} ${s.many}. After ${s.gain.ing} ${n.b} ${s.p} has ${n.a} + ${n.b} = ${n.s}. After giving ${n.c} away ${s.p} has ${n.s} - ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'add-sub.loss',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.gain.s} ${n.b} more and then ${s.loss.s} ${n.c}. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a} ${s.many}. After ${s.gain.ing} ${n.b} ${s.p} has ${n.a} + ${n.b} = ${n.s}. After ${s.loss.ing} ${n.c} ${s.p} has ${n.s} - ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'add-sub.box',
      q: (n, s) =>
        `There are ${n.a} ${s.many} in a ${s.box}. ${s.A} puts in ${n.b} more and then takes out ${n.c}. How many ${s.many} are in the ${s.box} now?`,
      sol: (n, s) =>
        `The ${s.box} has ${n.a} ${s.many}. Adding ${n.b} gives ${n.a} + ${n.b} = ${n.s}. Taking out ${n.c} leaves ${n.s} - ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'add-sub.bus',
      q: (n) =>
        `A bus has ${n.a} people on it. At the next stop ${ppl(n.b, 'get')} on and ${ppl(n.c, 'get')} off. How many people are on the bus now?`,
      sol: (n) =>
        `The bus starts with ${n.a} people. After ${get(n.b)} on there are ${n.a} + ${n.b} = ${n.s}. After ${get(n.c)} off there are ${n.s} - ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.many}. ${s.P} ${s.gain.past} ${n.b} more, so ${s.p} had ${n.s}. Then ${s.p} gave ${n.c} to ${s.B}, so ${s.p} had ${count(n.t!, s)} left.`,
};

const SUB_ADD: Kind = {
  id: 'sub-add',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const a = rng.int(5, r.add),
      b = rng.int(1, a - 1),
      c = rng.int(2, r.add),
      s = a - b;
    return under(r, s + c) ? { a, b, c, s, t: s + c } : null;
  },
  templates: [
    {
      id: 'sub-add.verbs',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.loss.s} ${n.b} of them and then ${s.gain.s} ${n.c} more. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a} ${s.many}. After ${s.loss.ing} ${n.b} ${s.p} has ${n.a} - ${n.b} = ${n.s}. After ${s.gain.ing} ${n.c} ${s.p} has ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'sub-add.box',
      q: (n, s) =>
        `There are ${n.a} ${s.many} in a ${s.box}. ${s.A} takes out ${n.b} and then puts in ${n.c} more. How many ${s.many} are in the ${s.box} now?`,
      sol: (n, s) =>
        `The ${s.box} has ${n.a} ${s.many}. Taking out ${n.b} leaves ${n.a} - ${n.b} = ${n.s}. Adding ${n.c} gives ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'sub-add.bus',
      q: (n) =>
        `A bus has ${n.a} people on it. At the next stop ${ppl(n.b, 'get')} off and ${ppl(n.c, 'get')} on. How many people are on the bus now?`,
      sol: (n) =>
        `The bus starts with ${n.a} people. After ${get(n.b)} off there are ${n.a} - ${n.b} = ${n.s}. After ${get(n.c)} on there are ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.many}. ${s.P} ${s.loss.past} ${n.b}, so ${s.p} had ${n.s}. Then ${s.p} ${s.gain.past} ${n.c} more, so ${s.p} had ${n.t} ${s.many}.`,
};

const ADD3: Kind = {
  id: 'add3',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const a = rng.int(2, r.add),
      b = rng.int(2, r.add),
      c = rng.int(2, r.add);
    return under(r, a + b + c) ? { a, b, c, s: a + b, t: a + b + c } : null;
  },
  templates: [
    {
      id: 'add3.people',
      q: (n, s) => `${s.A} has ${n.a} ${s.many}, ${s.B} has ${n.b} and ${s.C} has ${n.c}. How many ${s.many} do they have in all?`,
      sol: (n, s) => `${s.A} and ${s.B} have ${n.a} + ${n.b} = ${n.s}. Adding ${s.C}'s ${n.c} gives ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'add3.days',
      q: (n, s) =>
        `${s.A} ${s.gain.past} ${n.a} ${s.many} on ${s.day1}, ${n.b} on ${s.day2} and ${n.c} on ${s.day3}. How many ${s.many} did ${s.A} ${s.gain.base} in all?`,
      sol: (n, s) => `${s.day1} and ${s.day2} give ${n.a} + ${n.b} = ${n.s}. Adding ${s.day3} gives ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) => `${s.A} had ${n.a} ${s.many}, ${s.B} had ${n.b} and ${s.C} had ${n.c}. Together they had ${n.t} ${s.many}.`,
};

const MUL_ADD: Kind = {
  id: 'mul-add',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const [a, b] = factors(rng, r),
      c = rng.int(2, r.add);
    return under(r, a * b + c) ? { a, b, c, s: a * b, t: a * b + c } : null;
  },
  templates: [
    {
      id: 'mul-add.bags',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.boxes} with ${n.b} ${s.many} in each and ${n.c} more ${s.many} on the table. How many ${s.many} does ${s.A} have in all?`,
      sol: (n, s) =>
        `The ${s.boxes} hold ${n.a} * ${n.b} = ${n.s} ${s.many}. With ${n.c} more, ${s.A} has ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'mul-add.cost',
      fits: buyable,
      q: (n, s) => `${s.A} buys ${n.a} ${s.many} at ${n.b} dollars each and a bag for ${n.c} dollars. How many dollars does ${s.A} spend?`,
      sol: (n, s) =>
        `The ${s.many} cost ${n.a} * ${n.b} = ${n.s} dollars. With the bag that is ${n.s} + ${n.c} = ${n.t} dollars. ${box(n.t!)}`,
    },
    {
      id: 'mul-add.rows',
      q: (n, s) =>
        `${s.A} puts ${s.many} in ${n.a} rows of ${n.b}, and ${n.c} ${s.many} are left over. How many ${s.many} does ${s.A} have?`,
      sol: (n) => `The rows hold ${n.a} * ${n.b} = ${n.s}. Adding the ${n.c} left over gives ${n.s} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.boxes} with ${n.b} ${s.many} in each, which is ${n.s}, and ${n.c} more, so ${s.p} had ${n.t} ${s.many}.`,
};

const MUL_SUB: Kind = {
  id: 'mul-sub',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const [a, b] = factors(rng, r),
      s = a * b,
      c = rng.int(1, Math.min(s - 1, r.add));
    return under(r, s) ? { a, b, c, s, t: s - c } : null;
  },
  templates: [
    {
      id: 'mul-sub.loss',
      q: (n, s) =>
        `${s.A} ${s.gain.s} ${n.a} ${s.boxes} of ${n.b} ${s.many}. ${s.P} ${s.loss.s} ${n.c} of them. How many ${s.many} does ${s.A} have left?`,
      sol: (n, s) =>
        `${s.A} has ${n.a} * ${n.b} = ${n.s} ${s.many}. After ${s.loss.ing} ${n.c}, ${s.p} has ${n.s} - ${n.c} = ${n.t} left. ${box(n.t!)}`,
    },
    {
      id: 'mul-sub.box',
      q: (n, s) =>
        `A ${s.box} holds ${n.a} rows of ${n.b} ${s.many}. ${s.A} takes out ${n.c}. How many ${s.many} are still in the ${s.box}?`,
      sol: (n, s) =>
        `The ${s.box} holds ${n.a} * ${n.b} = ${n.s} ${s.many}. Taking out ${n.c} leaves ${n.s} - ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} ${s.gain.past} ${n.a} ${s.boxes} of ${n.b} ${s.many}, so ${s.p} had ${n.s}. ${s.P} ${s.loss.past} ${n.c} of them and had ${count(n.t!, s)} left.`,
};

const MUL_MUL: Kind = {
  id: 'mul-mul',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const a = rng.int(2, r.mulSmall),
      b = rng.int(2, r.mulBig),
      c = rng.int(2, r.mulSmall);
    return under(r, a * b * c) ? { a, b, c, s: a * b, t: a * b * c } : null;
  },
  templates: [
    {
      id: 'mul-mul.rows',
      q: (n, s) => `A ${s.box} holds ${n.a} rows of ${n.b} ${s.many}. How many ${s.many} are in ${n.c} ${s.boxes}?`,
      sol: (n, s) =>
        `One ${s.box} holds ${n.a} * ${n.b} = ${n.s} ${s.many}. So ${n.c} ${s.boxes} hold ${n.s} * ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'mul-mul.shelves',
      q: (n, s) =>
        `There are ${n.a} shelves with ${n.b} ${s.boxes} on each shelf. Each ${s.box} holds ${n.c} ${s.many}. How many ${s.many} are there in all?`,
      sol: (n, s) => `There are ${n.a} * ${n.b} = ${n.s} ${s.boxes}. They hold ${n.s} * ${n.c} = ${n.t} ${s.many}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `A ${s.box} held ${n.a} rows of ${n.b} ${s.many}, which is ${n.s}. ${s.A} had ${n.c} ${s.boxes}, so ${s.p} had ${n.t} ${s.many}.`,
};

const ADD_MUL: Kind = {
  id: 'add-mul',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const a = rng.int(2, r.mulBig),
      b = rng.int(2, r.mulBig),
      c = rng.int(2, r.mulSmall);
    return under(r, (a + b) * c) ? { a, b, c, s: a + b, t: (a + b) * c } : null;
  },
  templates: [
    {
      id: 'add-mul.boxes',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.col1} ${s.boxes} and ${n.b} ${s.col2} ${s.boxes}. Each ${s.box} holds ${n.c} ${s.many}. How many ${s.many} are there in all?`,
      sol: (n, s) => `There are ${n.a} + ${n.b} = ${n.s} ${s.boxes}. They hold ${n.s} * ${n.c} = ${n.t} ${s.many}. ${box(n.t!)}`,
    },
    {
      id: 'add-mul.pages',
      q: (n, s) =>
        `${s.A} reads for ${n.a} days one week and ${n.b} days the next. ${s.P} reads ${n.c} pages each day. How many pages does ${s.A} read?`,
      sol: (n, s) => `${s.A} reads for ${n.a} + ${n.b} = ${n.s} days. That is ${n.s} * ${n.c} = ${n.t} pages. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.col1} ${s.boxes} and ${n.b} ${s.col2} ${s.boxes}, so ${n.s} ${s.boxes}. Each held ${n.c} ${s.many}, so there were ${n.t} ${s.many}.`,
};

const DIV_ADD: Kind = {
  id: 'div-add',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 't',
  draw: (rng, r) => {
    const [q, b] = factors(rng, r),
      c = rng.int(2, r.add);
    return under(r, q * b, q + c) ? { a: q * b, b, c, q, t: q + c } : null;
  },
  templates: [
    {
      id: 'div-add.share',
      q: (n, s) =>
        `${s.A} shares ${n.a} ${s.many} equally among ${n.b} friends. ${s.B} is one of them and already had ${n.c}. How many ${s.many} does ${s.B} have now?`,
      sol: (n, s) => `Each friend gets ${n.a} / ${n.b} = ${n.q}. ${s.B} now has ${n.q} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
    {
      id: 'div-add.rows',
      q: (n, s) =>
        `${s.A} puts ${n.a} ${s.many} into ${n.b} equal rows. Then ${s.p} adds ${n.c} more to the first row. How many ${s.many} are in the first row?`,
      sol: (n) => `Each row gets ${n.a} / ${n.b} = ${n.q}. The first row then has ${n.q} + ${n.c} = ${n.t}. ${box(n.t!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} shared ${n.a} ${s.many} among ${n.b} friends, so each got ${n.q}. ${s.B} already had ${n.c}, so ${s.B} ended with ${n.t}.`,
};

const LINEAR: Kind = {
  id: 'linear',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 'x',
  draw: (rng, r) => {
    const a = rng.int(2, r.mulBig),
      x = rng.int(1, r.x),
      b = rng.int(1, r.add);
    return under(r, a * x + b) ? { a, b, x, d: a * x, c: a * x + b } : null;
  },
  templates: [
    {
      id: 'linear.what',
      q: (n) => `What number x satisfies ${n.a}x + ${n.b} = ${n.c}?`,
      sol: (n) =>
        `Subtract ${n.b} from both sides: ${n.a}x = ${n.c} - ${n.b} = ${n.d}. Divide both sides by ${n.a}: x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'linear.solve',
      q: (n) => `Solve for x: ${n.a}x + ${n.b} = ${n.c}.`,
      sol: (n) =>
        `Subtract ${n.b} from both sides: ${n.a}x = ${n.c} - ${n.b} = ${n.d}. Divide both sides by ${n.a}: x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'linear.think',
      q: (n, s) => `${s.A} thinks of a number, multiplies it by ${n.a} and adds ${n.b}. The result is ${n.c}. What is the number?`,
      sol: (n) =>
        `Call the number x, so ${n.a}x + ${n.b} = ${n.c}. Then ${n.a}x = ${n.c} - ${n.b} = ${n.d}, so x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} thought of a number, multiplied it by ${n.a} and added ${n.b}. ${s.P} got ${n.c}. Taking away ${n.b} gives ${n.d}, so the number was ${n.x}.`,
};

const LINEAR_SUB: Kind = {
  id: 'linear-sub',
  steps: 2,
  shown: ['a', 'b', 'c'],
  ans: 'x',
  draw: (rng, r) => {
    const a = rng.int(2, r.mulBig),
      x = rng.int(1, r.x),
      b = rng.int(1, r.add),
      c = a * x - b;
    return c >= 1 && under(r, a * x) ? { a, b, x, c, d: a * x } : null;
  },
  templates: [
    {
      id: 'linear-sub.what',
      q: (n) => `What number x satisfies ${n.a}x - ${n.b} = ${n.c}?`,
      sol: (n) =>
        `Add ${n.b} to both sides: ${n.a}x = ${n.c} + ${n.b} = ${n.d}. Divide both sides by ${n.a}: x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'linear-sub.solve',
      q: (n) => `Solve for x: ${n.a}x - ${n.b} = ${n.c}.`,
      sol: (n) =>
        `Add ${n.b} to both sides: ${n.a}x = ${n.c} + ${n.b} = ${n.d}. Divide both sides by ${n.a}: x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
    {
      id: 'linear-sub.think',
      q: (n, s) => `${s.A} thinks of a number, multiplies it by ${n.a} and subtracts ${n.b}. The result is ${n.c}. What is the number?`,
      sol: (n) =>
        `Call the number x, so ${n.a}x - ${n.b} = ${n.c}. Then ${n.a}x = ${n.c} + ${n.b} = ${n.d}, so x = ${n.d} / ${n.a} = ${n.x}. ${box(n.x!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} thought of a number, multiplied it by ${n.a} and took away ${n.b}. ${s.P} got ${n.c}. Adding ${n.b} back gives ${n.d}, so the number was ${n.x}.`,
};

// ---------------------------------------------------------------- three steps

const ADD_SUB_ADD: Kind = {
  id: 'add-sub-add',
  steps: 3,
  shown: ['a', 'b', 'c', 'd'],
  ans: 'u',
  draw: (rng, r) => {
    const a = rng.int(2, r.add),
      b = rng.int(2, r.add),
      s = a + b,
      c = rng.int(1, Math.min(s - 1, r.add)),
      d = rng.int(2, r.add);
    return under(r, s, s - c + d) ? { a, b, c, d, s, t: s - c, u: s - c + d } : null;
  },
  templates: [
    {
      id: 'add-sub-add.verbs',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.many}. ${s.P} ${s.gain.s} ${n.b} more, ${s.loss.s} ${n.c}, and then ${s.gain2.s} ${n.d} more. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.A} starts with ${n.a}. After ${s.gain.ing} ${n.b}: ${n.a} + ${n.b} = ${n.s}. After ${s.loss.ing} ${n.c}: ${n.s} - ${n.c} = ${n.t}. After ${s.gain2.ing} ${n.d}: ${n.t} + ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
    {
      id: 'add-sub-add.bus',
      q: (n) =>
        `A bus has ${n.a} people on it. At the first stop ${ppl(n.b, 'get')} on. At the second stop ${ppl(n.c, 'get')} off and ${ppl(n.d, 'get')} on. How many people are on the bus now?`,
      sol: (n) =>
        `The bus starts with ${n.a}. After ${get(n.b)} on: ${n.a} + ${n.b} = ${n.s}. After ${get(n.c)} off: ${n.s} - ${n.c} = ${n.t}. After ${get(n.d)} on: ${n.t} + ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.many}. ${s.P} ${s.gain.past} ${n.b} more and had ${n.s}. ${s.P} ${s.loss.past} ${n.c} and had ${n.t}. Then ${s.p} ${s.gain2.past} ${n.d} more and had ${n.u} ${s.many}.`,
};

const MUL_ADD_SUB: Kind = {
  id: 'mul-add-sub',
  steps: 3,
  shown: ['a', 'b', 'c', 'd'],
  ans: 'u',
  draw: (rng, r) => {
    const [a, b] = factors(rng, r),
      s = a * b,
      c = rng.int(2, r.add),
      t = s + c,
      d = rng.int(1, Math.min(t - 1, r.add));
    return under(r, t) ? { a, b, c, d, s, t, u: t - d } : null;
  },
  templates: [
    {
      id: 'mul-add-sub.verbs',
      q: (n, s) =>
        `${s.A} ${s.gain.s} ${n.a} ${s.boxes} with ${n.b} ${s.many} in each and has ${n.c} more at home. Then ${s.p} ${s.loss.s} ${n.d}. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `The ${s.boxes} hold ${n.a} * ${n.b} = ${n.s}. With ${n.c} more: ${n.s} + ${n.c} = ${n.t}. After ${s.loss.ing} ${n.d}: ${n.t} - ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
    {
      id: 'mul-add-sub.cost',
      fits: buyable,
      q: (n, s) =>
        `${s.A} buys ${n.a} ${s.many} at ${n.b} dollars each and a bag for ${n.c} dollars. ${s.P} has a coupon for ${n.d} dollars off. How many dollars does ${s.A} pay?`,
      sol: (n, s) =>
        `The ${s.many} cost ${n.a} * ${n.b} = ${n.s}. With the bag: ${n.s} + ${n.c} = ${n.t}. With the coupon: ${n.t} - ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} ${s.gain.past} ${n.a} ${s.boxes} with ${n.b} ${s.many} in each, which is ${n.s}. With ${n.c} more ${s.p} had ${n.t}. ${s.P} ${s.loss.past} ${n.d} and had ${count(n.u!, s)} left.`,
};

const ADD_ADD_SUB: Kind = {
  id: 'add-add-sub',
  steps: 3,
  shown: ['a', 'b', 'c', 'd'],
  ans: 'u',
  draw: (rng, r) => {
    const a = rng.int(2, r.add),
      b = rng.int(2, r.add),
      c = rng.int(2, r.add),
      t = a + b + c,
      d = rng.int(1, Math.min(t - 1, r.add));
    return under(r, t) ? { a, b, c, d, s: a + b, t, u: t - d } : null;
  },
  templates: [
    {
      id: 'add-add-sub.class',
      q: (n, s) =>
        `${s.A} has ${n.a} ${s.many}, ${s.B} has ${n.b} and ${s.C} has ${n.c}. They give ${n.d} of them to their teacher. How many ${s.many} do they have left?`,
      sol: (n, s) =>
        `${s.A} and ${s.B} have ${n.a} + ${n.b} = ${n.s}. With ${s.C}: ${n.s} + ${n.c} = ${n.t}. After giving ${n.d} away: ${n.t} - ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
    {
      id: 'add-add-sub.days',
      q: (n, s) =>
        `${s.A} ${s.gain.past} ${n.a} ${s.many} on ${s.day1}, ${n.b} on ${s.day2} and ${n.c} on ${s.day3}. Then ${s.p} ${s.loss.past} ${n.d}. How many ${s.many} does ${s.A} have now?`,
      sol: (n, s) =>
        `${s.day1} and ${s.day2} give ${n.a} + ${n.b} = ${n.s}. With ${s.day3}: ${n.s} + ${n.c} = ${n.t}. After ${s.loss.ing} ${n.d}: ${n.t} - ${n.d} = ${n.u}. ${box(n.u!)}`,
    },
  ],
  story: (n, s) =>
    `${s.A} had ${n.a} ${s.many}, ${s.B} had ${n.b} and ${s.C} had ${n.c}, so they had ${n.t}. They gave ${n.d} away and had ${count(n.u!, s)} left.`,
};

export const KINDS: readonly Kind[] = [
  ADD,
  SUB,
  MUL,
  DIV,
  X_PLUS,
  X_TIMES,
  ADD_SUB,
  SUB_ADD,
  ADD3,
  MUL_ADD,
  MUL_SUB,
  MUL_MUL,
  ADD_MUL,
  DIV_ADD,
  LINEAR,
  LINEAR_SUB,
  ADD_SUB_ADD,
  MUL_ADD_SUB,
  ADD_ADD_SUB,
];

const KINDS_BY_STEPS: readonly (readonly Kind[])[] = [1, 2, 3].map((k) => KINDS.filter((kind) => kind.steps === k));

// ---------------------------------------------------------------- drawing and rendering

/** One drawn problem before it is worded: kind, numbers, scene, template. */
export interface MathInstance {
  kind: Kind;
  n: Nums;
  scene: Scene;
  template: Template;
  key: string;
  stepsKey: string;
}

function drawScene(rng: Rng): Scene {
  const thing = rng.pick(THINGS);
  // three different people, without copying the list
  const ia = rng.int(0, PEOPLE.length - 1);
  const ib = (ia + rng.int(1, PEOPLE.length - 1)) % PEOPLE.length;
  let ic = rng.int(0, PEOPLE.length - 3);
  if (ic >= Math.min(ia, ib)) ic++;
  if (ic >= Math.max(ia, ib)) ic++;
  const pa = PEOPLE[ia] as Person,
    pb = PEOPLE[ib] as Person,
    pc = PEOPLE[ic] as Person;
  const pr = pronouns(pa);
  const boxName = rng.pick(thing.in);
  const gains = verbsFor(GAIN_VERBS, thing);
  const gain = rng.pick(gains);
  const gain2 = rng.pick(gains.length > 1 ? gains.filter((v) => v !== gain) : gains);
  const day = rng.int(0, DAYS.length - 3);
  const c1 = rng.int(0, BOX_COLOURS.length - 1);
  const col1 = BOX_COLOURS[c1]!,
    col2 = BOX_COLOURS[(c1 + rng.int(1, BOX_COLOURS.length - 1)) % BOX_COLOURS.length]!;
  return {
    A: pa.name,
    B: pb.name,
    C: pc.name,
    p: pr.p,
    P: pr.P,
    pos: pr.pos,
    thing,
    one: thing.one,
    many: thing.many,
    box: boxName,
    boxes: CONTAINERS[boxName] ?? `${boxName}s`,
    gain,
    gain2,
    loss: rng.pick(verbsFor(LOSS_VERBS, thing)),
    day1: DAYS[day]!,
    day2: DAYS[day + 1]!,
    day3: DAYS[day + 2]!,
    col1,
    col2,
  };
}

function pickKind(rng: Rng, r: MathRanges): Kind {
  const group = KINDS_BY_STEPS[rng.weighted(r.stepWeights)]!;
  return rng.pick(group);
}

/** Draw one instance: kind by step weights, numbers within the difficulty's ranges. */
export function drawMathInstance(rng: Rng, difficulty: Difficulty): MathInstance {
  const r = RANGES[difficulty];
  return drawKindInstance(rng, pickKind(rng, r), difficulty);
}

/** Draw one instance of the given kind. */
export function drawKindInstance(rng: Rng, kind: Kind, difficulty: Difficulty): MathInstance {
  const r = RANGES[difficulty];
  let n: Nums | null = null;
  for (let tries = 0; n === null; tries++) {
    if (tries > 1000) throw new Error(`builtin math: kind '${kind.id}' drew no numbers at difficulty ${difficulty}`);
    n = kind.draw(rng, r);
  }
  const scene = drawScene(rng);
  const fitting = kind.templates.filter((t) => !t.fits || t.fits(scene.thing));
  const template = rng.pick(fitting.length > 0 ? fitting : kind.templates);
  return {
    kind,
    n,
    scene,
    template,
    key: mathKey(
      kind.id,
      kind.shown.map((name) => n![name]!),
    ),
    stepsKey: stepsKeyOf(template.sol(n, scene)),
  };
}

/** Distinct problem keys a kind can produce at a difficulty, estimated from `samples` draws of its
 *  numbers (a fixed stream, so the estimate is deterministic). Sizes small kinds' held-out share. */
export function estimateKeySpace(kind: Kind, difficulty: Difficulty, samples = 2000): number {
  const rng = new Rng(0x5eed).fork(kind.id);
  const r = RANGES[difficulty];
  const keys = new Set<string>();
  for (let i = 0; i < samples; i++) {
    const n = kind.draw(rng, r);
    if (n)
      keys.add(
        mathKey(
          kind.id,
          kind.shown.map((name) => n[name]!),
        ),
      );
  }
  return keys.size;
}

/** Canonical problem key: kind + sorted numbers. */
export function mathKey(kind: string, numbers: readonly number[]): string {
  return `${kind}|${numbers
    .slice()
    .sort((x, y) => x - y)
    .join(',')}`;
}

/** Every "a op b = c" in a text (op one of + - * /), in order. Numbers are whole, non-negative. */
export function equationsIn(text: string): { a: number; op: string; b: number; c: number }[] {
  const out: { a: number; op: string; b: number; c: number }[] = [];
  for (const m of text.matchAll(/(?<![\w.])(\d+) ([-+*/]) (\d+) = (\d+)(?![\w])/g)) {
    out.push({ a: Number(m[1]), op: m[2]!, b: Number(m[3]), c: Number(m[4]) });
  }
  return out;
}

/** Canonical computation key: the equations, + and * operands sorted, in order. */
export function stepsKeyOf(solution: string): string {
  return equationsIn(solution)
    .map(({ a, op, b, c }) => ((op === '+' || op === '*') && a > b ? `${b}${op}${a}=${c}` : `${a}${op}${b}=${c}`))
    .join(';');
}

export function renderProblem(inst: MathInstance): MathProblem {
  const { kind, n, scene, template } = inst;
  const solution = template.sol(n, scene);
  return {
    question: template.q(n, scene),
    answer: n[kind.ans]!,
    solution,
    steps: kind.steps,
    kind: kind.id,
    template: template.id,
    key: inst.key,
    stepsKey: inst.stepsKey,
  };
}

/** The instance as a short past-tense story (pretraining prose, no equations). */
export function renderStory(inst: MathInstance): string {
  return inst.kind.story(inst.n, inst.scene);
}

/** Generate one problem (convenience for callers that need no split). */
export function generateMathProblem(rng: Rng, difficulty: Difficulty = 1): MathProblem {
  return renderProblem(drawMathInstance(rng, difficulty));
}
