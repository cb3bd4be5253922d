// Shared fixtures for the data tests: a small ChatML byte-level BPE tokenizer trained here, temp
// folders, and writers for the same rows as JSONL, JSON and Parquet.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { CHATML_SPECIAL_TOKENS, makeTokenizerConfig, Tokenizer, trainByteLevelBpe, type JsonObject } from '../../src/tokenizer/index.js';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temp folder, removed when the test process exits. */
export function tempDir(prefix = 'data'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `posttrain-${prefix}-`));
  made.push(d);
  return d;
}

const CORPUS_LINES = [
  'You answer briefly.',
  'Hi! Who are you?',
  'An assistant.',
  'Add 2 and 3.',
  '2 + 3 = 5.',
  'Done.',
  'Thanks.',
  'You are welcome.',
  'What is the capital of France?',
  'Paris.',
  'The model learns to predict the next token.',
  'Write a haiku about the sea.',
  'Waves fold into foam, salt wind carries old stories, the tide keeps its time.',
  'Translate to French: good morning',
  'bonjour',
  'Say hello.',
  'Hello there!',
  'Count to five.',
  '1, 2, 3, 4, 5.',
];

let cached: { json: JsonObject; tokenizer: Tokenizer } | undefined;

/** A ChatML tokenizer (eos <|endoftext|>, no BOS) trained on a tiny corpus; vocab 400. */
export function chatmlTokenizer(): Tokenizer {
  if (cached === undefined) {
    const texts: string[] = [];
    for (let i = 0; i < 20; i++) for (const line of CORPUS_LINES) texts.push(`${line}\n`);
    const json = trainByteLevelBpe(texts, { vocabSize: 400, specialTokens: CHATML_SPECIAL_TOKENS });
    cached = { json, tokenizer: Tokenizer.fromFiles(json, makeTokenizerConfig({ eos: '<|endoftext|>', pad: '<|endoftext|>' })) };
  }
  return cached.tokenizer;
}

/** The same tokenizer with another tokenizer_config (e.g. a BOS token). */
export function chatmlTokenizerWithConfig(config: JsonObject): Tokenizer {
  chatmlTokenizer();
  return Tokenizer.fromFiles(cached!.json, config);
}

/** Decoded text of each maximal run of tokens with mask 1. */
export function maskedRuns(tokenizer: Tokenizer, ids: ArrayLike<number>, mask: ArrayLike<number>): string[] {
  const runs: string[] = [];
  let run: number[] = [];
  for (let i = 0; i <= ids.length; i++) {
    if (i < ids.length && mask[i] === 1) run.push(ids[i]!);
    else if (run.length > 0) {
      runs.push(tokenizer.decode(run));
      run = [];
    }
  }
  return runs;
}

export function writeJsonl(file: string, rows: readonly unknown[]): string {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

export function writeJsonArray(file: string, rows: readonly unknown[]): string {
  fs.writeFileSync(file, JSON.stringify(rows, null, 2));
  return file;
}

const listOfPairs = (name: string, a: string, b: string) => [
  { name, repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL' as const, num_children: 2 },
  { name: a, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
  { name: b, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
];
const stringColumn = (name: string) => ({
  name,
  type: 'BYTE_ARRAY' as const,
  converted_type: 'UTF8' as const,
  repetition_type: 'OPTIONAL' as const,
});

/**
 * Rows with text / string prompt+completion / messages / conversations as a Parquet file with
 * nested list<struct> columns (as Hugging Face datasets writes them), plus an int64 `id` column;
 * absent fields are nulls.
 */
export function writeParquet(
  file: string,
  rows: readonly Record<string, unknown>[],
  options: { rowGroupSize: number; codec?: 'SNAPPY' | 'UNCOMPRESSED' },
): string {
  const column = (name: string) => rows.map((r) => (r[name] === undefined ? null : r[name]));
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'id', data: rows.map((r) => BigInt(r['id'] as number)) },
      { name: 'text', data: column('text') },
      { name: 'prompt', data: column('prompt') },
      { name: 'completion', data: column('completion') },
      { name: 'messages', data: column('messages') },
      { name: 'conversations', data: column('conversations') },
    ],
    schema: [
      { name: 'root', num_children: 6 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
      stringColumn('text'),
      stringColumn('prompt'),
      stringColumn('completion'),
      ...listOfPairs('messages', 'role', 'content'),
      ...listOfPairs('conversations', 'from', 'value'),
    ],
    rowGroupSize: options.rowGroupSize,
    codec: options.codec ?? 'SNAPPY',
  });
  return file;
}

export const CONVERSATION = [
  { role: 'system', content: 'You answer briefly.' },
  { role: 'user', content: 'Hi! Who are you?' },
  { role: 'assistant', content: 'An assistant.' },
  { role: 'user', content: 'Add 2 and 3.' },
  { role: 'assistant', content: '2 + 3 = 5.\nDone.' },
  { role: 'user', content: 'Thanks.' },
  { role: 'assistant', content: 'You are welcome.' },
];

/** Rows of every string/list format, each with an `id` column (an extra column). */
export function sampleRows(n: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 4) {
      case 0:
        rows.push({ id: i, text: `The model learns to predict the next token. ${i}` });
        break;
      case 1:
        rows.push({ id: i, prompt: `Add ${i} and 3.`, completion: ` ${i + 3}.` });
        break;
      case 2:
        rows.push({ id: i, messages: CONVERSATION.slice(0, 3 + 2 * (i % 3)) });
        break;
      default:
        rows.push({
          id: i,
          conversations: [
            { from: 'human', value: `Count to ${i}.` },
            { from: 'gpt', value: '1, 2, 3, 4, 5.' },
          ],
        });
    }
  }
  return rows;
}
