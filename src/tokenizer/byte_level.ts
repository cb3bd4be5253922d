// The GPT-2 byte-level alphabet: every byte 0..255 maps to one printable Unicode character, so a
// byte-level BPE vocabulary is a set of strings over 256 symbols and any text (any bytes) can be
// spelled with it. Shared by the tokenizer (token byte offsets, streaming) and the BPE trainer.
// This file knows nothing about vocabularies, merges or special tokens.

/** Byte value → its printable stand-in (GPT-2's `bytes_to_unicode`). */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Printable stand-in (one UTF-16 code unit) → byte value. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b); // '!'..'~'
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b); // '¡'..'¬'
  for (let b = 0xae; b <= 0xff; b++) printable.push(b); // '®'..'ÿ'
  const kept = new Set(printable);
  const table: string[] = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    // Printable Latin-1 bytes stand for themselves; the rest move to U+0100 and up, in byte order.
    table[b] = String.fromCharCode(kept.has(b) ? b : 256 + shifted++);
  }
  return table;
}

/** Spell bytes in the byte-level alphabet (the form tokens take in tokenizer.json's vocab). */
export function bytesToByteLevel(bytes: Uint8Array | readonly number[]): string {
  let out = '';
  for (const b of bytes) out += BYTE_TO_CHAR[b]!;
  return out;
}

/** Inverse of bytesToByteLevel; undefined when a character is outside the alphabet. */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

const encoder = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Length in UTF-8 bytes of text.slice(0, charIndex). */
export function utf8LengthOfPrefix(text: string, charIndex: number): number {
  return encoder.encode(text.slice(0, charIndex)).length;
}
