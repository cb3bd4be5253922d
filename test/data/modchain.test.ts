// The demo's reasoning domain (chains of operations modulo p) and its reward-model data: answers
// recomputed independently, questions read back, the three answer styles, the tokenizer lining a step
// up with its blank, planted errors that really are errors, the judge's reasoning and verdicts,
// preference pairs, and the demo's problem pools (held-out problems in no training text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng.js';
import {
  applyOp,
  answerIn,
  blankOf,
  checkOf,
  drawChain,
  factOf,
  factsDocument,
  longCot,
  makeChain,
  parseChainQuestion,
  shortCot,
  checkShape,
  type ChainProblem,
} from '../../src/data/builtin/modchain.js';
import { chainJudgement, chainJudgementRows, chainPreferencePairs, plantError } from '../../src/data/builtin/chain_judgements.js';
import { lastBoxed } from '../../src/data/boxed.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS, STEP_SPLIT_PATTERN } from '../../src/tokenizer/index.js';
import { demoProblems, type DemoData } from '../../src/recipes/demo_data.js';

const shape = { modulus: 7, steps: 6 };
const draw = (n: number, seed = 1): ChainProblem[] => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => drawChain(r, shape));
};

/** The answer by a different route: evaluate the question's lines with BigInt and a final mod. */
function slowAnswer(q: string): number {
  const m = /^Modulo (\d+), start from (\d+)/.exec(q)!;
  const p = BigInt(m[1]!);
  let x = BigInt(m[2]!);
  for (const line of q.split('\n').slice(1)) {
    const op = line[3]!,
      y = BigInt(line.slice(4, line.indexOf('=')));
    x = op === '+' ? x + y : op === '-' ? x - y : x * y;
  }
  return Number(((x % p) + p) % p);
}

test('chains: answers agree with an independent evaluation; deterministic in the seed; operands 1..p-1', () => {
  const a = draw(300),
    b = draw(300);
  assert.deepEqual(a, b);
  for (const p of a) {
    assert.equal(p.answer, slowAnswer(p.question), p.question);
    assert.equal(p.steps.length, 6);
    for (const s of p.steps) {
      assert.ok(s.operand >= 1 && s.operand <= 6);
      assert.equal(s.to, applyOp(s.from, s.op, s.operand, 7));
    }
  }
  assert.equal(applyOp(2, '-', 5, 7), 4);
  assert.equal(applyOp(6, '*', 6, 7), 1);
  assert.equal(new Set(a.map((p) => p.key)).size > 290, true, 'keys identify problems');
  assert.throws(() => checkShape({ modulus: 11, steps: 3 }), /modulus must be an integer in 2\.\.10/);
  assert.throws(() => checkShape({ modulus: 7, steps: 0 }), /steps must be an integer in 1\.\.26/);
});

test('chains: a question reads back into the same problem; other text is not a chain question', () => {
  for (const p of draw(50, 2)) assert.deepEqual(parseChainQuestion(p.question), p);
  assert.equal(parseChainQuestion('What is 2 + 3?'), null);
  assert.equal(parseChainQuestion('Modulo 7, start from 3 and fill in the steps in order:\na:?+9=?x'), null);
});

test('chains: the three answer styles end in the same boxed answer; long CoT has one fact and one check per step', () => {
  const p = makeChain(7, 3, [
    { op: '+', operand: 4 },
    { op: '*', operand: 2 },
    { op: '-', operand: 5 },
    { op: '+', operand: 6 },
  ]);
  assert.equal(p.question, 'Modulo 7, start from 3 and fill in the steps in order:\na:?+4=?\nb:?*2=?\nc:?-5=?\nd:?+6=?');
  assert.equal(p.answer, 1);
  assert.equal(
    longCot(p),
    '<think>\na:3+4=0\nb:0*2=0\nc:0-5=2\nd:2+6=1\nCheck:\na:4+3=0\nb:2*0=0\nc:0+2=2\nd:6+2=1\n</think>\nThe answer is \\boxed{1}.',
  );
  assert.equal(shortCot(p), 'After b: 0. After d: 1. The answer is \\boxed{1}.');
  for (const style of ['direct', 'short', 'long'] as const) assert.equal(lastBoxed(answerIn(p, style)), '1');
  // every check is a true statement that ends with the step's result
  for (const q of draw(100, 8))
    for (const s of q.steps) {
      const m = /^[a-z]:(\d)([-+*])(\d)=(\d)$/.exec(checkOf(s, 7))!;
      assert.equal(applyOp(Number(m[1]), m[2] as '+', Number(m[3]), 7), Number(m[4]), checkOf(s, 7));
      assert.equal(Number(m[4]), s.to);
    }
  assert.ok(answerIn(p, 'long').length > 1.5 * answerIn(p, 'short').length);
});

