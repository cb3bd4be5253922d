// Functional ops for transformer training and sampling: joining, where/einsum, embedding, linear,
// norms, dropout, attention (fast native path + a slow reference built from ops, tested against each
// other), attention masks for causal / padded / packed batches, and the losses.
import { N } from './native.js';
import { ArgumentError, ShapeError } from './errors.js';
import { Tensor, wrap, handleOf, operand, type Operand } from './tensor.js';
import { arange, ones } from './create.js';
import { scope } from './scope.js';

export type Reduction = 'none' | 'mean' | 'sum';

function tensorList(ts: readonly Tensor[], op: string) {
  if (!Array.isArray(ts) || ts.length === 0) throw new ArgumentError(op, 'needs a non-empty array of Tensors');
  return ts.map((t, i) => handleOf(t, op, `element ${i}`));
}

export function cat(ts: readonly Tensor[], dim = 0): Tensor {
  return wrap(N.cat(tensorList(ts, 'cat'), dim));
}
export function stack(ts: readonly Tensor[], dim = 0): Tensor {
  return wrap(N.stack(tensorList(ts, 'stack'), dim));
}
/** Elementwise cond ? a : b, broadcasting; a and b may be scalars. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  return wrap(N.where(handleOf(cond, 'where', 'condition'), operand(a, 'where'), operand(b, 'where')));
}
export function einsum(equation: string, ...ts: Tensor[]): Tensor {
  return wrap(N.einsum(equation, tensorList(ts, 'einsum')));
}

// ------------------------------------------------------------------ layers
/** Rows of weight (V, D) for ids (...) → (..., D). Rows at paddingIdx get no gradient. */
export function embedding(weight: Tensor, ids: Tensor, paddingIdx = -1): Tensor {
  return wrap(N.embedding(handleOf(weight, 'embedding', 'weight'), handleOf(ids, 'embedding', 'ids'), paddingIdx));
}
/** x (..., in) @ weight (out, in)ᵀ + bias (out) → (..., out) */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(
    N.linear(handleOf(x, 'linear', 'input'), handleOf(weight, 'linear', 'weight'), bias ? handleOf(bias, 'linear', 'bias') : null),
  );
}
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return wrap(
    N.layerNorm(
      handleOf(x, 'layerNorm', 'input'),
      normalizedShape,
      weight ? handleOf(weight, 'layerNorm') : null,
      bias ? handleOf(bias, 'layerNorm') : null,
      eps,
    ),
  );
}
/** x * rsqrt(mean(x², -1) + eps) * weight, statistics in float32 for half inputs (HF Llama RMSNorm). */
export function rmsNorm(x: Tensor, weight?: Tensor | null, eps = 1e-6): Tensor {
  return wrap(N.rmsNorm(handleOf(x, 'rmsNorm', 'input'), weight ? handleOf(weight, 'rmsNorm', 'weight') : null, eps));
}
/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training; identity otherwise. */
export function dropout(x: Tensor, p: number, training = true): Tensor {
  return wrap(N.dropout(handleOf(x, 'dropout', 'input'), p, training));
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}
/** int64 indices (...) → (..., numClasses) int64. */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  return wrap(N.oneHot(handleOf(x, 'oneHot'), numClasses));
}

// ------------------------------------------------------------------ attention
export interface AttentionOptions {
  /** bool, broadcastable to (B, H, T, S); true = may attend. */
  mask?: Tensor | null;
  /** Causal, aligned bottom-right: query i (of T) sees keys j ≤ i + S - T (the KV-cache case). */
  causal?: boolean;
  /** Attention dropout probability (pass 0 in eval). */
  dropout?: number;
  /** Defaults to 1/sqrt(head_dim). */
  scale?: number;
}

/**
 * softmax(q kᵀ · scale + mask) v.  q (B, H, T, D), k/v (B, Hkv, S, D) with H a multiple of Hkv
 * (grouped-query attention). A query row with no key allowed (padding) returns zeros.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): Tensor {
  return wrap(
    N.sdpa(
      handleOf(q, 'sdpa', 'query'),
      handleOf(k, 'sdpa', 'key'),
      handleOf(v, 'sdpa', 'value'),
      o.mask ? handleOf(o.mask, 'sdpa', 'mask') : null,
      o.causal ?? false,
      o.dropout ?? 0,
      o.scale ?? null,
    ),
  );
}

/** The slow reference for scaledDotProductAttention, written with plain ops (no dropout). */
export function attentionReference(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): Tensor {
  return scope(() => {
    const [H, T, D] = q.shape.slice(-3) as [number, number, number];
    const Hkv = k.size(-3);
    const S = k.size(-2);
    if (H % Hkv !== 0) throw new ShapeError('attentionReference', `query heads ${H} not a multiple of key heads ${Hkv}`);
    const kk = H === Hkv ? k : k.repeatInterleave(H / Hkv, -3);
    const vv = H === Hkv ? v : v.repeatInterleave(H / Hkv, -3);
    let scores = q.matmul(kk.transpose(-2, -1)).mul(o.scale ?? 1 / Math.sqrt(D)); // (B, H, T, S)
    let allowed: Tensor | null = o.causal ? ones([T, S], { dtype: 'bool' }).tril(S - T) : null;
    if (o.mask) allowed = allowed ? allowed.logicalAnd(o.mask) : o.mask;
    if (allowed === null) return scores.softmax(-1).matmul(vv);
    const rowHasKey = allowed.any(-1, true); // (..., T, 1)
    scores = scores.maskedFill(allowed.logicalNot(), -Infinity).maskedFill(rowHasKey.logicalNot(), 0);
    return scores.softmax(-1).matmul(vv).maskedFill(rowHasKey.logicalNot(), 0);
  }, 'attentionReference');
}

