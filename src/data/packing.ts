// Tokenized examples → fixed-size rows of seqLen + 1 tokens: the first seqLen are the inputs, the
// last seqLen the targets (shifted by one). packExamples puts several examples in a row by
// best-fit decreasing (longest first, each into the fullest row it still fits); padRows puts one
// example per row (evaluation, and the baseline packing is compared with).
// Each sample keeps its own segment id (0, 1, ... within the row; padding PAD_SEGMENT), which
// CausalLM.forward turns into block-diagonal attention and positions that restart per sample. The
// target of position t is ids[t+1] only when t+1 is in the SAME sample and lossMask[t+1] = 1, else
// IGNORE_INDEX: no loss crosses a sample boundary and padding never counts.
// Deterministic: the same examples give the same rows. Knows nothing about tensors (batches.ts).
import type { TokenizedExample } from './tokenize.js';

export const IGNORE_INDEX = -100;
export const PAD_SEGMENT = -1;

export interface PackedRow {
  /** (seqLen + 1) token ids, padding after the last sample. */
  ids: Int32Array;
  /** (seqLen + 1) the samples' loss masks, 0 on padding. */
  lossMask: Uint8Array;
  /** (seqLen) target of input position t: ids[t + 1], or IGNORE_INDEX. */
  targets: Int32Array;
  /** (seqLen + 1) sample index within the row; PAD_SEGMENT on padding. */
  segmentIds: Int32Array;
  nSamples: number;
  /** Indices (into the list given) of the examples in this row, in row order. */
  examples: number[];
}

export interface PackOptions {
  /** Token id written in padding positions (never attended to by real tokens, never a target). Default 0. */
  padId?: number;
}

/** Best-fit-decreasing packing into rows of exactly seqLen + 1 tokens. */
export function packExamples(examples: readonly TokenizedExample[], seqLen: number, options: PackOptions = {}): PackedRow[] {
  const capacity = checkArgs(examples, seqLen, 'packExamples');
  const order = examples.map((_, i) => i).sort((a, b) => examples[b]!.ids.length - examples[a]!.ids.length || a - b);
  const rows: number[][] = [];
  const free = new FreeSpaceIndex(capacity); // rows by remaining space
  for (const i of order) {
    const length = examples[i]!.ids.length;
    let row = free.takeSmallestAtLeast(length);
    let space: number;
    if (row === undefined) {
      row = rows.length;
      rows.push([]);
      space = capacity;
    } else space = free.lastSpace;
    rows[row]!.push(i);
    if (space - length > 0) free.add(row, space - length);
  }
  return rows.map((members) => assemble(examples, members, capacity, options.padId ?? 0));
}

/** One example per row, right-padded to seqLen + 1 tokens; order kept. */
export function padRows(examples: readonly TokenizedExample[], seqLen: number, options: PackOptions = {}): PackedRow[] {
  const capacity = checkArgs(examples, seqLen, 'padRows');
  return examples.map((_, i) => assemble(examples, [i], capacity, options.padId ?? 0));
}

/** targets[t] = ids[t+1] when t and t+1 are in the same (non-padding) sample and lossMask[t+1] = 1. */
export function computeTargets(ids: Int32Array, lossMask: Uint8Array, segmentIds: Int32Array): Int32Array {
  const targets = new Int32Array(ids.length - 1).fill(IGNORE_INDEX);
  for (let t = 0; t + 1 < ids.length; t++) {
    const segment = segmentIds[t]!;
    if (segment !== PAD_SEGMENT && segmentIds[t + 1] === segment && lossMask[t + 1] === 1) targets[t] = ids[t + 1]!;
  }
  return targets;
}

export interface PackingStats {
  rows: number;
  samples: number;
  /** Real (non-padding) tokens over all row slots. */
  fill: number;
  /** Positions with a target (not IGNORE_INDEX). */
  targets: number;
}

export function packingStats(rows: readonly PackedRow[]): PackingStats {
  let slots = 0,
    real = 0,
    targets = 0,
    samples = 0;
  for (const row of rows) {
    slots += row.ids.length;
    samples += row.nSamples;
    for (const s of row.segmentIds) if (s !== PAD_SEGMENT) real++;
    for (const t of row.targets) if (t !== IGNORE_INDEX) targets++;
  }
  return { rows: rows.length, samples, fill: slots === 0 ? 0 : real / slots, targets };
}

function checkArgs(examples: readonly TokenizedExample[], seqLen: number, op: string): number {
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new RangeError(`${op}: seqLen must be an integer >= 1, got ${seqLen}`);
  const capacity = seqLen + 1;
  examples.forEach((ex, i) => {
    if (ex.ids.length !== ex.lossMask.length)
      throw new RangeError(`${op}: example ${i} has ${ex.ids.length} ids but ${ex.lossMask.length} mask values`);
    if (ex.ids.length === 0) throw new RangeError(`${op}: example ${i} is empty`);
    if (ex.ids.length > capacity) {
      throw new RangeError(
        `${op}: example ${i} has ${ex.ids.length} tokens, more than seqLen + 1 = ${capacity}; ` +
          `tokenize with maxLength ${capacity} (truncate or drop)`,
      );
    }
  });
  return capacity;
}

function assemble(examples: readonly TokenizedExample[], members: number[], capacity: number, padId: number): PackedRow {
  const ids = new Int32Array(capacity).fill(padId);
  const lossMask = new Uint8Array(capacity);
  const segmentIds = new Int32Array(capacity).fill(PAD_SEGMENT);
  let at = 0;
  members.forEach((index, segment) => {
    const ex = examples[index]!;
    ids.set(ex.ids, at);
    lossMask.set(ex.lossMask, at);
    segmentIds.fill(segment, at, at + ex.ids.length);
    at += ex.ids.length;
  });
  return { ids, lossMask, targets: computeTargets(ids, lossMask, segmentIds), segmentIds, nSamples: members.length, examples: members };
}

/** Rows grouped by remaining space, with a count tree to find the smallest space >= n in O(log C). */
class FreeSpaceIndex {
  private readonly buckets: number[][];
  private readonly size: number;
  private readonly tree: Int32Array;
  /** Space of the row the last takeSmallestAtLeast returned. */
  lastSpace = 0;

  constructor(capacity: number) {
    this.buckets = Array.from({ length: capacity + 1 }, () => []);
    let size = 1;
    while (size < capacity + 1) size *= 2;
    this.size = size;
    this.tree = new Int32Array(2 * size);
  }

  add(row: number, space: number): void {
    this.buckets[space]!.push(row);
    for (let node = space + this.size; node >= 1; node >>= 1) this.tree[node] = this.tree[node]! + 1;
  }

  takeSmallestAtLeast(n: number): number | undefined {
    const space = this.find(1, 0, this.size - 1, n);
    if (space < 0) return undefined;
    for (let node = space + this.size; node >= 1; node >>= 1) this.tree[node] = this.tree[node]! - 1;
    this.lastSpace = space;
    return this.buckets[space]!.pop();
  }

  private find(node: number, lo: number, hi: number, n: number): number {
    if (hi < n || this.tree[node] === 0) return -1;
    if (lo === hi) return lo;
    const mid = (lo + hi) >> 1;
    const left = this.find(2 * node, lo, mid, n);
    return left >= 0 ? left : this.find(2 * node + 1, mid + 1, hi, n);
  }
}
