// The demo pipeline end to end in its miniature (--quick) configuration: every stage runs and
// writes its folder, the summary has both models' numbers, and a re-run reuses finished stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, summaryTable } from '../../src/recipes/demo.js';

test('demo --quick: tokenizer → pretraining → SFT → evaluation, and a re-run reuses finished stages', async () => {
  const out = mkdtempSync(join(tmpdir(), 'posttrain-demo-'));
  try {
    const lines: string[] = [];
    const s = await runDemo({ out, seed: 0, quick: true, log: (l) => lines.push(l) });
    for (const f of ['data/sft.jsonl', 'data/pretrain.jsonl', 'tokenizer/tokenizer.json', 'pretrain/final/model.safetensors', 'sft/final/model.safetensors', 'summary.json']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    for (const m of [s.base, s.sft]) {
      assert.equal(m.math.n, 16);
      assert.equal(m.instructions.n, 8);
      assert.ok(m.math.greedyAccuracy >= 0 && m.math.greedyAccuracy <= 1 && m.math.meanLength > 0);
      assert.equal(m.math.items.length, 16);
    }
    assert.match(summaryTable(s), /^model .*\nbase .*\nSFT /);
    const metrics = readFileSync(join(out, 'sft', 'metrics.jsonl'), 'utf8').trim().split('\n');
    const again = await runDemo({ out, seed: 0, quick: true, log: () => {} });
    assert.equal(readFileSync(join(out, 'sft', 'metrics.jsonl'), 'utf8').trim().split('\n').length, metrics.length, 'SFT was not run again');
    assert.deepEqual(again.sft.math.greedyAccuracy, s.sft.math.greedyAccuracy);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
