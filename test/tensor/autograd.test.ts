// The gradient checker itself, and the autograd controls: explicit backward gradients,
// retainGraph, detach, retainGrad, clipGradNorm and zeroGrad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { f64, gradcheck, ids, input } from '../helpers/gradcheck.js';

// ------------------------------------------------------------------ the checker itself
test('gradcheck catches a wrong gradient and frees its temporaries', () => {
  pt.scope(() => {
    const a = input([2, 3], { seed: 7 });
    const before = pt.memory().liveTensors;
    // d/da of (a.detach() * a) is a by autograd, 2a in truth: the checker must object.
    assert.throws(() => gradcheck(([t]) => t!.detach().mul(t!), [a]), /finite difference/);
    const r = gradcheck(([t]) => t!.mul(t!), [a]);
    assert.equal(r.checked, 6);
    assert.ok(r.maxAbsError < 1e-7);
    assert.equal(pt.memory().liveTensors, before);
  });
});

test('embedding: rows at paddingIdx get no gradient', () => {
  pt.scope(() => {
    const w = input([4, 2], { seed: 3 });
    pt.embedding(w, ids([1, 2, 1, 3]), 1)
      .sum()
      .backward();
    assert.deepEqual(w.grad!.toArray(), [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
  });
});

// ------------------------------------------------------------------ autograd controls
const close = (actual: number[], expected: number[], tol = 1e-6) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `element ${i}: ${v} vs ${expected[i]}`));
};
const flat = (t: Tensor | null) => {
  assert.ok(t !== null, 'expected a gradient');
  return t.toFlatArray() as number[];
};

test('backward with an explicit gradient for a non-scalar output', () => {
  pt.scope(() => {
    const a = f64([
      [1, 2],
      [3, 4],
    ]);
    const y = a.mul(a).mul(3); // dy/da = 6a
    y.backward(
      pt.tensor(
        [
          [1, 0.5],
          [-1, 2],
        ],
        { dtype: 'float64' },
      ),
    );
    close(flat(a.grad), [6, 6, -18, 48]);
  });
});

test('retainGraph allows a second backward; gradients accumulate', () => {
  pt.scope(() => {
    const a = f64([[1, -2, 3]]);
    const y = a.mul(a).sum();
    y.backward(null, { retainGraph: true });
    close(flat(a.grad), [2, -4, 6]);
    y.backward();
    close(flat(a.grad), [4, -8, 12]);
  });
});

test('a second backward without retainGraph throws an AutogradError', () => {
  pt.scope(() => {
    const a = f64([[1, -2, 3]]);
    const y = a.mul(a).sum();
    y.backward();
    assert.throws(
      () => y.backward(),
      (e: unknown) => {
        assert.ok(e instanceof pt.AutogradError, `got ${String(e)}`);
        assert.equal(e.op, 'backward');
        return true;
      },
    );
    close(flat(a.grad), [2, -4, 6]); // the failed call added nothing
  });
});

test('gradients accumulate over separate graphs until zeroed', () => {
  pt.scope(() => {
    const a = f64([[1, 2]]);
    a.mul(3).sum().backward();
    a.mul(a).sum().backward();
    close(flat(a.grad), [3 + 2, 3 + 4]);
  });
});

test('detach() stops the gradient', () => {
  pt.scope(() => {
    const a = f64([[1, 2, 3]]);
    const d = a.detach();
    assert.equal(d.requiresGrad, false);
    assert.ok(d.sharesStorageWith(a));
    d.mul(a).sum().backward(); // only the non-detached factor counts
    close(flat(a.grad), [1, 2, 3]);
  });
});

test('retainGrad keeps the gradient of a non-leaf', () => {
  pt.scope(() => {
    const a = f64([[1, 2, 3]]);
    const h = a.mul(2).retainGrad();
    const other = a.mul(5);
    assert.equal(h.isLeaf, false);
    h.square().sum().add(other.sum()).backward();
    close(flat(h.grad), [4, 8, 12]); // d(h²)/dh = 2h
    close(flat(a.grad), [8 + 5, 16 + 5, 24 + 5]);
  });
});

test('clipGradNorm scales gradients to the max norm and returns the norm before clipping', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float32' });
    const norm = pt.clipGradNorm([p], 1);
    assert.ok(Math.abs(norm - 5) < 1e-6, `norm ${norm}`);
    close(flat(p.grad), [0.6, 0.8], 1e-5);
  });
});

test('clipGradNorm: the global norm spans all parameters; parameters without grad are skipped', () => {
  pt.scope(() => {
    const p = pt.zeros([1], { requiresGrad: true });
    const q = pt.zeros([1, 1], { requiresGrad: true });
    const none = pt.zeros([3], { requiresGrad: true });
    p.grad = pt.tensor([3], { dtype: 'float32' });
    q.grad = pt.tensor([[-4]], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p, none, q], 2.5) - 5) < 1e-6);
    close(flat(p.grad), [1.5], 1e-5);
    close(flat(q.grad), [-2], 1e-5);
    assert.equal(none.grad, null);
  });
});

test('clipGradNorm with the Infinity norm', () => {
  pt.scope(() => {
    const p = pt.zeros([3], { requiresGrad: true });
    const q = pt.zeros([1], { requiresGrad: true });
    p.grad = pt.tensor([3, -6, 1], { dtype: 'float32' });
    q.grad = pt.tensor([2], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p, q], 3, Infinity) - 6) < 1e-6);
    close(flat(p.grad), [1.5, -3, 0.5], 1e-5);
    close(flat(q.grad), [1], 1e-5);
  });
});

test('clipGradNorm leaves gradients alone under the max norm', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float32' });
    assert.ok(Math.abs(pt.clipGradNorm([p], 10) - 5) < 1e-6);
    assert.deepEqual(p.grad!.toFlatArray(), [3, 4]);
    assert.equal(pt.clipGradNorm([pt.zeros([2], { requiresGrad: true })], 1), 0); // no gradients at all
  });
});

test('clipGradNorm works on float64 gradients', () => {
  pt.scope(() => {
    const p = pt.zeros([2], { dtype: 'float64', requiresGrad: true });
    p.grad = pt.tensor([3, 4], { dtype: 'float64' });
    assert.ok(Math.abs(pt.clipGradNorm([p], 1) - 5) < 1e-9);
    close(flat(p.grad), [0.6, 0.8], 1e-5);
  });
});

test('zeroGrad: set to none by default, or zeroed in place', () => {
  pt.scope(() => {
    const a = f64([[1, 2]]);
    const b = f64([[3]]);
    const never = f64([[5]]);
    a.mul(b).sum().backward();
    pt.zeroGrad([a]);
    assert.equal(a.grad, null);
    pt.zeroGrad([b, never], false);
    assert.deepEqual(b.grad!.shape, [1, 1]);
    assert.deepEqual(b.grad!.toFlatArray(), [0]);
    assert.equal(never.grad, null); // no gradient stays none
    a.mul(b).sum().backward(); // and accumulation restarts from zero
    close(flat(b.grad), [3]);
    close(flat(a.grad), [3, 3]);
  });
});
