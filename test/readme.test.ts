// The README's TypeScript snippets run as written against the package ('posttrain' resolved to this
// repository, as after `npm install <path>`), with their placeholder paths pointed at a tiny model
// and prompt file made here — so every name the README uses is importable and does what it says.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { makeSftSetup, saveTinyModel } from './helpers/sft_setup.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const setup = makeSftSetup(8);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = join(setup.dir, 'model');
saveTinyModel(setup, modelDir, 1, { tie_word_embeddings: true });
const prompts = join(setup.dir, 'prompts.jsonl');
writeFileSync(
  prompts,
  Array.from({ length: 4 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: String(2 * i) })).join('\n') + '\n',
);
mkdirSync(join(setup.dir, 'node_modules'));
symlinkSync(root, join(setup.dir, 'node_modules', 'posttrain'), 'dir');

const PLACEHOLDERS: [RegExp, string][] = [
  [/path\/to\/Qwen2\.5-0\.5B-Instruct/g, modelDir],
  [/path\/to\/sft-model/g, modelDir],
  [/path\/to\/prompts\.jsonl/g, prompts],
];
const snippets = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('the README has TypeScript snippets that import the package', () => {
  assert.ok(snippets.length >= 3);
  for (const s of snippets) assert.match(s, /from 'posttrain'/);
});

for (const [i, snippet] of snippets.entries()) {
  test(`README snippet ${i + 1} runs against the package`, () => {
    let code = snippet;
    for (const [re, to] of PLACEHOLDERS) code = code.replace(re, to);
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(setup.dir, `snippet-${i + 1}.mjs`);
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: setup.dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `snippet ${i + 1}:\n${code}\n${r.stderr.slice(-3000)}`);
  });
}
