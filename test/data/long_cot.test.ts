// The built-in long chain-of-thought: every equation it writes is true, the verification undoes
// each operation, the answer is the problem's, and it is longer than the short solution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTask, longCotSolution, workedOperation, checkOperation } from '../../src/data/builtin/index.js';
import { lastBoxed } from '../../src/data/boxed.js';
import { equationsIn } from '../../src/data/builtin/math.js';

const value = (a: number, op: string, b: number) => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);

test('long CoT: true equations only, checks that undo each step, the same boxed answer, longer than the solution', () => {
  const task = builtinTask({ seed: 3, pretrainDocuments: 10, sftConversations: 10, heldOutMath: 300, heldOutInstructions: 2, rlMath: 10 });
  for (const p of task.heldOutMath) {
    const long = longCotSolution(p);
    for (const e of equationsIn(long)) assert.equal(value(e.a, e.op, e.b), e.c, `${e.a} ${e.op} ${e.b} = ${e.c} in ${long}`);
    assert.equal(lastBoxed(long), String(p.answer));
    assert.match(long, /^<think>\n[\s\S]+\nCheck: [\s\S]+\n<\/think>\n/);
    assert.ok(long.length > p.solution.length + 20);
    assert.equal((long.match(/right\./g) ?? []).length, equationsIn(p.solution).length, 'one check per operation');
  }
});

test('long CoT without decomposition: the solution restated in <think>, then the checks; after </think> the answer, or the solution', () => {
  const task = builtinTask({ seed: 4, pretrainDocuments: 10, sftConversations: 10, heldOutMath: 50, heldOutInstructions: 2, rlMath: 10 });
  for (const p of task.heldOutMath) {
    const long = longCotSolution(p, { decompose: false });
    const body = p.solution.replace(/\s*\\boxed\{[^}]*\}\s*$/, '');
    assert.ok(long.startsWith(`<think>\n${body}\nCheck: `), long);
    assert.ok(long.endsWith(`</think>\nThe answer is \\boxed{${p.answer}}.`), long);
    assert.equal(lastBoxed(long), String(p.answer));
    assert.ok(longCotSolution(p, { decompose: false, after: 'solution' }).endsWith(`</think>\n${p.solution}`));
    for (const e of equationsIn(long)) assert.equal(value(e.a, e.op, e.b), e.c);
    assert.equal((long.match(/right\./g) ?? []).length, equationsIn(p.solution).length);
  }
});

test('worked operations split tens and ones; checks invert the operation', () => {
  assert.equal(workedOperation(24, '+', 16, 40), '24 + 16: 24 + 10 = 34, 34 + 6 = 40.');
  assert.equal(workedOperation(33, '-', 15, 18), '33 - 15: 33 - 10 = 23, 23 - 5 = 18.');
  assert.equal(workedOperation(12, '*', 7, 84), '12 * 7: 10 * 7 = 70, 2 * 7 = 14, 70 + 14 = 84.');
  assert.equal(workedOperation(24, '/', 4, 6), '24 / 4: 4 * 6 = 24, so 24 / 4 = 6.');
  assert.equal(workedOperation(6, '*', 5, 30), '6 * 5 = 30.');
  assert.equal(workedOperation(20, '+', 4, 24), '20 + 4 = 24.');
  assert.equal(checkOperation(24, '+', 16, 40), '40 - 16 = 24, right.');
  assert.equal(checkOperation(33, '-', 15, 18), '18 + 15 = 33, right.');
  assert.equal(checkOperation(12, '*', 7, 84), '84 / 7 = 12, right.');
  assert.equal(checkOperation(24, '/', 4, 6), '6 * 4 = 24, right.');
});
