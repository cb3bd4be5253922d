import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lrAt, checkSchedule, type Schedule } from '../../src/optim/index.js';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-15, `${a} vs ${b}`);

test('cosine with warmup: ramps linearly, peaks, decays to the floor at the last step (V3: 5e-6 → 1e-6)', () => {
  const s: Schedule = { kind: 'cosine', lr: 5e-6, minLr: 1e-6, warmupSteps: 4, totalSteps: 14 };
  near(lrAt(s, 0), 1.25e-6); // 5e-6 · 1/4
  near(lrAt(s, 3), 5e-6); // end of warmup: the peak
  near(lrAt(s, 4), 5e-6); // decay starts at the peak (progress 0)
  near(lrAt(s, 13), 1e-6); // last step: the floor
  near(lrAt(s, 4 + 4.5), 3e-6); // halfway (progress 0.5): the midpoint
  for (let i = 5; i < 14; i++) assert.ok(lrAt(s, i) < lrAt(s, i - 1));
});

test('linear and constant schedules', () => {
  const lin: Schedule = { kind: 'linear', lr: 1, minLr: 0, warmupSteps: 0, totalSteps: 5 };
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((i) => lrAt(lin, i)),
    [1, 0.75, 0.5, 0.25, 0],
  );
  const c: Schedule = { kind: 'constant', lr: 0.1, minLr: 0, warmupSteps: 2, totalSteps: 10 };
  assert.deepEqual(
    [0, 1, 2, 9].map((i) => lrAt(c, i)),
    [0.05, 0.1, 0.1, 0.1],
  );
});

test('bad schedules are refused', () => {
  assert.throws(() => checkSchedule({ kind: 'cosine', lr: 1e-6, minLr: 1e-5, warmupSteps: 0, totalSteps: 10 }), /minLr/);
  assert.throws(() => checkSchedule({ kind: 'cosine', lr: 1e-6, minLr: 0, warmupSteps: -1, totalSteps: 10 }), /warmupSteps/);
  assert.throws(() => checkSchedule({ kind: 'cosine', lr: 1e-6, minLr: 0, warmupSteps: 0, totalSteps: 0 }), /totalSteps/);
});
