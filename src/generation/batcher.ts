// Continuous batching for a server: requests join the running batch at the next decoding step and
// leave it when they finish, and the decoding loop yields to the event loop after every step, so
// tokens stream as they are sampled and other requests (and routes) are served meanwhile.
//
// Contract:
//  - submit() queues a request (a prompt, n choices, its own sampling settings, one seed per choice)
//    and resolves with its completions; onToken is called for every token as it is sampled.
//  - Between two decoding steps the loop admits queued requests: each prompt is prefilled on its
//    own (n rows), its first tokens are sampled from the prefill's logits at once (time to first
//    token: the prefill, not a decoding step), and its cache rows are merged into the batch's cache
//    right-aligned (the shorter side left-padded and masked; positions are per row, so the keys
//    stored with their rotary phase stay valid). Columns every row has masked are trimmed at each
//    merge, so the cache's length follows the rows present, not the server's history.
//  - Each choice samples from its own stream (seeded per choice), so a request's tokens do not
//    depend on the requests sharing its batch (up to the float rounding of a padded batch).
//  - Rows with different sampling settings share the forward pass; selection runs per group of
//    equal settings. The model must be in eval mode (no dropout).
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CausalLM } from '../models/decoder.js';
import { KVCache } from '../nn/kv_cache.js';
import { Rng } from '../common/rng.js';
import { checkSampling, selectTokens, topLogprobs, type SamplingOptions } from './sampler.js';
import { isFinished, presence, type Completion } from './engine.js';

export interface BatchRequest {
  prompt: readonly number[];
  /** Choices (rows) for this prompt. */
  n: number;
  sampling: SamplingOptions;
  maxNewTokens: number;
  eosTokenIds: readonly number[];
  stopStrings?: readonly string[];
  /** Needed with stopStrings: token ids → text. */
  detokenize?: (ids: number[]) => string;
  /** One seed per choice. */
  seeds: readonly number[];
  /** Report the k most likely tokens at every step (Completion.topLogprobs); 0 = off. */
  topLogprobs?: number;
  /** Each sampled token, as it is sampled. */
  onToken?: (choice: number, token: number, logprob: number) => void;
}

interface Row {
  req: Pending;
  choice: number;
  out: Completion;
  rng: Rng;
  /** Position of the next token (the prompt's length plus the tokens so far). */
  nextPos: number;
}

interface Pending {
  r: BatchRequest;
  s: Required<SamplingOptions>;
  key: string;
  eos: Set<number>;
  outs: Completion[];
  left: number;
  resolve: (c: Completion[]) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  /** Rows decoded together at most; further requests wait for rows to finish. Default 32. */
  maxBatch?: number;
  padTokenId?: number;
}

export class ContinuousBatcher {
  private readonly queue: Pending[] = [];
  private rows: Row[] = [];
  private cache: KVCache | null = null;
  private mask: Tensor | null = null; // (B, S) bool: which cache slots each row attends to
  private running = false;
  private closed = false;
  readonly maxBatch: number;
  private readonly pad: number;
  /** Decoding steps taken (for tests and metrics). */
  steps = 0;
  /** Rows in each step, summed (steps × average batch). */
  rowSteps = 0;

  constructor(
    private readonly model: CausalLM,
    o: BatcherOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 32;
    this.pad = o.padTokenId ?? 0;
  }

  /** Rows decoding now. */
  get active(): number {
    return this.rows.length;
  }

  submit(r: BatchRequest): Promise<Completion[]> {
    if (this.closed) return Promise.reject(new Error('the batcher is closed'));
    if (r.prompt.length === 0) return Promise.reject(new pt.ArgumentError('batcher', 'the prompt is empty'));
    if (r.seeds.length !== r.n) return Promise.reject(new pt.ArgumentError('batcher', `${r.seeds.length} seeds for ${r.n} choices`));
    if (r.n > this.maxBatch) return Promise.reject(new pt.ArgumentError('batcher', `n ${r.n} is over the batch limit ${this.maxBatch}`));
    if (r.stopStrings?.length && !r.detokenize)
      return Promise.reject(new pt.ArgumentError('batcher', 'stopStrings need a detokenize function'));
    const s = checkSampling(r.sampling);
    return new Promise<Completion[]>((resolve, reject) => {
      this.queue.push({
        r,
        s,
        key: JSON.stringify([s, r.topLogprobs ?? 0]),
        eos: new Set(r.eosTokenIds),
        outs: Array.from({ length: r.n }, () => ({
          tokens: [],
          logprobs: [],
          finishReason: 'length' as const,
          ...(r.topLogprobs ? { topLogprobs: [] } : {}),
        })),
        left: r.n,
        resolve,
        reject,
      });
      if (!this.running) void this.loop();
    });
  }

