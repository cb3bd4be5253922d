// The one \boxed{} reader: nested braces, the last box, unclosed openers, undelimited boxes,
// nested boxes unwrapped, and linear time on adversarial input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBoxes, lastBoxed, matchBraces } from '../../src/data/boxed.js';

test('lastBoxed: nested braces, last box wins, none → null', () => {
  assert.equal(lastBoxed('so \\boxed{9}'), '9');
  assert.equal(lastBoxed('\\boxed{\\frac{1}{2}} is half'), '\\frac{1}{2}');
  assert.equal(lastBoxed('\\boxed{{a}{b{c}}}'), '{a}{b{c}}');
  assert.equal(lastBoxed('first \\boxed{3}, then \\boxed{4}.'), '4');
  assert.equal(lastBoxed('\\boxed{}'), '');
  assert.equal(lastBoxed('no box here'), null);
  assert.equal(lastBoxed(''), null);
  assert.equal(lastBoxed('boxed{5}'), null);
  assert.equal(lastBoxed('\\fbox{7}'), '7');
  assert.equal(lastBoxed('\\boxed 5 apples'), '5', 'undelimited argument: one token');
  assert.equal(lastBoxed('\\boxedfoo{5}'), null, 'another command');
  assert.equal(lastBoxed('\\boxed{a \\{ b}'), 'a \\{ b', 'escaped braces do not count');
});

test('lastBoxed: an opener that never closes is text (as Math-Verify reads it)', () => {
  assert.equal(lastBoxed('\\boxed{3} and then \\boxed{4'), '3');
  assert.equal(lastBoxed('\\boxed{4'), null);
});

test('lastBoxed: a box that is the whole content of a box is unwrapped', () => {
  assert.equal(lastBoxed('\\boxed{\\boxed{5}}'), '5');
  assert.equal(lastBoxed('\\boxed{ \\boxed{ \\boxed{x+1} } }'), 'x+1');
  assert.equal(lastBoxed('\\boxed{\\boxed{1} + 2}'), '\\boxed{1} + 2', 'not the whole content: kept');
});

test('findBoxes: positions of every outermost box, in order', () => {
  const t = 'a \\boxed{1}, b \\boxed{2}';
  assert.deepEqual(
    findBoxes(t).map((b) => [b.content, t.slice(b.start, b.end)]),
    [
      ['1', '\\boxed{1}'],
      ['2', '\\boxed{2}'],
    ],
  );
});

test('matchBraces: matching closers, escaped braces skipped, unmatched → -1', () => {
  const c = matchBraces('{a{b}\\}c}{');
  assert.equal(c[0], 8);
  assert.equal(c[2], 4);
  assert.equal(c[9], -1);
});

test('findBoxes: a megabyte of openers and deep nesting return (one pass matches the braces)', () => {
  assert.equal(lastBoxed('\\boxed{'.repeat(150_000)), null);
  assert.equal(lastBoxed('\\boxed{'.repeat(50_000) + '7' + '}'.repeat(50_000)), '7');
});
