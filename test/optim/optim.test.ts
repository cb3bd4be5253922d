import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { AdamW, SGD, decayGroups } from '../../src/optim/index.js';
import { adamwReferenceStep, sgdReferenceStep, quadraticLoss } from './reference.js';

const close = (a: number[], b: number[], tol: number) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `index ${i}: ${x} vs ${b[i]}`));
};

test('AdamW first step moves each weight by lr·sign(g) after decoupled decay (hand-computed)', () => {
  const p = pt.tensor([1, -2, 3], { dtype: 'float64' }).requiresGrad_();
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5, eps: 0 });
  p.grad = pt.tensor([0.5, -4, 2], { dtype: 'float64' });
  opt.step();
  // decay: p·(1 − 0.1·0.5) = p·0.95 → [0.95, −1.9, 2.85]; then − 0.1·sign(g) (m̂ = g, v̂ = g²)
  close(p.toFlatArray() as number[], [0.85, -1.8, 2.75], 1e-12);
});

test('AdamW matches the slow reference over 20 steps, two groups with different settings', () => {
  const c = pt.tensor([1, 2, 0.5, 3], { dtype: 'float64' });
  const a = pt.tensor([0.3, -1.2], { dtype: 'float64' }).requiresGrad_();
  const b = pt.tensor([2.0, 0.7], { dtype: 'float64' }).requiresGrad_();
  const groups = [
    { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
    { lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0 },
  ];
  const opt = new AdamW([
    { params: [a], ...groups[0] },
    { params: [b], ...groups[1] },
  ]);
  let ref = [
    { p: [0.3, -1.2], m: [0, 0], v: [0, 0] },
    { p: [2.0, 0.7], m: [0, 0], v: [0, 0] },
  ];
  for (let step = 1; step <= 20; step++) {
    opt.zeroGrad();
    quadraticLoss(pt.cat([a, b]), c).backward();
    const ga = a.grad!.toFlatArray() as number[];
    const gb = b.grad!.toFlatArray() as number[];
    opt.step();
    ref = [
      adamwReferenceStep(ref[0]!.p, ga, ref[0]!.m, ref[0]!.v, step, groups[0]!),
      adamwReferenceStep(ref[1]!.p, gb, ref[1]!.m, ref[1]!.v, step, groups[1]!),
    ];
    close(a.toFlatArray() as number[], ref[0]!.p, 1e-12);
    close(b.toFlatArray() as number[], ref[1]!.p, 1e-12);
  }
});

test('AdamW skips parameters without a gradient and does not advance their step', () => {
  const a = pt.tensor([1.0], { dtype: 'float64' }).requiresGrad_();
  const b = pt.tensor([1.0], { dtype: 'float64' }).requiresGrad_();
  const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0 });
  a.grad = pt.tensor([1.0], { dtype: 'float64' });
  opt.step();
  assert.equal(b.item(), 1);
  const sd = opt.stateDict();
  assert.equal(sd.state[0]!.step, 1);
  assert.equal(sd.state[1]!.step, 0);
});

test('SGD with momentum, dampening, weight decay and Nesterov matches the slow reference', () => {
  for (const o of [
    { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0.001, nesterov: true },
  ]) {
    const c = pt.tensor([1, 3], { dtype: 'float64' });
    const x = pt.tensor([1.5, -0.5], { dtype: 'float64' }).requiresGrad_();
    const opt = new SGD([x], o);
    let ref: { p: number[]; buf: number[] | null } = { p: [1.5, -0.5], buf: null };
    for (let step = 0; step < 15; step++) {
      opt.zeroGrad();
      quadraticLoss(x, c).backward();
      const g = x.grad!.toFlatArray() as number[];
      opt.step();
      ref = sgdReferenceStep(ref.p, g, ref.buf, o);
      close(x.toFlatArray() as number[], ref.p, 1e-12);
    }
  }
});

test('state dict save/load gives an exactly resumed trajectory (AdamW and SGD)', () => {
  for (const make of [(ps: pt.Tensor[]) => new AdamW(ps, { lr: 0.05 }), (ps: pt.Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9 })]) {
    const c = pt.tensor([1, 2, 3], { dtype: 'float32' });
    const run = (x: pt.Tensor, opt: AdamW | SGD, n: number) => {
      for (let i = 0; i < n; i++) {
        opt.zeroGrad();
        quadraticLoss(x, c).backward();
        opt.step();
      }
    };
    const x = pt.tensor([0.5, -1, 2]).requiresGrad_();
    const opt = make([x]);
    run(x, opt, 5);
    const sd = opt.stateDict();
    const snapshot = {
      ...sd,
      state: Object.fromEntries(
        Object.entries(sd.state).map(([k, s]) => [
          k,
          { step: s.step, tensors: Object.fromEntries(Object.entries(s.tensors).map(([n, t]) => [n, t.clone()])) },
        ]),
      ),
    };
    const resumedX = x.detach().clone().requiresGrad_();
    run(x, opt, 5);
    const opt2 = make([resumedX]);
    opt2.loadStateDict(snapshot);
    for (const s of Object.values(snapshot.state)) for (const t of Object.values(s.tensors)) t.dispose();
    run(resumedX, opt2, 5);
    assert.ok(resumedX.equal(x), `${resumedX} vs ${x}`);
  }
});

test('loadStateDict refuses a state dict of another optimizer or shape', () => {
  const x = pt.zeros([2]).requiresGrad_();
  const adam = new AdamW([x]);
  const sgd = new SGD([x]);
  assert.throws(() => sgd.loadStateDict(adam.stateDict()), /adamw/);
  const y = pt.zeros([3]).requiresGrad_();
  adam.zeroGrad();
  x.grad = pt.ones([2]);
  adam.step();
  const other = new AdamW([y]);
  assert.throws(() => other.loadStateDict(adam.stateDict()), pt.ArgumentError);
});

test('optimizer option validation names the group and option', () => {
  const x = pt.zeros([2]).requiresGrad_();
  assert.throws(() => new AdamW([x], { lr: -1 }), /group 0: lr/);
  assert.throws(() => new AdamW([{ params: [x], beta1: 1 }]), /beta1/);
  assert.throws(() => new AdamW([{ params: [x], bogus: 1 } as never]), /unknown option 'bogus'/);
  assert.throws(() => new SGD([x], { nesterov: true }), /nesterov/);
  assert.throws(() => new AdamW([x, x]), /more than one place/);
  assert.throws(() => new AdamW([pt.zeros([2])]), /does not require grad/);
});

test('decayGroups exempts biases and norm weights from weight decay', () => {
  const w = pt.zeros([3, 2]).requiresGrad_();
  const bias = pt.zeros([3]).requiresGrad_();
  const groups = decayGroups([w, bias], 0.1);
  assert.deepEqual(
    groups.map((g) => [g.params.length, g.weightDecay]),
    [
      [1, 0.1],
      [1, 0],
    ],
  );
  const opt = new AdamW(groups, { lr: 0.1 });
  assert.deepEqual(
    opt.paramGroups.map((g) => g.weightDecay),
    [0.1, 0],
  );
});
