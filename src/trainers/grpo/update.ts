// GRPO's update side: kept groups → right-padded micro-batches (prompt + completion, a mask on
// the positions that predict completion tokens), log-probabilities under the sampling policy and
// the reference, then num_iterations optimizer steps of loss.ts, each accumulating gradients over the
// micro-batches with the whole batch's counts as denominators (so any micro_batch_size gives the
// same gradient as one big batch). Log-probabilities come from the output head in chunks
// (token_losses.ts), the update through forwardBackward (gradient checkpointing, fp16 loss scaling).
// Under data parallelism each rank updates on its share of the rows with the whole round's counts
// as denominators, and the ranks' gradients are summed before each optimizer step, so the step is
// the one-process step on all rows. The caller owns (and disposes) the micro-batches and log-probs.
import * as pt from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';
import { forwardBackward, type CausalLM } from '../../models/index.js';
import { GradScaler, type AdamW } from '../../optim/index.js';
import { nextTokenLogprobs, type HeadSettings } from '../token_losses.js';
import { grpoLoss, type GrpoLossOptions } from './loss.js';
import type { DataParallel } from '../data_parallel.js';

/** One sequence of the update: prompt + completion tokens; lossMask false → no loss on it. */
export interface UpdateRow {
  ids: number[];
  promptLength: number;
  lossMask: boolean;
  /** The sampler's log-probability of each completion token (rollouts from a server), for importance sampling. */
  samplerLogprobs?: number[];
}

export interface MicroBatch {
  ids: Tensor; // (B, S) int64
  attention: Tensor; // (B, S) bool
  completion: Tensor; // (B, S−1) float32: 1 where position t predicts a completion token
  rows: number;
}

/** Splits rows (in order) into micro-batches of at most `size` (0: one batch), each padded to its own longest row, on `device`. */
export function microBatches(rows: readonly UpdateRow[], size: number, device: pt.Device = 'cpu'): MicroBatch[] {
  const out: MicroBatch[] = [];
  const step = size > 0 ? size : rows.length;
  for (let start = 0; start < rows.length; start += step) {
    const part = rows.slice(start, start + step);
    const S = Math.max(2, ...part.map((r) => r.ids.length));
    const B = part.length;
    const ids = new BigInt64Array(B * S),
      attn = new Uint8Array(B * S),
      comp = new Float32Array(B * (S - 1));
    part.forEach((r, b) => {
      r.ids.forEach((t, j) => {
        ids[b * S + j] = BigInt(t);
        attn[b * S + j] = 1;
      });
      if (!r.lossMask) return;
      for (let j = r.promptLength - 1; j < r.ids.length - 1; j++) comp[b * (S - 1) + j] = 1;
    });
    out.push({
      ids: pt.tensor(ids, { shape: [B, S], device }),
      attention: pt.tensor(attn, { dtype: 'bool', shape: [B, S], device }),
      completion: pt.tensor(comp, { shape: [B, S - 1], device }),
      rows: B,
    });
  }
  return out;
}

/**
 * (B, S−1) log-probabilities of each next token under softmax(logits / T), and with `entropy` the
 * (B, S−1) entropy of that distribution, without autograd (the policy before its update, the reference).
 */
export function tokenLogprobs(
  model: CausalLM,
  mb: MicroBatch,
  temperature: number,
  head: HeadSettings = { logits_chunk_size: 0 },
  entropy = false,
): { logp: Tensor; entropy: Tensor | null } {
  return pt.noGrad(() =>
    pt.scope(() => {
      const hidden = model.hiddenStates(mb.ids, { attentionMask: mb.attention }); // (B, S, H)
      const out = nextTokenLogprobs(model, hidden, mb.ids, temperature, head, { entropy });
      return { logp: out.logp, entropy: out.entropy };
    }),
  );
}

/** Log-probabilities without grad, one tensor per micro-batch (old policy or reference). */
export function frozenLogprobs(model: CausalLM, mbs: readonly MicroBatch[], temperature: number, head?: HeadSettings): Tensor[] {
  return mbs.map((mb) => tokenLogprobs(model, mb, temperature, head).logp);
}

/** How the update runs: μ steps, the sampling temperature, clipping, and the memory settings. */
export interface UpdateSettings {
  num_iterations: number;
  temperature: number;
  max_grad_norm: number;
  logits_chunk_size?: number;
  gradient_checkpointing?: boolean;
  /** fp16's loss scaler (disabled otherwise). */
  scaler?: GradScaler;
  /** Data parallelism: the ranks whose gradients are summed before each step (null: one process). */
  dp?: DataParallel | null;
  /** The denominators of the whole batch over all ranks (default: this call's rows). */
  totals?: { sequences: number; tokens: number };
  /** Per micro-batch (B, S−1) weights of each token's policy loss (truncated importance sampling), or null. */
  isWeights?: Tensor[] | null;
}

