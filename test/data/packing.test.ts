import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pt from '../../src/tensor/index.js';
import { createModel } from '../../src/models/index.js';
import {
  IGNORE_INDEX,
  PAD_SEGMENT,
  packExamples,
  packingStats,
  padRows,
  toBatch,
  tokenizeExample,
  type PackedRow,
  type TokenizedExample,
} from '../../src/data/index.js';
import { chatmlTokenizer, CONVERSATION } from './helpers.js';
import { random } from '../helpers/random.js';

/** Skewed lengths: mostly short examples, some close to the row size. */
function skewedExamples(n: number, seqLen: number, seed: number): TokenizedExample[] {
  const rnd = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const drawn = rnd() < 0.7 ? 2 + Math.floor(rnd() * 30) : Math.floor(seqLen * 0.5) + Math.floor(rnd() * (seqLen * 0.5 + 2));
    const length = Math.min(drawn, seqLen + 1);
    const ids = Int32Array.from({ length }, (_, j) => 1 + ((i * 131 + j * 7) % 997));
    const lossMask = Uint8Array.from({ length }, () => (rnd() < 0.6 ? 1 : 0));
    return { ids, lossMask };
  });
}

/** Checks every row against the examples: layout, segments, padding and every single target. */
function checkRows(rows: PackedRow[], examples: TokenizedExample[], seqLen: number): void {
  const seen = new Array<number>(examples.length).fill(0);
  let expectedTargets = 0;
  for (const ex of examples) for (let i = 1; i < ex.ids.length; i++) expectedTargets += ex.lossMask[i]!;
  let targets = 0;
  for (const row of rows) {
    assert.equal(row.ids.length, seqLen + 1);
    assert.equal(row.lossMask.length, seqLen + 1);
    assert.equal(row.segmentIds.length, seqLen + 1);
    assert.equal(row.targets.length, seqLen);
    assert.equal(row.nSamples, row.examples.length);
    let at = 0;
    row.examples.forEach((index, k) => {
      seen[index]!++;
      const ex = examples[index]!;
      assert.deepEqual(row.ids.subarray(at, at + ex.ids.length), ex.ids);
      assert.deepEqual(row.lossMask.subarray(at, at + ex.ids.length), ex.lossMask);
      assert.ok(row.segmentIds.subarray(at, at + ex.ids.length).every((s) => s === k));
      at += ex.ids.length;
    });
    assert.ok(
      row.segmentIds.subarray(at).every((s) => s === PAD_SEGMENT),
      'padding follows the samples',
    );
    assert.ok(row.lossMask.subarray(at).every((m) => m === 0));
    for (let t = 0; t < seqLen; t++) {
      const same = row.segmentIds[t] !== PAD_SEGMENT && row.segmentIds[t] === row.segmentIds[t + 1];
      const expected = same && row.lossMask[t + 1] === 1 ? row.ids[t + 1] : IGNORE_INDEX;
      assert.equal(row.targets[t], expected, `target ${t}`);
      if (row.targets[t] !== IGNORE_INDEX) {
        targets++;
        assert.notEqual(row.segmentIds[t], PAD_SEGMENT, 'padding never has a target');
      }
    }
  }
  assert.ok(
    seen.every((n) => n === 1),
    'every example appears exactly once',
  );
  assert.equal(targets, expectedTargets, 'every trained token of every example is a target exactly once');
}

/** Naive packing: examples in order, a new row whenever the next one does not fit. */
function sequentialRowCount(examples: TokenizedExample[], seqLen: number): number {
  let rows = 0,
    free = 0;
  for (const ex of examples) {
    if (ex.ids.length > free) {
      rows++;
      free = seqLen + 1;
    }
    free -= ex.ids.length;
  }
  return rows;
}

test('best-fit packing: every example once, exact targets, no target across a boundary or in padding', () => {
  for (const [seqLen, seed] of [
    [64, 1],
    [256, 2],
    [17, 3],
  ] as const) {
    const examples = skewedExamples(300, seqLen, seed);
    const rows = packExamples(examples, seqLen);
    checkRows(rows, examples, seqLen);
    const total = examples.reduce((n, e) => n + e.ids.length, 0);
    assert.ok(rows.length >= Math.ceil(total / (seqLen + 1)));
    assert.deepEqual(packExamples(examples, seqLen), rows, 'deterministic');
    const stats = packingStats(rows);
    assert.equal(stats.samples, 300);
    assert.ok(Math.abs(stats.fill - total / (rows.length * (seqLen + 1))) < 1e-12);
  }
});

test('best-fit decreasing needs fewer rows than sequential packing on a skewed length distribution', () => {
  const seqLen = 256;
  const examples = skewedExamples(500, seqLen, 7);
  const bestFit = packExamples(examples, seqLen).length;
  const sequential = sequentialRowCount(examples, seqLen);
  // No packing does better than the total size, nor than one row per example over half a row.
  const lowerBound = Math.max(
    Math.ceil(examples.reduce((n, e) => n + e.ids.length, 0) / (seqLen + 1)),
    examples.filter((e) => e.ids.length > (seqLen + 1) / 2).length,
  );
  assert.ok(bestFit < sequential, `best fit ${bestFit} rows, sequential ${sequential}`);
  assert.ok(bestFit <= Math.ceil(lowerBound * 1.02), `best fit ${bestFit} rows, lower bound ${lowerBound}, sequential ${sequential}`);
  assert.ok(padRows(examples, seqLen).length > sequential);
});

