// The built-in task: determinism, correct solutions (every written equation checked, every answer
// recomputed from the question's numbers), the held-out split (no held-out problem or instruction
// in any training text, by text or by canonical key), uniqueness, lengths, grading helpers, files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinTask,
  equationsIn,
  INSTRUCTION_KINDS,
  instructionCorrect,
  mathCorrect,
  groundedSteps,
  preferencePairs,
  judgementRows,
  MATH_KINDS,
  MATH_RANGES,
  MAX_DOC_CHARS,
  questionKey,
  sampleMathKind,
  stepsKeyOf,
  writeBuiltinData,
  type BuiltinTask,
  type ChatMessage,
  type InstructionItem,
  type MathProblem,
} from '../../src/data/builtin/index.js';
import { lastBoxed } from '../../src/data/boxed.js';
import type { ChatMessage as TokenizerChatMessage } from '../../src/tokenizer/index.js';

// Compile-time: the task's messages go to the tokenizer's chat rendering as they are.
export const asTokenizerMessages = (m: ChatMessage[]): readonly TokenizerChatMessage[] => m;

// Stated bounds (characters / words), for every difficulty.
const MAX_QUESTION_CHARS = 220;
const MAX_SOLUTION_CHARS = 220;
const MAX_SOLUTION_WORDS = 40;
const MAX_INSTRUCTION_CHARS = 100;
const MAX_ANSWER_CHARS = 80;

let defaultTask: BuiltinTask | undefined;
let defaultMs = 0;
function getDefault(): BuiltinTask {
  if (!defaultTask) {
    const t0 = performance.now();
    defaultTask = builtinTask();
    defaultMs = performance.now() - t0;
  }
  return defaultTask;
}

const SMALL = { pretrainDocuments: 300, sftConversations: 400, heldOutMath: 40, heldOutInstructions: 20 } as const;

/** Numbers of a question, in order ("3x" counts as 3). */
const questionNumbers = (q: string): number[] => [...q.matchAll(/\d+/g)].map((m) => Number(m[0]));

/** The answer recomputed from the question's numbers alone, by kind (templates write them in order). */
function reference(kind: string, n: number[]): number {
  const [a = NaN, b = NaN, c = NaN, d = NaN] = n;
  const exact = (x: number, y: number): number => (x % y === 0 ? x / y : NaN);
  switch (kind) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return exact(a, b);
    case 'x-plus':
      return b - a;
    case 'x-times':
      return exact(b, a);
    case 'add-sub':
      return a + b - c;
    case 'sub-add':
      return a - b + c;
    case 'add3':
      return a + b + c;
    case 'mul-add':
      return a * b + c;
    case 'mul-sub':
      return a * b - c;
    case 'mul-mul':
      return a * b * c;
    case 'add-mul':
      return (a + b) * c;
    case 'div-add':
      return exact(a, b) + c;
    case 'linear':
      return exact(c - b, a);
    case 'linear-sub':
      return exact(c + b, a);
    case 'add-sub-add':
      return a + b - c + d;
    case 'mul-add-sub':
      return a * b + c - d;
    case 'add-add-sub':
      return a + b + c - d;
    default:
      throw new Error(`no reference for kind ${kind}`);
  }
}

