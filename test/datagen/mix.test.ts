// The sample-type mix: shares 1 and 0 keep all and none of a type, a share in between keeps a
// seeded per-problem subset (the same with the same seed), system prompts can be dropped, extra
// files come along as they are, empty files are empty sources, and bad rows are located.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIX_SCHEMA, mixSampleTypes } from '../../src/datagen/mix.js';
import { resolveConfig } from '../../src/common/schema.js';

/** A mix through its schema, as a recipe stage or the command runs it. */
const mix = (config: Record<string, unknown>) => mixSampleTypes(resolveConfig(MIX_SCHEMA, config, 'stage m'));

test('mix: shares, seeds, system prompts, extra and empty files, located errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-mix-'));
  try {
    const data = join(dir, 'data.jsonl'),
      extra = join(dir, 'extra.jsonl'),
      empty = join(dir, 'empty.jsonl');
    const rows = Array.from({ length: 200 }, (_, i) => [
      {
        messages: [
          { role: 'user', content: `q${i}` },
          { role: 'assistant', content: 'short' },
        ],
        sample_type: 'original',
        problem_id: `p${i}`,
      },
      {
        messages: [
          { role: 'system', content: 'think' },
          { role: 'user', content: `q${i}` },
          { role: 'assistant', content: 'long' },
        ],
        sample_type: 'teacher',
        problem_id: `p${i}`,
      },
    ]).flat();
    writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(
      extra,
      JSON.stringify({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      }) + '\n',
    );
    writeFileSync(empty, '');
    const read = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const all = await mix({ data, output: join(dir, 'all.jsonl'), extra: [extra, empty] });
    assert.deepEqual(all, { teacher: 200, original: 200, extra: 1, rows: 401 });
    const teacherOnly = await mix({ data, output: join(dir, 't.jsonl'), teacher_share: 1, original_share: 0, drop_system: true });
    assert.deepEqual([teacherOnly.teacher, teacherOnly.original], [200, 0]);
    assert.ok(
      read(join(dir, 't.jsonl')).every(
        (r) => r.sample_type === 'teacher' && r.messages.every((m: { role: string }) => m.role !== 'system'),
      ),
    );
    const half = await mix({ data, output: join(dir, 'h1.jsonl'), teacher_share: 0.5, original_share: 1, seed: 3 });
    assert.ok(half.teacher > 70 && half.teacher < 130 && half.original === 200, `about half the teacher rows (${half.teacher})`);
    await mix({ data, output: join(dir, 'h2.jsonl'), teacher_share: 0.5, original_share: 1, seed: 3 });
    assert.equal(readFileSync(join(dir, 'h1.jsonl'), 'utf8'), readFileSync(join(dir, 'h2.jsonl'), 'utf8'), 'the same seed, the same file');
    assert.deepEqual(await mix({ data: empty, output: join(dir, 'e.jsonl') }), { teacher: 0, original: 0, extra: 0, rows: 0 });
    assert.throws(
      () => resolveConfig(MIX_SCHEMA, { data, output: join(dir, 'x.jsonl'), teacher_share: 2 }, 'stage m'),
      /stage m: field 'teacher_share' must be <= 1/,
    );
    assert.throws(
      () => resolveConfig(MIX_SCHEMA, { data, output: 'x', teacher_shar: 1 }, 'stage m'),
      /unknown field 'teacher_shar' \(did you mean 'teacher_share'\?\)/,
    );
    await assert.rejects(mix({ data: extra, output: join(dir, 'x.jsonl') }), /extra\.jsonl:1: field 'sample_type'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
