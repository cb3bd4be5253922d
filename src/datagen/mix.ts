// The mix ratio of V3's two reasoning sample types — a length control of Table 9 (config: MIX_SCHEMA): from gen-data's
// output (rows with sample_type 'original' | 'teacher' and a problem_id), keep each problem's
// teacher sample with probability teacher_share and its original with probability original_share
// (seeded, per problem), optionally without their system prompts, plus any further files as they
// are; written atomically, shuffled.
import { existsSync, statSync } from 'node:fs';
import { readRows, DataError } from '../data/index.js';
import { writeFileAtomically } from '../common/files.js';
import { Rng } from '../common/rng.js';
import { defineSchema, type ConfigOf } from '../common/schema.js';

export const MIX_SCHEMA = defineSchema({
  data: {
    type: 'string',
    default: null,
    required: true,
    doc: "gen-data's output: rows with sample_type 'original' | 'teacher' and a problem_id",
  },
  output: { type: 'string', default: null, required: true, doc: 'the mixed file (JSONL), written atomically' },
  teacher_share: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    doc: "each problem's teacher sample is kept with this probability (seeded, per problem)",
  },
  original_share: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    doc: "each problem's original (short) response is kept with this probability",
  },
  extra: { type: 'strings', default: [], doc: 'further files appended as they are (e.g. the non-reasoning data)' },
  drop_system: {
    type: 'bool',
    default: false,
    doc: 'remove system messages from the kept reasoning rows (the model then answers that way unprompted)',
  },
  seed: { type: 'int', default: 0, min: 0, doc: 'seed of the draws and the order' },
});

export type MixOptions = ConfigOf<typeof MIX_SCHEMA>;

export interface MixSummary {
  teacher: number;
  original: number;
  extra: number;
  rows: number;
}

export async function mixSampleTypes(o: MixOptions): Promise<MixSummary> {
  const teacherShare = o.teacher_share,
    originalShare = o.original_share;
  const root = new Rng(o.seed);
  const out: string[] = [];
  const s: MixSummary = { teacher: 0, original: 0, extra: 0, rows: 0 };
  // an empty file is an empty source here (gen-data may keep nothing; a gate may accept nothing)
  const rowsOf = (file: string) => (existsSync(file) && statSync(file).size === 0 ? (async function* () {})() : readRows(file));
  for await (const r of rowsOf(o.data)) {
    const type = r.data['sample_type'],
      id = r.data['problem_id'];
    if (type !== 'teacher' && type !== 'original')
      throw new DataError(
        r.file,
        r.line,
        type === undefined ? "is missing: must be 'teacher' or 'original'" : `must be 'teacher' or 'original', got ${JSON.stringify(type)}`,
        'sample_type',
      );
    if (typeof id !== 'string') throw new DataError(r.file, r.line, 'must be a string', 'problem_id');
    if (!root.fork(`${type}|${id}`).chance(type === 'teacher' ? teacherShare : originalShare)) continue;
    s[type]++;
    const row =
      o.drop_system && Array.isArray(r.data['messages'])
        ? { ...r.data, messages: (r.data['messages'] as { role?: unknown }[]).filter((m) => m.role !== 'system') }
        : r.data;
    out.push(JSON.stringify(row));
  }
  for (const file of o.extra)
    for await (const r of rowsOf(file)) {
      s.extra++;
      out.push(JSON.stringify(r.data));
    }
  root.fork('order').shuffle(out); // the types and the extra rows interleave
  s.rows = out.length;
  writeFileAtomically(o.output, out.map((line) => line + '\n').join(''));
  return s;
}