function checkProblem(p: MathProblem, cap: number): void {
  const where = `${p.template}: ${p.question} => ${p.solution}`;
  // the boxed answer is the reference, and the reference follows from the question's numbers
  assert.equal(lastBoxed(p.solution), String(p.answer), where);
  assert.ok(mathCorrect(p.solution, p.answer), where);
  assert.equal(groundedSteps(p.solution, p.question), 1, `every step grounded and true: ${where}`);
  const nums = questionNumbers(p.question);
  assert.equal(reference(p.kind, nums), p.answer, `reference answer: ${where}`);
  assert.ok(Number.isInteger(p.answer) && p.answer >= 0 && p.answer < cap, `answer in range: ${where}`);
  // every written step is right, there are `steps` of them, and the last one gives the answer
  const eqs = equationsIn(p.solution);
  assert.equal(eqs.length, p.steps, `step count: ${where}`);
  for (const { a, op, b, c } of eqs) {
    const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
    assert.equal(v, c, `step ${a} ${op} ${b} = ${c}: ${where}`);
    assert.ok(c < cap, `intermediate ${c} < ${cap}: ${where}`);
  }
  assert.equal(eqs[eqs.length - 1]!.c, p.answer, `last step gives the answer: ${where}`);
  // canonical keys
  assert.equal(
    p.key,
    `${p.kind}|${nums
      .slice()
      .sort((x, y) => x - y)
      .join(',')}`,
    where,
  );
  assert.equal(p.stepsKey, stepsKeyOf(p.solution), where);
  // bounds
  assert.ok(p.question.length <= MAX_QUESTION_CHARS, `question length ${p.question.length}: ${where}`);
  assert.ok(p.solution.length <= MAX_SOLUTION_CHARS, `solution length ${p.solution.length}: ${where}`);
  assert.ok(p.solution.split(/\s+/).length <= MAX_SOLUTION_WORDS, `solution words: ${where}`);
  assert.ok(!/undefined|NaN/.test(p.question + p.solution), where);
}

function checkInstruction(it: InstructionItem): void {
  const where = `${it.kind}: ${it.instruction} => ${it.answer}`;
  assert.ok(it.instruction.length > 0 && it.instruction.length <= MAX_INSTRUCTION_CHARS, where);
  assert.ok(it.answer.length > 0 && it.answer.length <= MAX_ANSWER_CHARS, where);
  assert.ok(instructionCorrect(it.answer, it), `the reference answers itself: ${where}`);
  assert.ok(!/undefined|NaN/.test(it.instruction + it.answer), where);
  assert.ok(it.key && it.key.startsWith(`${it.kind}|`), where);
}

test('default task: sizes, mix and generation time (< 3 s)', (ctx) => {
  const t = getDefault();
  const chars = t.pretrainDocuments.reduce((n, d) => n + d.length, 0);
  ctx.diagnostic(
    `default task in ${defaultMs.toFixed(0)} ms: ${t.pretrainDocuments.length} documents (${chars} chars), ` +
      `${t.sftConversations.length} conversations, ${t.heldOutMath.length} + ${t.heldOutInstructions.length} held out`,
  );
  assert.ok(defaultMs < 3000, `generation took ${defaultMs.toFixed(0)} ms`);
  assert.equal(t.pretrainDocuments.length, 30000);
  assert.equal(t.sftConversations.length, 8000);
  assert.equal(t.sftConversations.filter((c) => c.kind === 'reasoning').length, 5600);
  assert.equal(t.trainMath.length, 5600);
  assert.equal(t.trainInstructions.length, 2400);
  assert.equal(t.heldOutMath.length, 200);
  assert.equal(t.heldOutInstructions.length, 50);
  // every kind and step count is represented
  const kinds = new Set(t.trainMath.map((p) => p.kind));
  for (const k of MATH_KINDS) assert.ok(kinds.has(k.id), `training has kind ${k.id}`);
  for (const s of [1, 2, 3])
    assert.ok(
      t.heldOutMath.some((p) => p.steps === s),
      `held-out has ${s}-step problems`,
    );
  // conversations: user then assistant, the assistant says the solution / answer
  let m = 0,
    i = 0;
  for (const c of t.sftConversations) {
    assert.deepEqual(
      c.messages.map((x) => x.role),
      ['user', 'assistant'],
    );
    if (c.kind === 'reasoning') {
      const p = t.trainMath[m++]!;
      assert.deepEqual(
        c.messages.map((x) => x.content),
        [p.question, p.solution],
      );
    } else {
      const it = t.trainInstructions[i++]!;
      assert.deepEqual(
        c.messages.map((x) => x.content),
        [it.instruction, it.answer],
      );
    }
  }
});

