// The import graph (DESIGN.md's layers): each floor imports only the floors below it, no import
// cycle (type imports included), only tensor/ loads the native addon; and GRPO's knobs are spelled
// the same in the config and in the loss (searching epsilon_high reaches the loss).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRPO_SCHEMA } from '../src/trainers/grpo/config.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
/** Floors, lowest first; a folder may import its own floor's files and anything lower. */
const RANK: Record<string, number> = {
  tensor: 0,
  common: 1,
  nn: 2,
  optim: 2,
  checkpoint: 3,
  models: 4,
  tokenizer: 5,
  data: 6,
  remote: 7,
  generation: 8,
  rewards: 9,
  datagen: 10,
  annotate: 10,
  serve: 10,
  eval: 10,
  trainers: 11,
  report: 11,
  recipes: 12,
  cli: 14,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const graph = new Map<string, string[]>(
  files(SRC).map((f) => [
    relative(SRC, f),
    [...readFileSync(f, 'utf8').matchAll(/(?:from|import)\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
      relative(SRC, normalize(join(dirname(f), m[1]!))).replace(/\.js$/, '.ts'),
    ),
  ]),
);

test('every floor imports only its own and lower floors', () => {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const from = file.split('/')[0]!;
    if (!file.includes('/')) continue; // index.ts: the package's surface
    assert.ok(from in RANK, `${from}/ has a floor in RANK`);
    for (const d of deps) {
      const to = d.split('/')[0]!;
      if (to !== from && d.includes('/') && !(RANK[to]! < RANK[from]!)) bad.push(`${file} → ${d}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycles, type imports included', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) if (graph.has(d)) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('only tensor/ loads the native addon', () => {
  const users = [...graph].filter(([f, deps]) => deps.includes('tensor/native.ts') && !f.startsWith('tensor/')).map(([f]) => f);
  assert.deepEqual(users, []);
});

test("GRPO's loss options are the config's own field names", () => {
  const src = readFileSync(join(SRC, 'trainers', 'grpo', 'loss.ts'), 'utf8');
  const body = /export interface GrpoLossOptions \{([\s\S]*?)\n\}/.exec(src)![1]!;
  const fields = [...body.matchAll(/^ {2}([a-z_]+)\??:/gm)].map((m) => m[1]!).filter((f) => f !== 'totals');
  assert.ok(fields.length >= 8, fields.join(', '));
  for (const f of fields) assert.ok(f in GRPO_SCHEMA, `GrpoLossOptions.${f} is a GRPO config field`);
});
