// Gradient checkpointing against the plain backward: the same loss and the same gradients for full
// training and for LoRA with dropout (the recomputation replays the RNG), with the chunked head on
// top, and the RNG left where a plain run leaves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { forwardBackward, type CausalLM } from '../../src/models/index.js';
import { applyLora } from '../../src/models/lora.js';
import { headLoss, logprobHead } from '../../src/nn/chunked_head.js';
import { tinyModel } from '../helpers/models.js';

const ids = pt
  .tensor([
    [1, 5, 9, 2, 7, 3, 3, 8, 1, 4],
    [2, 2, 6, 1, 9, 11, 4, 0, 5, 6],
  ])
  .keep(); // (2, 10)

function loss(model: CausalLM, rows: number) {
  const targets = ids.narrow(1, 1, 9).reshape(-1); // (18)
  const w = pt.ones([18], { dtype: model.activationDtype }).div(-18);
  return (hidden: Tensor) => {
    const h = hidden.narrow(1, 0, 9).reshape(-1, hidden.size(-1)); // (18, hidden)
    return headLoss(h, model.headWeight(), logprobHead(targets), { weights: [w] }, { rows }).loss;
  };
}

function grads(model: CausalLM, checkpointing: boolean, rows: number, seed = 5): { value: number; grads: number[][]; rngAfter: number } {
  pt.manualSeed(seed);
  pt.zeroGrad(model.parameters());
  const value = forwardBackward(model, ids, {}, loss(model, rows), { gradientCheckpointing: checkpointing });
  const after = pt.scope(() => pt.rand([1]).item() as number);
  return { value, grads: model.trainableParameters().map((p) => p.grad!.toFlatArray() as number[]), rngAfter: after };
}

function same(a: ReturnType<typeof grads>, b: ReturnType<typeof grads>, tol: number): void {
  assert.ok(Math.abs(a.value - b.value) <= tol, `loss ${a.value} vs ${b.value}`);
  assert.equal(a.grads.length, b.grads.length);
  a.grads.forEach((g, i) => {
    const worst = Math.max(...g.map((v, j) => Math.abs(v - b.grads[i]![j]!)));
    assert.ok(worst <= tol, `parameter ${i}: max gradient difference ${worst}`);
  });
  assert.equal(a.rngAfter, b.rngAfter, 'the RNG after the step is the same');
}

test('gradient checkpointing gives the plain backward’s loss and gradients (full training, float64)', () => {
  for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
    const m = tinyModel(family, 3, 'float64', 1);
    const plain = grads(m, false, 1000);
    same(grads(m, true, 1000), plain, 1e-12);
    same(grads(m, true, 4), plain, 1e-12); // with the chunked head on top
    assert.ok(
      plain.grads.every((g) => g.some((v) => v !== 0)),
      `${family}: every parameter gets a gradient`,
    );
    m.dispose();
  }
});

test('gradient checkpointing with LoRA and dropout replays the same dropout masks', () => {
  const m = tinyModel('llama', 4, 'float64', 1);
  applyLora(m, { r: 4, alpha: 8, dropout: 0.3, targetModules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'] }, new pt.Generator(1));
  m.train();
  // lora_B starts at zero: give it values so the adapters' gradients depend on the dropout masks
  pt.noGrad(() => {
    for (const [k, p] of m.namedParameters()) if (k.includes('lora_B')) pt.normal_(p, 0, 0.1, new pt.Generator(k.length));
  });
  const plain = grads(m, false, 1000);
  same(grads(m, true, 1000), plain, 1e-12);
  const other = grads(m, false, 1000, 6);
  assert.notEqual(other.value, plain.value, 'dropout is active: another seed gives another loss');
  m.dispose();
});
