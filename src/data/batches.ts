// Packed rows → training batches, and the order rows are visited in.
// toBatch: rows of seqLen + 1 tokens → int64 tensors (B, T = seqLen): inputs, targets (IGNORE_INDEX
// = -100 where nothing is trained) and the inputs' segment ids (padding has its own id, so it never
// attends to real tokens and real tokens never attend to it); `tokens` counts the trained targets
// (the divisor of a per-token loss).
// BatchSampler: a seeded permutation of row indices per epoch, drawn from (seed, epoch) alone, so a
// run resumed from state() continues with exactly the batches it would have seen. Batches never
// cross an epoch boundary; the last batch of an epoch keeps the remainder (nRows % batchSize rows)
// rather than dropping rows: every row is trained on once per epoch.
import * as pt from '../tensor/index.js';
import type { Device, Tensor } from '../tensor/index.js';
import { IGNORE_INDEX, type PackedRow } from './packing.js';

export interface Batch {
  /** (B, T) int64 token ids: row.ids[0..T). */
  inputs: Tensor;
  /** (B, T) int64: row.targets; IGNORE_INDEX (-100) = no loss. */
  targets: Tensor;
  /** (B, T) int64 sample ids of the inputs (-1 on padding). */
  segmentIds: Tensor;
  /** Number of targets that are not IGNORE_INDEX. */
  tokens: number;
}

/** Stacks rows (all of one seqLen) into tensors; the caller owns (disposes) them. */
export function toBatch(rows: readonly PackedRow[], options: { device?: Device } = {}): Batch {
  if (rows.length === 0) throw new RangeError('toBatch: no rows');
  const B = rows.length;
  const T = rows[0]!.targets.length;
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  const segments = new Int32Array(B * T);
  let tokens = 0;
  rows.forEach((row, b) => {
    if (row.targets.length !== T || row.ids.length !== T + 1 || row.segmentIds.length !== T + 1) {
      throw new RangeError(
        `toBatch: row ${b} has ${row.ids.length} ids / ${row.targets.length} targets, expected ${T + 1} / ${T} like row 0`,
      );
    }
    inputs.set(row.ids.subarray(0, T), b * T);
    targets.set(row.targets, b * T);
    segments.set(row.segmentIds.subarray(0, T), b * T);
    for (const t of row.targets) if (t !== IGNORE_INDEX) tokens++;
  });
  const make = (data: Int32Array): Tensor => pt.tensor(data, { dtype: 'int64', shape: [B, T], device: options.device }); // (B, T)
  return { inputs: make(inputs), targets: make(targets), segmentIds: make(segments), tokens };
}

export interface SamplerState {
  seed: number;
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Rows of that epoch's permutation already handed out. */
  position: number;
  /** Rows the sampler was made for; restore() refuses another count. */
  nRows?: number;
  shuffle?: boolean;
}

export interface SamplerOptions {
  epochs: number;
  seed?: number;
  /** Default true; false visits rows in order (evaluation). */
  shuffle?: boolean;
}

export interface SampledBatch {
  rows: number[];
  epoch: number;
  stepInEpoch: number;
}

export class BatchSampler {
  readonly nRows: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** Batches per epoch, the last one possibly partial. */
  readonly stepsPerEpoch: number;
  private epoch = 0;
  private position = 0;
  private permutation: Uint32Array | null = null;
  private permutationEpoch = -1;

  constructor(nRows: number, batchSize: number, options: SamplerOptions) {
    const { epochs, seed = 0, shuffle = true } = options;
    if (!Number.isInteger(nRows) || nRows < 1) throw new RangeError(`BatchSampler: nRows must be an integer >= 1, got ${nRows}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`BatchSampler: batchSize must be an integer >= 1, got ${batchSize}`);
    if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`BatchSampler: epochs must be an integer >= 0, got ${epochs}`);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`BatchSampler: seed must be a non-negative safe integer, got ${seed}`);
    this.nRows = nRows;
    this.batchSize = batchSize;
    this.epochs = epochs;
    this.seed = seed;
    this.shuffle = shuffle;
    this.stepsPerEpoch = Math.ceil(nRows / batchSize);
  }

  get totalSteps(): number {
    return this.stepsPerEpoch * this.epochs;
  }

  /** The next batch of row indices, or null when every epoch is done. */
  next(): SampledBatch | null {
    if (this.epoch >= this.epochs) return null;
    const order = this.order(this.epoch);
    const start = this.position;
    const end = Math.min(start + this.batchSize, this.nRows);
    const batch: SampledBatch = {
      rows: Array.from(order.subarray(start, end)),
      epoch: this.epoch,
      stepInEpoch: Math.floor(start / this.batchSize),
    };
    this.position = end;
    if (this.position >= this.nRows) {
      this.epoch++;
      this.position = 0;
    }
    return batch;
  }

  /** Everything needed to continue exactly here (JSON-serialisable). */
  state(): SamplerState {
    return { seed: this.seed, epoch: this.epoch, position: this.position, nRows: this.nRows, shuffle: this.shuffle };
  }

  static restore(nRows: number, batchSize: number, epochs: number, state: SamplerState): BatchSampler {
    const sampler = new BatchSampler(nRows, batchSize, { epochs, seed: state.seed, shuffle: state.shuffle ?? true });
    if (state.nRows !== undefined && state.nRows !== nRows) {
      throw new RangeError(
        `BatchSampler.restore: the state is for ${state.nRows} rows, the data now has ${nRows} (did the data or packing change?)`,
      );
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0) throw new RangeError(`BatchSampler.restore: bad epoch ${state.epoch}`);
    if (!Number.isInteger(state.position) || state.position < 0 || state.position >= nRows) {
      throw new RangeError(`BatchSampler.restore: position ${state.position} is outside [0, ${nRows})`);
    }
    sampler.epoch = state.epoch;
    sampler.position = state.position;
    return sampler;
  }

  /** Row order of an epoch: a permutation drawn from (seed, epoch) only. */
  order(epoch: number): Uint32Array {
    if (this.permutationEpoch !== epoch || this.permutation === null) {
      this.permutation = this.shuffle
        ? seededPermutation(this.nRows, this.seed, epoch)
        : Uint32Array.from({ length: this.nRows }, (_, i) => i);
      this.permutationEpoch = epoch;
    }
    return this.permutation;
  }
}

/** Fisher–Yates with xoshiro128** seeded through splitmix32 from (seed, epoch). */
export function seededPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const next = xoshiro128(seed, epoch);
  const out = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const r = ((next() >>> 11) * 2 ** 32 + next()) / 2 ** 53; // 53 uniform bits in [0, 1)
    const j = Math.floor(r * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

function xoshiro128(seed: number, epoch: number): () => number {
  let x = (seed % 2 ** 32) >>> 0;
  const mix = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  // Fold the seed's high bits and the epoch into the splitmix stream.
  x = (x ^ mix() ^ Math.floor(seed / 2 ** 32)) >>> 0;
  x = (x ^ Math.imul(epoch + 1, 0x27d4eb2f)) >>> 0;
  const s = [mix(), mix(), mix(), mix()];
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = (s[2]! ^ s[0]!) >>> 0;
    s[3] = (s[3]! ^ s[1]!) >>> 0;
    s[1] = (s[1]! ^ s[2]!) >>> 0;
    s[0] = (s[0]! ^ s[3]!) >>> 0;
    s[2] = (s[2]! ^ t) >>> 0;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
