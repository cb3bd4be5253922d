import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, loadExamples, readRows, type LoadOptions, type RawRow } from '../../src/data/index.js';
import { chatmlTokenizer, sampleRows, tempDir, writeJsonArray, writeJsonl, writeParquet } from './helpers.js';

const OPTIONS: LoadOptions = { errorPolicy: 'fail', lossOn: 'completion', truncation: 'drop', addEos: true };

async function collect(file: string, onRowError?: (e: DataError) => void): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of readRows(file, onRowError ? { onRowError } : {})) rows.push(row);
  return rows;
}

/** Rows with Parquet's representation undone: bigint → number, null columns removed. */
function plain(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
  );
}

async function rejectsWith(promise: Promise<unknown>, check: (e: DataError) => void): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    check(e);
    return true;
  });
}

test('JSONL, JSON and Parquet (several row groups, snappy and uncompressed) give the same rows and examples', async () => {
  const dir = tempDir();
  const rows = sampleRows(23);
  const files = [
    writeJsonl(path.join(dir, 'a.jsonl'), rows),
    writeJsonArray(path.join(dir, 'a.json'), rows),
    writeParquet(path.join(dir, 'a.parquet'), rows, { rowGroupSize: 5 }),
    writeParquet(path.join(dir, 'b.parquet'), rows, { rowGroupSize: 7, codec: 'UNCOMPRESSED' }),
  ];
  const tokenizer = chatmlTokenizer();
  const reference = await loadExamples([files[0]!], tokenizer, OPTIONS);
  assert.equal(reference.examples.length, 23);
  assert.deepEqual(reference.counts, { rows: 23, kept: 23, skipped: 0, truncated: 0, dropped: 0 });
  for (const file of files) {
    const read = await collect(file);
    assert.deepEqual(
      read.map((r) => plain(r.data)),
      rows,
      file,
    );
    assert.deepEqual(
      read.map((r) => r.line),
      rows.map((_, i) => i + 1),
      file,
    );
    assert.ok(read.every((r) => r.file === file));
    const loaded = await loadExamples([file], tokenizer, OPTIONS);
    assert.deepEqual(loaded.examples, reference.examples, file);
    assert.deepEqual(
      loaded.sources.map((s) => s.line),
      rows.map((_, i) => i + 1),
    );
  }
  // Several files: concatenated in the order given; a directory stands for its data files, sorted.
  const both = await loadExamples([files[0]!, files[2]!], tokenizer, OPTIONS);
  assert.equal(both.examples.length, 46);
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  fs.copyFileSync(files[2]!, path.join(sub, 'x.parquet'));
  fs.writeFileSync(path.join(sub, 'README.md'), 'not data');
  const fromDir = await loadExamples([sub], tokenizer, OPTIONS);
  assert.deepEqual(fromDir.examples, reference.examples);
  assert.equal(fromDir.sources[0]!.file, path.join(sub, 'x.parquet'));
});

test('Parquet is read one row group at a time, in order', async () => {
  const dir = tempDir();
  const rows = sampleRows(1000).map((r, i) => ({ ...r, id: i }));
  const file = writeParquet(path.join(dir, 'big.parquet'), rows, { rowGroupSize: 100 });
  let n = 0;
  for await (const row of readRows(file)) {
    assert.equal(Number(row.data['id']), n);
    assert.equal(row.line, ++n);
    if (n === 150) break; // stopping early is fine
  }
  assert.equal((await collect(file)).length, 1000);
});

test('JSONL: blank lines are skipped but counted; CRLF and a BOM are fine', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'crlf.jsonl');
  fs.writeFileSync(file, '\uFEFF{"text":"a"}\r\n\r\n   \r\n{"text":"b"}\r\n{"text":"c"}');
  const rows = await collect(file);
  assert.deepEqual(
    rows.map((r) => [r.line, r.data['text']]),
    [
      [1, 'a'],
      [4, 'b'],
      [5, 'c'],
    ],
  );
});