test('same seed gives the same task; another seed gives another', () => {
  const snapshot = (t: BuiltinTask): string =>
    JSON.stringify([t.pretrainDocuments, t.sftConversations, t.heldOutMath, t.heldOutInstructions]);
  const a = builtinTask({ seed: 7, ...SMALL });
  const b = builtinTask({ seed: 7, ...SMALL });
  const c = builtinTask({ seed: 8, ...SMALL });
  assert.equal(snapshot(a), snapshot(b));
  assert.notEqual(snapshot(a), snapshot(c));
  for (const part of ['pretrainDocuments', 'sftConversations', 'heldOutMath', 'heldOutInstructions'] as const) {
    assert.notDeepEqual(a[part], c[part], part);
  }
  // the held-out split does not depend on the training sizes
  const d = builtinTask({ seed: 7, ...SMALL, pretrainDocuments: 50, sftConversations: 900 });
  assert.deepEqual(d.heldOutMath, a.heldOutMath);
  assert.deepEqual(d.heldOutInstructions, a.heldOutInstructions);
});

test('every solution is right: boxed answer, each written step, the answer from the question', () => {
  const t = getDefault();
  for (const p of [...t.trainMath, ...t.heldOutMath]) checkProblem(p, MATH_RANGES[1].cap);
  // solve-for-x checked by substitution
  for (const p of [...t.trainMath, ...t.heldOutMath]) {
    const m = /(\d+)x ([-+]) (\d+) = (\d+)/.exec(p.question);
    if (m && p.kind.startsWith('linear')) {
      const lhs = Number(m[1]) * p.answer + (m[2] === '+' ? 1 : -1) * Number(m[3]);
      assert.equal(lhs, Number(m[4]), p.question);
    }
  }
  // every template of every kind, at every difficulty
  for (const difficulty of [1, 2, 3] as const) {
    const templates = new Set<string>();
    for (const k of MATH_KINDS) {
      for (const p of sampleMathKind(k.id, 60, difficulty, difficulty)) {
        checkProblem(p, MATH_RANGES[difficulty].cap);
        templates.add(p.template!);
      }
    }
    for (const k of MATH_KINDS)
      for (const tpl of k.templates as readonly { id: string }[]) {
        assert.ok(templates.has(tpl.id), `template ${tpl.id} drawn`);
      }
  }
});

test('difficulty raises numbers and step counts', () => {
  const stats = ([1, 2, 3] as const).map((difficulty) => {
    const t = builtinTask({ difficulty, ...SMALL, sftConversations: 1500, reasoningFraction: 1 });
    for (const p of [...t.trainMath, ...t.heldOutMath]) checkProblem(p, MATH_RANGES[difficulty].cap);
    const nums = t.trainMath.flatMap((p) => questionNumbers(p.question));
    return { maxNumber: Math.max(...nums), meanSteps: t.trainMath.reduce((s, p) => s + p.steps, 0) / t.trainMath.length };
  });
  assert.ok(stats[0]!.maxNumber < 100 && stats[2]!.maxNumber > 100, JSON.stringify(stats));
  assert.ok(stats[0]!.meanSteps < stats[1]!.meanSteps && stats[1]!.meanSteps < stats[2]!.meanSteps, JSON.stringify(stats));
});

test('held-out math never appears in training: not by text, not by (kind, numbers), not by computation', () => {
  const t = getDefault();
  const heldKeys = new Set(t.heldOutMath.map((p) => p.key!));
  const heldSteps = new Set(t.heldOutMath.map((p) => p.stepsKey!));
  // keys recomputed here from the training questions and solutions
  for (const p of t.trainMath) {
    const key = `${p.kind}|${questionNumbers(p.question)
      .sort((x, y) => x - y)
      .join(',')}`;
    assert.ok(!heldKeys.has(key), `training problem has a held-out key: ${p.question}`);
    assert.ok(!heldSteps.has(stepsKeyOf(p.solution)), `training solution repeats a held-out computation: ${p.solution}`);
  }
  // the worked problems of the pretraining corpus
  let worked = 0;
  for (const doc of t.pretrainDocuments) {
    for (const m of doc.matchAll(/Problem: (.*)\nSolution: (.*)/g)) {
      worked++;
      const steps = stepsKeyOf(m[2]!);
      assert.ok(steps.length > 0 && !heldSteps.has(steps), `pretraining worked problem repeats a held-out computation: ${m[0]}`);
    }
  }
  assert.ok(worked > 1000, `pretraining has worked problems (${worked})`);
  // everything the generator put in training, stories included
  for (const k of heldKeys) assert.ok(!t.trainingKeys.math.has(k), k);
  for (const k of heldSteps) assert.ok(!t.trainingKeys.mathSteps.has(k), k);
  // no held-out question text anywhere in training text
  const trainingText = [...t.pretrainDocuments, ...t.sftConversations.flatMap((c) => c.messages.map((m) => m.content))]
    .join('\n')
    .toLowerCase();
  for (const p of t.heldOutMath)
    assert.ok(!trainingText.includes(p.question.toLowerCase()), `held-out question in training: ${p.question}`);
  // nor a held-out solution as a training answer (a 1-step solution may be the last step of a
  // longer training solution: steps are shared, problems are not)
  const answers = new Set(t.sftConversations.map((c) => c.messages[1]!.content));
  for (const p of t.heldOutMath) assert.ok(!answers.has(p.solution), `held-out solution in training: ${p.solution}`);
});