export interface MaskSpec {
  queryLength: number;
  keyLength?: number;
  causal?: boolean;
  /** (B, S) bool or 0/1: true/1 = a real token, false/0 = padding. */
  keyPadding?: Tensor | null;
  /** (B, T) ids of the packed sample each token belongs to: attention stays inside a sample (needs T = S). */
  segmentIds?: Tensor | null;
}

/** A bool mask (B or 1, 1, T, S) for scaledDotProductAttention: causal ∧ same-sample ∧ key-is-real. */
export function attentionMask(spec: MaskSpec): Tensor {
  return scope(() => {
    const T = spec.queryLength;
    const S = spec.keyLength ?? T;
    let mask = ones([T, S], { dtype: 'bool' });
    if (spec.causal ?? true) mask = mask.tril(S - T);
    mask = mask.view(1, 1, T, S); // (1, 1, T, S)
    if (spec.segmentIds) {
      if (T !== S) throw new ShapeError('attentionMask', `packed segment masks need queryLength = keyLength, got ${T} and ${S}`);
      const seg = spec.segmentIds; // (B, T)
      const same = seg.unsqueeze(-1).eq(seg.unsqueeze(-2)).unsqueeze(1); // (B, 1, T, T)
      mask = mask.logicalAnd(same);
    }
    if (spec.keyPadding) mask = mask.logicalAnd(spec.keyPadding.bool().view(spec.keyPadding.size(0), 1, 1, S));
    return mask;
  }, 'attentionMask');
}

/** Positions that restart at 0 at every new segment id: (B, T) int64, for packed rows. */
export function positionsFromSegments(segmentIds: Tensor): Tensor {
  return scope(() => {
    const [B, T] = segmentIds.shape as [number, number];
    const idx = arange(0, T).view(1, T).expand(B, T); // (B, T)
    const starts = segmentIds.slice(1, 1).ne(segmentIds.slice(1, 0, -1)); // (B, T-1) true where a new sample starts
    const startIdx = idx.slice(1, 1).mul(starts); // (B, T-1)
    const first = idx.slice(1, 0, 1).mul(0); // (B, 1)
    const lastStart = cat([first, startIdx], 1).cummax(1); // (B, T)
    return idx.sub(lastStart);
  }, 'positionsFromSegments');
}

// ------------------------------------------------------------------ losses
export interface CrossEntropyOptions {
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
  weight?: Tensor | null;
}

/** logits (..., C) and integer targets (...) → loss; targets equal to ignoreIndex (-100) add nothing. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  const shape = logits.shape;
  if (shape.length < 1) throw new ShapeError('crossEntropy', 'logits need a class dimension', [logits.describe()]);
  const C = shape[shape.length - 1]!;
  const reduction = o.reduction ?? 'mean';
  const run = (l: Tensor, t: Tensor): Tensor =>
    wrap(
      N.crossEntropy(
        l.h('crossEntropy'),
        handleOf(t, 'crossEntropy', 'target'),
        o.weight ? handleOf(o.weight, 'crossEntropy', 'weight') : null,
        reduction,
        o.ignoreIndex ?? -100,
        o.labelSmoothing ?? 0,
      ),
    );
  if (shape.length <= 2) return run(logits, target);
  const targetShape = target.shape;
  return scope(() => {
    const out = run(logits.reshape(-1, C), target.reshape(-1)); // (N,) or scalar
    return reduction === 'none' ? out.view(targetShape) : out;
  }, 'crossEntropy');
}

/** KL(target ‖ exp(input)) with input as log-probabilities (PyTorch kl_div); 'batchmean' divides the sum by dim 0. */
export function klDiv(input: Tensor, target: Tensor, o: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const r = o.reduction ?? 'mean';
  const run = (red: Reduction) =>
    wrap(N.klDiv(handleOf(input, 'klDiv', 'input'), handleOf(target, 'klDiv', 'target'), red, o.logTarget ?? false));
  if (r !== 'batchmean') return run(r);
  const batch = input.ndim > 0 ? input.size(0) : 1;
  return scope(() => run('sum').div(batch), 'klDiv');
}

export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(N.mseLoss(handleOf(a, 'mseLoss'), handleOf(b, 'mseLoss'), reduction));
}
