// File helpers for every floor that writes what a crash must not corrupt (checkpoints, run folders,
// data ledgers, queues): crash-safe writes (write a temp file beside the target, fsync, rename over
// it), fsync of folders, whole-buffer reads and writes that loop over short I/O, and JSON reading
// whose errors (FileError) name the file and the line and column. Knows nothing about tensors.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { FileError, messageOf } from './errors.js';

/** Largest single read/write call (Node refuses lengths of 2 GiB and more). */
const IO_CHUNK = 1 << 30;

/** `<path>.tmp-<pid>-<random>`: a sibling name no other writer picks. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes all of `bytes` at the fd's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
  }
}

/** The error class a reader throws: FileError, or a layer's own kind of it (CheckpointError). */
export type FileErrorClass = new (file: string, detail: string, options?: { cause?: unknown }) => FileError;

/** Fills `into` from `fd` at `position`; a short file is an `Err` naming `file`. */
export function readExactly(
  fd: number,
  into: Uint8Array,
  position: number,
  file: string,
  what: string,
  Err: FileErrorClass = FileError,
): void {
  let done = 0;
  while (done < into.byteLength) {
    let n: number;
    try {
      n = readSync(fd, into, done, Math.min(IO_CHUNK, into.byteLength - done), position + done);
    } catch (e) {
      throw new Err(file, `cannot read ${what}: ${messageOf(e)}`, { cause: e });
    }
    if (n === 0) {
      throw new Err(file, `file ended after ${done} of the ${into.byteLength} bytes of ${what} (at byte ${position}): truncated?`);
    }
    done += n;
  }
}

/** fsync a folder so that renames into it survive a crash. Best effort: some platforms cannot. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open folders; a filesystem may refuse fsync on one. The rename still happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file crash-safely: `write(fd)` fills a temp file beside `path`, which is fsynced and then
 * renamed over `path`. If anything throws, the temp file is removed and `path` is untouched.
 */
export function writeAtomically(path: string, write: (fd: number) => void): void {
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx', 0o644);
  let ok = false;
  try {
    try {
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    ok = true;
  } finally {
    if (!ok) rmSync(tmp, { force: true });
  }
  fsyncDir(dirname(path));
}

/** A text or binary file, written crash-safely. */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeAtomically(path, (fd) => writeAll(fd, bytes));
}

/** Reads and parses a JSON file. A missing file is 'missing <what>'; bad JSON names line and column. */
export function readJson(path: string, what: string, Err: FileErrorClass = FileError): unknown {
  if (!existsSync(path)) throw new Err(path, `missing ${what}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Err(path, `cannot read ${what}: ${messageOf(e)}`, { cause: e });
  }
  return parseJson(text, path, what, Err);
}

/** JSON.parse with an error that names `file`, the line and column, and the parser's message. */
export function parseJson(text: string, file: string, what: string, Err: FileErrorClass = FileError): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // tolerate a UTF-8 BOM
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new Err(file, `invalid JSON in ${what}: ${describeJsonError(body, messageOf(e))}`, { cause: e });
  }
}

/** "line L column C (offset N): <parser message>"; V8 does not always say where, so find it. */
export function describeJsonError(text: string, parserMessage: string): string {
  const offset = jsonErrorOffset(text);
  if (offset < 0) return parserMessage;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return `line ${line} column ${offset - lineStart + 1} (offset ${offset}): ${parserMessage}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/** The offset of the first character that makes `text` invalid JSON (RFC 8259), or -1 if it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail();
      if (c !== 92) {
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === 'u') {
        HEX4.lastIndex = i + 2;
        if (!HEX4.test(text)) {
          i += 2;
          fail();
        }
        i += 6;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
      else {
        i++;
        fail();
      }
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null'])
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (e) {
    if (e instanceof JsonStop) return e.offset;
    return -1; // e.g. nesting deeper than the stack: no position, the parser's message stands alone
  }
}

class JsonStop {
  constructor(readonly offset: number) {}
}
