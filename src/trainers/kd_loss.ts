// Token-level knowledge-distillation losses (SPEC.md §3) between the teacher's and the student's
// next-token distributions over the whole vocabulary, from logits (B, S, V) at a temperature T:
// p = softmax(logits / T), with no T² factor (the divergence at temperature T, as TRL's GKD).
//   forward_kl  KL(p_T ‖ p_S) = Σ_v p_T (log p_T − log p_S)   mean-seeking (classic KD)
//   reverse_kl  KL(p_S ‖ p_T) = Σ_v p_S (log p_S − log p_T)   mode-seeking (MiniLLM)
//   jsd         the generalised Jensen-Shannon divergence JSD(β) of GKD (Agarwal et al. 2024, eq. 1)
//               in TRL's GKDTrainer.generalized_jsd_loss convention:
//                 M = β·p_T + (1 − β)·p_S,   JSD(β) = β·KL(p_T ‖ M) + (1 − β)·KL(p_S ‖ M)
//               β = 0 and β = 1 are special-cased (as TRL does) to the forward KL and the reverse
//               KL. The formula itself tends to 0 at both ends — JSD(β) ≈ β·KL(p_T ‖ p_S) as
//               β → 0 and ≈ (1 − β)·KL(p_S ‖ p_T) as β → 1 — so near the ends β mostly scales the
//               loss; the endpoints are a jump to the unscaled KLs. β = 0.5 is the symmetric JSD.
// Reduction: the token mean over the mask (B, S) of the positions that count (response tokens):
// Σ_{mask} d(b, s) / Σ mask, 0 when the mask is empty; 'sum' leaves the division to the caller (a
// trainer normalising by the step's token count over micro-batches).
// The fast path works in log-space (log_softmax; logsumexp for the mixture) on tensors; logits must
// be finite. kdLossReference is the slow reference the tests hold it to: plain loops over
// Float64Array probabilities. Knows nothing about models or data.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export const KD_LOSSES = ['forward_kl', 'reverse_kl', 'jsd'] as const;
export type KdLossKind = (typeof KD_LOSSES)[number];

export interface KdOptions {
  loss: KdLossKind;
  /** JSD's β in [0, 1] (weight of the teacher in the mixture); default 0.5. Ignored by the KLs. */
  beta?: number;
  /** Softmax temperature T > 0; default 1. */
  temperature?: number;
}

function checkOptions(o: KdOptions, op: string): Required<KdOptions> {
  const beta = o.beta ?? 0.5,
    temperature = o.temperature ?? 1;
  if (!(KD_LOSSES as readonly string[]).includes(o.loss))
    throw new RangeError(`${op}: loss must be one of ${KD_LOSSES.join(' | ')}, got ${JSON.stringify(o.loss)}`);
  if (!(beta >= 0 && beta <= 1)) throw new RangeError(`${op}: beta must be in [0, 1], got ${beta}`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`${op}: temperature must be > 0, got ${temperature}`);
  return { loss: o.loss, beta, temperature };
}

/** Which divergence the options name once β's endpoints are resolved. */
function resolvedKind(o: Required<KdOptions>): 'forward_kl' | 'reverse_kl' | 'jsd' {
  if (o.loss !== 'jsd') return o.loss;
  return o.beta === 0 ? 'forward_kl' : o.beta === 1 ? 'reverse_kl' : 'jsd';
}

/** KL(P ‖ Q) per position from log-probabilities (…, V) → (…). */
function klFromLogs(logP: Tensor, logQ: Tensor): Tensor {
  return logP.exp().mul(logP.sub(logQ)).sum(-1); // (…)
}

/** The per-token divergence (B, S) between teacher and student next-token distributions. */
export function kdPerToken(studentLogits: Tensor, teacherLogits: Tensor, options: KdOptions): Tensor {
  const o = checkOptions(options, 'kdPerToken');
  if (studentLogits.ndim !== 3 || studentLogits.shape.join() !== teacherLogits.shape.join()) {
    throw new RangeError(
      `kdPerToken: student and teacher logits must both be (B, S, V), got ${JSON.stringify(studentLogits.shape)} and ${JSON.stringify(teacherLogits.shape)}`,
    );
  }
  return pt.scope(() => {
    const atT = (x: Tensor) => {
      const wide = x.dtype === 'float64' || x.dtype === 'float32' ? x : x.float(); // bf16/f16 → f32
      return (o.temperature === 1 ? wide : wide.div(o.temperature)).logSoftmax(-1); // (B, S, V)
    };
    const logS = atT(studentLogits); // (B, S, V)
    const logT = atT(teacherLogits); // (B, S, V)
    switch (resolvedKind(o)) {
      case 'forward_kl':
        return klFromLogs(logT, logS); // (B, S)
      case 'reverse_kl':
        return klFromLogs(logS, logT); // (B, S)
      case 'jsd': {
        const logM = pt.stack([logS.add(Math.log(1 - o.beta)), logT.add(Math.log(o.beta))], 0).logsumexp(0); // (B, S, V)
        return klFromLogs(logT, logM)
          .mul(o.beta)
          .add(klFromLogs(logS, logM).mul(1 - o.beta)); // (B, S)
      }
    }
  });
}

