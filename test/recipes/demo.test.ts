// The demo recipe end to end in its miniature (--quick) configuration: every stage runs and writes
// its folder, every model is evaluated, the report and the Table 9 rows are there, and a re-run
// reuses every finished stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, summaryText } from '../../src/recipes/demo.js';

const STAGES = [
  'data',
  'tokenizer',
  'pretrain',
  'expert-sft',
  'expert-rl',
  'reasoning-data',
  'non-reasoning-data',
  'data-baseline',
  'data-distilled',
  'data-mixed',
  'sft-baseline',
  'sft',
  'sft-mixed',
  'rm',
  'judge',
  'reward-eval',
  'grpo',
  'eval',
];

test('demo --quick: the whole recipe as stages, every model evaluated, report.html; a re-run reuses every stage', async () => {
  const out = mkdtempSync(join(tmpdir(), 'posttrain-demo-'));
  try {
    const s = await runDemo({ out, seed: 0, quick: true, log: () => {} });
    assert.deepEqual(
      s.stages.map((x) => x.name),
      STAGES,
    );
    for (const name of STAGES) assert.ok(existsSync(join(out, name, 'stage.json')), `${name}/stage.json`);
    for (const f of [
      'data/expert_sft.jsonl',
      'data/rl_math.jsonl',
      'expert-rl/final/model.safetensors',
      'reasoning-data/data.jsonl',
      'reasoning-data/data.jsonl.ledger.jsonl',
      'non-reasoning-data/queue/items.jsonl',
      'non-reasoning-data/accepted.jsonl',
      'data-baseline/mixed.jsonl',
      'data-distilled/mixed.jsonl',
      'sft/final/model.safetensors',
      'sft-baseline/final/model.safetensors',
      'sft-mixed/final/model.safetensors',
      'rm/final/model.safetensors',
      'judge/final/model.safetensors',
      'reward-eval/reward_eval.json',
      'grpo/final/model.safetensors',
      'grpo/metrics.jsonl',
      'eval/eval.json',
      'report.html',
    ])
      assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(
      s.models.map((m) => m.name),
      ['base', 'teacher', 'baseline', 'distilled', 'mixed', 'grpo'],
    );
    for (const m of s.models) {
      assert.equal(m.math.n, 16);
      assert.equal(m.instructions.n, 8);
      assert.ok(m.math.accuracy >= 0 && m.math.accuracy <= 1 && m.math.meanLength! > 0);
    }
    // GRPO starts from the SFT model of both sample types (V3 §5.1); pass@1 at T = 1 before and after it
    assert.equal(
      JSON.parse(readFileSync(join(out, 'grpo', 'config.json'), 'utf8')).model_name_or_path,
      join(out, 'sft-mixed', 'final'),
      'GRPO starts from sft-mixed',
    );
    for (const name of ['mixed', 'grpo']) assert.ok(s.models.find((m) => m.name === name)!.math.pass1 !== null, `${name}: pass@1 at T = 1`);
    assert.ok(
      (s.reportInput.notes ?? []).some((n) => /^GRPO on the length-controlled SFT model .*greedy .* → .*pass@1 .* → /.test(n)),
      "the report states GRPO's before and after",
    );
    // Table 9's students: the same base, the baseline on the original short answers, the distilled on the teacher's samples
    const jsonlRows = (f: string) =>
      readFileSync(join(out, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const types = (f: string) =>
      new Set(
        jsonlRows(f)
          .map((r) => r.sample_type)
          .filter(Boolean),
      );
    assert.deepEqual(types('data-baseline/mixed.jsonl'), new Set(['original']));
    assert.deepEqual(types('data-distilled/mixed.jsonl'), new Set(['teacher']));
    for (const st of ['sft-baseline', 'sft', 'sft-mixed'])
      assert.equal(
        JSON.parse(readFileSync(join(out, st, 'config.json'), 'utf8')).model_name_or_path,
        join(out, 'pretrain', 'final'),
        `${st} starts from the base`,
      );
    // every row of every SFT stage fits its seq_len (the demo drops, never truncates: a judgement cut before its score teaches nothing)
    for (const st of ['expert-sft', 'sft-baseline', 'sft', 'sft-mixed', 'judge']) {
      assert.equal(JSON.parse(readFileSync(join(out, st, 'config.json'), 'utf8')).truncation, 'drop', `${st}: truncation`);
      assert.match(
        readFileSync(join(out, st, 'log.txt'), 'utf8'),
        /data: (\d+) rows, \1 kept, 0 skipped, 0 truncated, 0 dropped/,
        `${st}: every row kept whole`,
      );
    }
    assert.equal(s.rewards.judge.n, 8);
    assert.equal(s.rewards.rm.pairs, 4);
    assert.ok(s.models.find((m) => m.name === 'teacher')!.system, 'the teacher is evaluated with its system prompt');
    // the expert learns on its own problems: none of them is a problem gen-data asks it (the student's)
    const expertQuestions = new Set(
      jsonlRows('data/expert_sft.jsonl').map((r) => r.messages.find((m: { role: string }) => m.role === 'user').content),
    );
    const generated = jsonlRows('reasoning-data/data.jsonl.ledger.jsonl');
    const asked = jsonlRows('data/rl_math.jsonl')
      .slice(0, generated.length)
      .map((r) => r.question as string);
    assert.ok(generated.length > 0 && expertQuestions.size > 0);
    assert.ok(
      asked.every((q) => !expertQuestions.has(q)),
      "gen-data problems are not the expert's training problems",
    );
    const rows = s.reportInput.distillation!.rows;
    assert.equal(rows.length, 4);
    assert.ok(
      rows.every((r) => r.n === 16),
      'every row carries its n (standard errors)',
    );
    assert.ok(
      rows.every((r) => r.meanLength !== null),
      'Table 9: accuracy and length for the student before and after, and the teacher',
    );
    const decisions = readFileSync(join(out, 'non-reasoning-data', 'queue', 'decisions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(decisions.length > 0 && decisions.every((d) => d.annotator === 'auto'), 'the automatic annotations are marked');
    assert.match(summaryText(s), /distillation/);
    assert.match(summaryText(s), /± \d/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    for (const name of ['pretrain', 'expert-sft', 'expert-rl', 'sft', 'grpo']) {
      const st = s.reportInput.stages.find((x) => x.name === name)!;
      assert.ok(st.metricsFile && existsSync(st.metricsFile), `${name}: the report reads its metrics (${st.metricsFile})`);
    }
    assert.doesNotMatch(html, /does not exist/, 'every metrics file the report names is found');
    const again = await runDemo({ out, seed: 0, quick: true, log: () => {} });
    assert.ok(
      again.stages.every((x) => x.cached),
      'every stage reused',
    );
    assert.deepEqual(
      again.models.map((m) => m.math.accuracy),
      s.models.map((m) => m.math.accuracy),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
