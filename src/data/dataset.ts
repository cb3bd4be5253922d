// Data files → tokenized examples, with an account of every row: read (readers.ts), understood
// (formats.ts), tokenized and length-limited (tokenize.ts). errorPolicy 'fail' throws the first
// DataError; 'skip' leaves bad rows out but lists each (file, line, field, message) and counts them,
// so a run never silently drops data. Rows dropped or truncated by the length limit are counted
// too. File-level problems (missing, empty, not Parquet, a .json that is not an array) are thrown
// with either policy: a whole file is never skipped. A directory stands for the data files inside
// it (recursively, sorted by path).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../tokenizer/index.js';
import { DataError, type RowSource } from './errors.js';
import { readRows, SUPPORTED_EXTENSIONS } from './readers.js';
import { parseExample } from './formats.js';
import { fitLength, tokenizeFull, type LossOn, type TokenizedExample, type Truncation } from './tokenize.js';

export type ErrorPolicy = 'fail' | 'skip';

export interface LoadOptions {
  errorPolicy: ErrorPolicy;
  lossOn: LossOn;
  /** Most tokens per example (seqLen + 1 for packing); undefined = no limit. */
  maxLength?: number;
  truncation: Truncation;
  addEos: boolean;
  addBos?: boolean;
  templateName?: string;
  templateExtra?: Record<string, unknown>;
  /** Longest JSONL line in bytes (readers.ts; default 16 MiB). */
  maxLineBytes?: number;
  /** Keep strings with control characters (readers.ts; default: a DataError). */
  allowControlChars?: boolean;
}

export interface SkippedRow {
  file: string;
  line: number;
  field?: string;
  /** What is wrong, without the location (DataError.detail). */
  message: string;
}

export interface LoadCounts {
  /** Rows read (kept + skipped + dropped). */
  rows: number;
  kept: number;
  /** Rows with a DataError (errorPolicy 'skip'). */
  skipped: number;
  /** Kept rows whose tail was cut to maxLength. */
  truncated: number;
  /** Rows over maxLength with truncation 'drop', or truncated to no trained token. */
  dropped: number;
}

export interface LoadedExamples {
  examples: TokenizedExample[];
  /** Where examples[i] came from. */
  sources: RowSource[];
  skipped: SkippedRow[];
  counts: LoadCounts;
}

export async function loadExamples(paths: readonly string[], tokenizer: Tokenizer, options: LoadOptions): Promise<LoadedExamples> {
  if (options.errorPolicy !== 'fail' && options.errorPolicy !== 'skip') {
    throw new RangeError(`loadExamples: errorPolicy must be 'fail' or 'skip', got ${JSON.stringify(options.errorPolicy)}`);
  }
  const result: LoadedExamples = {
    examples: [],
    sources: [],
    skipped: [],
    counts: { rows: 0, kept: 0, skipped: 0, truncated: 0, dropped: 0 },
  };
  const { counts } = result;
  const skip = (e: DataError): void => {
    counts.rows++;
    counts.skipped++;
    result.skipped.push({ file: e.file, line: e.line, ...(e.field === undefined ? {} : { field: e.field }), message: e.detail });
  };
  const tokenizeOptions = {
    lossOn: options.lossOn,
    addEos: options.addEos,
    addBos: options.addBos,
    templateName: options.templateName,
    templateExtra: options.templateExtra,
  };
  const readOptions = {
    ...(options.errorPolicy === 'skip' ? { onRowError: skip } : {}),
    maxLineBytes: options.maxLineBytes,
    allowControlChars: options.allowControlChars,
  };
  for (const file of await expandPaths(paths)) {
    for await (const { data, line } of readRows(file, readOptions)) {
      const source = { file, line };
      let tokenized: TokenizedExample;
      try {
        const { example } = parseExample(data, source);
        tokenized = tokenizeFull(example, tokenizer, { ...tokenizeOptions, source });
      } catch (e) {
        if (!(e instanceof DataError) || options.errorPolicy === 'fail') throw e;
        skip(e);
        continue;
      }
      counts.rows++;
      const fitted = fitLength(tokenized, options.maxLength, options.truncation);
      if (fitted === null) {
        counts.dropped++;
        continue;
      }
      if (fitted.truncated) counts.truncated++;
      counts.kept++;
      result.examples.push({ ids: fitted.ids, lossMask: fitted.lossMask });
      result.sources.push(source);
    }
  }
  return result;
}

/** Files as given, directories replaced by the data files inside them (recursively, sorted). */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  if (!Array.isArray(paths) || paths.length === 0) throw new RangeError('loadExamples: no data paths given');
  const out: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats | undefined;
    try {
      stat = await fs.promises.stat(p);
    } catch {
      stat = undefined; // readRows reports the missing file with its name
    }
    if (stat?.isDirectory()) {
      const entries = (await fs.promises.readdir(p, { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile() && (SUPPORTED_EXTENSIONS as readonly string[]).includes(path.extname(d.name).toLowerCase()))
        .map((d) => path.join(d.parentPath ?? d.path, d.name))
        .sort();
      if (entries.length === 0) throw new DataError(p, 1, `directory holds no data files (${SUPPORTED_EXTENSIONS.join(', ')})`);
      out.push(...entries);
    } else out.push(p);
  }
  return out;
}