/**
 * The KD loss over the positions where mask (B, S) is true / non-zero: their token mean
 * (reduction 'mean', 0 when none count) or their sum ('sum').
 */
export function kdLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  mask: Tensor,
  options: KdOptions & { reduction?: 'mean' | 'sum' },
): Tensor {
  const [B, S] = studentLogits.shape;
  if (mask.ndim !== 2 || mask.size(0) !== B || mask.size(1) !== S) {
    throw new RangeError(
      `kdLoss: mask must be (B, S) = ${JSON.stringify([B, S])} like the logits' first two dimensions, got ${JSON.stringify(mask.shape)}`,
    );
  }
  return pt.scope(() => {
    const counts = mask.dtype === 'bool' ? mask : mask.ne(0); // (B, S) bool
    const total = pt.where(counts, kdPerToken(studentLogits, teacherLogits, options), 0).sum(); // ()
    if ((options.reduction ?? 'mean') === 'sum') return total;
    return total.div(Math.max(1, counts.sum().item() as number)); // ()
  });
}

// ---------------------------------------------------------------------------- slow reference

/** softmax(logits / T) of one row, in float64, by plain loops. */
function softmaxRow(logits: ArrayLike<number>, offset: number, V: number, temperature: number): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]! / temperature);
  const p = new Float64Array(V);
  let z = 0;
  for (let v = 0; v < V; v++) z += p[v] = Math.exp(logits[offset + v]! / temperature - max);
  for (let v = 0; v < V; v++) p[v] = p[v]! / z;
  return p;
}

/** Σ_v p_v log(p_v / q_v), with 0 · log 0 = 0. */
function klRow(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let v = 0; v < p.length; v++) if (p[v]! > 0) s += p[v]! * Math.log(p[v]! / q[v]!);
  return s;
}

/**
 * The same losses the slow way: logits as flat row-major arrays of shape (B, S, V), probabilities
 * as Float64Array, the JSD's mixture formed in probability space. Returns the per-token values
 * (B·S, row-major) and the token mean over the mask (0 when the mask is empty).
 */
export function kdLossReference(
  studentLogits: ArrayLike<number>,
  teacherLogits: ArrayLike<number>,
  shape: readonly [number, number, number],
  mask: ArrayLike<number | boolean>,
  options: KdOptions,
): { perToken: Float64Array; loss: number } {
  const o = checkOptions(options, 'kdLossReference');
  const [B, S, V] = shape;
  if (studentLogits.length !== B * S * V || teacherLogits.length !== B * S * V || mask.length !== B * S) {
    throw new RangeError(
      `kdLossReference: shape ${JSON.stringify(shape)} needs ${B * S * V} logits each and ${B * S} mask values, ` +
        `got ${studentLogits.length}, ${teacherLogits.length} and ${mask.length}`,
    );
  }
  const kind = resolvedKind(o);
  const perToken = new Float64Array(B * S);
  let sum = 0,
    count = 0;
  for (let i = 0; i < B * S; i++) {
    const pS = softmaxRow(studentLogits, i * V, V, o.temperature);
    const pT = softmaxRow(teacherLogits, i * V, V, o.temperature);
    if (kind === 'forward_kl') perToken[i] = klRow(pT, pS);
    else if (kind === 'reverse_kl') perToken[i] = klRow(pS, pT);
    else {
      const m = new Float64Array(V);
      for (let v = 0; v < V; v++) m[v] = o.beta * pT[v]! + (1 - o.beta) * pS[v]!;
      perToken[i] = o.beta * klRow(pT, m) + (1 - o.beta) * klRow(pS, m);
    }
    if (Number(mask[i]) !== 0) {
      sum += perToken[i]!;
      count++;
    }
  }
  return { perToken, loss: count > 0 ? sum / count : 0 };
}