test('held-out instructions never appear in training (text or key); their transformations neither', () => {
  const t = getDefault();
  const heldKeys = new Set(t.heldOutInstructions.map((it) => it.key!));
  for (const it of t.trainInstructions) assert.ok(!heldKeys.has(it.key!), `training has held-out item ${it.key}`);
  // a held-out transformation's argument is used by no training transformation of any kind
  const knowledge = new Set(INSTRUCTION_KINDS.filter((k) => k.knowledge).map((k) => k.id));
  const argOf = (it: InstructionItem): string => it.key!.slice(it.kind.length + 1);
  const heldArgs = new Set(t.heldOutInstructions.filter((it) => !knowledge.has(it.kind)).map(argOf));
  for (const it of t.trainInstructions) {
    if (!knowledge.has(it.kind)) assert.ok(!heldArgs.has(argOf(it)), `training transforms a held-out argument: ${it.key}`);
  }
  for (const k of heldKeys) assert.ok(!t.trainingKeys.instructions.has(k), k);
  const trainingText = [...t.pretrainDocuments, ...t.sftConversations.flatMap((c) => c.messages.map((m) => m.content))]
    .join('\n')
    .toLowerCase();
  for (const it of t.heldOutInstructions) {
    assert.ok(!trainingText.includes(it.instruction.toLowerCase()), `held-out instruction in training: ${it.instruction}`);
    if (['uppercase', 'lowercase', 'reverse-words'].includes(it.kind)) {
      assert.ok(!trainingText.includes(`"${it.answer.toLowerCase()}"`), `held-out rewrite in pretraining: ${it.answer}`);
    }
    if (it.kind === 'spell') assert.ok(!trainingText.includes(`spelled ${it.answer}.`), `held-out spelling in pretraining: ${it.answer}`);
  }
  // training-side items are in order too
  for (const it of [...t.trainInstructions, ...t.heldOutInstructions]) checkInstruction(it);
  // several kinds held out, small kinds capped
  const kinds = new Set(t.heldOutInstructions.map((it) => it.kind));
  assert.ok(kinds.size >= 6, [...kinds].join(','));
});

test('questions are unique within each split; held-out problems are distinct problems', () => {
  const t = getDefault();
  const unique = (xs: string[]): boolean => new Set(xs).size === xs.length;
  assert.ok(unique(t.sftConversations.map((c) => questionKey(c.messages[0]!.content))), 'SFT questions');
  assert.ok(unique(t.heldOutMath.map((p) => questionKey(p.question))), 'held-out math questions');
  assert.ok(unique(t.heldOutMath.map((p) => p.key!)), 'held-out math keys');
  assert.ok(unique(t.heldOutMath.map((p) => p.stepsKey!)), 'held-out math computations');
  assert.ok(unique(t.heldOutInstructions.map((it) => questionKey(it.instruction))), 'held-out instructions');
  assert.ok(unique(t.heldOutInstructions.map((it) => it.key!)), 'held-out instruction keys');
});