export interface UpdateStats {
  kl: number;
  clipLow: number;
  clipHigh: number;
  clipRegion: number;
  ratioMean: number;
  entropy: number;
  loss: number;
  gradNorm: number;
}

/** The statistics of a round without an update (every group dropped). */
export const NO_UPDATE: Readonly<UpdateStats> = {
  kl: 0,
  clipLow: 0,
  clipHigh: 0,
  clipRegion: 0,
  ratioMean: 1,
  entropy: 0,
  loss: 0,
  gradNorm: 0,
};

/**
 * μ optimizer steps on the batch. old: the sampling policy's log-probs per micro-batch, or null
 * when μ = 1 (then the policy's own detached log-probs are the old ones: ratio 1, as TRL does).
 * ref: the reference's, or null (β = 0 or KL in the reward). advantages: one per row, in order.
 */
export async function policyUpdate(
  model: CausalLM,
  optimizer: AdamW,
  mbs: readonly MicroBatch[],
  old: Tensor[] | null,
  ref: Tensor[] | null,
  advantages: readonly number[],
  lossOptions: Omit<GrpoLossOptions, 'totals'>,
  o: UpdateSettings,
): Promise<UpdateStats> {
  const params = model.trainableParameters();
  const scaler = o.scaler ?? new GradScaler({ enabled: false });
  const totals = o.totals ?? {
    sequences: advantages.length,
    tokens: pt.scope(() => mbs.reduce((n, mb) => n + (mb.completion.sum().item() as number), 0)),
  };
  let stats: UpdateStats = { ...NO_UPDATE };
  for (let u = 0; u < o.num_iterations; u++) {
    optimizer.zeroGrad();
    const sums = { kl: 0, clipLow: 0, clipHigh: 0, clipRegion: 0, ratioMean: 0, entropy: 0, loss: 0 };
    let tokens = 0,
      row = 0;
    mbs.forEach((mb, i) => {
      pt.scope(() => {
        const adv = pt.tensor(Float32Array.from(advantages.slice(row, row + mb.rows)), { device: mb.ids.device }); // (B)
        const head = { logits_chunk_size: o.logits_chunk_size ?? 0, gradScale: scaler.scale };
        let out: ReturnType<typeof grpoLoss> | null = null;
        const objective = (logp: Tensor, entropy: Tensor) => {
          out = grpoLoss(
            logp,
            old ? old[i]! : logp,
            ref ? ref[i]! : null,
            adv,
            mb.completion,
            { ...lossOptions, totals },
            entropy,
            o.isWeights?.[i] ?? null,
          );
          return out.loss;
        };
        const value = forwardBackward(
          model,
          mb.ids,
          { attentionMask: mb.attention },
          (hidden) => nextTokenLogprobs(model, hidden, mb.ids, o.temperature, head, { objective }).loss!,
          { gradientCheckpointing: o.gradient_checkpointing, lossScale: scaler.scale },
        );
        const st = (out as ReturnType<typeof grpoLoss> | null)!.stats;
        const w = st.tokens;
        tokens += w;
        sums.kl += st.kl * w;
        sums.clipLow += st.clipLow * w;
        sums.clipHigh += st.clipHigh * w;
        sums.clipRegion += st.clipRegion * w;
        sums.ratioMean += st.ratioMean * w;
        sums.entropy += st.entropy * w;
        sums.loss += value;
      });
      row += mb.rows;
    });
    if (o.dp?.enabled) {
      await o.dp.allReduceGradients(params);
      const keys = Object.keys(sums) as (keyof typeof sums)[];
      const reduced = await o.dp.sum([tokens, ...keys.map((k) => sums[k])]);
      tokens = reduced[0]!;
      keys.forEach((k, i) => (sums[k] = reduced[i + 1]!));
    }
    const { gradNorm } = scaler.clipAndStep(optimizer, params, o.max_grad_norm);
    const per = (x: number) => x / Math.max(1, tokens);
    stats = {
      kl: per(sums.kl),
      clipLow: per(sums.clipLow),
      clipHigh: per(sums.clipHigh),
      clipRegion: per(sums.clipRegion),
      ratioMean: tokens ? per(sums.ratioMean) : 1,
      entropy: per(sums.entropy),
      loss: sums.loss,
      gradNorm,
    };
  }
  return stats;
}
