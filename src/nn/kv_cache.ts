// A preallocated key/value cache for incremental decoding: per layer, keys and values of shape
// (B, Hkv, maxLength, D) written in place at the current length, so a decoding step copies only the
// new positions (no concatenation, no reallocation). The model advances `length` after all layers.
import * as pt from '../tensor/index.js';
import { ArgumentError, type Tensor, type DType } from '../tensor/index.js';

export class KVCache {
  readonly keys: Tensor[] = [];
  readonly values: Tensor[] = [];
  length = 0;

  constructor(
    readonly layers: number,
    readonly batch: number,
    readonly kvHeads: number,
    readonly maxLength: number,
    readonly headDim: number,
    dtype: DType = 'float32',
    device = 'cpu',
  ) {
    for (let i = 0; i < layers; i++) {
      this.keys.push(pt.zeros([batch, kvHeads, maxLength, headDim], { dtype, device }).keep());
      this.values.push(pt.zeros([batch, kvHeads, maxLength, headDim], { dtype, device }).keep());
    }
  }

  /** Writes k, v (B, Hkv, T, D) of `layer` after the cached positions; returns views of all positions so far. */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const T = k.size(2);
    if (this.length + T > this.maxLength) {
      throw new ArgumentError('KVCache.append', `cache holds ${this.maxLength} positions; ${this.length} used, ${T} more requested`);
    }
    pt.noGrad(() => {
      this.keys[layer]!.narrow(2, this.length, T).copy_(k);
      this.values[layer]!.narrow(2, this.length, T).copy_(v);
    });
    return { k: this.keys[layer]!.narrow(2, 0, this.length + T), v: this.values[layer]!.narrow(2, 0, this.length + T) };
  }

  /** Keeps only the batch rows in `rows` (finished sequences dropped), in place. */
  selectRows(rows: Tensor): void {
    for (const list of [this.keys, this.values]) {
      for (let i = 0; i < list.length; i++) {
        const old = list[i]!;
        list[i] = pt.noGrad(() => old.indexSelect(0, rows)).keep();
        old.dispose();
      }
    }
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
  }
}
