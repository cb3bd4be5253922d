import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thinkAnswerFormat, thinkFormat, tagCount, languageConsistency, lengthPenalty, overlongPenalty } from '../../src/rewards/format.js';
import { scoreAll, type NamedReward } from '../../src/rewards/compose.js';
import { passAtK, majorityVote, mean, median } from '../../src/eval/metrics.js';

test('R1 format rewards', () => {
  assert.equal(thinkAnswerFormat('<think>\n2+2\n</think>\n<answer>4</answer>'), 1);
  assert.equal(thinkAnswerFormat('<think>x</think> text <answer>4</answer>'), 0, 'text between blocks');
  assert.equal(thinkAnswerFormat('<answer>4</answer><think>x</think>'), 0, 'wrong order');
  assert.equal(thinkAnswerFormat('<think>x</think>'), 0);
  assert.equal(thinkFormat('<think>x</think> The answer is 4'), 1);
  assert.equal(thinkFormat('<think>x</think><think>y</think>'), 0, 'two think blocks');
  assert.equal(thinkFormat('no tags'), 0);
  assert.equal(tagCount('<think>a</think><answer>b</answer>'), 1);
  assert.equal(tagCount('<think>a</think>'), 0.5);
  assert.equal(tagCount('<think><think>a</think>'), 0.25, 'a repeated tag earns nothing');
});

test('language consistency, length penalty and DAPO overlong punishment (hand-computed)', () => {
  assert.equal(languageConsistency('the answer is four', 'en'), 1);
  assert.equal(languageConsistency('the answer 是 四', 'en'), 0.5); // 2 Latin words, 2 CJK characters
  assert.equal(languageConsistency('the answer 是 四', 'zh'), 0.5);
  assert.equal(languageConsistency('答案是四', 'en'), 0);
  assert.equal(languageConsistency('42 + 7', 'en'), 1, 'no words: nothing inconsistent');
  assert.equal(lengthPenalty(80, 100), 0);
  assert.equal(lengthPenalty(150, 100, 0.5), -0.25);
  // DAPO: L_max 20, cache 4 → free up to 16
  assert.equal(overlongPenalty(16, 20, 4), 0);
  assert.equal(overlongPenalty(18, 20, 4), -0.5);
  assert.equal(overlongPenalty(20, 20, 4), -1);
  assert.equal(overlongPenalty(25, 20, 4), -1);
  assert.throws(() => overlongPenalty(5, 20, 0), /cache/);
});

test('reward composition: weights, async rewards, breakdown, null = cannot judge (skipped, counted)', async () => {
  const rewards: NamedReward[] = [
    {
      name: 'correct',
      weight: 1,
      fn: (x) => (x.example['answer'] === undefined ? null : x.completion.includes(String(x.example['answer'])) ? 1 : 0),
    },
    { name: 'format', weight: 0.5, fn: async (x) => thinkFormat(x.completion) },
  ];
  const s = await scoreAll(rewards, [
    { prompt: 'p', completion: '<think>t</think> 4', example: { answer: 4 } },
    { prompt: 'p', completion: '5', example: { answer: 4 } },
    { prompt: 'p', completion: '<think>t</think> 4', example: {} },
  ]);
  assert.deepEqual(s.total, [1.5, 0, null]);
  assert.deepEqual(s.breakdown, { correct: [1, 0, null], format: [1, 0, 1] });
  assert.equal(s.skipped, 1);
  // a weight-0 reward is only logged: a row it cannot check keeps its total
  const logged = await scoreAll(
    [rewards[1]!, { ...rewards[0]!, weight: 0 }],
    [{ prompt: 'p', completion: '<think>t</think> 4', example: {} }],
  );
  assert.deepEqual([logged.total, logged.breakdown['correct'], logged.skipped], [[0.5], [null], 0]);
  // notes a reward leaves on a sample come back with it
  const noted = await scoreAll(
    [
      {
        name: 'n',
        weight: 1,
        fn: (x) => {
          x.note?.('why', x.completion.length);
          return 1;
        },
      },
    ],
    [
      { prompt: '', completion: 'abc', example: {} },
      { prompt: '', completion: 'a', example: {} },
    ],
  );
  assert.deepEqual(noted.notes, [{ why: 3 }, { why: 1 }]);
  await assert.rejects(scoreAll([{ name: 'bad', weight: 1, fn: () => NaN }], [{ prompt: '', completion: '', example: {} }]), /bad.*NaN/);
  await assert.rejects(scoreAll([rewards[0]!, rewards[0]!], []), /listed twice/);
});

test('pass@k (unbiased estimator), majority vote, mean, median', () => {
  assert.equal(passAtK(10, 0, 3), 0);
  assert.equal(passAtK(10, 10, 1), 1);
  assert.ok(Math.abs(passAtK(10, 3, 1) - 0.3) < 1e-12); // pass@1 = c / n
  assert.ok(Math.abs(passAtK(5, 2, 2) - (1 - 3 / 10)) < 1e-12); // 1 − C(3,2)/C(5,2) = 1 − 3/10
  assert.equal(passAtK(4, 3, 2), 1, 'fewer wrong samples than k');
  assert.throws(() => passAtK(3, 1, 4), /k <= n/);
  assert.equal(majorityVote(['4', '5', '4', null, '5', '4']), '4');
  assert.equal(majorityVote(['5', '4']), '5', 'tie: the first seen');
  assert.equal(majorityVote([null, null]), null);
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