  /** Fails queued and running requests and frees the cache. */
  close(): void {
    this.closed = true;
    for (const p of [...this.queue, ...new Set(this.rows.map((row) => row.req))]) p.reject(new Error('the server is closing'));
    this.queue.length = 0;
    this.rows = [];
    this.freeCache();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && (this.rows.length > 0 || this.queue.length > 0)) {
        this.admit();
        if (this.rows.length > 0) this.step();
        await new Promise((res) => setImmediate(res)); // let the event loop run: new requests, streamed writes
      }
    } catch (e) {
      for (const p of new Set([...this.rows.map((row) => row.req), ...this.queue])) p.reject(e);
      this.queue.length = 0;
      this.rows = [];
      this.freeCache();
    } finally {
      this.running = false;
    }
    if (!this.closed && this.queue.length > 0) void this.loop();
  }

  /** Prefills queued requests that fit, samples their first tokens, merges them into the batch. */
  private admit(): void {
    while (this.queue.length > 0 && this.rows.length + this.queue[0]!.r.n <= this.maxBatch) {
      const p = this.queue.shift()!;
      try {
        this.prefill(p);
      } catch (e) {
        p.reject(e);
      }
    }
  }

  private prefill(p: Pending): void {
    const { r } = p;
    const n = r.n,
      L = r.prompt.length;
    const device = this.model.device;
    const cache = this.model.newCache(n, L + r.maxNewTokens);
    let logits: Tensor;
    try {
      logits = pt.noGrad(() =>
        pt.scope(() => {
          const ids = pt.tensor(Array.from({ length: n }, () => r.prompt).flat(), { dtype: 'int64', shape: [n, L], device }); // (n, L)
          return this.model.logits(this.model.hiddenStates(ids, { cache }).select(1, -1)); // (n, V)
        }),
      );
    } catch (e) {
      cache.dispose();
      throw e;
    }
    const rows: Row[] = Array.from({ length: n }, (_, choice) => ({
      req: p,
      choice,
      out: p.outs[choice]!,
      rng: new Rng(r.seeds[choice]!),
      nextPos: L,
    }));
    const mask = pt.ones([n, L], { dtype: 'bool', device });
    const keep = this.sample(rows, logits);
    logits.dispose();
    this.merge(rows, cache, mask, keep);
  }

  /** One decoding step for every row: feed each row's last token, sample the next. */
  private step(): void {
    const B = this.rows.length;
    const device = this.model.device;
    const logits = pt.noGrad(() =>
      pt.scope(() => {
        const last = this.rows.map((row) => row.out.tokens.at(-1)!);
        const ids = pt.tensor(last, { dtype: 'int64', shape: [B, 1], device }); // (B, 1)
        const m2 = pt.cat([this.mask!, pt.ones([B, 1], { dtype: 'bool', device })], 1).keep(); // (B, S + 1)
        this.mask!.dispose();
        this.mask = m2;
        const positions = pt.tensor(
          this.rows.map((row) => row.nextPos - 1),
          { dtype: 'int64', shape: [B, 1], device },
        ); // (B, 1): the fed token's position
        return this.model.forward(ids, { attentionMask: this.mask, positions, cache: this.cache! }).select(1, -1); // (B, V)
      }),
    );
    this.steps++;
    this.rowSteps += B;
    const keep = this.sample(this.rows, logits);
    logits.dispose();
    if (keep.length < B) this.keepRows(keep);
  }

  /**
   * Samples one token for each row from logits (rows, V), records it, reports it; returns the
   * indices of the rows still running. Requests whose rows have all finished are resolved.
   */
  private sample(rows: Row[], logits: Tensor): number[] {
    const tokens = new Array<number>(rows.length),
      logprobs = new Array<number>(rows.length),
      tops = new Array<[number, number][] | null>(rows.length).fill(null);
    const groups = new Map<string, number[]>();
    rows.forEach((row, i) => {
      const g = groups.get(row.req.key);
      if (g) g.push(i);
      else groups.set(row.req.key, [i]);
    });
    for (const idx of groups.values()) {
      const s = rows[idx[0]!]!.req.s;
      pt.scope(() => {
        const sel = idx.length === rows.length ? logits : logits.indexSelect(0, pt.tensor(idx, { dtype: 'int64', device: logits.device }));
        const seen =
          s.repetitionPenalty !== 1
            ? presence(
                idx.map((i) => [...rows[i]!.req.r.prompt, ...rows[i]!.out.tokens]),
                this.model.config.vocabSize,
              )
            : null;
        const drawn = selectTokens(
          sel,
          seen,
          s,
          idx.map((i) => rows[i]!.rng.next()),
        );
        const t = drawn.tokens.toFlatArray() as number[],
          lp = drawn.logprobs.toFlatArray() as number[];
        idx.forEach((i, k) => {
          tokens[i] = t[k]!;
          logprobs[i] = lp[k]!;
        });
        const k = rows[idx[0]!]!.req.r.topLogprobs ?? 0;
        if (k > 0) {
          const top = topLogprobs(sel, s, k);
          const ids = top.indices.toArray() as number[][],
            vals = top.values.toArray() as number[][];
          idx.forEach((i, j) => (tops[i] = ids[j]!.map((id, q) => [id, vals[j]![q]!])));
        }
      });
    }
    const keep: number[] = [];
    rows.forEach((row, i) => {
      const { r } = row.req;
      row.out.tokens.push(tokens[i]!);
      row.out.logprobs.push(logprobs[i]!);
      if (tops[i]) row.out.topLogprobs!.push(tops[i]!);
      row.nextPos++;
      r.onToken?.(row.choice, tokens[i]!, logprobs[i]!);
      if (this.finished(row)) {
        if (--row.req.left === 0) row.req.resolve(row.req.outs);
      } else keep.push(i);
    });
    return keep;
  }

  private finished(row: Row): boolean {
    return isFinished(row.out, row.out.tokens.at(-1)!, row.req.eos, row.req.r);
  }

  /** Keeps only the batch rows `keep` (in order). */
  private keepRows(keep: number[]): void {
    if (keep.length === 0) {
      this.rows = [];
      this.freeCache();
      return;
    }
    const idx = pt.tensor(keep, { dtype: 'int64', device: this.model.device });
    this.cache!.selectRows(idx);
    const m2 = pt.noGrad(() => this.mask!.indexSelect(0, idx)).keep();
    this.mask!.dispose();
    this.mask = m2;
    idx.dispose();
    this.rows = keep.map((i) => this.rows[i]!);
  }

  /**
   * Adds the prefilled rows `keep` of (cache, mask) to the batch: both sides right-aligned to the
   * longer one, leading columns no row attends to trimmed, capacity for every row's remaining tokens.
   */
  private merge(newRows: Row[], cache: KVCache, mask: Tensor, keep: number[]): void {
    const device = this.model.device;
    const added = keep.map((i) => newRows[i]!);
    if (added.length === 0) {
      cache.dispose();
      mask.dispose();
      return;
    }
    if (added.length < newRows.length) {
      const idx = pt.tensor(keep, { dtype: 'int64', device });
      cache.selectRows(idx);
      const m = pt.noGrad(() => mask.indexSelect(0, idx)).keep();
      mask.dispose();
      mask = m;
      idx.dispose();
    }
    if (!this.cache) {
      this.cache = cache;
      this.mask = mask.keep();
      this.rows = added;
      return;
    }
    const old = this.cache,
      oldMask = this.mask!;
    const la = old.length,
      lb = cache.length;
    const S = Math.max(la, lb);
    const rows = [...this.rows, ...added];
    const { merged, mergedMask } = pt.noGrad(() =>
      pt.scope(() => {
        const padMask = (m: Tensor, len: number) =>
          len === S ? m : pt.cat([pt.zeros([m.size(0), S - len], { dtype: 'bool', device }), m], 1); // (b, S)
        const full = pt.cat([padMask(oldMask, la), padMask(mask, lb)], 0); // (B', S)
        // leading columns that no row attends to
        const used = full.any(0).toFlatArray() as boolean[];
        const first = Math.max(0, used.indexOf(true));
        const length = S - first;
        const remaining = Math.max(...rows.map((row) => row.req.r.maxNewTokens - row.out.tokens.length));
        const capacity = length + remaining + 1;
        const out = new KVCache(old.layers, rows.length, old.kvHeads, capacity, old.headDim, old.keys[0]!.dtype, device);
        out.length = length;
        for (let l = 0; l < old.layers; l++) {
          for (const [dst, a, b] of [
            [out.keys[l]!, old.keys[l]!, cache.keys[l]!],
            [out.values[l]!, old.values[l]!, cache.values[l]!],
          ] as const) {
            // right-align each side: its last filled slot lands on slot `length - 1`
            const place = (src: Tensor, len: number, row0: number) => {
              const take = Math.min(len, length); // columns of src inside the kept window
              dst
                .narrow(0, row0, src.size(0))
                .narrow(2, length - take, take)
                .copy_(src.narrow(2, len - take, take));
            };
            place(a, la, 0);
            place(b, lb, this.rows.length);
          }
        }
        return { merged: out, mergedMask: full.narrow(1, first, length).contiguous() };
      }),
    );
    old.dispose();
    cache.dispose();
    oldMask.dispose();
    mask.dispose();
    this.cache = merged;
    this.mask = mergedMask.keep();
    this.rows = rows;
  }

  private freeCache(): void {
    this.cache?.dispose();
    this.cache = null;
    this.mask?.dispose();
    this.mask = null;
  }
}
