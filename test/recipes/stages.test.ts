// The recipe's stage runner: outputs referenced as ${name}, finished stages skipped on a rerun, a
// stage that failed midway run again (its own checkpoints are its business), a changed stage and
// the stages reading it rerun with the earlier folder kept aside, the annotation-style wait, and
// located errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStages, StageWaiting, type StageKind } from '../../src/recipes/stages.js';

test('stages: references, caching, resume after a failure, reruns on change, waiting', async () => {
  const out = mkdtempSync(join(tmpdir(), 'posttrain-stages-'));
  try {
    const calls: string[] = [];
    let failOnce = true;
    const kinds: Record<string, StageKind> = {
      write: async (c, ctx) => {
        calls.push(ctx.name);
        const f = join(ctx.dir, 'x.txt');
        writeFileSync(f, String(c['text']));
        return { output: f, metrics: { n: String(c['text']).length } };
      },
      upper: async (c, ctx) => {
        calls.push(ctx.name);
        if (failOnce && c['fail']) {
          failOnce = false;
          writeFileSync(join(ctx.dir, 'partial'), 'half');
          throw new Error('killed');
        }
        const f = join(ctx.dir, 'y.txt');
        writeFileSync(f, readFileSync(String(c['from']), 'utf8').toUpperCase());
        return { output: f };
      },
      gate: async (c) => {
        if (!c['open']) throw new StageWaiting('3 items wait for annotation');
        return { output: String(c['from']) };
      },
    };
    const stages = (text: string, open = true) => [
      { name: 'a', kind: 'write', config: { text } },
      { name: 'b', kind: 'upper', config: { from: '${a}', fail: true } },
      { name: 'c', kind: 'gate', config: { from: '${b}', open } },
    ];
    const log: string[] = [];
    await assert.rejects(runStages(out, stages('hi'), kinds, { log: (l) => log.push(l) }), /recipe stage 'b' \(upper\) failed: killed/);
    assert.ok(existsSync(join(out, 'a', 'stage.json')) && !existsSync(join(out, 'b', 'stage.json')));
    const r1 = await runStages(out, stages('hi'), kinds, { log: (l) => log.push(l) });
    assert.deepEqual(calls, ['a', 'b', 'b']);
    assert.ok(existsSync(join(out, 'b', 'partial')), 'a stage that stopped midway continues in its own folder');
    assert.ok(log.some((l) => /continuing an interrupted run/.test(l)));
    assert.equal(readFileSync(r1.stages[2]!.output, 'utf8'), 'HI');
    assert.deepEqual(
      r1.stages.map((s) => s.cached),
      [true, false, false],
    );
    const r2 = await runStages(out, stages('hi'), kinds, { log: () => {} });
    assert.deepEqual(
      r2.stages.map((s) => s.cached),
      [true, true, true],
    );
    assert.deepEqual(calls, ['a', 'b', 'b'], 'nothing reruns');
    const r3 = await runStages(out, stages('bye'), kinds, { log: () => {} });
    assert.deepEqual(calls, ['a', 'b', 'b', 'a', 'b'], 'a changed stage and those reading it rerun');
    assert.equal(readFileSync(r3.stages[2]!.output, 'utf8'), 'BYE');
    assert.ok(
      readdirSync(out).some((d) => d.startsWith('a.replaced-')),
      'the earlier run is kept aside, not deleted',
    );
    const w = await runStages(out, stages('bye', false), kinds, { log: () => {} });
    assert.deepEqual(w.waiting, { stage: 'c', message: '3 items wait for annotation' });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('stage errors name the stage and the field', async () => {
  const out = mkdtempSync(join(tmpdir(), 'posttrain-stages-'));
  try {
    const kinds: Record<string, StageKind> = { k: async (_c, ctx) => ({ output: ctx.dir }) };
    await assert.rejects(
      runStages(out, [{ name: 'x', kind: 'nope', config: {} }], kinds, { log: () => {}, source: 'r.yaml' }),
      /r\.yaml: stages\[0\] \('x'\): unknown kind 'nope'/,
    );
    await assert.rejects(
      runStages(
        out,
        [
          { name: 'x', kind: 'k', config: {} },
          { name: 'x', kind: 'k', config: {} },
        ],
        kinds,
        { log: () => {}, source: 'r.yaml' },
      ),
      /stages\[1\]: the name 'x' is used twice/,
    );
    await assert.rejects(
      runStages(out, [{ name: 'x', kind: 'k', config: { m: '${later}' } }], kinds, { log: () => {}, source: 'r.yaml' }),
      /r\.yaml stage 'x': '\$\{later\}' names no earlier stage/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