test('chains: with the step pattern a blank and its step have the same tokens but the values, digits single, operator bound to its operand', () => {
  const ps = draw(300, 3);
  const tok = Tokenizer.fromFiles(
    trainByteLevelBpe([...ps.flatMap((p) => [p.question, longCot(p)])], {
      vocabSize: 340,
      specialTokens: CHATML_SPECIAL_TOKENS,
      preTokenizerPattern: STEP_SPLIT_PATTERN,
    }),
    makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
  );
  const pieces = (s: string) => tok.encode(s).map((i) => tok.decode([i]));
  for (const p of ps.slice(0, 20)) {
    for (const s of p.steps) {
      const blank = pieces(blankOf(s)),
        fact = pieces(factOf(s));
      assert.equal(blank.length, fact.length, `${blankOf(s)} vs ${factOf(s)}`);
      assert.deepEqual(
        blank.map((t, i) => (t === '?' ? fact[i] : t)),
        fact,
      );
      assert.ok(fact.includes(`${s.op}${s.operand}`), `operator and operand are one token in ${factOf(s)}`);
    }
  }
  assert.deepEqual(pieces('x=1234'), ['x', '=', '1', '2', '3', '4']);
});

test('planted errors are errors: a slip changes the answer and leaves one false fact; a wrong box disagrees with the steps', () => {
  const rng = new Rng(4);
  for (const p of draw(200, 4)) {
    const slip = plantError(p, rng, 'slip');
    const facts = [...slip.matchAll(/^([a-z]):(\d)([-+*]\d)=(\d)$/gm)].slice(0, p.steps.length);
    const wrong = facts.filter((m) => applyOp(Number(m[2]), m[3]![0] as '+', Number(m[3]!.slice(1)), 7) !== Number(m[4]));
    assert.equal(wrong.length, 1, slip);
    assert.notEqual(lastBoxed(slip), String(p.answer));
    const box = plantError(p, rng, 'box');
    assert.notEqual(lastBoxed(box), String(p.answer));
    assert.equal(box.replace(/\\boxed\{\d\}/, ''), longCot(p).replace(/\\boxed\{\d\}/, ''));
  }
});

test('judge rows: the boxed answer first, every step re-derived with it carried at the line start, then the last result minus it as a fact; score 10 or 1; half planted', () => {
  const ps = draw(100, 5);
  const rows = chainJudgementRows(ps, 0);
  assert.equal(rows.length, 200);
  assert.equal(rows.filter((r) => r.label === 'incorrect').length, 100);
  for (const r of rows) {
    const p = ps.find((x) => x.question === r.question)!;
    const boxed = lastBoxed(r.response)!;
    const lines = r.reasoning.split('\n');
    assert.equal(lines[0], `\\boxed{${boxed}}`, "the response's boxed answer copied first");
    assert.deepEqual(
      lines.slice(1, -1),
      p.steps.map((s) => `${boxed} ${factOf(s)}`),
      'every step re-derived, the boxed answer carried',
    );
    const m = new RegExp(`^${boxed} (\\d)-(\\d)=(\\d) (ok|no)$`).exec(lines.at(-1)!);
    assert.ok(m, `comparison line: ${lines.at(-1)}`);
    assert.equal(m[1], String(p.answer), 'the last result');
    assert.equal(m[2], boxed, 'minus the boxed answer');
    assert.equal(Number(m[3]), (((p.answer - Number(boxed)) % 7) + 7) % 7, 'a true fact mod 7');
    assert.equal(m[4], m[3] === '0' ? 'ok' : 'no');
    assert.equal(r.score, r.label === 'correct' ? 10 : 1);
    assert.equal(r.label === 'correct', r.error === null);
    assert.equal(r.label === 'correct', m[4] === 'ok');
  }
  const p = ps[0]!;
  assert.deepEqual(chainJudgement(p, 'no answer here'), {
    reasoning: `The response boxes no answer.\n${p.steps.map(factOf).join('\n')}`,
    correct: false,
  });
  assert.deepEqual(chainJudgement(p, 'The answer is \\boxed{12}.'), {
    reasoning: '\\boxed{12} is not a residue modulo 7.',
    correct: false,
  });
  assert.equal(chainJudgement(p, shortCot(p)).correct, true, 'a right short answer is right');
  assert.deepEqual(chainJudgementRows(ps, 0), rows, 'deterministic');
});

