// Answer extraction (math_extract.ts): priority groups and their order, math environments, plain
// numbers as people write them, runs of boxes, targets chosen per call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractCandidates, mathEnvironments, plainNumbers } from '../../src/rewards/math_extract.js';

const first = (t: string, targets?: ('latex' | 'expr')[]) => {
  const c = extractCandidates(t, targets)[0];
  return c ? [c.answer, c.source] : null;
};

test('extractCandidates: priority groups — final answer, box, "answer:", "answer", anywhere', () => {
  assert.deepEqual(first('x is $3$. Final Answer: The final answer is $5$. I hope it is correct. \\boxed{7}'), ['5', 'final-answer']);
  assert.deepEqual(first('The answer is 4. So \\boxed{6} and then 9.'), ['6', 'boxed']);
  assert.deepEqual(first('We get 3 and 5. Answer: 4, then 8.'), ['4', 'answer']);
  assert.deepEqual(first('At first the answer is 3; after rechecking, the answer is 4. Then 9 more.'), ['4', 'answer']);
  assert.deepEqual(first('We try $x = 3$, which fails, and then $x = 7$, which works.'), ['x = 7', 'latex']);
  assert.deepEqual(first('so the total is 12 apples'), ['12', 'expr']);
  assert.equal(first('no numbers at all'), null);
});

test('extractCandidates: a run of boxes is one set of answers; separate boxes, the last', () => {
  assert.deepEqual(first('The roots are $\\boxed{2}$ and $\\boxed{3}$.'), ['2, 3', 'boxed']);
  assert.deepEqual(first('\\boxed{1}, \\boxed{2}, \\boxed{3}'), ['1, 2, 3', 'boxed']);
  assert.deepEqual(first('$$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$$'), ['(2, 2), (6, 2)', 'boxed']);
  assert.deepEqual(first('First $\\boxed{3}$.\n\nWait, correcting it, $\\boxed{5}$.'), ['5', 'boxed']);
  assert.deepEqual(first('A first count gives $$\\boxed{20}$$ \\boxed{143}'), ['143', 'boxed']);
  const c = extractCandidates('First $\\boxed{3}$.\n\nWait: $\\boxed{5}$.')[0]!;
  assert.equal(c.skippedBoxes, 1);
});

test('extractCandidates: targets per call', () => {
  assert.deepEqual(first('\\boxed{6} and then 9', ['expr']), ['9', 'expr']);
  assert.equal(first('so the total is 12 apples', ['latex']), null);
  assert.deepEqual(first('The answer is 1/2.', ['expr']), ['1/2', 'answer']);
});

test('mathEnvironments: the four delimiters, one-line inline math, escaped dollars, a percent after', () => {
  const envs = (t: string) => mathEnvironments(t).map((e) => [e.content, e.percent]);
  assert.deepEqual(envs('a $x$ b \\(y\\) c \\[z\\] d $$w$$'), [
    ['x', false],
    ['y', false],
    ['z', false],
    ['w', false],
  ]);
  assert.deepEqual(envs('price \\$5 and $1 \\$ 2$'), [['1 \\$ 2', false]]);
  assert.deepEqual(envs('a $x\ny$ b'), [], 'inline math does not cross a line');
  assert.deepEqual(envs('loss of $28$ percent'), [['28', true]]);
  assert.deepEqual(envs('the value \\[ \n 9 \n \\]'), [[' \n 9 \n ', false]]);
  assert.deepEqual(envs('$'.repeat(10_001)), [], 'no empty environments from a run of dollars');
});

test('plainNumbers: thousands, decimal commas, mixed numbers, percent words; never inside a word', () => {
  const nums = (t: string) => plainNumbers(t).map((n) => (n.valid ? n.content + (n.percent ? '%' : '') : '✗'));
  assert.deepEqual(nums('7,425,000 and 1 000 000 and 1000,99 and .5'), ['7425000', '1000000', '1000.99', '.5']);
  assert.deepEqual(nums('4 4/9 then -4 4/9 then 11 6/6 then 4 0/0'), ['40/9', '-40/9', '✗', '✗']);
  assert.deepEqual(nums('28 percent, 28 percentage, 28 pct, 28%'), ['28%', '28%', '28%', '28%']);
  assert.deepEqual(nums('AZYUK2 CO2 COVID-19 MP3 B23'), []);
  assert.deepEqual(nums('costs $3.75, or 2,74 €'), ['3.75', '2.74']);
  assert.deepEqual(nums('so 11 - 4/9 remains'), ['11 - 4/9']);
});
