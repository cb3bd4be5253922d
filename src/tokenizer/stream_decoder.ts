// Incremental detokenization for streamed generation: push(id) returns only the text that became
// printable with that token. A byte-level BPE token can end in the middle of a multibyte UTF-8
// character (one Chinese character or emoji split across two or three tokens); decoding such a
// prefix yields U+FFFD, so text whose decoding ends in U+FFFD is held back until a later token
// completes it (or flush() gives up at the end of the stream).
// It decodes a short window of recent tokens (from the last emitted boundary), not the whole
// history, so each push costs O(window); the window starts one emitted chunk back so decoders that
// treat the first token specially (Metaspace's leading space) see the same context every time.
// This file knows nothing about vocabularies: it is given a decode function.

export class StreamDecoder {
  private window: number[] = [];
  /** window[0 .. readIndex) was emitted already and is kept only as decoding context. */
  private readIndex = 0;
  private emitted = '';

  constructor(private readonly decodeIds: (ids: number[]) => string) {}

  /** Add one token id; returns the newly printable text ('' while a character is incomplete). */
  push(id: number): string {
    this.window.push(id);
    const known = this.decodeIds(this.window.slice(0, this.readIndex));
    const all = this.decodeIds(this.window);
    if (all.length <= known.length || all.endsWith('\uFFFD') || !all.startsWith(known)) return '';
    const text = all.slice(known.length);
    // The chunk emitted last becomes the context; older tokens are dropped.
    this.window = this.window.slice(this.readIndex);
    this.readIndex = this.window.length;
    this.emitted += text;
    return text;
  }

  /** Emit whatever is held back (an incomplete character then shows as U+FFFD, as in decode). */
  flush(): string {
    const known = this.decodeIds(this.window.slice(0, this.readIndex));
    const all = this.decodeIds(this.window);
    const text = all.startsWith(known) ? all.slice(known.length) : '';
    this.window = [];
    this.readIndex = 0;
    this.emitted += text;
    return text;
  }

  /** Everything emitted so far. */
  get text(): string {
    return this.emitted;
  }
}