test('padRows: one example per row in order, right-padded with the pad id', () => {
  const examples = skewedExamples(40, 64, 11);
  const rows = padRows(examples, 64, { padId: 5 });
  checkRows(rows, examples, 64);
  assert.deepEqual(
    rows.map((r) => r.examples),
    examples.map((_, i) => [i]),
  );
  rows.forEach((row, i) => assert.ok(row.ids.subarray(examples[i]!.ids.length).every((id) => id === 5)));
  // An example of exactly seqLen + 1 tokens fills a row; one more token does not fit.
  const full = { ids: new Int32Array(65).fill(3), lossMask: new Uint8Array(65).fill(1) };
  assert.equal(packExamples([full], 64)[0]!.targets.filter((t) => t === 3).length, 64);
  const long = { ids: new Int32Array(66), lossMask: new Uint8Array(66) };
  assert.throws(() => packExamples([full, long], 64), /example 1 has 66 tokens, more than seqLen \+ 1 = 65/);
  assert.throws(() => padRows([long], 64), RangeError);
  assert.throws(() => packExamples([{ ids: new Int32Array(3), lossMask: new Uint8Array(2) }], 64), /3 ids but 2 mask values/);
});

test('model level: a packed row gives each sample the logits and loss it has alone', () => {
  const tokenizer = chatmlTokenizer();
  const examples = [
    tokenizeExample({ kind: 'messages', messages: CONVERSATION.slice(0, 3) }, tokenizer)!,
    tokenizeExample({ kind: 'text', text: 'The model learns to predict the next token.' }, tokenizer)!,
    tokenizeExample({ kind: 'prompt_completion', prompt: 'Say hello.', completion: ' Hello there!' }, tokenizer)!,
    tokenizeExample({ kind: 'messages', messages: CONVERSATION.slice(3, 5) }, tokenizer)!,
    tokenizeExample({ kind: 'prompt_completion', prompt: 'Count to five.', completion: ' 1, 2, 3, 4, 5.' }, tokenizer)!,
  ];
  const seqLen = 48;
  const rows = packExamples(examples, seqLen, { padId: tokenizer.padTokenId! });
  assert.ok(
    rows.some((r) => r.nSamples >= 2),
    'some row holds several samples',
  );
  assert.ok(
    rows.some((r) => r.segmentIds[seqLen - 1] === PAD_SEGMENT),
    'some row has padding among its inputs',
  );
  const model = createModel(
    {
      model_type: 'llama',
      vocab_size: tokenizer.vocabSize,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 128,
    },
    { seed: 3 },
  );
  // Larger weights so that the distributions are far from uniform and mistakes show.
  pt.noGrad(() => {
    for (const [name, p] of model.namedParameters()) if (!name.endsWith('norm.weight')) p.mul_(4);
  });
  model.eval();
  pt.noGrad(() =>
    pt.scope(() => {
      const batch = toBatch(rows);
      assert.deepEqual(batch.inputs.shape, [rows.length, seqLen]);
      const logits = model.forward(batch.inputs, { segmentIds: batch.segmentIds }); // (B, T, V)
      const V = tokenizer.vocabSize;
      let maxDiff = 0;
      rows.forEach((row, b) => {
        const rowLogits = logits.select(0, b); // (T, V)
        const rowTargets = batch.targets.select(0, b); // (T)
        const packedLoss = pt.crossEntropy(rowLogits, rowTargets, { reduction: 'sum', ignoreIndex: IGNORE_INDEX }).item() as number;
        let soloLoss = 0;
        let at = 0;
        for (const index of row.examples) {
          const ex = examples[index]!;
          const L = ex.ids.length;
          const solo = model.forward(pt.tensor(ex.ids, { dtype: 'int64', shape: [1, L] })).select(0, 0); // (L, V)
          const n = Math.min(L, seqLen - at); // positions that are inputs
          const a = rowLogits.slice(0, at, at + n).data() as Float32Array; // (n, V)
          const s = solo.slice(0, 0, n).data() as Float32Array; // (n, V)
          for (let i = 0; i < n * V; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - s[i]!));
          const targets = Array.from({ length: L - 1 }, (_, t) => (ex.lossMask[t + 1] === 1 ? ex.ids[t + 1]! : IGNORE_INDEX));
          soloLoss += pt
            .crossEntropy(solo.slice(0, 0, L - 1), pt.tensor(targets, { dtype: 'int64' }), { reduction: 'sum', ignoreIndex: IGNORE_INDEX })
            .item() as number;
          at += L;
        }
        assert.ok(
          Math.abs(packedLoss - soloLoss) <= 1e-4 * Math.max(1, Math.abs(soloLoss)),
          `row ${b}: packed ${packedLoss}, alone ${soloLoss}`,
        );
      });
      assert.ok(maxDiff < 1e-5, `max logit difference ${maxDiff}`);
      // Negative control: without segment ids the second sample of a row sees the first.
      const b = rows.findIndex((r) => r.nSamples >= 2);
      const start = examples[rows[b]!.examples[0]!]!.ids.length;
      const leaky = model
        .forward(batch.inputs)
        .select(0, b)
        .slice(0, start, start + 4); // (4, V)
      const isolated = logits.select(0, b).slice(0, start, start + 4); // (4, V)
      assert.ok((leaky.sub(isolated).abs().max().item() as number) > 1e-3);
    }),
  );
  model.dispose();
});
