// linear's fast paths against the BLAS product: the batch-1 dot-product loop (float32, bfloat16,
// rows split over threads) and weight-only half precision (float32 input, bfloat16/float16 weight).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';

test("linear's batch-1 path (one float32 or bfloat16 row, no autograd: an AVX2 dot-product loop) equals the BLAS product; other cases keep at::linear", () => {
  pt.scope(() => {
    for (const [N, K] of [
      [2048, 771],
      [7, 8],
      [300, 33],
    ] as const) {
      const W = pt.randn([N, K]),
        b = pt.randn([N]);
      for (const shape of [[K], [1, K], [1, 1, K]]) {
        const x = pt.randn(shape);
        const fast = pt.noGrad(() => pt.linear(x, W, b));
        const ref = x.reshape(1, K).matmul(W.t()).add(b).reshape(fast.shape); // (…, N) through BLAS
        assert.deepEqual(fast.shape, [...shape.slice(0, -1), N]);
        const scale = ref.abs().max().item() as number;
        assert.ok((fast.sub(ref).abs().max().item() as number) <= 1e-5 * Math.max(1, scale), `[${N}, ${K}] x ${shape}`);
      }
    }
    // bfloat16: float32 sums of the bfloat16 values, rounded once (within half a bfloat16 step of the float32 product)
    const Wb = pt.randn([300, 96]).to('bfloat16'),
      xb = pt.randn([1, 96]).to('bfloat16'),
      bb = pt.randn([300]).to('bfloat16');
    const yb = pt.noGrad(() => pt.linear(xb, Wb, bb));
    assert.equal(yb.dtype, 'bfloat16');
    const exact = xb.float().matmul(Wb.float().t()).add(bb.float()); // (1, 300)
    assert.ok(
      (yb
        .float()
        .sub(exact)
        .abs()
        .sub(exact.abs().mul(2 ** -8))
        .max()
        .item() as number) <= 1e-6,
      'each output within 2^-8 relative (bfloat16 rounding) of the float32 product',
    );
    // with autograd the product still differentiates (the general path)
    const W = pt.randn([16, 32]).requiresGrad_(),
      x = pt.randn([1, 32]);
    pt.linear(x, W).sum().backward();
    const gradError = W.grad!.sub(x.expand([16, 32]))
      .abs()
      .max()
      .item() as number;
    assert.ok(gradError < 1e-6, `gradient of W off by ${gradError}`);
    // several rows, float64, a transposed weight: the same values as before
    const W2 = pt.randn([32, 16]).t();
    const x2 = pt.randn([3, 32]);
    assert.ok(pt.noGrad(() => pt.linear(x2, W2)).allclose(x2.matmul(W2.t()), 1e-5, 1e-5));
    const x3 = pt.randn([1, 32], { dtype: 'float64' }),
      W3 = pt.randn([8, 32], { dtype: 'float64' });
    assert.ok(pt.noGrad(() => pt.linear(x3, W3)).allclose(x3.matmul(W3.t()), 1e-12, 1e-12));
  });
});

test('weight-only half precision: float32 input with a bfloat16/float16 weight gives the float32 product of the stored values, one row or many, and differentiates', () => {
  pt.scope(() => {
    const W = pt.randn([2048, 771]).to('bfloat16'),
      b = pt.randn([2048]).to('bfloat16');
    for (const rows of [1, 5]) {
      const x = pt.randn([rows, 771]);
      const y = pt.noGrad(() => pt.linear(x, W, b)); // the batch-1 loop for one row, W widened otherwise
      assert.equal(y.dtype, 'float32');
      const ref = x.matmul(W.float().t()).add(b.float()); // (rows, 2048)
      const scale = ref.abs().max().item() as number;
      assert.ok((y.sub(ref).abs().max().item() as number) <= 1e-5 * Math.max(1, scale), `${rows} rows`);
    }
    const Wh = pt.randn([64, 32]).to('float16');
    const xh = pt.randn([3, 32]).requiresGrad_();
    const yh = pt.linear(xh, Wh);
    assert.ok(yh.allclose(xh.matmul(Wh.float().t()), 1e-5, 1e-5));
    yh.sum().backward();
    assert.ok(xh.grad!.allclose(Wh.float().sum(0).expand([3, 32]), 1e-5, 1e-5), 'gradient reaches the float32 input');
    // other mixes are still refused by at::linear
    assert.throws(() => pt.linear(pt.randn([1, 32]).to('bfloat16'), pt.randn([8, 32])));
  });
});
