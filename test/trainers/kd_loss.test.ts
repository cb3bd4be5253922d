// Knowledge-distillation losses (src/trainers/kd_loss.ts) in float64: hand-computed values on a
// vocabulary of 3, the fast log-space path against the slow Float64Array reference, identity, the
// JSD's β endpoints and limits, temperature, masking, and the fast path's gradient against finite
// differences of the slow reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { kdLoss, kdPerToken, kdLossReference, KD_LOSSES, type KdOptions } from '../../src/trainers/kd_loss.js';
import { random } from '../helpers/random.js';

const near = (a: number, b: number, tol = 1e-12, what = '') =>
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what} ${a} vs ${b}`);
const f64 = (x: pt.NestedArray) => pt.tensor(x, { dtype: 'float64' });
const ln = Math.log;
/** Logits whose softmax (T = 1) is exactly p: ln p. */
const logitsOf = (...ps: number[][]) => ps.map((p) => p.map(ln));
const value = (t: pt.Tensor) => t.item() as number;
const randomLogits = (n: number, seed: number, scale = 3) => {
  const r = random(seed);
  return Array.from({ length: n }, () => scale * (2 * r() - 1));
};

// p_T = (0.7, 0.2, 0.1), p_S = (0.2, 0.5, 0.3): asymmetric, so forward ≠ reverse.
const TEACHER = logitsOf([0.7, 0.2, 0.1]);
const STUDENT = logitsOf([0.2, 0.5, 0.3]);
// KL(p_T ‖ p_S) = 0.7 ln(0.7/0.2) + 0.2 ln(0.2/0.5) + 0.1 ln(0.1/0.3)
const FORWARD = 0.5838147027051154;
// KL(p_S ‖ p_T) = 0.2 ln(0.2/0.7) + 0.5 ln(0.5/0.2) + 0.3 ln(0.3/0.1)
const REVERSE = 0.5371764588384369;
// β = 0.25: M = 0.25 p_T + 0.75 p_S = (0.325, 0.425, 0.25);
// JSD = 0.25 [0.7 ln(0.7/0.325) + 0.2 ln(0.2/0.425) + 0.1 ln(0.1/0.25)] + 0.75 [0.2 ln(0.2/0.325) + 0.5 ln(0.5/0.425) + 0.3 ln(0.3/0.25)]
const JSD_QUARTER = 0.10281456978226917;

test('hand-computed values on a vocabulary of 3: forward KL, reverse KL, JSD(0.25) — fast path and slow reference', () => {
  near(0.7 * ln(0.7 / 0.2) + 0.2 * ln(0.2 / 0.5) + 0.1 * ln(0.1 / 0.3), FORWARD, 1e-15, 'the written-out constant');
  const cases: [KdOptions, number][] = [
    [{ loss: 'forward_kl' }, FORWARD],
    [{ loss: 'reverse_kl' }, REVERSE],
    [{ loss: 'jsd', beta: 0.25 }, JSD_QUARTER],
  ];
  for (const [o, expected] of cases) {
    pt.scope(() => {
      near(value(kdLoss(f64([STUDENT]), f64([TEACHER]), f64([[1]]), o)), expected, 1e-12, o.loss);
      near(kdLossReference(STUDENT.flat(), TEACHER.flat(), [1, 1, 3], [1], o).loss, expected, 1e-12, `${o.loss} reference`);
    });
  }
});

test('temperature: softmax(logits / T); logits (2 ln 2, 0, 0) give (2/3, 1/6, 1/6) at T = 1 and (1/2, 1/4, 1/4) at T = 2', () => {
  const teacher = f64([[[2 * ln(2), 0, 0]]]),
    student = f64([[[0, 2 * ln(2), 0]]]),
    mask = f64([[1]]);
  pt.scope(() => {
    // T = 1: p_T = (2/3, 1/6, 1/6), p_S = (1/6, 2/3, 1/6): KL = 2/3 ln 4 + 1/6 ln(1/4) = ln 2
    near(value(kdLoss(student, teacher, mask, { loss: 'forward_kl', temperature: 1 })), ln(2));
    // T = 2: p_T = (1/2, 1/4, 1/4), p_S = (1/4, 1/2, 1/4): KL = 1/2 ln 2 + 1/4 ln(1/2) = ln(2) / 4
    near(value(kdLoss(student, teacher, mask, { loss: 'forward_kl', temperature: 2 })), 0.17328679513998632);
    // JSD(0.5) at T = 2: M = (3/8, 3/8, 1/4), JSD = 1/2 ln(4/3) + 1/4 ln(2/3)
    near(value(kdLoss(student, teacher, mask, { loss: 'jsd', beta: 0.5, temperature: 2 })), 0.04247475919884931);
    near(0.5 * ln(4 / 3) + 0.25 * ln(2 / 3), 0.04247475919884931, 1e-15);
  });
  teacher.dispose();
  student.dispose();
  mask.dispose();
});

test('the fast path equals the slow reference per token, for every loss, β and temperature', () => {
  const shape = [2, 3, 7] as const;
  const s = randomLogits(42, 1),
    t = randomLogits(42, 2);
  const mask = [1, 1, 0, 1, 0, 1];
  for (const loss of KD_LOSSES)
    for (const beta of loss === 'jsd' ? [0, 0.1, 0.5, 0.9, 1] : [0.5])
      for (const temperature of [0.7, 1, 2.5]) {
        pt.scope(() => {
          const o = { loss, beta, temperature };
          const ref = kdLossReference(s, t, shape, mask, o);
          const S = pt.tensor(s, { dtype: 'float64', shape }),
            T = pt.tensor(t, { dtype: 'float64', shape });
          const fast = kdPerToken(S, T, o).toFlatArray() as number[];
          fast.forEach((v, i) => near(v, ref.perToken[i]!, 1e-11, `${loss} β ${beta} T ${temperature} token ${i}`));
          near(
            value(kdLoss(S, T, pt.tensor(mask, { dtype: 'float64', shape: [2, 3] }), o)),
            ref.loss,
            1e-11,
            `${loss} β ${beta} T ${temperature} mean`,
          );
          assert.ok(
            ref.perToken.every((v) => v > 0),
            'distinct distributions: every divergence is positive',
          );
        });
      }
});

test('identity: a student equal to its teacher has loss 0 for every loss, β and temperature', () => {
  const shape = [2, 4, 11] as const;
  const x = randomLogits(88, 7, 6);
  for (const loss of KD_LOSSES)
    for (const beta of [0, 0.3, 1])
      for (const temperature of [0.5, 1, 3]) {
        pt.scope(() => {
          const X = pt.tensor(x, { dtype: 'float64', shape });
          for (const v of kdPerToken(X, X, { loss, beta, temperature }).toFlatArray() as number[])
            assert.ok(Math.abs(v) < 1e-14, `${loss} β ${beta}: ${v}`);
          assert.ok(
            kdLossReference(x, x, shape, new Array(8).fill(1), { loss, beta, temperature }).perToken.every((v) => Math.abs(v) < 1e-14),
          );
        });
      }
});

test("β convention (TRL's): β = 0 is the forward KL, β = 1 the reverse KL; inside, JSD(β)/β → forward and JSD(β)/(1 − β) → reverse at the ends", () => {
  pt.scope(() => {
    const S = f64([STUDENT]),
      T = f64([TEACHER]),
      m = f64([[1]]);
    const jsd = (beta: number) => value(kdLoss(S, T, m, { loss: 'jsd', beta }));
    assert.equal(jsd(0), value(kdLoss(S, T, m, { loss: 'forward_kl' })));
    assert.equal(jsd(1), value(kdLoss(S, T, m, { loss: 'reverse_kl' })));
    const eps = 1e-6;
    near(jsd(eps) / eps, FORWARD, 1e-4, 'JSD(ε)/ε');
    near(jsd(1 - eps) / eps, REVERSE, 1e-4, 'JSD(1 − ε)/ε');
    assert.ok(jsd(eps) < 1e-5 && jsd(1 - eps) < 1e-5, 'the formula itself vanishes at the ends (the endpoints are special-cased)');
    // β = 0.5 is symmetric in teacher and student; otherwise swapping them swaps β and 1 − β
    near(jsd(0.5), value(kdLoss(T, S, m, { loss: 'jsd', beta: 0.5 })), 1e-14, 'symmetric JSD');
    near(jsd(0.25), value(kdLoss(T, S, m, { loss: 'jsd', beta: 0.75 })), 1e-14, 'JSD_β(T, S) = JSD_{1−β}(S, T)');
    assert.ok(jsd(0.5) <= ln(2), 'the symmetric JSD is at most ln 2');
  });
});

test('masking: the token mean over the mask; masked positions change neither the loss nor get a gradient; sum and empty masks', () => {
  pt.scope(() => {
    // positions: the hand-computed pair, a wildly different masked-out pair, the T = 2 pair at T = 1 (KL ln 2)
    const student = f64([[STUDENT[0]!, [50, -50, 0], [0, 2 * ln(2), 0]]]).requiresGrad_();
    const teacher = f64([[TEACHER[0]!, [-50, 50, 0], [2 * ln(2), 0, 0]]]);
    const mask = pt.tensor([[true, false, true]]);
    const loss = kdLoss(student, teacher, mask, { loss: 'forward_kl' });
    near(value(loss), (FORWARD + ln(2)) / 2);
    loss.backward();
    const g = student.grad!.toArray() as number[][][];
    assert.deepEqual(g[0]![1], [0, 0, 0], 'no gradient through a masked-out position');
    assert.ok(g[0]![0]!.some((v) => v !== 0) && g[0]![2]!.some((v) => v !== 0));
    near(value(kdLoss(student, teacher, mask, { loss: 'forward_kl', reduction: 'sum' })), FORWARD + ln(2));
    near(value(kdLoss(student, teacher, f64([[1, 0, 1]]), { loss: 'forward_kl' })), (FORWARD + ln(2)) / 2, 1e-12, 'a 0/1 float mask');
    assert.equal(value(kdLoss(student, teacher, pt.tensor([[false, false, false]]), { loss: 'jsd' })), 0, 'nothing counts: 0, not NaN');
  });
});

test('gradients of the fast path equal central differences of the slow reference (student logits), every loss', () => {
  const shape = [2, 3, 5] as const;
  const s = randomLogits(30, 11, 2),
    t = randomLogits(30, 12, 2);
  const mask = [1, 0, 1, 1, 1, 0];
  const h = 1e-6;
  for (const o of [
    { loss: 'forward_kl' },
    { loss: 'reverse_kl' },
    { loss: 'jsd', beta: 0.3 },
    { loss: 'jsd', beta: 0 },
    { loss: 'jsd', beta: 1 },
  ] as KdOptions[]) {
    for (const temperature of [1, 1.7]) {
      const opts = { ...o, temperature };
      const analytic = pt.scope(() => {
        const S = pt.tensor(s, { dtype: 'float64', shape, requiresGrad: true });
        kdLoss(S, pt.tensor(t, { dtype: 'float64', shape }), pt.tensor(mask, { dtype: 'float64', shape: [2, 3] }), opts).backward();
        return S.grad!.toFlatArray() as number[];
      });
      let maxErr = 0;
      for (let i = 0; i < s.length; i++) {
        const at = (d: number) => {
          const x = s.slice();
          x[i] = x[i]! + d;
          return kdLossReference(x, t, shape, mask, opts).loss;
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        maxErr = Math.max(maxErr, Math.abs(analytic[i]! - numeric));
        assert.ok(
          Math.abs(analytic[i]! - numeric) <= 1e-8 + 1e-6 * Math.abs(numeric),
          `${o.loss} β ${o.beta} T ${temperature} element ${i}: ${analytic[i]} vs ${numeric}`,
        );
      }
      assert.ok(
        analytic.some((v) => Math.abs(v) > 1e-3),
        'a gradient that is not trivially zero',
      );
      assert.ok(maxErr < 1e-7);
    }
  }
});

test('bad arguments are refused with what was given', () => {
  pt.scope(() => {
    const x = f64([[[0, 1, 2]]]);
    assert.throws(() => kdLoss(x, x, f64([[1]]), { loss: 'jsd', beta: 1.5 }), /beta must be in \[0, 1\], got 1.5/);
    assert.throws(() => kdLoss(x, x, f64([[1]]), { loss: 'forward_kl', temperature: 0 }), /temperature must be > 0, got 0/);
    assert.throws(() => kdLoss(x, x, f64([[1]]), { loss: 'kl' as never }), /loss must be one of forward_kl \| reverse_kl \| jsd, got "kl"/);
    assert.throws(() => kdPerToken(x, f64([[[0, 1]]]), { loss: 'forward_kl' }), /\[1,1,3\] and \[1,1,2\]/);
    assert.throws(() => kdLoss(x, x, f64([[1, 1]]), { loss: 'forward_kl' }), /mask must be \(B, S\) = \[1,1\].*got \[1,2\]/);
    assert.throws(() => kdLossReference([0, 1], [0, 1, 2], [1, 1, 3], [1], { loss: 'forward_kl' }), /needs 3 logits each/);
  });
});
