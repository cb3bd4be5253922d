// examples/: a runnable config for every kind and a recipe, run here as a user runs them (from a copy
// of the folder, through the command line), so they never rot. Every kind of the kinds table has an
// example: its own <kind>.yaml, or a stage of recipe.yaml.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { kindTable } from '../../src/recipes/stage_kinds.js';
import { readConfigFile, resolveConfig } from '../../src/common/schema.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'posttrain-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));
cpSync(examples, dir, { recursive: true });
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
// the commands, in the order their inputs need
const ORDER = ['pretrain', 'sft', 'rm', 'grpo', 'distill', 'gen-data', 'mix'];

test('every kind has an example, and every example config is valid for its kind', () => {
  const files = readdirSync(examples)
    .filter((f) => f.endsWith('.yaml') && f !== 'recipe.yaml')
    .map((f) => f.slice(0, -5));
  assert.deepEqual([...files].sort(), [...ORDER].sort());
  const recipe = parseYaml(readFileSync(join(examples, 'recipe.yaml'), 'utf8')) as { stages: { kind: string }[] };
  const covered = new Set([...files, ...recipe.stages.map((s) => s.kind)]);
  for (const kind of Object.keys(kindTable())) assert.ok(covered.has(kind), `kind '${kind}' has an example`);
  for (const f of files) resolveConfig(kindTable()[f]!.schema, readConfigFile(join(examples, `${f}.yaml`)), `${f}.yaml`);
});

test('each command example runs from the examples folder', () => {
  for (const kind of ORDER) {
    const r = run([kind, `--config=${kind}.yaml`]);
    assert.equal(r.status, 0, `${kind}: ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { output: string };
    assert.ok(existsSync(join(dir, out.output)), `${kind}: its output ${out.output} exists`);
  }
});

test('the example recipe runs every stage and writes its report', () => {
  const r = run(['run', 'recipe.yaml']);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.ok(existsSync(join(dir, 'runs', 'recipe', 'report.html')));
  assert.match(r.stdout, /distilled/);
});
