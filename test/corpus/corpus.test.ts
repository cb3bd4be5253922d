// The malformed-input corpus (cases.ts) through the real command line: every (case, command) pair
// exits 1 or 2 with a message that matches the case, names the file (and for a row-level problem
// the line as `<file>:<line>:` and the field), and carries no stack trace or bare internal error;
// or, for the valid edge cases, exits 0. The CLI runs two at a time. With CORPUS_REPORT=path set,
// a markdown table of every pair's exit code and first message line is written there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';
import { CASES, commandArgv, type Base, type Case, type Command, type Expect } from './cases.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PARALLEL = 2;

interface Pair {
  c: Case;
  command: Command;
  expect: Expect;
}
interface Outcome {
  ms: number;
  status: number | null;
  stderr: string;
  input: string;
}

const key = (p: Pair) => `${p.c.name} × ${p.command}`;
/** CORPUS_ONLY=regex runs only the pairs whose 'case × command' matches. */
const only = process.env['CORPUS_ONLY'] ? new RegExp(process.env['CORPUS_ONLY']) : null;
const pairs: Pair[] = CASES.flatMap((c) =>
  Object.entries(c.reads).map(([command, expect]) => ({ c, command: command as Command, expect: expect! })),
).filter((p) => only === null || only.test(key(p)));
const outcomes = new Map<string, Outcome>();
let root = '';

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The valid tiny setup the corpus derives from: model, data of each kind, a run folder with a checkpoint. */
function makeBase(dir: string): Base {
  const s = makeSftSetup(8);
  const b = join(dir, 'base');
  mkdirSync(b, { recursive: true });
  const model = saveTinyModel(s, join(b, 'model'), 1);
  const w = (name: string, rows: unknown[]) => {
    writeFileSync(join(b, name), jsonl(rows));
    return join(b, name);
  };
  const q = (i: number) => `what is ${i} plus 2?`;
  const base: Base = {
    root: dir,
    model,
    sft: w(
      'sft.jsonl',
      [0, 1, 2, 3].map((i) => ({
        messages: [
          { role: 'user', content: q(i) },
          { role: 'assistant', content: `${i + 2}` },
        ],
      })),
    ),
    text: w(
      'text.jsonl',
      [0, 1, 2, 3].map((i) => ({ text: `${q(i)} it is ${i + 2}.` })),
    ),
    prefs: w(
      'prefs.jsonl',
      [0, 1, 2, 3].map((i) => ({ prompt: q(i), chosen: `${i + 2}`, rejected: `${i + 3}` })),
    ),
    problems: w(
      'problems.jsonl',
      [0, 1].map((i) => ({ question: q(i), answer: `${i + 2}`, messages: [{ role: 'user', content: q(i) }] })),
    ),
    genOut: w('gen.jsonl', [
      {
        messages: [
          { role: 'user', content: q(1) },
          { role: 'assistant', content: '3' },
        ],
        sample_type: 'teacher',
        problem_id: 'a',
      },
      {
        messages: [
          { role: 'user', content: q(1) },
          { role: 'assistant', content: '3' },
        ],
        sample_type: 'original',
        problem_id: 'a',
      },
    ]),
    run: join(b, 'run'),
  };
  const r = spawnSync(process.execPath, [CLI, ...commandArgv('sft', 'run', base.run, base, '', ['--save-steps=1'])], { encoding: 'utf8' });
  assert.equal(r.status, 0, `the base run folder: ${r.stderr}`);
  rmSync(s.dir, { recursive: true, force: true, maxRetries: 3 });
  return base;
}

function runCli(argv: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // one thread each: two CLIs share the two cores
    const env = { ...process.env, POSTTRAIN_THREADS: '1', POSTTRAIN_BLAS_THREADS: '1' };
    const child = spawn(process.execPath, [CLI, ...argv], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000); // a command that should have stopped (serve) does not hang the test
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

/** The message as a user reads it: the temp root written as <corpus>/. */
const shown = (s: string) => s.split(root + '/').join('<corpus>/');
/** The error's lines: from `posttrain <command>:` on, a config error's list of problems joined to it. */
const message = (s: string, command: string) => {
  const lines = shown(s).split('\n');
  const at = lines.findIndex((l) => l.startsWith(`posttrain ${command}: `));
  if (at < 0) return lines.find((l) => l.trim() !== '') ?? '';
  const more = lines.slice(at + 1).filter((l) => l.startsWith('  - '));
  return [lines[at]!, ...more.map((l) => l.trim())].join(' ');
};

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'posttrain-corpus-'));
  const base = makeBase(root);
  const inputs = new Map(CASES.map((c) => [c.name, c.build(root, base)]));
  const queue = [...pairs];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const input = inputs.get(p.c.name)!;
      const out = join(root, 'out', `${p.c.name}-${p.command}`);
      mkdirSync(out, { recursive: true });
      const t0 = Date.now();
      const r = await runCli(commandArgv(p.command, p.c.slot, input, base, out, p.c.extra));
      outcomes.set(key(p), { ...r, input, ms: Date.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const reportPath = process.env['CORPUS_REPORT'];
  if (reportPath) {
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    const rows = pairs.map((p) => {
      const o = outcomes.get(key(p))!;
      return `| ${p.c.name} | ${p.command} | ${o.status} | ${cell(o.status === 0 ? '(accepted)' : message(o.stderr, p.command))} | ${o.ms} |`;
    });
    const files = new Set(inputs.values()).size;
    writeFileSync(
      reportPath,
      `# Malformed-input corpus\n\n${CASES.length} inputs, ${pairs.length} (input, command) pairs through the real CLI.\n\n` +
        `| case | command | exit | the message | ms |\n|---|---|---|---|---|\n${rows.join('\n')}\n\n` +
        CASES.map((c) => `- **${c.name}** (${c.slot}, ${relative(root, inputs.get(c.name)!)}): ${c.what}`).join('\n') +
        `\n\n(${files} inputs)\n`,
    );
  }
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});

test('the corpus has at least 36 inputs of every kind', () => {
  assert.ok(CASES.length >= 36, `${CASES.length} cases`);
  for (const slot of ['data', 'config', 'model', 'tokenizer', 'run'])
    assert.ok(
      CASES.some((c) => c.slot === slot),
      slot,
    );
});

for (const p of pairs) {
  test(key(p), () => {
    const o = outcomes.get(key(p));
    assert.ok(o, 'ran');
    const said = shown(o.stderr);
    assert.doesNotMatch(o.stderr, /^\s+at /m, `a stack trace:\n${said}`);
    assert.doesNotMatch(
      o.stderr,
      /TypeError|ReferenceError|Cannot read propert|is not a function|undefined/,
      `an internal error:\n${said}`,
    );
    if (p.expect === 'accepted') {
      assert.equal(o.status, 0, `accepted, but:\n${said}`);
      return;
    }
    assert.ok(o.status === 1 || o.status === 2, `exit ${o.status}:\n${said}`);
    assert.match(said, new RegExp(`^posttrain ${p.command}: `, 'm'), `the command's one error line:\n${said}`);
    assert.match(o.stderr, p.expect.error, said);
    const input = relative(root, o.input);
    assert.ok(said.includes(input), `names ${input}:\n${said}`);
    if (p.expect.names) assert.ok(said.includes(p.expect.names), `names ${p.expect.names}:\n${said}`);
    if (p.expect.line !== undefined) assert.ok(said.includes(`${input}:${p.expect.line}:`), `names ${input}:${p.expect.line}:\n${said}`);
    if (p.expect.field !== undefined) assert.ok(said.includes(p.expect.field), `names the field ${p.expect.field}:\n${said}`);
  });
}
