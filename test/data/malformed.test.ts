// Bad data that used to be accepted silently: bytes that are not UTF-8, a line far too long to hold,
// rows with nothing to train on, control characters in text. Each is a DataError naming where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { DataError, loadExamples, readRows, type LoadOptions, type RawRow, type ReadRowsOptions } from '../../src/data/index.js';
import { chatmlTokenizer, tempDir } from './helpers.js';

const OPTIONS: LoadOptions = { errorPolicy: 'fail', lossOn: 'completion', truncation: 'drop', addEos: true };

async function collect(file: string, options: ReadRowsOptions = {}): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of readRows(file, options)) rows.push(row);
  return rows;
}

async function rejectsWith(promise: Promise<unknown>, check: (e: DataError) => void): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    check(e);
    return true;
  });
}

const GOOD = '{"prompt":"Add 2 and 3.","completion":" 5."}\n';

test('invalid UTF-8 in a JSONL line is a DataError with the line, the byte offset in the file and in the line', async () => {
  const dir = tempDir('malformed');
  const file = path.join(dir, 'bad.jsonl');
  // line 2: `{"prompt":"caf` then 0xE9 (latin-1 é) then `","completion":"x"}`
  const bad = Buffer.concat([Buffer.from('{"prompt":"caf'), Buffer.from([0xe9]), Buffer.from('","completion":"x"}\r\n')]);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(GOOD), bad, Buffer.from(GOOD)]));
  const offset = Buffer.byteLength(GOOD) + '{"prompt":"caf'.length;
  await rejectsWith(collect(file), (e) => {
    assert.equal(e.line, 2);
    assert.match(e.detail, new RegExp(`invalid UTF-8 at byte offset ${offset} of the file \\(byte 15 of the line\\): 0xe9 0x22`));
  });
  // skip: the line is listed and counted, the good lines around it are kept (never a U+FFFD row)
  const loaded = await loadExamples([file], chatmlTokenizer(), { ...OPTIONS, errorPolicy: 'skip' });
  assert.deepEqual(loaded.counts, { rows: 3, kept: 2, skipped: 1, truncated: 0, dropped: 0 });
  assert.equal(loaded.skipped[0]!.line, 2);
  assert.deepEqual(
    loaded.sources.map((s) => s.line),
    [1, 3],
  );
  // a sequence cut off by the end of the line, after a BOM (offsets count the BOM's bytes)
  const bom = path.join(dir, 'bom.jsonl');
  fs.writeFileSync(
    bom,
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"text":"ok '), Buffer.from([0xe2, 0x82]), Buffer.from('\n')]),
  );
  await rejectsWith(collect(bom), (e) => {
    assert.equal(e.line, 1);
    assert.match(e.detail, /byte offset 15 of the file \(byte 16 of the line\): 0xe2 0x82;/);
  });
});