test('pretraining documents: plain text within bounds, no chat or answer format', () => {
  const t = getDefault();
  let chars = 0;
  for (const doc of t.pretrainDocuments) {
    assert.ok(doc.length > 0 && doc.length <= MAX_DOC_CHARS, `document length ${doc.length}`);
    assert.ok(!doc.includes('\\boxed') && !doc.includes('<|') && !/undefined|NaN/.test(doc), doc);
    chars += doc.length;
  }
  assert.ok(chars > 4e6 && chars < 1e7, `pretraining characters ${chars}`);
  // arithmetic in pretraining is right too
  for (const doc of t.pretrainDocuments.slice(0, 5000)) {
    for (const { a, op, b, c } of equationsIn(doc)) {
      assert.equal(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b, c, doc);
    }
    for (const m of doc.matchAll(/(\d+) (plus|minus|times|divided by) (\d+) is (\d+)/g)) {
      const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])];
      const v = m[2] === 'plus' ? a + b : m[2] === 'minus' ? a - b : m[2] === 'times' ? a * b : a / b;
      assert.equal(v, c, m[0]);
    }
  }
  // the kinds of document asked for are there
  const has = (re: RegExp): number => t.pretrainDocuments.filter((d) => re.test(d)).length;
  for (const re of [
    / plus \d+ is /,
    / times \d+ is /,
    / = \d+\./,
    /^Problem: /,
    /The opposite of \w+ is/,
    /Counting from|even numbers are/,
    / had \d+ /,
  ]) {
    assert.ok(has(re) > 100, `documents matching ${re}: ${has(re)}`);
  }
  // tokenizer corpus: pretraining, then each SFT message, nothing held out
  const corpus = [...t.tokenizerCorpus()];
  assert.equal(corpus.length, t.pretrainDocuments.length + 2 * t.sftConversations.length);
  const corpusSet = new Set(corpus);
  for (const p of t.heldOutMath) assert.ok(!corpusSet.has(p.question));
});

test('groundedSteps: a third each for operands from the question (or earlier results) and a true equation', () => {
  const q = 'Aria has 18 blocks. She drops 14 of them and then finds 3. How many now?';
  assert.equal(groundedSteps('18 - 14 = 4. Then 4 + 3 = 7. \\boxed{7}', q), 1);
  assert.equal(groundedSteps('20 - 14 = 6. \\boxed{6}', q), 2 / 3); // 20 is not in the question
  assert.equal(groundedSteps('18 - 14 = 5. \\boxed{5}', q), 2 / 3); // false
  assert.equal(groundedSteps('20 - 17 = 7. \\boxed{7}', q), 0);
  assert.equal(groundedSteps('18 - 14 = 4. Then 5 + 3 = 8.', q), (1 + 2 / 3) / 2); // 5 is neither given nor a result
  assert.equal(groundedSteps('It is 7. \\boxed{7}', q), 0, 'no equation, no credit');
  assert.equal(groundedSteps('12 / 0 = 0', 'split 12 among 0'), 2 / 3);
});

test('mathCorrect edge cases', () => {
  assert.ok(mathCorrect('7 + 5 = 12. \\boxed{12}', 12));
  assert.ok(mathCorrect('\\boxed{ 12 }', 12));
  assert.ok(mathCorrect('\\boxed{$12$}', 12));
  assert.ok(mathCorrect('\\boxed{x = 5}', 5));
  assert.ok(mathCorrect('\\boxed{1,200}', 1200));
  assert.ok(mathCorrect('\\boxed{12.0}', 12));
  assert.ok(mathCorrect('\\boxed{-3}', -3));
  assert.ok(mathCorrect('\\boxed{11} no wait \\boxed{12}', 12));
  assert.ok(!mathCorrect('\\boxed{12} no wait \\boxed{11}', 12));
  assert.ok(!mathCorrect('the answer is 12', 12));
  assert.ok(!mathCorrect('\\boxed{12 apples}', 12));
  assert.ok(!mathCorrect('\\boxed{12.5}', 12));
  assert.ok(!mathCorrect('\\boxed{1 2}', 12));
  assert.ok(!mathCorrect('\\boxed{}', 0));
  assert.ok(!mathCorrect('\\boxed{012x}', 12));
  assert.ok(!mathCorrect('\\boxed{12', 12));
});

