// Data parallelism for every trainer, over pt.distributed (c10d, Gloo): the same loop runs on each
// rank; the only differences are which rows a rank computes and who writes.
//
// Contract (DDP's, made exact):
//  - Every rank builds the same data, sampler and model (same seeds); the trainer then broadcasts
//    rank 0's parameters so the ranks begin from identical weights whatever they loaded.
//  - A step's global batch is per_device_train_batch_size × gradient_accumulation_steps × world
//    rows; every rank draws the same global batch and shard() gives rank r its r-th contiguous part.
//    Losses are normalised by the global batch's count (known to every rank from the rows), so the
//    SUM of the ranks' gradients (allReduceGradients) is the one-process gradient of the whole
//    batch: clipping, AdamW and fp16 overflow checks then see identical gradients on every rank.
//  - Rank 0 writes (config, logs, metrics, checkpoints, final model); save() runs the write on
//    rank 0 and then a barrier, so no rank moves on (or reads) before the checkpoint is complete.
//  - The process group, once joined, lives as long as the process: a later trainer in the same
//    process (a script running SFT then GRPO under torchrun) reuses it. Leaving and re-joining
//    between trainers would race: a fast rank could reach the old store as the slow one closes it.
//  - In a single process every method is the identity and costs nothing.
//  - commSeconds counts the time spent waiting in collectives (the all-reduce share of a step).
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { FieldSpec } from '../common/schema.js';

/** The collective timeout setting of every trainer (transformers' TrainingArguments name). */
export const DDP_TIMEOUT_FIELD = {
  type: 'int',
  default: 1800,
  min: 1,
  doc: 'seconds the rendezvous and each collective may wait under data parallelism before the run stops naming the rank that failed (transformers: ddp_timeout)',
} as const satisfies FieldSpec;

export class DataParallel {
  /** Seconds spent in gradient all-reduces (and other collectives) since start. */
  commSeconds = 0;
  private constructor(
    readonly rank: number,
    readonly worldSize: number,
  ) {}

  get isMain(): boolean {
    return this.rank === 0;
  }
  get enabled(): boolean {
    return this.worldSize > 1;
  }

  /**
   * Joins the process group torchrun's environment describes (a no-op without WORLD_SIZE, or when
   * this process already joined it: an earlier trainer, or the caller through pt.distributed).
   */
  static async start(timeoutSeconds: number): Promise<DataParallel> {
    const D = pt.distributed;
    if (!D.isInitialized()) {
      const rv = D.envRendezvous();
      if (rv && rv.worldSize > 1) await D.init({ rendezvous: rv, timeoutMs: timeoutSeconds * 1000 });
    }
    return new DataParallel(D.rank(), D.worldSize());
  }

  /** Rank 0's values of `tensors` on every rank (parameters at the start). */
  async broadcast(tensors: readonly Tensor[]): Promise<void> {
    if (!this.enabled) return;
    await this.timed(() => pt.distributed.broadcast(tensors, 0));
  }

  /** This rank's contiguous share of a global batch: part `rank` of `worldSize` parts of `per` items. */
  shard<T>(items: readonly T[], per = Math.ceil(items.length / this.worldSize)): T[] {
    if (!this.enabled) return [...items];
    return items.slice(this.rank * per, (this.rank + 1) * per);
  }

  /** Sums gradients over ranks in place (a parameter without a gradient contributes zeros). */
  async allReduceGradients(params: readonly Tensor[]): Promise<void> {
    if (!this.enabled) return;
    const grads: Tensor[] = [];
    for (const p of params) {
      let g = p.grad;
      if (!g) {
        const zeros = pt.zerosLike(p);
        p.grad = zeros;
        zeros.dispose();
        g = p.grad!;
      }
      grads.push(g);
    }
    try {
      await this.timed(() => pt.distributed.allReduce(grads, 'sum'));
    } finally {
      for (const g of grads) g.dispose();
    }
  }

  /** Element-wise sums of plain numbers over ranks. */
  async sum(values: readonly number[]): Promise<number[]> {
    if (!this.enabled) return [...values];
    return this.timed(() => pt.distributed.allReduceNumbers(values, 'sum'));
  }

  /** Every rank's value, in rank order. */
  async gather<T>(value: T): Promise<T[]> {
    if (!this.enabled) return [value];
    return this.timed(() => pt.distributed.allGatherObject(value));
  }

  /** Runs `write` on rank 0 only, then waits until every rank is here (the write is complete). */
  async mainWrites<T>(write: () => T): Promise<T | undefined> {
    const out = this.isMain ? write() : undefined;
    if (this.enabled) await this.timed(() => pt.distributed.barrier());
    return out;
  }

  /** The end of a trainer: every rank is done (the group stays for the next trainer of this process). */
  async end(): Promise<void> {
    if (this.enabled) await this.timed(() => pt.distributed.barrier());
  }

  private async timed<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.commSeconds += (performance.now() - t0) / 1000;
    }
  }
}
