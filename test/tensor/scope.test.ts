// Memory scopes, keep(), `using` / dispose(), and grad-mode scopes.
// Every test frees what it makes, so no collectable tensor is left to skew the live counts of the next.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';

const live = () => pt.memory().liveTensors;

describe('scope()', () => {
  test('disposes temporaries and keeps the returned tensor', () => {
    const before = live();
    let a!: pt.Tensor, b!: pt.Tensor;
    const out = pt.scope(() => {
      a = pt.ones([3]);
      b = a.mul(2);
      assert.equal(live(), before + 2);
      return b.add(1);
    });
    assert.equal(a.isDisposed, true);
    assert.equal(b.isDisposed, true);
    assert.equal(out.isDisposed, false);
    assert.deepEqual(out.toArray(), [3, 3, 3]);
    assert.equal(live(), before + 1);
    out.dispose();
    assert.equal(live(), before);
  });

  test('returned tensors inside arrays, plain objects and Maps are kept', () => {
    const before = live();
    let temp!: pt.Tensor;
    const out = pt.scope(() => {
      temp = pt.zeros([1]);
      return { x: pt.full([1], 1), list: [pt.full([1], 2), [pt.full([1], 3)]], map: new Map([['k', pt.full([1], 4)]]), n: 5 };
    });
    assert.equal(temp.isDisposed, true);
    const kept = [out.x, out.list[0] as pt.Tensor, (out.list[1] as pt.Tensor[])[0]!, out.map.get('k')!];
    assert.deepEqual(
      kept.map((t) => t.item()),
      [1, 2, 3, 4],
    );
    assert.equal(out.n, 5);
    assert.equal(live(), before + 4);
    for (const t of kept) t.dispose();
    assert.equal(live(), before);
  });

  test('a view returned from a scope outlives its disposed base', () => {
    const before = live();
    let base!: pt.Tensor;
    const v = pt.scope(() => {
      base = pt.arange(6);
      return base.reshape(2, 3);
    });
    assert.equal(base.isDisposed, true);
    assert.deepEqual(v.toArray(), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    v.dispose();
    assert.equal(live(), before);
  });

  test('nested scopes move returned tensors to the parent, which frees them unless returned', () => {
    const before = live();
    let inner!: pt.Tensor, innerTemp!: pt.Tensor, kept!: pt.Tensor;
    assert.equal(pt.scopeDepth(), 0);
    const out = pt.scope(() => {
      assert.equal(pt.scopeDepth(), 1);
      inner = pt.scope(() => {
        assert.equal(pt.scopeDepth(), 2);
        innerTemp = pt.ones([2]);
        return innerTemp.add(1);
      });
      assert.equal(innerTemp.isDisposed, true);
      assert.equal(inner.isDisposed, false); // alive in the parent scope
      kept = pt.scope(() => pt.ones([1]));
      return kept; // returned from the parent too: survives both
    });
    assert.equal(pt.scopeDepth(), 0);
    assert.equal(inner.isDisposed, true); // the parent owned it and did not return it
    assert.equal(out, kept);
    assert.equal(out.isDisposed, false);
    out.dispose();
    assert.equal(live(), before);
  });

  test('keep() survives every scope (method and function forms)', () => {
    const before = live();
    let k1!: pt.Tensor, k2!: pt.Tensor, k3!: pt.Tensor, temp!: pt.Tensor;
    pt.scope(() => {
      pt.scope(() => {
        k1 = pt.ones([1]).keep();
        const group = pt.keep({ a: pt.zeros([1]), b: [pt.zeros([2])] });
        k2 = group.a;
        k3 = group.b[0]!;
        temp = pt.ones([1]);
      });
    });
    assert.equal(temp.isDisposed, true);
    for (const k of [k1, k2, k3]) assert.equal(k.isDisposed, false);
    assert.equal(live(), before + 3);
    for (const k of [k1, k2, k3]) k.dispose();
    assert.equal(live(), before);
  });

  test("an exception inside frees the scope's tensors and is rethrown", () => {
    const before = live();
    let t!: pt.Tensor;
    const boom = new Error('boom');
    assert.throws(
      () =>
        pt.scope(() => {
          t = pt.ones([4]);
          t.add(1);
          throw boom;
        }),
      (e) => e === boom,
    );
    assert.equal(t.isDisposed, true);
    assert.equal(live(), before);
    assert.equal(pt.scopeDepth(), 0);
    // a library error inside a scope: also rethrown, also freed
    assert.throws(() => pt.scope(() => pt.ones([2]).matmul(pt.ones([3]))), pt.ShapeError);
    assert.equal(live(), before);
  });

  test('an async function is refused with ScopeError', () => {
    const before = live();
    assert.throws(() => pt.scope(async () => 1), pt.ScopeError);
    assert.equal(pt.scopeDepth(), 0);
    assert.equal(live(), before);
  });

  test('a function returning a promise: ScopeError, and its tensors are freed', () => {
    const before = live();
    let t!: pt.Tensor;
    assert.throws(
      () =>
        pt.scope(() => {
          t = pt.ones([1]);
          return Promise.resolve(t);
        }),
      pt.ScopeError,
    );
    assert.equal(t.isDisposed, true);
    assert.equal(pt.scopeDepth(), 0);
    assert.equal(live(), before);
  });
});

describe('dispose() and using', () => {
  test('a `using` declaration disposes at the end of the block', () => {
    const before = live();
    let ref!: pt.Tensor;
    {
      using t = pt.ones([2]);
      ref = t;
      assert.equal(t.isDisposed, false);
      assert.equal(live(), before + 1);
    }
    assert.equal(ref.isDisposed, true);
    assert.equal(live(), before);
  });

  test('dispose() is idempotent; a disposed tensor refuses use with DisposedError', () => {
    const before = live();
    const t = pt.ones([2]);
    assert.equal(live(), before + 1);
    t.dispose();
    t.dispose();
    t[Symbol.dispose]();
    assert.equal(live(), before);
    assert.equal(t.isDisposed, true);
    assert.throws(() => t.add(1), pt.DisposedError);
    assert.throws(() => t.shape, pt.DisposedError);
    const o = pt.ones([2]);
    assert.throws(() => o.add(t), pt.DisposedError);
    o.dispose();
    assert.equal(String(t), 'Tensor(disposed)');
    assert.equal(live(), before);
  });

  test('memory() counts tensors, shared storages once, and host bytes', () => {
    const m0 = pt.memory();
    const a = pt.zeros([1000]); // 4000 bytes
    const v = a.view(10, 100); // same storage
    const m1 = pt.memory();
    assert.equal(m1.liveTensors, m0.liveTensors + 2);
    assert.equal(m1.liveStorages, m0.liveStorages + 1);
    assert.equal(m1.hostBytes, m0.hostBytes + 4000);
    a.dispose();
    assert.equal(pt.memory().hostBytes, m0.hostBytes + 4000); // the view still holds it
    v.dispose();
    const m2 = pt.memory();
    assert.equal(m2.liveTensors, m0.liveTensors);
    assert.equal(m2.hostBytes, m0.hostBytes);
  });
});

describe('noGrad() / enableGrad()', () => {
  test('noGrad disables recording inside and restores it after', () => {
    pt.scope(() => {
      const w = pt.ones([2], { requiresGrad: true });
      assert.equal(pt.isGradEnabled(), true);
      const inside = pt.noGrad(() => {
        assert.equal(pt.isGradEnabled(), false);
        return w.mul(2);
      });
      assert.equal(inside.requiresGrad, false);
      assert.equal(pt.isGradEnabled(), true);
      assert.equal(w.mul(2).requiresGrad, true);
      // enableGrad inside noGrad turns it back on, and noGrad's mode returns after
      pt.noGrad(() => {
        const y = pt.enableGrad(() => {
          assert.equal(pt.isGradEnabled(), true);
          return w.mul(3);
        });
        assert.equal(y.requiresGrad, true);
        assert.equal(pt.isGradEnabled(), false);
      });
      assert.equal(pt.isGradEnabled(), true);
    });
  });

  test("noGrad returns the function's value and restores grad mode after a throw", () => {
    assert.equal(
      pt.noGrad(() => 42),
      42,
    );
    assert.throws(
      () =>
        pt.noGrad(() => {
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.equal(pt.isGradEnabled(), true);
    pt.noGrad(() => {
      assert.throws(
        () =>
          pt.enableGrad(() => {
            throw new Error('x');
          }),
        /x/,
      );
      assert.equal(pt.isGradEnabled(), false);
    });
    assert.equal(pt.isGradEnabled(), true);
  });

  test('noGrad(async fn) and a promise-returning function throw ScopeError, mode restored', () => {
    assert.throws(() => pt.noGrad(async () => 1), pt.ScopeError);
    assert.equal(pt.isGradEnabled(), true);
    assert.throws(() => pt.noGrad(() => Promise.resolve(1)), pt.ScopeError);
    assert.equal(pt.isGradEnabled(), true);
    assert.throws(() => pt.enableGrad(async () => 1), pt.ScopeError);
  });
});