test('instructionCorrect: normalised exact match, case where it matters, set-valued lists', () => {
  const item = (kind: string, answer: string, extra: Partial<InstructionItem> = {}): InstructionItem => ({
    instruction: '?',
    answer,
    kind,
    ...extra,
  });
  const cold = item('opposite', 'cold');
  assert.ok(instructionCorrect('cold', cold));
  assert.ok(instructionCorrect('  Cold. ', cold));
  assert.ok(instructionCorrect('"cold"', cold));
  assert.ok(!instructionCorrect('The opposite of hot is cold.', cold));
  assert.ok(!instructionCorrect('', cold));
  assert.ok(!instructionCorrect('colder', cold));
  const upper = item('uppercase', 'THE CAT SEES A HAT');
  assert.ok(instructionCorrect('THE CAT SEES A HAT', upper));
  assert.ok(instructionCorrect('THE  CAT SEES A HAT.', upper));
  assert.ok(!instructionCorrect('the cat sees a hat', upper), 'case matters for upper case');
  const spell = item('spell', 'a-p-p-l-e');
  assert.ok(instructionCorrect('a - p - p - l - e', spell));
  assert.ok(instructionCorrect('A-P-P-L-E', spell));
  assert.ok(!instructionCorrect('a-p-p-l', spell));
  const evens = item('list-numbers', '2, 4, 6');
  assert.ok(instructionCorrect('2,4,6', evens));
  assert.ok(!instructionCorrect('2, 4, 6, 8', evens));
  const fruits = item('list-category', 'apple, banana, cherry', { members: ['apple', 'banana', 'cherry', 'grape', 'pear'], count: 3 });
  assert.ok(instructionCorrect('apple, banana, cherry', fruits));
  assert.ok(instructionCorrect('pear, grape and apple', fruits));
  assert.ok(instructionCorrect('Pear, grape, and apple.', fruits));
  assert.ok(!instructionCorrect('pear, pear, apple', fruits), 'members must be distinct');
  assert.ok(!instructionCorrect('pear, grape', fruits), 'count must match');
  assert.ok(!instructionCorrect('pear, grape, car', fruits), 'all must be members');
});

test('RL problems: training side (no held-out key or computation), not SFT questions, right answers; asking for them changes nothing else', () => {
  const plain = builtinTask({ seed: 5, ...SMALL });
  const t = builtinTask({ seed: 5, ...SMALL, rlMath: 300 });
  assert.equal(t.rlMath.length, 300);
  assert.equal(plain.rlMath.length, 0);
  assert.deepEqual(t.sftConversations, plain.sftConversations);
  assert.deepEqual(t.heldOutMath, plain.heldOutMath);
  assert.deepEqual(t.pretrainDocuments, plain.pretrainDocuments);
  const heldKeys = new Set(t.heldOutMath.map((p) => p.key!)),
    heldSteps = new Set(t.heldOutMath.map((p) => p.stepsKey!));
  const sftQuestions = new Set(t.sftConversations.map((c) => c.messages[0]!.content));
  for (const p of t.rlMath) {
    assert.ok(!heldKeys.has(p.key!) && !heldSteps.has(stepsKeyOf(p.solution)), `RL problem overlaps the held-out set: ${p.question}`);
    assert.ok(!sftQuestions.has(p.question), `RL problem is an SFT question: ${p.question}`);
    assert.ok(mathCorrect(p.solution, p.answer));
  }
  assert.equal(new Set(t.rlMath.map((p) => p.question)).size, 300, 'distinct questions');
});

