// GRPO's objective as pure tensor functions (SPEC.md §2.2, DeepSeekMath / V3 eq. 26–28), with the
// variants users of TRL and verl expect: group-relative advantages (group std, batch std or none, ε,
// Bessel), the ratio per token | per sequence as a geometric mean (GSPO) | per sequence as a product
// (V3 as written), asymmetric clipping ε_low / ε_high (DAPO) with optional dual clip, KL to a
// reference with the k1 / k2 / k3 estimators, and three aggregations: per-sequence token mean then
// mean (GRPO), global token mean (DAPO), sum over a constant length (Dr. GRPO); an optional entropy
// bonus; micro-batches normalised by the whole batch's counts; and the per-sequence KL used when
// the KL penalty goes into the reward instead of the loss. Knows nothing about models or sampling:
// it takes per-token log-probabilities and a completion mask.
import * as pt from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';

export interface AdvantageOptions {
  /** Divide by the group's std (GRPO), the whole batch's std, or not at all (Dr. GRPO). */
  scale_rewards: 'group' | 'batch' | 'none';
  /** Added to the std. */
  adv_eps: number;
  /** Sample std (n − 1) instead of population std (n). */
  bessel: boolean;
}

function std(xs: readonly number[], bessel: boolean): number {
  if (xs.length === 0) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const d = bessel ? xs.length - 1 : xs.length;
  return d > 0 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / d) : 0;
}

/**
 * A_i = (r_i − mean of its group) / (std + eps); rewards laid out group after group (G per group).
 * A null reward (a reward function could not judge the sample) takes no part in its group's mean
 * and std and gets advantage 0 (the trainer also masks it out of the loss).
 */
