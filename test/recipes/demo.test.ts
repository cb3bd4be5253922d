// The demo pipeline end to end in its miniature (--quick) configuration: every stage runs and
// writes its folder, the summary has every model's numbers, and a re-run reuses finished stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, summaryTable } from '../../src/recipes/demo.js';

test('demo --quick: tokenizer → pretraining → SFT → reward model → judge → GRPO → evaluation, and a re-run reuses finished stages', async () => {
  const out = mkdtempSync(join(tmpdir(), 'posttrain-demo-'));
  try {
    const lines: string[] = [];
    const s = await runDemo({ out, seed: 0, quick: true, log: (l) => lines.push(l) });
    for (const f of ['data/sft.jsonl', 'data/pretrain.jsonl', 'tokenizer/tokenizer.json', 'pretrain/final/model.safetensors', 'sft/final/model.safetensors', 'data/rl_math.jsonl', 'data/preferences.jsonl', 'rm/final/model.safetensors', 'rm/eval.json', 'data/judge_sft.jsonl', 'data/rl_instructions.jsonl', 'judge/final/model.safetensors', 'grpo/final/model.safetensors', 'grpo/metrics.jsonl', 'summary.json']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    for (const m of [s.base, s.sft, s.grpo]) {
      assert.equal(m.math.n, 16);
      assert.equal(m.instructions.n, 8);
      assert.ok(m.math.greedyAccuracy >= 0 && m.math.greedyAccuracy <= 1 && m.math.meanLength! > 0);
      assert.equal(m.math.items.length, 16);
    }
    assert.match(summaryTable(s), /^model .*\nbase .*\nSFT .*\nGRPO .*\nGRPO training reward .*\nGRPO routing .*rule \d+, judge_with_reference \d+, models \d+.*\nreward model .*held-out pair accuracy.*\ngenerative judge .*verdict accuracy .*\n +and .* instruction judgements/);
    assert.ok(s.judge.n > 0 && s.judge.accuracy >= 0 && s.judge.accuracy <= 1 && s.judge.unparseable <= s.judge.n);
    assert.ok(s.judge.instructions.n > 0 && s.judge.instructions.unparseable <= s.judge.instructions.n);
    const routed = s.grpoRouting['rule']! + s.grpoRouting['judge_with_reference']! + s.grpoRouting['models']! + s.grpoRouting['none']! + s.grpoRouting['gated']!;
    assert.ok(routed >= 2 * 2 * 4, `every sampled completion is routed (${JSON.stringify(s.grpoRouting)})`);
    assert.ok(s.rm.n > 0 && s.rm.accuracy >= 0 && s.rm.accuracy <= 1);
    const metrics = readFileSync(join(out, 'sft', 'metrics.jsonl'), 'utf8').trim().split('\n');
    const grpoMetrics = readFileSync(join(out, 'grpo', 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(grpoMetrics.length, 2, 'two GRPO rounds');
    assert.ok(grpoMetrics.every((l) => 'rewards/math' in JSON.parse(l) && 'rewards/routed' in JSON.parse(l) && 'routing/rule' in JSON.parse(l)));
    const again = await runDemo({ out, seed: 0, quick: true, log: () => {} });
    assert.equal(readFileSync(join(out, 'sft', 'metrics.jsonl'), 'utf8').trim().split('\n').length, metrics.length, 'SFT was not run again');
    assert.equal(readFileSync(join(out, 'grpo', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2, 'GRPO was not run again');
    assert.deepEqual(again.sft.math.greedyAccuracy, s.sft.math.greedyAccuracy);
    assert.deepEqual(again.grpo.math.greedyAccuracy, s.grpo.math.greedyAccuracy);
    assert.deepEqual(again.rm, s.rm, 'the reward model stage is reused');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
