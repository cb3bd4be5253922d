// Decontamination by n-gram overlap: a training prompt is contaminated when a share of its word
// n-grams (lower-cased words and numbers, punctuation dropped) at least `threshold` also occurs in
// an evaluation set. A text shorter than n words is one gram of all its words. The share (rather
// than any single shared n-gram) keeps template phrases that every problem of a kind shares from
// flagging a whole dataset; a copied or lightly edited evaluation item still shares most grams.
import { readRows } from '../data/index.js';

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function ngrams(text: string, n: number): string[] {
  const w = words(text);
  if (w.length === 0) return [];
  if (w.length < n) return [w.join(' ')];
  return Array.from({ length: w.length - n + 1 }, (_, i) => w.slice(i, i + n).join(' '));
}

export class NgramIndex {
  private readonly grams = new Set<string>();
  texts = 0;
  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n-gram size must be a positive integer, got ${n}`);
  }

  add(text: string): void {
    this.texts++;
    for (const g of ngrams(text, this.n)) this.grams.add(g);
  }

  /** Share of the text's n-grams found in the index (0 for a text without words). */
  overlap(text: string): number {
    const gs = ngrams(text, this.n);
    if (gs.length === 0) return 0;
    return gs.filter((g) => this.grams.has(g)).length / gs.length;
  }

  get size(): number {
    return this.grams.size;
  }
}

/** The text a row asks: question | problem | instruction | prompt (string) | the user turns of prompt / messages. */
export function rowQuestion(d: Record<string, unknown>): string | null {
  for (const k of ['question', 'problem', 'instruction']) if (typeof d[k] === 'string') return d[k] as string;
  if (typeof d['prompt'] === 'string') return d['prompt'];
  const msgs = Array.isArray(d['prompt']) ? d['prompt'] : Array.isArray(d['messages']) ? d['messages'] : null;
  if (msgs) {
    const user = (msgs as { role?: unknown; content?: unknown }[])
      .filter((m) => m.role === 'user' && typeof m.content === 'string')
      .map((m) => m.content as string);
    return user.length ? user.join('\n') : null;
  }
  return null;
}

/** An index of the questions of evaluation files (JSONL / JSON / Parquet rows). */
export async function evaluationIndex(files: readonly string[], n: number): Promise<NgramIndex> {
  const index = new NgramIndex(n);
  for (const file of files) {
    for await (const row of readRows(file)) {
      const q = rowQuestion(row.data);
      if (q !== null) index.add(q);
    }
  }
  return index;
}
