import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProblems } from '../../src/eval/problems.js';
import { evaluateMath } from '../../src/eval/evaluate.js';
import { EVAL_SCHEMA, evalModels } from '../../src/eval/models.js';
import { resolveConfig } from '../../src/common/schema.js';
import { createModel, saveModel } from '../../src/models/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const dir = mkdtempSync(join(tmpdir(), 'posttrain-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('problem loaders: GSM8K (#### answer), MATH (boxed solution or answer column), built-in; bad rows located', async () => {
  const f = join(dir, 'mixed.jsonl');
  writeFileSync(
    f,
    [
      JSON.stringify({ question: 'Tom has 3 apples and buys 1,200 more.', answer: 'He has 3 + 1200 = 1203.\n#### 1,203' }),
      JSON.stringify({ problem: 'Compute $\\frac{1}{2}+\\frac{1}{2}$.', solution: 'It is $\\boxed{1}$.' }),
      JSON.stringify({ problem: 'Solve x+1=3.', answer: '2' }),
      JSON.stringify({ question: 'What is 2 + 2?', answer: 4 }),
    ].join('\n') + '\n',
  );
  const p = await loadProblems(f);
  assert.deepEqual(
    p.map((x) => x.answer),
    ['1203', '1', '2', '4'],
  );
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${JSON.stringify({ question: 'q', answer: '#### 5' })}\n${JSON.stringify({ problem: 'p', solution: 'no box' })}\n`);
  await assert.rejects(loadProblems(bad), /bad\.jsonl:2: field 'solution'/);
  await assert.rejects(
    loadProblems(bad, 'gsm8k', 1).then(() => loadProblems(join(dir, 'nope.jsonl'))),
    /nope\.jsonl/,
  );
});

test('evaluateMath: greedy accuracy, pass@1 over k samples equals the mean sample correctness, pass@k, maj@k, lengths', () => {
  const s = makeSftSetup(8);
  const tok = Tokenizer.fromDir(s.tokDir);
  const model = createModel(
    {
      model_type: 'llama',
      vocab_size: s.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    },
    { seed: 2 },
  );
  const problems = [
    { question: 'what is 1 plus 2?', answer: '3' },
    { question: 'what is 4 plus 4?', answer: '8' },
    { question: 'what is 0 plus 5?', answer: '5' },
  ];
  const r = evaluateMath(model, tok, problems, { k: 4, temperature: 1, topP: 1, maxNewTokens: 12, batchSize: 2, seed: 0 });
  assert.equal(r.n, 3);
  assert.equal(r.items.length, 3);
  assert.deepEqual(Object.keys(r.passAtK), ['pass@1', 'pass@2', 'pass@4']);
  for (const it of r.items) assert.equal(it.samples!.correct.length, 4);
  const meanSample = r.items.reduce((a, it) => a + it.samples!.correct.filter(Boolean).length / 4, 0) / 3;
  assert.ok(Math.abs(r.pass1! - meanSample) < 1e-12);
  assert.ok(Math.abs(r.passAtK['pass@1']! - meanSample) < 1e-12);
  assert.ok(r.passAtK['pass@4']! >= r.passAtK['pass@2']! && r.passAtK['pass@2']! >= r.passAtK['pass@1']!);
  assert.ok(r.meanLength! > 0 && r.medianLength! > 0);
  const again = evaluateMath(model, tok, problems, { k: 4, temperature: 1, topP: 1, maxNewTokens: 12, batchSize: 2, seed: 0 });
  assert.deepEqual(
    again.items.map((i) => i.samples!.extracted),
    r.items.map((i) => i.samples!.extracted),
    'seeded',
  );
  model.dispose();
  rmSync(s.dir, { recursive: true, force: true });
});

test('posttrain eval prints the metrics table and writes per-item results', () => {
  const s = makeSftSetup(8);
  const modelDir = join(dir, 'model');
  const model = createModel(
    {
      model_type: 'llama',
      vocab_size: s.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    },
    { seed: 1 },
  );
  saveModel(model, modelDir, {
    tokenizerFiles: {
      'tokenizer.json': readFileSync(join(s.tokDir, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(s.tokDir, 'tokenizer_config.json')),
    },
  });
  model.dispose();
  const data = join(dir, 'heldout.jsonl');
  writeFileSync(data, [1, 2, 3].map((i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: i * 2 })).join('\n') + '\n');
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const out = join(dir, 'eval-out');
  const r = spawnSync(
    process.execPath,
    [cli, 'eval', `--model=${modelDir}`, `--data=${data}`, '--k=2', '--max-new-tokens=8', `--output-dir=${out}`],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  for (const label of ['problems', 'greedy accuracy', 'pass@1 (mean of 2 samples)', 'pass@2', 'maj@2', 'mean response length'])
    assert.match(r.stderr, new RegExp(label.replace(/[()@]/g, '.')));
  const line = JSON.parse(r.stdout.trim()) as { output: string; models: { name: string; n: number }[] };
  assert.equal(line.output, join(out, 'eval.json'));
  assert.deepEqual(
    line.models.map((m) => [m.name, m.n]),
    [['model', 3]],
  );
  assert.equal(readFileSync(join(out, 'model.items.jsonl'), 'utf8').trim().split('\n').length, 3);
  rmSync(s.dir, { recursive: true, force: true });
});

test('eval models: each entry validated like a config (typo suggested); served_model only with the one model', () => {
  const c = resolveConfig(EVAL_SCHEMA, { data: 'x.jsonl', models: [{ name: 'a', modle: 'dir' }] }, 'e.yaml');
  assert.throws(() => evalModels(c, 'e.yaml'), /e\.yaml: models\[0\]: unknown field 'modle' \(did you mean 'model'\?\)/);
  const both = resolveConfig(EVAL_SCHEMA, { data: 'x.jsonl', models: [{ name: 'a', model: 'dir' }], served_model: 'm' }, 'e.yaml');
  assert.throws(() => evalModels(both, 'e.yaml'), /'served_model' goes with 'model'/);
  const one = resolveConfig(EVAL_SCHEMA, { data: 'x.jsonl', model: 'http://h:1/v1', served_model: 'm' }, 'e.yaml');
  assert.deepEqual(evalModels(one, 'e.yaml'), [
    { name: 'model', model: 'http://h:1/v1', served_model: 'm', tokenizer: null, system: null },
  ]);
});
