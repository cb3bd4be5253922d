// Is the text of a row clean? The checks readers.ts runs on every row before it is handed on:
//   - bytes that are not UTF-8: found with a fatal decoder and located to the byte (firstInvalidUtf8),
//     never turned into U+FFFD and trained on; Parquet strings decode through `parquetStringParsers`,
//     which leave an InvalidUtf8 marker where a string's bytes are bad, so the row walk can name the
//     field;
//   - lone UTF-16 surrogates (a JSON escape like "\ud800" with no partner): always refused;
//   - C0 control characters other than tab, line feed and carriage return (NUL, ESC, ...) and the
//     noncharacters U+FFFE / U+FFFF: refused unless the caller allows control characters.
// A problem comes back as { field, detail } (field: the path in the row, e.g. `messages[1].content`)
// for the reader to turn into a DataError with its file and line. Nothing here reads files.

/** A Parquet string whose bytes are not UTF-8, left in the row by parquetStringParsers. */
export class InvalidUtf8 {
  constructor(
    readonly bytes: Uint8Array,
    /** 0-based index of the first bad byte in the string's bytes. */
    readonly offset: number,
  ) {}
}

export const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * 0-based index of the first byte that does not start (or continue) a valid UTF-8 sequence, or -1
 * when all bytes are valid UTF-8 (the WHATWG decoder's rules: no overlong forms, no surrogates, at
 * most U+10FFFF; a sequence cut off by the end counts as invalid at its first byte).
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number,
      lo = 0x80,
      hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return i;
      const d = b[i + k]!;
      if (d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Up to four bytes from `offset`, as `0xff 0xfe` for messages. */
export function hexBytes(b: Uint8Array, offset: number): string {
  return Array.from(b.subarray(offset, offset + 4), (x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');
}

/** hyparquet parsers that decode strings (and JSON columns) strictly: bad bytes become an InvalidUtf8 marker. */
export const parquetStringParsers = {
  stringFromBytes(bytes: Uint8Array | undefined): string | undefined {
    if (!bytes) return bytes;
    try {
      return FATAL_UTF8.decode(bytes);
    } catch {
      return new InvalidUtf8(bytes, Math.max(0, firstInvalidUtf8(bytes))) as unknown as string;
    }
  },
  jsonFromBytes(bytes: Uint8Array | undefined): unknown {
    if (!bytes) return bytes;
    let text: string;
    try {
      text = FATAL_UTF8.decode(bytes);
    } catch {
      return new InvalidUtf8(bytes, Math.max(0, firstInvalidUtf8(bytes)));
    }
    return JSON.parse(text);
  },
};

const C0_NAMES = [
  'NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI',
  'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US',
]; // prettier-ignore

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextProblem {
  /** Path of the string in the row, e.g. `messages[1].content`. */
  field: string;
  detail: string;
}

/** The first problem with the strings of a row (walked depth first, in key order), or null. */
export function checkRowText(row: Record<string, unknown>, allowControlChars: boolean): TextProblem | null {
  for (const [key, value] of Object.entries(row)) {
    const problem = checkValue(value, key, allowControlChars);
    if (problem) return problem;
  }
  return null;
}

function checkValue(value: unknown, field: string, allowControlChars: boolean): TextProblem | null {
  if (typeof value === 'string') return checkString(value, field, allowControlChars);
  if (value instanceof InvalidUtf8) {
    return {
      field,
      detail: `is not valid UTF-8: byte ${value.offset} of the string's ${value.bytes.length} bytes is ${hexBytes(value.bytes, value.offset)} (the file must hold UTF-8 text)`,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = checkValue(value[i], `${field}[${i}]`, allowControlChars);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !(value instanceof Date)) {
    for (const [key, v] of Object.entries(value)) {
      const problem = checkValue(v, `${field}.${key}`, allowControlChars);
      if (problem) return problem;
    }
  }
  return null;
}

function checkString(s: string, field: string, allowControlChars: boolean): TextProblem | null {
  const lone = LONE_SURROGATE.exec(s);
  if (lone !== null) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return {
      field,
      detail: `holds a lone surrogate \\u${code} at index ${lone.index} (an escape with no partner: not text; it would be trained on as U+FFFD)`,
    };
  }
  if (allowControlChars) return null;
  const m = CONTROL.exec(s);
  if (m === null) return null;
  const c = m[0].charCodeAt(0);
  const name =
    c < 0x20 ? `U+${c.toString(16).toUpperCase().padStart(4, '0')} (${C0_NAMES[c]})` : `U+${c.toString(16).toUpperCase()} (a noncharacter)`;
  return {
    field,
    detail: `holds the control character ${name} at index ${m.index}; set allow_control_characters: true (allowControlChars) to keep rows with control characters`,
  };
}
