// Append-only JSONL files that survive a kill: each append is one write of whole lines followed by
// fsync, so a record is either on disk or was never acknowledged. Reading tolerates exactly one
// kind of damage — a torn last line (a kill mid-write): it is reported and, when asked, cut off; a
// malformed line anywhere else is an error naming file:line.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';

export function appendDurably(file: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  const bytes = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
  const fd = openSync(file, 'a');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface JsonlContents<T> {
  rows: T[];
  tornTail: boolean;
}

/** Rows of a JSONL file (none when it does not exist); with repair, a torn last line is cut from the file. */
export function readJsonlTolerant<T = Record<string, unknown>>(file: string, o: { repair?: boolean } = {}): JsonlContents<T> {
  if (!existsSync(file)) return { rows: [], tornTail: false };
  const buf = readFileSync(file);
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline
  const rows: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); only a torn last line is repaired`);
    }
  });
  const tornTail = last.trim() !== '';
  if (tornTail && o.repair) truncateSync(file, buf.length - Buffer.byteLength(last, 'utf8'));
  return { rows, tornTail };
}
