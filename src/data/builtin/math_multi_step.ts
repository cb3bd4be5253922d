// The two- and three-step kinds of the built-in math problems (math.ts): chains of additions,
// subtractions, products and quotients and the linear equations, each with its templates and story.
import { box, buyable, count, factors, get, ppl, under, type Kind } from './math_kinds.js';

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

/** In the order math.ts draws them from. */
export const MULTI_STEP_KINDS: readonly Kind[] = [
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
