// The one-step kinds of the built-in math problems (math.ts): add, subtract, multiply, divide, and
// the equations x + a = b and a·x = b, each with its templates and its story.
import { box, buyable, count, factors, get, under, type Kind } from './math_kinds.js';

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

/** In the order math.ts draws them from. */
export const ONE_STEP_KINDS: readonly Kind[] = [ADD, SUB, MUL, DIV, X_PLUS, X_TIMES];