test('invalid UTF-8 in a .json file names the text line; in a Parquet string, the row and the column', async () => {
  const dir = tempDir('malformed');
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(
    file,
    Buffer.concat([Buffer.from('[\n  {"text": "fine"},\n  {"text": "bad '), Buffer.from([0xff]), Buffer.from('"}\n]\n')]),
  );
  await rejectsWith(collect(file), (e) => {
    assert.equal(e.line, 3);
    assert.match(e.detail, /invalid UTF-8 at byte offset 38 of the file \(byte 17 of the line\): 0xff/);
  });

  const pq = path.join(dir, 'bad.parquet');
  parquetWriteFile({
    filename: pq,
    columnData: [
      { name: 'prompt', data: [new TextEncoder().encode('good'), Uint8Array.from([0x61, 0xc3, 0x28])], type: 'BYTE_ARRAY' },
      { name: 'completion', data: [new TextEncoder().encode('yes'), new TextEncoder().encode('no')], type: 'BYTE_ARRAY' },
    ],
  });
  await rejectsWith(collect(pq), (e) => {
    assert.equal(e.line, 2);
    assert.equal(e.field, 'prompt');
    assert.match(e.detail, /is not valid UTF-8: byte 1 of the string's 3 bytes is 0xc3 0x28/);
  });
  const skipped: DataError[] = [];
  const rows = await collect(pq, { onRowError: (e) => skipped.push(e) });
  assert.deepEqual(
    rows.map((r) => r.data['prompt']),
    ['good'],
  );
  assert.equal(skipped.length, 1);
});

/** Runs readRows over `file` in a fresh node process: how long it took, its peak RSS and the error. */
function readInChild(
  file: string,
  options: ReadRowsOptions,
): { ms: number; rssGrowth: number; line: number; detail: string; rows: number } {
  const readers = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/data/readers.js');
  const script = `
    const { readRows } = await import(${JSON.stringify(readers)});
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    let rows = 0, line = 0, detail = '';
    try { for await (const r of readRows(${JSON.stringify(file)}, ${JSON.stringify(options)})) rows++; }
    catch (e) { line = e.line; detail = e.detail ?? String(e); }
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ ms, rssGrowth: process.resourceUsage().maxRSS * 1024 - before, line, detail, rows }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { ms: number; rssGrowth: number; line: number; detail: string; rows: number };
}

test('a 100 MB line stops at max_line_bytes: fast, named by its line, memory bounded far below the file', async () => {
  const dir = tempDir('malformed');
  const file = path.join(dir, 'huge.jsonl');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, GOOD + '{"text":"');
  const block = Buffer.alloc(1 << 20, 'a');
  for (let i = 0; i < 100; i++) fs.writeSync(fd, block);
  fs.writeSync(fd, '"}\n' + GOOD);
  fs.closeSync(fd);

  const r = readInChild(file, {});
  assert.equal(r.line, 2);
  assert.match(r.detail, /^line is longer than max_line_bytes 16777216: \d+ bytes read with no line end yet/);
  assert.match(r.detail, /raise max_line_bytes/);
  assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  assert.ok(r.rssGrowth < 60 * 2 ** 20, `RSS grew by ${(r.rssGrowth / 2 ** 20).toFixed(0)} MiB reading a 100 MB line`);

  // with skip, the long line is reported and skipped unread into memory; the lines after it count on
  const skipped = readInChild(file, { maxLineBytes: 1 << 20 });
  assert.equal(skipped.line, 2);
  assert.match(skipped.detail, /max_line_bytes 1048576/);
  const loaded = await loadExamples([file], chatmlTokenizer(), { ...OPTIONS, errorPolicy: 'skip', maxLineBytes: 1 << 20 });
  assert.deepEqual(loaded.counts, { rows: 3, kept: 2, skipped: 1, truncated: 0, dropped: 0 });
  assert.deepEqual(
    loaded.sources.map((s) => s.line),
    [1, 3],
  );
  assert.match(loaded.skipped[0]!.message, /line is longer than max_line_bytes 1048576/);
  await assert.rejects(collect(file, { maxLineBytes: 0 }), RangeError);
});

test('rows with nothing to train on name the empty field; skip counts them', async () => {
  const fails = (row: Record<string, unknown>, field: string, detail: RegExp) =>
    rejectsWith(
      (async () => {
        const dir = tempDir('malformed');
        const file = path.join(dir, 'rows.jsonl');
        fs.writeFileSync(file, JSON.stringify(row) + '\n');
        await loadExamples([file], chatmlTokenizer(), OPTIONS);
      })(),
      (e) => {
        assert.equal(e.line, 1);
        assert.equal(e.field, field);
        assert.match(e.detail, detail);
      },
    );
  await fails(
    {
      messages: [
        { role: 'user', content: '' },
        { role: 'assistant', content: '  \n' },
      ],
    },
    'messages[1].content',
    /is only whitespace \(the only assistant turn\): nothing to train on/,
  );
  await fails(
    {
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'Again?' },
        { role: 'assistant', content: ' ' },
      ],
    },
    'messages[1].content',
    /is an empty string \(as are all 2 assistant turns\)/,
  );
  await fails(
    {
      conversations: [
        { from: 'human', value: 'Q' },
        { from: 'gpt', value: '' },
      ],
    },
    'conversations[1].value',
    /empty string/,
  );
  await fails({ prompt: 'Q', completion: '' }, 'completion', /is an empty string: nothing to train on/);
  await fails({ prompt: '', completion: '\t' }, 'completion', /only whitespace/);
  await fails(
    { prompt: [{ role: 'user', content: 'Q' }], completion: [{ role: 'assistant', content: '' }] },
    'completion[0].content',
    /empty/,
  );
  await fails({ text: ' \n ' }, 'text', /only whitespace/);

  // an empty assistant content with reasoning or tool calls has something to train on; so does an empty prompt
  const dir = tempDir('malformed');
  const file = path.join(dir, 'mixed.jsonl');
  const rows = [
    {
      messages: [
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: '', reasoning_content: 'Think.' },
      ],
    },
    { prompt: '', completion: 'Hello there!' },
    {
      messages: [
        { role: 'user', content: '' },
        { role: 'assistant', content: '' },
      ],
    },
    { prompt: 'Q', completion: '' },
  ];
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  const loaded = await loadExamples([file], chatmlTokenizer(), { ...OPTIONS, errorPolicy: 'skip' });
  assert.deepEqual(loaded.counts, { rows: 4, kept: 2, skipped: 2, truncated: 0, dropped: 0 });
  assert.deepEqual(
    loaded.skipped.map((s) => `${s.line} ${s.field}`),
    ['3 messages[1].content', '4 completion'],
  );
});

test('control characters and lone surrogates in text are refused with the field and index unless allowed', async () => {
  const dir = tempDir('malformed');
  const write = (name: string, rows: unknown[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return file;
  };
  const nul = write('nul.jsonl', [
    { prompt: 'ok', completion: 'fine' },
    { prompt: 'Add 2\u0000 and 3.', completion: ' 5.' },
  ]);
  await rejectsWith(collect(nul), (e) => {
    assert.equal(e.line, 2);
    assert.equal(e.field, 'prompt');
    assert.equal(
      e.detail,
      'holds the control character U+0000 (NUL) at index 5; set allow_control_characters: true (allowControlChars) to keep rows with control characters',
    );
  });
  assert.equal((await collect(nul, { allowControlChars: true })).length, 2);
  const loaded = await loadExamples([nul], chatmlTokenizer(), { ...OPTIONS, allowControlChars: true });
  assert.equal(loaded.counts.kept, 2);

  const esc = write('esc.jsonl', [
    {
      messages: [
        { role: 'user', content: 'tab\there\r\nok' },
        { role: 'assistant', content: 'x\u001b[31m' },
      ],
    },
  ]);
  await rejectsWith(collect(esc), (e) => {
    assert.equal(e.field, 'messages[1].content');
    assert.match(e.detail, /U\+001B \(ESC\) at index 1/);
  });
  const nonchar = write('nonchar.json', [[{ text: 'a\uffffb' }]]);
  await rejectsWith(collect(nonchar), (e) => assert.match(e.detail, /U\+FFFF \(a noncharacter\) at index 1/));

  // a JSON escape of half a surrogate pair is not text, control characters allowed or not
  const lone = path.join(dir, 'lone.jsonl');
  fs.writeFileSync(lone, '{"text":"ab\\ud83dc"}\n');
  await rejectsWith(collect(lone, { allowControlChars: true }), (e) => {
    assert.equal(e.field, 'text');
    assert.match(e.detail, /lone surrogate \\uD83D at index 2/);
  });
  // a whole pair is fine
  fs.writeFileSync(lone, '{"text":"ab\\ud83d\\ude00c"}\n');
  assert.equal((await collect(lone)).length, 1);
});
