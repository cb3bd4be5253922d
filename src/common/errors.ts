// The error of a file (or folder) and what is wrong with it, so a message always says which file to
// look at ("<file>: <detail>"); the checkpoint layer's CheckpointError is one. Knows nothing about
// formats.

export class FileError extends Error {
  /** The file or folder the problem is in. */
  readonly file: string;
  /** What is wrong, without the file prefix. */
  readonly detail: string;
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.file = file;
    this.detail = detail;
    this.name = 'FileError';
  }
}

/** The message of an unknown thrown value (an Error's message, else its string form). */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
