// Rows of training data from files, one plain object at a time, with where each came from:
//   .jsonl / .ndjson  streamed line by line (node:readline); blank lines are skipped but counted
//                     in line numbers; a UTF-8 BOM is ignored;
//   .json             a JSON array of objects; the WHOLE file is read and parsed at once (JSON has
//                     no row boundaries to stream on): use JSONL or Parquet for large data;
//   .parquet          hyparquet, one row group at a time (byte ranges read on demand), so files
//                     larger than memory work as long as one row group fits; snappy, gzip, zstd,
//                     brotli and lz4 pages through hyparquet-compressors.
// Row-level problems (a line that is not JSON, a row that is not an object) go to `onRowError` when
// one is given and reading continues; without it they are thrown. File-level problems (missing,
// empty, not an array, not Parquet) are always thrown. Everything thrown about the data is a
// DataError naming file and line. This file knows nothing of what the rows mean (formats.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError, typeName } from './errors.js';

export interface RawRow {
  data: Record<string, unknown>;
  file: string;
  /** 1-based: text line (JSONL), element index (JSON), row number (Parquet). */
  line: number;
}

export interface ReadRowsOptions {
  /** Receives row-level DataErrors instead of having them thrown; reading goes on. */
  onRowError?: (error: DataError) => void;
}

export const SUPPORTED_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.parquet'] as const;

/** The rows of one data file, by its extension. */
export async function* readRows(file: string, options: ReadRowsOptions = {}): AsyncGenerator<RawRow> {
  const report = (error: DataError): void => {
    if (options.onRowError === undefined) throw error;
    options.onRowError(error);
  };
  const ext = path.extname(file).toLowerCase();
  if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new DataError(file, 1, `unsupported file type '${ext || '(none)'}' (expected ${SUPPORTED_EXTENSIONS.join(', ')})`);
  }
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (e) {
    throw new DataError(file, 1, `cannot read file: ${(e as Error).message}`);
  }
  if (!stat.isFile()) throw new DataError(file, 1, 'is not a regular file');
  if (ext === '.parquet') yield* readParquet(file, stat.size);
  else if (ext === '.json') yield* readJsonArray(file, report);
  else yield* readJsonl(file, report);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

async function* readJsonl(file: string, report: (e: DataError) => void): AsyncGenerator<RawRow> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let rows = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === '') continue;
      rows++;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        report(new DataError(file, line, `invalid JSON: ${(e as Error).message}`));
        continue;
      }
      if (!isPlainObject(value)) {
        report(new DataError(file, line, `expected a JSON object, got ${typeName(value)}`));
        continue;
      }
      yield { data: value, file, line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (rows === 0) throw new DataError(file, 1, line === 0 ? 'empty file' : 'empty file (only blank lines)');
}

async function* readJsonArray(file: string, report: (e: DataError) => void): AsyncGenerator<RawRow> {
  let text = await fs.promises.readFile(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DataError(file, 1, 'empty file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : 1;
    throw new DataError(file, line, `invalid JSON: ${message}`);
  }
  if (!Array.isArray(value)) {
    throw new DataError(file, 1, `expected a JSON array of objects, got ${typeName(value)} (use .jsonl for one object per line)`);
  }
  if (value.length === 0) throw new DataError(file, 1, 'empty file (the array has no elements)');
  for (let i = 0; i < value.length; i++) {
    const row: unknown = value[i];
    if (!isPlainObject(row)) {
      report(new DataError(file, i + 1, `expected a JSON object, got ${typeName(row)}`));
      continue;
    }
    yield { data: row, file, line: i + 1 };
  }
}

async function* readParquet(file: string, size: number): AsyncGenerator<RawRow> {
  if (size === 0) throw new DataError(file, 1, 'empty file');
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new DataError(file, 1, `not a readable Parquet file: ${(e as Error).message}`);
  }
  if (Number(metadata.num_rows) === 0) throw new DataError(file, 1, 'empty file (no rows)');
  let rowStart = 0;
  for (const [group, rowGroup] of metadata.row_groups.entries()) {
    const rowEnd = rowStart + Number(rowGroup.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
    } catch (e) {
      throw new DataError(
        file,
        rowStart + 1,
        `row group ${group} (rows ${rowStart + 1}-${rowEnd}) could not be read: ${(e as Error).message}`,
      );
    }
    for (let i = 0; i < rows.length; i++) yield { data: rows[i]!, file, line: rowStart + i + 1 };
    rowStart = rowEnd;
  }
}
