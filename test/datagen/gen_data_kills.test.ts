// gen-data with a local teacher (a random tiny model sampling at temperature 1, so every sample
// depends on its seed) SIGKILLed at random moments again and again, then resumed to the end: the
// output equals an uninterrupted run's row for row (provenance.created_at aside), because each
// problem's samples derive from (run seed, problem id, sample index) and never from a call counter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateData } from '../../src/datagen/gen_data.js';
import { resolveConfig } from '../../src/common/schema.js';
import { GEN_DATA_SCHEMA } from '../../src/datagen/gen_config.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';
import { killRepeatedly } from '../helpers/kills.js';
import { holdLock } from '../helpers/lock_holder.js';

const setup = makeSftSetup(8);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const teacher = saveTinyModel(setup, join(setup.dir, 'teacher'), 3);
const prompts = join(setup.dir, 'problems.jsonl');
writeFileSync(
  prompts,
  Array.from({ length: 80 }, (_, i) =>
    JSON.stringify({ id: `q${i}`, question: `what is ${i} plus ${(i * 7) % 11}?`, solution: `${i}` }),
  ).join('\n') + '\n',
);
const config = (output: string) => ({
  teacher,
  prompts: [prompts],
  output,
  samples_per_prompt: 3,
  temperature: 1,
  max_tokens: 24,
  verifier: 'none',
  require_think: false,
  language: null,
  drop_truncated: false,
  keep: 'random',
  prompts_per_batch: 4,
  seed: 5,
});
const rows = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as { provenance?: Record<string, unknown> };
      if (r.provenance) delete r.provenance['created_at'];
      return r;
    });
const ledgerCount = (output: string) => {
  const f = `${output}.ledger.jsonl`;
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}')).length
    : 0;
};

test('gen-data SIGKILLed at 10+ random moments and resumed equals the uninterrupted run row for row', async () => {
  const straight = join(setup.dir, 'straight.jsonl');
  const resolved = (output: string) => resolveConfig(GEN_DATA_SCHEMA, config(output), 'test', {});
  const s = await generateData(resolved(straight), { quiet: true });
  assert.ok(s.rows >= 20, `the uninterrupted run kept rows (${s.rows})`); // samples holding control bytes are dropped

  const killed = join(setup.dir, 'killed.jsonl');
  const cfgFile = join(setup.dir, 'killed.json');
  writeFileSync(cfgFile, JSON.stringify(config(killed)));
  const { kills, progress } = await killRepeatedly({
    start: () => spawn(process.execPath, [cli, 'gen-data', `--config=${cfgFile}`], { stdio: 'ignore' }),
    progress: () => ledgerCount(killed),
    stopAt: 72,
    kills: 12,
    seed: 2026,
    maxExtraMs: 150,
  });
  assert.ok(kills >= 10, `${kills} kills landed mid-run (ledger after each: ${progress.join(', ')})`);
  const resumed = await generateData(resolved(killed), { quiet: true });
  assert.ok(
    resumed.resumedFrom > 0 && resumed.resumedFrom < 80,
    `resumed from ${resumed.resumedFrom} (ledger after each kill: ${progress.join(', ')})`,
  );
  assert.deepEqual(rows(killed), rows(straight), 'the same rows in the same order');
});

test('a second gen-data on the same output is refused while the first runs, naming it', async () => {
  const output = join(setup.dir, 'locked.jsonl');
  const holder = await holdLock(setup.dir, 'locked.jsonl.lock');
  try {
    await assert.rejects(
      generateData(resolveConfig(GEN_DATA_SCHEMA, config(output), 'test', {}), { quiet: true }),
      new RegExp(`gen-data output .*locked\\.jsonl is in use by a running process: pid ${holder.pid}`),
    );
    assert.ok(!existsSync(output), 'nothing written');
  } finally {
    holder.kill('SIGKILL');
  }
});