test('preference pairs: the right long CoT over a planted error, one pair per problem', () => {
  const ps = draw(40, 6);
  const pairs = chainPreferencePairs(ps, 0);
  assert.equal(pairs.length, 40);
  pairs.forEach((r, i) => {
    assert.equal(r.prompt[0]!.content, ps[i]!.question);
    assert.equal(r.chosen[0]!.content, longCot(ps[i]!));
    assert.notEqual(lastBoxed(r.rejected[0]!.content), String(ps[i]!.answer));
    assert.match(r.kind, /^chain-(slip|box)$/);
  });
});

test('demo problems: pools disjoint by key, no held-out problem in any training text; facts documents are true', () => {
  const d: DemoData = {
    seed: 0,
    modulus: 7,
    steps: 4,
    heldOut: 100,
    pretrainFacts: 0,
    pretrainWorked: 100,
    pretrainGeneral: 5,
    expertProblems: 200,
    rlProblems: 200,
    rmProblems: 50,
    judgeProblems: 50,
    instructions: 10,
    expertInstructions: 5,
    generalistPrompts: 5,
    heldOutInstructions: 5,
    vocab: 400,
  };
  const pr = demoProblems(d);
  const pools = [pr.worked, pr.expert, pr.rl, pr.rm, pr.judge];
  const held = new Set(pr.heldOut.map((p) => p.key));
  const all = pools.flat();
  assert.equal(new Set(all.map((p) => p.key)).size, all.length, 'training pools disjoint');
  assert.ok(
    all.every((p) => !held.has(p.key)),
    'no held-out problem in training',
  );
  assert.equal(pr.heldOut.length, 100);
  const rng = new Rng(0);
  for (let i = 0; i < 50; i++) {
    const lines = factsDocument(rng, 7).trim().split('\n').slice(1);
    let prev: number | null = null;
    for (const l of lines) {
      const m = /^(\d)([-+*])(\d)=(\d)$/.exec(l)!;
      assert.equal(applyOp(Number(m[1]), m[2] as '+', Number(m[3]), 7), Number(m[4]));
      if (prev !== null) assert.equal(Number(m[1]), prev, 'each result is the next value');
      prev = Number(m[4]);
    }
  }
});

test('the expression form (calibration only): text and tree round-trip, reductions leftmost innermost end in the answer', async () => {
  const expr = await import('../../src/data/builtin/modexpr.js');
  const rng = new Rng(7);
  for (let i = 0; i < 100; i++) {
    const p = expr.drawProblem(rng, { modulus: 7, operators: 4 });
    assert.equal(expr.renderExpr(expr.parseExpr(p.expression)), p.expression);
    assert.equal(p.steps.length, 4);
    assert.equal(p.steps.at(-1)!.rest, String(p.answer));
    for (const s of p.steps) assert.equal(s.c, applyOp(s.a, s.op, s.b, 7));
    assert.equal(lastBoxed(expr.answerIn(p, 'long')), String(p.answer));
  }
  const p = expr.makeProblem(expr.parseExpr('(4+6)*(3-5)'), 7);
  assert.deepEqual(
    p.steps.map((s) => `${expr.factOf(s)}|${s.rest}`),
    ['4+6=3|3*(3-5)', '3-5=5|3*5', '3*5=1|1'],
  );
});