test("preference pairs: the worked solution against a copy with one mistake; an instruction answer against another item's", () => {
  const t = builtinTask({ seed: 2, ...SMALL, rlMath: 200 });
  const rows = preferencePairs(t.rlMath, t.trainInstructions.slice(0, 100), 2);
  assert.deepEqual(rows, preferencePairs(t.rlMath, t.trainInstructions.slice(0, 100), 2), 'deterministic');
  const math = rows.filter((r) => r.kind.startsWith('math-'));
  assert.ok(math.length >= 195 && rows.length - math.length >= 90, `${math.length} math, ${rows.length - math.length} instruction pairs`);
  for (const kind of ['math-slip', 'math-copy', 'math-box'])
    assert.ok(
      math.some((r) => r.kind === kind),
      kind,
    );
  for (const r of math) {
    const p = t.rlMath.find((x) => x.question === r.prompt[0]!.content)!;
    assert.equal(r.chosen[0]!.content, p.solution);
    const bad = r.rejected[0]!.content;
    assert.ok(
      bad !== p.solution && (!mathCorrect(bad, p.answer) || groundedSteps(bad, p.question) < 1),
      `the rejected copy has a mistake: ${bad}`,
    );
    if (r.kind === 'math-slip' || r.kind === 'math-box') assert.ok(!mathCorrect(bad, p.answer), `wrong answer: ${bad}`);
  }
  for (const r of rows.filter((x) => x.kind.startsWith('instruction-'))) assert.notEqual(r.rejected[0]!.content, r.chosen[0]!.content);
});

test('judgement rows: a solution and a wrong-answer copy per problem (balanced verdicts), the reasoning checks each step, the verdict follows the answer', () => {
  const t = builtinTask({ seed: 4, ...SMALL, rlMath: 120 });
  const rows = judgementRows(t.rlMath, 4);
  assert.ok(rows.length >= 230, `${rows.length} rows`);
  for (const r of rows) {
    const p = t.rlMath.find((x) => x.question === r.question)!;
    assert.equal(r.verdict, mathCorrect(r.response, p.answer) ? 'correct' : 'incorrect', r.response);
    assert.equal(r.reference, String(p.answer));
    if (r.response === p.solution) assert.ok(!/not|neither/.test(r.reasoning), `the worked solution has no flagged step: ${r.reasoning}`);
    else assert.ok(/ is \d+, not \d+\.|neither in the question|answers \d+; the reference is \d+\./.test(r.reasoning), r.reasoning);
  }
  assert.equal(rows.filter((r) => r.verdict === 'correct').length, rows.filter((r) => r.verdict === 'incorrect').length, 'balanced');
});

test('writeBuiltinData writes JSONL files trainers can read', () => {
  const t = builtinTask({ seed: 3, ...SMALL });
  const dir = mkdtempSync(join(tmpdir(), 'builtin-'));
  try {
    const files = writeBuiltinData(join(dir, 'data'), t);
    const read = (f: string): unknown[] =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(
      read(files.pretrain),
      t.pretrainDocuments.map((text) => ({ text })),
    );
    assert.deepEqual(
      read(files.sft),
      t.sftConversations.map((c) => ({ messages: c.messages })),
    );
    assert.deepEqual(read(files.heldOutMath), t.heldOutMath);
    assert.deepEqual(read(files.heldOutInstructions), t.heldOutInstructions);
    assert.ok(readFileSync(files.sft, 'utf8').endsWith('}\n'));
    assert.equal(files.rlMath, null, 'no RL problems asked for, no file');
    const withRl = writeBuiltinData(join(dir, 'rl'), builtinTask({ seed: 3, ...SMALL, rlMath: 20 }));
    assert.equal(read(withRl.rlMath!).length, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options: small and edge sizes work, bad values are refused', () => {
  const t = builtinTask({ pretrainDocuments: 0, sftConversations: 10, reasoningFraction: 0, heldOutMath: 0, heldOutInstructions: 0 });
  assert.equal(t.pretrainDocuments.length, 0);
  assert.equal(t.sftConversations.filter((c) => c.kind === 'non-reasoning').length, 10);
  const allMath = builtinTask({ ...SMALL, reasoningFraction: 1 });
  assert.ok(allMath.sftConversations.every((c) => c.kind === 'reasoning'));
  assert.equal(builtinTask({ ...SMALL, seed: 1 }).options.difficulty, 1);
  assert.throws(() => builtinTask({ reasoningFraction: 1.5 }), /reasoningFraction/);
  assert.throws(() => builtinTask({ sftConversations: -1 }), /sftConversations/);
  assert.throws(() => builtinTask({ difficulty: 4 as 1 }), /difficulty/);
  assert.throws(() => builtinTask({ seed: 0.5 }), /seed/);
});
