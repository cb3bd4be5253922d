// DataError: one bad row (or file) of training data, located by file, line and field, so that a
// user can open the file at the spot. Every error of the data layer about the *data* is a DataError;
// mistakes in the caller's options stay RangeError/TypeError.
//
// `line` is 1-based: the text line of a .jsonl file (blank lines counted), the element index of a
// .json array, the row number of a .parquet file. Errors about a file as a whole (empty, not an
// array, not Parquet, unreadable) use line 1, or for a JSON syntax error the text line where the
// parser stopped.

export class DataError extends Error {
  readonly file: string;
  readonly line: number;
  /** Path of the field at fault, e.g. `messages[2].role`; undefined for row- or file-level errors. */
  readonly field: string | undefined;
  /** The message without its location prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string, field?: string) {
    super(`${file}:${line}: ${field === undefined ? '' : `field '${field}' `}${detail}`);
    this.file = file;
    this.line = line;
    this.field = field;
    this.detail = detail;
    this.name = new.target.name;
  }
}

/** Where a row came from, for error messages. */
export interface RowSource {
  file: string;
  line: number;
}

/** A short description of a JSON-ish value's type for messages: 'number', 'null', 'array', ... */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