export function groupAdvantages(rewards: readonly (number | null)[], groupSize: number, o: AdvantageOptions): number[] {
  if (!Number.isInteger(groupSize) || groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new RangeError(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const judged = (xs: readonly (number | null)[]) => xs.filter((r): r is number => r !== null);
  const batchStd = std(judged(rewards), o.bessel);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const valid = judged(group);
    const mean = valid.reduce((a, b) => a + b, 0) / Math.max(1, valid.length);
    const s = o.scale_rewards === 'group' ? std(valid, o.bessel) : o.scale_rewards === 'batch' ? batchStd : 0;
    for (const r of group) out.push(r === null ? 0 : o.scale_rewards === 'none' ? r - mean : (r - mean) / (s + o.adv_eps));
  }
  return out;
}

export type ImportanceSamplingLevel = 'token' | 'sequence' | 'sequence_product';
export type LossType = 'grpo' | 'dapo' | 'dr_grpo';
export type KlEstimator = 'k1' | 'k2' | 'k3';

export interface GrpoLossOptions {
  importance_sampling_level: ImportanceSamplingLevel;
  loss_type: LossType;
  epsilon: number;
  epsilon_high: number;
  /** Dual clip c (> 1) bounds the loss of negative-advantage tokens at c·A; null = off. */
  dual_clip: number | null;
  beta: number;
  kl_estimator: KlEstimator;
  /** The constant length of Dr. GRPO's sum (usually the generation limit). */
  max_completion_length: number;
  /** Entropy bonus: the loss falls by entropy_coef × the entropy, aggregated like the surrogate. */
  entropy_coef?: number;
  /**
   * The whole update batch's sequence and completion-token counts, when this call sees one
   * micro-batch of it: each loss_type then divides by the batch's counts, so the micro-batch
   * losses (and gradients) sum to the full batch's. Default: this call's own counts.
   */
  totals?: { sequences: number; tokens: number };
}

export interface GrpoLossOutput {
  loss: Tensor;
  /** Masked token means over this call's completion tokens (`tokens` of them), for logging. */
  stats: { kl: number; clipLow: number; clipHigh: number; clipRegion: number; ratioMean: number; entropy: number; tokens: number };
}

/**
 * logp, oldLogp, refLogp: (B, T) log-probabilities of the sampled tokens under the policy being
 * trained (with grad), the policy that sampled them, and the reference; advantages (B); mask (B, T)
 * 1 on completion tokens; entropy (B, T) of the policy's next-token distribution (with grad when
 * entropy_coef ≠ 0; only logged otherwise). Returns the loss to minimise (the negated objective).
 */
/** log(π_ref / π) per token → the k1 / k2 / k3 estimate of KL(π ‖ π_ref) per token. */
function klEstimate(d: Tensor, estimator: KlEstimator): Tensor {
  return estimator === 'k1' ? d.neg() : estimator === 'k2' ? d.square().mul(0.5) : d.exp().sub(d).sub(1);
}

/**
 * KL in the reward: each sequence's summed per-token KL estimate between the sampling policy
 * (logp, (B, T)) and the reference (refLogp, (B, T)) over its completion tokens (mask (B, T)), as
 * plain numbers; the trainer subtracts β × this from the sequence's reward before advantages.
 */
export function sequenceKl(logp: Tensor, refLogp: Tensor, mask: Tensor, estimator: KlEstimator): number[] {
  return pt.noGrad(() =>
    pt.scope(() => {
      const perToken = klEstimate(refLogp.sub(logp), estimator).mul(mask.to(logp.dtype)); // (B, T)
      return Array.from(perToken.sum(-1).to('float64').data() as Float64Array); // (B)
    }),
  );
}

export function grpoLoss(
  logp: Tensor,
  oldLogp: Tensor,
  refLogp: Tensor | null,
  advantages: Tensor,
  mask: Tensor,
  o: GrpoLossOptions,
  entropy: Tensor | null = null,
  isWeights: Tensor | null = null,
): GrpoLossOutput {
  return pt.scope(() => {
    const m = mask.to(logp.dtype); // (B, T)
    const lengths = m.sum(-1).clamp(1); // (B)
    const delta = logp.sub(oldLogp.detach()).mul(m); // (B, T) log ρ per token
    let logRatio: Tensor; // (B, T)
    if (o.importance_sampling_level === 'token') logRatio = delta;
    else {
      const seq = delta.sum(-1); // (B)
      const perSeq = o.importance_sampling_level === 'sequence' ? seq.div(lengths) : seq;
      logRatio = perSeq.unsqueeze(-1).expandAs(logp);
    }
    const ratio = logRatio.exp(); // (B, T)
    const A = advantages.to(logp.dtype).unsqueeze(-1); // (B, 1)
    const unclipped = ratio.mul(A);
    const clipped = ratio.clamp(1 - o.epsilon, 1 + o.epsilon_high).mul(A);
    let surrogate = pt.where(unclipped.lt(clipped), unclipped, clipped); // min(ρA, clip(ρ)A)
    if (o.dual_clip !== null) {
      const floor = A.mul(o.dual_clip).expandAs(surrogate);
      surrogate = pt.where(A.lt(0).expandAs(surrogate), pt.where(surrogate.gt(floor), surrogate, floor), surrogate);
    }
    let perToken = surrogate.neg(); // (B, T)
    if (isWeights) perToken = perToken.mul(isWeights.detach()); // truncated importance sampling, sampler → trainer (TRL applies it here, before the KL term)
    let kl: Tensor | null = null;
    if (o.beta !== 0 && refLogp) {
      const d = refLogp.detach().sub(logp); // log(π_ref / π)
      kl = klEstimate(d, o.kl_estimator);
      perToken = perToken.add(kl.mul(o.beta));
    }
    const coef = o.entropy_coef ?? 0;
    if (coef !== 0) {
      if (!entropy) throw new RangeError('grpoLoss: entropy_coef is set but no entropy tensor was given');
      perToken = perToken.sub(entropy.mul(coef));
    }
    const tokens = m.sum().item() as number;
    const totals = o.totals ?? { sequences: logp.size(0), tokens };
    const masked = perToken.mul(m);
    let loss: Tensor;
    if (o.loss_type === 'grpo') loss = masked.sum(-1).div(lengths).sum().div(Math.max(1, totals.sequences));
    else if (o.loss_type === 'dapo') loss = masked.sum().div(Math.max(1, totals.tokens));
    else loss = masked.sum().div(Math.max(1, totals.sequences) * o.max_completion_length);
    const meanOf = (t: Tensor) => (t.to(logp.dtype).mul(m).sum().item() as number) / Math.max(1, tokens);
    const pos = A.gt(0).expandAs(ratio),
      neg = A.lt(0).expandAs(ratio);
    const low = ratio.lt(1 - o.epsilon).logicalAnd(neg),
      high = ratio.gt(1 + o.epsilon_high).logicalAnd(pos);
    const stats = {
      kl: kl ? meanOf(pt.noGrad(() => kl!.detach())) : 0,
      clipLow: meanOf(low),
      clipHigh: meanOf(high),
      clipRegion: meanOf(low.logicalOr(high)),
      ratioMean: meanOf(ratio.detach()),
      entropy: entropy ? meanOf(entropy.detach()) : 0,
      tokens,
    };
    return { loss, stats };
  });
}
