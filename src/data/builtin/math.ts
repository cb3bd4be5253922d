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
// The kinds live in math_one_step.ts and math_multi_step.ts (their shape in math_kinds.ts). This
// file knows nothing about splits or chat formats.
import { Rng } from '../../common/rng.js';
import type { Difficulty, MathProblem } from './types.js';
import { RANGES, type Kind, type MathRanges, type Nums, type Scene, type Template } from './math_kinds.js';
import { ONE_STEP_KINDS } from './math_one_step.js';
import { MULTI_STEP_KINDS } from './math_multi_step.js';
import { BOX_COLOURS, CONTAINERS, DAYS, GAIN_VERBS, LOSS_VERBS, PEOPLE, THINGS, pronouns, verbsFor, type Person } from './world.js';

export { RANGES, type Kind, type MathRanges } from './math_kinds.js';

export const KINDS: readonly Kind[] = [...ONE_STEP_KINDS, ...MULTI_STEP_KINDS];

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
