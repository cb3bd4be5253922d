// `posttrain run recipe.yaml` as a user runs it (a child process): a small recipe — SFT from a
// model folder, the annotation gate with people deciding, SFT on the accepted items, evaluation of
// both models — pauses at the gate with exit code 3, continues after the decisions without
// rerunning what was done, and ends with report.html and the Table 9 rows; bad recipes are refused
// with the file and the stage.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createModel, saveModel } from '../../src/models/index.js';
import { tokenizerFiles } from '../../src/trainers/checkpoint.js';
import { readQueue, decide } from '../../src/annotate/queue.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(24);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const base = join(setup.dir, 'base');
const m = createModel(
  {
    model_type: 'llama',
    vocab_size: setup.vocab,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  },
  { seed: 1 },
);
saveModel(m, base, { tokenizerFiles: tokenizerFiles(setup.tokDir) });
m.dispose();
const prompts = join(setup.dir, 'prompts.jsonl');
writeFileSync(prompts, ['say hi', 'say bye', 'name a colour'].map((q) => JSON.stringify({ instruction: q })).join('\n') + '\n');
const problems = join(setup.dir, 'problems.jsonl');
writeFileSync(
  problems,
  Array.from({ length: 4 }, (_, i) => JSON.stringify({ question: `what is ${i} plus 1?`, answer: String(i + 1) })).join('\n') + '\n',
);
const out = join(setup.dir, 'run');
const recipe = join(setup.dir, 'recipe.yaml');
const sft = { max_length: 64, per_device_train_batch_size: 4, max_steps: 3, learning_rate: 1e-3, save_steps: 0 };
writeFileSync(
  recipe,
  stringify({
    out,
    stages: [
      { name: 'sft', kind: 'sft', model_name_or_path: base, dataset_name: [setup.data], ...sft },
      { name: 'chat-data', kind: 'annotate', generalist: '${sft}', prompts, max_tokens: 8, temperature: 0 },
      // the tiny generalist's answers hold raw control bytes (its byte-level tokens are random), which the data check refuses by default
      {
        name: 'sft2',
        kind: 'sft',
        model_name_or_path: '${sft}',
        dataset_name: ['${chat-data}'],
        allow_control_characters: true,
        ...sft,
      },
      {
        name: 'eval',
        kind: 'eval',
        data: problems,
        max_new_tokens: 8,
        models: [
          { name: 'before', model: '${sft}' },
          { name: 'after', model: '${sft2}' },
        ],
      },
    ],
    report: { distillation: { eval: 'eval', rows: ['before', 'after'], benchmark: 'four sums' } },
  }),
);
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(process.cwd(), 'dist/src/cli/main.js'), 'run', ...args], { encoding: 'utf8' });

test('posttrain run: pauses at the annotation gate (exit 3), continues after the decisions, writes report.html', () => {
  const first = cli(recipe);
  assert.equal(first.status, 3, first.stderr);
  assert.match(
    first.stderr,
    /paused at stage 'chat-data': 3 of 3 items wait for annotation: run 'posttrain annotate-page --queue=.*chat-data\/queue'/,
  );
  assert.ok(existsSync(join(out, 'sft', 'stage.json')) && !existsSync(join(out, 'sft2')));
  const queue = join(out, 'chat-data', 'queue');
  const items = readQueue(queue).items;
  decide(queue, items[0]!.id, 'accept');
  decide(queue, items[1]!.id, 'edit', 'Bye!');
  decide(queue, items[2]!.id, 'reject');
  const second = cli(recipe);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /stage sft \(sft\): done earlier/);
  const accepted = readFileSync(join(out, 'chat-data', 'accepted.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(accepted.length, 2);
  assert.ok(accepted.some((r) => r.messages.at(-1).content === 'Bye!'));
  const evals = JSON.parse(readFileSync(join(out, 'eval', 'eval.json'), 'utf8'));
  assert.deepEqual(
    evals.map((e: { name: string }) => e.name),
    ['before', 'after'],
  );
  assert.ok(existsSync(join(out, 'report.html')));
  assert.match(second.stdout, /before/);
  assert.match(second.stdout, /after/);
  const third = cli(recipe);
  assert.equal(third.status, 0);
  assert.equal((third.stderr.match(/done earlier/g) ?? []).length, 4, 'everything cached');
});

test('posttrain run: a bad recipe names the file and the stage', () => {
  const bad = join(setup.dir, 'bad.yaml');
  writeFileSync(
    bad,
    stringify({ out, stages: [{ name: 'x', kind: 'sft', model_name_or_path: base, dataset_name: [setup.data], nonsense: 1 }] }),
  );
  const r = cli(bad);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /bad\.yaml stage 'x'.*unknown field 'nonsense'/s);
  writeFileSync(bad, stringify({ stages: [{ name: 'x', kind: 'teleport' }] }));
  assert.match(cli(bad).stderr, /bad\.yaml: stages\[0\] \('x'\): unknown kind 'teleport'/);
});