test('bad JSON on line 3 names the file and line and keeps the parser message', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(file, '{"text":"a"}\n{"text":"b"}\n{"text": "c",}\n{"text":"d"}\n');
  await rejectsWith(collect(file), (e) => {
    assert.equal(e.file, file);
    assert.equal(e.line, 3);
    assert.ok(e.message.startsWith(`${file}:3: invalid JSON: `), e.message);
    assert.ok(e.message.length > `${file}:3: invalid JSON: `.length);
  });
  await rejectsWith(loadExamples([file], chatmlTokenizer(), OPTIONS), (e) => assert.equal(e.line, 3));
  // With a row-error handler reading goes on.
  const errors: DataError[] = [];
  assert.deepEqual(
    (await collect(file, (e) => errors.push(e))).map((r) => r.line),
    [1, 2, 4],
  );
  assert.deepEqual(
    errors.map((e) => e.line),
    [3],
  );
});

test('a .json syntax error names the text line where parsing stopped', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, '[\n  {"text": "a"},\n  {"text": "b" "c"}\n]\n');
  await rejectsWith(collect(file), (e) => {
    assert.equal(e.line, 3);
    assert.match(e.message, /invalid JSON/);
  });
});

test('empty files, JSON that is not an array, non-object rows, missing files and unknown types are located DataErrors', async () => {
  const dir = tempDir();
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  for (const file of [
    write('e.jsonl', ''),
    write('blank.jsonl', '\n  \n'),
    write('e.json', ' \n'),
    write('e2.json', '[]'),
    write('e.parquet', ''),
  ]) {
    await rejectsWith(collect(file), (e) => {
      assert.equal(e.file, file);
      assert.equal(e.line, 1);
      assert.match(e.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: empty file`));
    });
  }
  const emptyParquet = writeParquet(path.join(dir, 'rows0.parquet'), [], { rowGroupSize: 10 });
  await rejectsWith(collect(emptyParquet), (e) => assert.match(e.message, /empty file/));
  await rejectsWith(collect(write('obj.json', '{"text": "a"}')), (e) =>
    assert.match(e.message, /:1: expected a JSON array of objects, got object/),
  );
  await rejectsWith(collect(write('rows.jsonl', '{"text":"a"}\n[1, 2]\n')), (e) => {
    assert.equal(e.line, 2);
    assert.match(e.message, /rows\.jsonl:2: expected a JSON object, got array/);
  });
  await rejectsWith(collect(write('rows.json', '[{"text":"a"}, {"text":"b"}, 5]')), (e) => {
    assert.equal(e.line, 3);
    assert.match(e.message, /rows\.json:3: expected a JSON object, got number/);
  });
  await rejectsWith(collect(write('junk.parquet', 'this is not parquet at all')), (e) =>
    assert.match(e.message, /not a readable Parquet file/),
  );
  await rejectsWith(collect(path.join(dir, 'missing.jsonl')), (e) => assert.match(e.message, /missing\.jsonl:1: cannot read file/));
  await rejectsWith(collect(write('data.csv', 'a,b')), (e) => assert.match(e.message, /unsupported file type '\.csv'/));
});

const BAD_ROWS = [
  { text: 'fine' }, // 1
  { prompt: 'no completion here' }, // 2 missing field
  {
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 42 },
    ],
  }, // 3 wrong type
  {
    messages: [
      { role: 'robot', content: 'beep' },
      { role: 'assistant', content: 'ok' },
    ],
  }, // 4 unknown role
  { messages: [] }, // 5 empty conversation
  { messages: [{ role: 'user', content: 'hi' }] }, // 6 no assistant turn
  { unrelated: 1 }, // 7 no known format
  { text: 7 }, // 8 wrong type
  {
    conversations: [
      { from: 'human', value: 'q' },
      { from: 'gpt', value: 'a' },
    ],
  }, // 9
];
const EXPECTED_SKIPS: Array<[number, string | undefined, RegExp]> = [
  [2, 'completion', /is missing/],
  [3, 'messages[1].content', /must be a string, got number/],
  [4, 'messages[0].role', /'robot' is not a known role/],
  [5, 'messages', /empty conversation/],
  [6, 'messages', /no assistant turn/],
  [7, undefined, /no training fields.*columns: unrelated/],
  [8, 'text', /must be a string, got number/],
];

test('each malformed row fails with its file, line and field', async () => {
  const dir = tempDir();
  const tokenizer = chatmlTokenizer();
  for (const [line, field, pattern] of EXPECTED_SKIPS) {
    const file = writeJsonl(path.join(dir, `row${line}.jsonl`), [BAD_ROWS[0], BAD_ROWS[line - 1]]);
    await rejectsWith(loadExamples([file], tokenizer, OPTIONS), (e) => {
      assert.equal(e.line, 2);
      assert.equal(e.field, field);
      assert.match(e.message, pattern);
      const prefix = field === undefined ? `${file}:2: ` : `${file}:2: field '${field}' `;
      assert.ok(e.message.startsWith(prefix), e.message);
    });
  }
});

test("errorPolicy 'skip' keeps the good rows and counts and lists every bad one", async () => {
  const dir = tempDir();
  const file = path.join(dir, 'mixed.jsonl');
  fs.writeFileSync(file, BAD_ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n{"text": broken\n' + JSON.stringify([1]) + '\n');
  const tokenizer = chatmlTokenizer();
  await rejectsWith(loadExamples([file], tokenizer, OPTIONS), (e) => assert.equal(e.line, 2));
  const loaded = await loadExamples([file], tokenizer, { ...OPTIONS, errorPolicy: 'skip' });
  assert.deepEqual(loaded.counts, { rows: 11, kept: 2, skipped: 9, truncated: 0, dropped: 0 });
  assert.deepEqual(
    loaded.sources.map((s) => s.line),
    [1, 9],
  );
  assert.deepEqual(
    loaded.skipped.map((s) => s.line),
    [2, 3, 4, 5, 6, 7, 8, 10, 11],
  );
  for (const [line, field, pattern] of EXPECTED_SKIPS) {
    const s = loaded.skipped.find((x) => x.line === line)!;
    assert.equal(s.file, file);
    assert.equal(s.field, field);
    assert.match(s.message, pattern);
    assert.ok(!s.message.includes(file), 'the message is the detail; file and line are fields');
  }
  assert.match(loaded.skipped[7]!.message, /invalid JSON/);
  assert.match(loaded.skipped[8]!.message, /expected a JSON object, got array/);
  // File-level problems are thrown even when skipping rows.
  const empty = path.join(dir, 'empty.jsonl');
  fs.writeFileSync(empty, '');
  await rejectsWith(loadExamples([file, empty], tokenizer, { ...OPTIONS, errorPolicy: 'skip' }), (e) =>
    assert.match(e.message, /empty file/),
  );
});

test('length limits: dropped and truncated rows are counted', async () => {
  const dir = tempDir();
  const rows = [{ text: 'short.' }, { text: 'The model learns to predict the next token. '.repeat(20) }];
  const file = writeJsonl(path.join(dir, 'len.jsonl'), rows);
  const tokenizer = chatmlTokenizer();
  const dropped = await loadExamples([file], tokenizer, { ...OPTIONS, maxLength: 32, truncation: 'drop' });
  assert.deepEqual(dropped.counts, { rows: 2, kept: 1, skipped: 0, truncated: 0, dropped: 1 });
  const truncated = await loadExamples([file], tokenizer, { ...OPTIONS, maxLength: 32, truncation: 'truncate' });
  assert.deepEqual(truncated.counts, { rows: 2, kept: 2, skipped: 0, truncated: 1, dropped: 0 });
  assert.equal(truncated.examples[1]!.ids.length, 32);
});
