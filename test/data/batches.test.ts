import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { BatchSampler, IGNORE_INDEX, packExamples, padRows, seededPermutation, toBatch, type SampledBatch } from '../../src/data/index.js';

const example = (length: number, first: number) => ({
  ids: Int32Array.from({ length }, (_, i) => first + i),
  lossMask: Uint8Array.from({ length }, (_, i) => (i % 3 === 0 ? 0 : 1)),
});

test('toBatch: (B, T) int64 inputs, targets and segment ids from packed rows; tokens counts targets', () => {
  const examples = [example(5, 10), example(3, 20), example(7, 30), example(2, 40)];
  const rows = packExamples(examples, 8);
  pt.scope(() => {
    const batch = toBatch(rows);
    for (const t of [batch.inputs, batch.targets, batch.segmentIds]) {
      assert.equal(t.dtype, 'int64');
      assert.deepEqual(t.shape, [rows.length, 8]);
    }
    assert.deepEqual(
      batch.inputs.toArray(),
      rows.map((r) => Array.from(r.ids.subarray(0, 8))),
    );
    assert.deepEqual(
      batch.targets.toArray(),
      rows.map((r) => Array.from(r.targets)),
    );
    assert.deepEqual(
      batch.segmentIds.toArray(),
      rows.map((r) => Array.from(r.segmentIds.subarray(0, 8))),
    );
    const expected = rows.reduce((n, r) => n + r.targets.filter((t) => t !== IGNORE_INDEX).length, 0);
    assert.equal(batch.tokens, expected);
    assert.equal(
      batch.tokens,
      pt.scope(() => batch.targets.ne(IGNORE_INDEX).sum().item()),
    );
  });
  // Padding rows: padding segments are -1, distinct from the sample's 0.
  pt.scope(() => {
    const batch = toBatch(padRows([example(3, 1)], 6));
    assert.deepEqual(batch.segmentIds.toArray(), [[0, 0, 0, -1, -1, -1]]);
    assert.deepEqual(batch.targets.toArray(), [[2, 3, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]]);
  });
  assert.throws(() => toBatch([...padRows([example(3, 1)], 6), ...padRows([example(3, 1)], 7)]), /row 1 has 8 ids/);
  assert.throws(() => toBatch([]), RangeError);
});

function drain(sampler: BatchSampler): SampledBatch[] {
  const out: SampledBatch[] = [];
  for (let b = sampler.next(); b !== null; b = sampler.next()) out.push(b);
  return out;
}

test('BatchSampler: seeded per-epoch permutations, partial last batch kept, null at the end', () => {
  const sampler = new BatchSampler(10, 4, { epochs: 3, seed: 42 });
  assert.equal(sampler.stepsPerEpoch, 3);
  assert.equal(sampler.totalSteps, 9);
  const batches = drain(sampler);
  assert.equal(sampler.next(), null);
  assert.deepEqual(
    batches.map((b) => b.rows.length),
    [4, 4, 2, 4, 4, 2, 4, 4, 2],
  );
  assert.deepEqual(
    batches.map((b) => [b.epoch, b.stepInEpoch]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
      [2, 1],
      [2, 2],
    ],
  );
  const epochs = [0, 1, 2].map((e) => batches.filter((b) => b.epoch === e).flatMap((b) => b.rows));
  for (const order of epochs)
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.notDeepEqual(epochs[1], epochs[2]);
  // Same seed, same order; another seed, another order.
  assert.deepEqual(drain(new BatchSampler(10, 4, { epochs: 3, seed: 42 })), batches);
  assert.notDeepEqual(
    drain(new BatchSampler(10, 4, { epochs: 3, seed: 43 })).map((b) => b.rows),
    batches.map((b) => b.rows),
  );
  // A permutation depends on (seed, epoch) only, and seeds beyond 32 bits matter.
  assert.deepEqual(seededPermutation(1000, 7, 2), seededPermutation(1000, 7, 2));
  assert.notDeepEqual(seededPermutation(1000, 7, 2), seededPermutation(1000, 7 + 2 ** 32, 2));
  assert.deepEqual(
    [...seededPermutation(1000, 7, 2)].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  // shuffle: false visits rows in order.
  assert.deepEqual(
    drain(new BatchSampler(5, 2, { epochs: 1, shuffle: false })).map((b) => b.rows),
    [[0, 1], [2, 3], [4]],
  );
});

test('BatchSampler.restore continues exactly where the state was taken, mid-epoch and at an epoch boundary', () => {
  const full = drain(new BatchSampler(37, 5, { epochs: 4, seed: 9 }));
  for (const stopAfter of [0, 1, 3, 8, 15, 16, full.length - 1, full.length]) {
    const first = new BatchSampler(37, 5, { epochs: 4, seed: 9 });
    for (let i = 0; i < stopAfter; i++) first.next();
    const saved = JSON.parse(JSON.stringify(first.state()));
    const resumed = BatchSampler.restore(37, 5, 4, saved);
    assert.deepEqual(drain(resumed), full.slice(stopAfter), `resumed after ${stopAfter} batches`);
  }
  const state = new BatchSampler(37, 5, { epochs: 4, seed: 9 }).state();
  assert.deepEqual(state, { seed: 9, epoch: 0, position: 0, nRows: 37, shuffle: true });
  assert.throws(() => BatchSampler.restore(36, 5, 4, state), /state is for 37 rows, the data now has 36/);
  assert.throws(() => BatchSampler.restore(37, 5, 4, { ...state, position: 37 }), /position 37/);
  assert.throws(() => new BatchSampler(0, 5, { epochs: 1 }), RangeError);
  assert.throws(() => new BatchSampler(5, 0, { epochs: 1 }), RangeError);
});
