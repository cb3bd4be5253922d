// The command table as a user meets it: every command's --help lists its fields from its schema;
// the tools read --config files and refuse a typo with a suggestion like the kinds do; the annotate
// kind run from the command line waits for people (exit 3, naming the page to open) and exports the
// decided answers when run again.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide, readQueue } from '../../src/annotate/queue.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const setup = makeSftSetup(8);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: setup.dir });

test('every command of the help has --help with its fields; the kinds have a JSON Schema', () => {
  const h = run(['--help']);
  assert.equal(h.status, 0);
  const names = [...h.stdout.matchAll(/^ {2}([a-z-]+)(?: [A-Z]+)? {2,}/gm)].map((m) => m[1]!);
  for (const n of ['run', 'demo', 'sft', 'grpo', 'eval', 'annotate', 'annotate-page', 'serve', 'generate', 'chat', 'info'])
    assert.ok(names.includes(n), `${n} is listed`);
  for (const n of names) {
    const r = run([n, '--help']);
    assert.equal(r.status, 0, `${n}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: posttrain ${n} `), n);
  }
  assert.match(run(['serve', '--help']).stdout, /\n {2}api_key {2}\(string \| null; default null\)\n/);
  assert.match(run(['eval', '--help']).stdout, /\n {2}served_model {2}\(/);
  const schema = JSON.parse(run(['eval', '--json-schema']).stdout) as { properties: Record<string, unknown> };
  assert.ok('models' in schema.properties && 'concurrency' in schema.properties);
});

test('a tool reads a config file; a typo there names the file and suggests the field', () => {
  writeFileSync(join(setup.dir, 'serve.yaml'), 'model: ./nowhere\nprot: 8001\n');
  const r = run(['serve', '--config=serve.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /serve\.yaml: unknown field 'prot' \(did you mean 'port'\?\)/);
  const g = run(['generate', '--model=m', '--input=i.jsonl', '--top-p=0']);
  assert.match(g.stderr, /--top_p: field 'top_p' must be >= /);
  assert.equal(run(['run', 'a.yaml', 'b.yaml']).status, 2, 'a second bare argument is a usage error');
});

test('posttrain annotate: waits for people (exit 3), then exports the decided answers', () => {
  const model = join(setup.dir, 'model');
  saveTinyModel(setup, model, 1);
  const prompts = join(setup.dir, 'prompts.jsonl');
  writeFileSync(prompts, ['say hi', 'say bye'].map((q) => JSON.stringify({ instruction: q })).join('\n') + '\n');
  const args = ['annotate', `--generalist=${model}`, `--prompts=${prompts}`, '--max-tokens=6', '--output-dir=ann'];
  const first = run(args);
  assert.equal(first.status, 3, first.stderr);
  assert.match(first.stderr, /2 of 2 items wait for annotation: run 'posttrain annotate-page --queue=ann\/queue'/);
  const queue = join(setup.dir, 'ann', 'queue');
  const [a, b] = readQueue(queue).items;
  decide(queue, a!.id, 'edit', 'Hi!');
  decide(queue, b!.id, 'reject');
  const second = run(args);
  assert.equal(second.status, 0, second.stderr);
  const out = JSON.parse(second.stdout.trim()) as { output: string; accepted: number; edited: number; rejected: number };
  assert.deepEqual([out.output, out.accepted, out.edited, out.rejected], ['ann/accepted.jsonl', 0, 1, 1]);
  const rows = readFileSync(join(setup.dir, out.output), 'utf8').trim().split('\n');
  assert.equal(rows.length, 1);
  assert.match(rows[0]!, /"Hi!"/);
});

test('devices: info lists what libtorch sees; a GPU setting without CUDA is refused naming the field', () => {
  const info = run(['info']);
  assert.equal(info.status, 0);
  const facts = JSON.parse(info.stdout) as { devices: string[]; cuda: boolean };
  assert.equal(facts.devices[0], 'cpu');
  if (facts.cuda) return;
  const model = saveTinyModel(setup, join(setup.dir, 'tiny-devices'), 1);
  const r = run(['generate', `--model=${model}`, '--input=x.jsonl', '--device=cuda']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /field 'device'.*'cuda' requested, but the linked libtorch .* has no CUDA support/);
  const s = run(['sft', `--model-name-or-path=${model}`, `--dataset-name=${setup.data}`, '--output-dir=out-fp16', '--fp16']);
  assert.equal(s.status, 1);
  assert.match(s.stderr, /sft config field 'fp16'.*needs a CUDA device/);
});
