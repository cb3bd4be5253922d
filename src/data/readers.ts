// Rows of training data from files, one plain object at a time, with where each came from:
//   .jsonl / .ndjson  streamed as bytes and split at line feeds here (a CR before the LF is
//                     dropped); blank lines are skipped but counted in line numbers; a UTF-8 BOM is
//                     ignored. Memory stays bounded: a line longer than maxLineBytes (default
//                     16 MiB) is reported as soon as it passes the limit and the rest of it is
//                     skipped unread into memory;
//   .json             a JSON array of objects; the WHOLE file is read and parsed at once (JSON has
//                     no row boundaries to stream on): use JSONL or Parquet for large data;
//   .parquet          hyparquet, one row group at a time (byte ranges read on demand), so files
//                     larger than memory work as long as one row group fits; snappy, gzip, zstd,
//                     brotli and lz4 pages through hyparquet-compressors.
// Text is checked as it is read (text_checks.ts): bytes that are not UTF-8 are an error naming the
// byte offset in the file and in the line (JSONL, JSON) or the field (Parquet), never U+FFFD;
// strings holding lone surrogates, or control characters (unless allowControlChars), are errors
// naming the field and the index in the string.
// Row-level problems (a line that is not JSON or not UTF-8, a row that is not an object, an
// over-long line, a string with a control character) go to `onRowError` when one is given and
// reading continues; without it they are thrown. File-level problems (missing, empty, not an array,
// not Parquet, a .json that is not UTF-8) are always thrown. Everything thrown about the data is a
// DataError naming file and line. This file knows nothing of what the rows mean (formats.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError, typeName } from './errors.js';
import { checkRowText, firstInvalidUtf8, hexBytes, parquetStringParsers, FATAL_UTF8 } from './text_checks.js';

export interface RawRow {
  data: Record<string, unknown>;
  file: string;
  /** 1-based: text line (JSONL), element index (JSON), row number (Parquet). */
  line: number;
}

export interface ReadRowsOptions {
  /** Receives row-level DataErrors instead of having them thrown; reading goes on. */
  onRowError?: (error: DataError) => void;
  /** Longest JSONL line, in bytes (default DEFAULT_MAX_LINE_BYTES): a longer one is a row-level
   *  DataError, found while streaming without holding the line. Config field max_line_bytes. */
  maxLineBytes?: number;
  /** Keep strings with C0 control characters (other than tab, LF, CR) and U+FFFE/U+FFFF; default:
   *  such a row is a DataError naming the field. Config field allow_control_characters. */
  allowControlChars?: boolean;
}

