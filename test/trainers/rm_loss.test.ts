// Bradley-Terry loss and gradient against hand-computed float64 values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { bradleyTerryLoss } from '../../src/trainers/rm_loss.js';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const f64 = (x: number[]) => pt.tensor(x, { dtype: 'float64' });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

test('Bradley-Terry: −log σ(r_c − r_r) averaged, gradient −(1 − σ(d))/B on chosen and its negative on rejected', () => {
  const c = f64([1.5, -0.2, 0.3]).requiresGrad_(),
    r = f64([0.5, 0.4, 0.3]).requiresGrad_();
  const d = [1.0, -0.6, 0];
  const out = bradleyTerryLoss(c, r, null);
  near(out.loss.item() as number, d.reduce((a, x) => a - Math.log(sigmoid(x)), 0) / 3);
  out.loss.backward();
  (c.grad!.toArray() as number[]).forEach((g, i) => near(g, -(1 - sigmoid(d[i]!)) / 3));
  (r.grad!.toArray() as number[]).forEach((g, i) => near(g, (1 - sigmoid(d[i]!)) / 3));
  near(out.stats.accuracy, 1 / 3); // a tie is not a win
  near(out.stats.margin, (1.0 - 0.6 + 0) / 3);
  near(out.stats.chosen, 1.6 / 3);
  near(out.stats.rejected, 1.2 / 3);
});

test('margin shifts the difference (Llama 2); centering adds λ·mean((r_c + r_r)²) with gradient 2λ(r_c + r_r)/B', () => {
  const c = f64([2, 0]).requiresGrad_(),
    r = f64([1, 1]).requiresGrad_();
  const out = bradleyTerryLoss(c, r, f64([0.5, 0]), 0.01);
  const d = [2 - 1 - 0.5, 0 - 1 - 0];
  const sums = [3, 1];
  near(out.loss.item() as number, (-Math.log(sigmoid(d[0]!)) - Math.log(sigmoid(d[1]!))) / 2 + (0.01 * (9 + 1)) / 2);
  out.loss.backward();
  (c.grad!.toArray() as number[]).forEach((g, i) => near(g, -(1 - sigmoid(d[i]!)) / 2 + (2 * 0.01 * sums[i]!) / 2));
  (r.grad!.toArray() as number[]).forEach((g, i) => near(g, (1 - sigmoid(d[i]!)) / 2 + (2 * 0.01 * sums[i]!) / 2));
  near(out.stats.margin, (1 + -1) / 2, 1e-12); // stats ignore the margin column
});
