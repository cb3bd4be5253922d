import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { trainXor, trainRegression } from '../helpers/mlp.js';

test('an MLP learns XOR with AdamW (loss near zero, all four points right)', () => {
  const before = pt.memory().liveTensors;
  const run = trainXor(1000, 0);
  assert.ok(run.finalLoss < 0.01, `final BCE ${run.finalLoss}`);
  assert.equal(run.accuracy, 1);
  assert.ok(run.losses[0]! > run.finalLoss * 10, 'loss fell by more than 10x');
  assert.equal(pt.memory().liveTensors, before, 'the example frees every tensor it made');
});

test('an MLP fits sin(2x) with AdamW to near-zero MSE', () => {
  const run = trainRegression(2000, 0);
  assert.ok(run.finalLoss < 2e-3, `final MSE ${run.finalLoss}`);
});

test('the same seed gives the same run; another seed another run', () => {
  const a = trainXor(200, 7);
  const b = trainXor(200, 7);
  const c = trainXor(200, 8);
  assert.deepEqual(a.losses, b.losses);
  assert.notDeepEqual(a.losses, c.losses);
});