/** 16 MiB: far above any real row, far below what would exhaust memory on one line. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export const SUPPORTED_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.parquet'] as const;

/** The rows of one data file, by its extension. */
export async function* readRows(file: string, options: ReadRowsOptions = {}): AsyncGenerator<RawRow> {
  const report = (error: DataError): void => {
    if (options.onRowError === undefined) throw error;
    options.onRowError(error);
  };
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`readRows: maxLineBytes must be a positive integer, got ${String(options.maxLineBytes)}`);
  }
  const allowControlChars = options.allowControlChars === true;
  /** The row, or null after reporting what is wrong with its text. */
  const checked = (data: Record<string, unknown>, line: number): RawRow | null => {
    const problem = checkRowText(data, allowControlChars);
    if (problem === null) return { data, file, line };
    report(new DataError(file, line, problem.detail, problem.field));
    return null;
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
  if (ext === '.parquet') yield* readParquet(file, stat.size, checked);
  else if (ext === '.json') yield* readJsonArray(file, checked, report);
  else yield* readJsonl(file, maxLineBytes, checked, report);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

type Checked = (data: Record<string, unknown>, line: number) => RawRow | null;

async function* readJsonl(file: string, maxLineBytes: number, checked: Checked, report: (e: DataError) => void): AsyncGenerator<RawRow> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  let line = 0; // lines finished
  let rows = 0; // lines that were not blank
  let parts: Buffer[] = []; // the current line's bytes (while under the limit)
  let length = 0; // the current line's length so far
  let overlong = false;
  let lineStart = 0; // file offset of the current line
  let chunkStart = 0; // file offset of the current chunk
  /** A finished line → its row, or null (blank, or reported). */
  const finish = (): RawRow | null => {
    line++;
    if (overlong) {
      rows++;
      return null;
    }
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
    let start = lineStart;
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
      start += 3;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    let text: string;
    try {
      text = FATAL_UTF8.decode(bytes);
    } catch {
      rows++;
      const at = Math.max(0, firstInvalidUtf8(bytes));
      const column = at + 1 + (start - lineStart);
      report(
        new DataError(
          file,
          line,
          `invalid UTF-8 at byte offset ${start + at} of the file (byte ${column} of the line): ${hexBytes(bytes, at)}; the file must be UTF-8 text (re-encode it, e.g. iconv -f latin1 -t utf-8)`,
        ),
      );
      return null;
    }
    if (text.trim() === '') return null;
    rows++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      report(new DataError(file, line, `invalid JSON: ${(e as Error).message}`));
      return null;
    }
    if (!isPlainObject(value)) {
      report(new DataError(file, line, `expected a JSON object, got ${typeName(value)}`));
      return null;
    }
    return checked(value, line);
  };
  const reset = (next: number): void => {
    parts = [];
    length = 0;
    overlong = false;
    lineStart = next;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let pos = 0;
      while (pos < chunk.length) {
        const lf = chunk.indexOf(0x0a, pos);
        const end = lf === -1 ? chunk.length : lf;
        length += end - pos;
        if (!overlong && length > maxLineBytes) {
          overlong = true;
          parts = [];
          report(
            new DataError(
              file,
              line + 1,
              `line is longer than max_line_bytes ${maxLineBytes}: ${length} bytes read with no line end yet; a JSONL row is one line — ` +
                'if the row is real, raise max_line_bytes (readRows option maxLineBytes)',
            ),
          );
        }
        if (!overlong) parts.push(chunk.subarray(pos, end));
        if (lf === -1) break;
        const row = finish();
        reset(chunkStart + lf + 1);
        if (row !== null) yield row;
        pos = lf + 1;
      }
      chunkStart += chunk.length;
    }
    if (length > 0 || overlong) {
      const row = finish();
      if (row !== null) yield row;
    }
  } finally {
    stream.destroy();
  }
  if (rows === 0) throw new DataError(file, 1, line === 0 ? 'empty file' : 'empty file (only blank lines)');
}

async function* readJsonArray(file: string, checked: Checked, report: (e: DataError) => void): AsyncGenerator<RawRow> {
  let bytes = await fs.promises.readFile(file);
  let base = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    bytes = bytes.subarray(3);
    base = 3;
  }
  let text: string;
  try {
    text = FATAL_UTF8.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    for (let i = bytes.indexOf(0x0a); i !== -1 && i < at; i = bytes.indexOf(0x0a, i + 1)) line++;
    const column = at - (at === 0 ? -1 : bytes.lastIndexOf(0x0a, at - 1)) + (line === 1 ? base : 0);
    throw new DataError(
      file,
      line,
      `invalid UTF-8 at byte offset ${base + at} of the file (byte ${column} of the line): ${hexBytes(bytes, at)}; the file must be UTF-8 text (re-encode it, e.g. iconv -f latin1 -t utf-8)`,
    );
  }
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
    const good = checked(row, i + 1);
    if (good !== null) yield good;
  }
}

async function* readParquet(file: string, size: number, checked: Checked): AsyncGenerator<RawRow> {
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
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors, parsers: parquetStringParsers });
    } catch (e) {
      throw new DataError(
        file,
        rowStart + 1,
        `row group ${group} (rows ${rowStart + 1}-${rowEnd}) could not be read: ${(e as Error).message}`,
      );
    }
    for (let i = 0; i < rows.length; i++) {
      const row = checked(rows[i]!, rowStart + i + 1);
      if (row !== null) yield row;
    }
    rowStart = rowEnd;
  }
}
