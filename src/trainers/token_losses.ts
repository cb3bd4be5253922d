// The language-model losses the trainers share, over the output head in chunks (nn/chunked_head.ts)
// so that a real vocabulary's (tokens, vocab) logits never exist at once: next-token cross-entropy
// for SFT, pretraining, evaluation and distillation's SFT term, and the (B, S−1) per-token
// log-probabilities (and entropy) GRPO needs for the policy and the reference.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CausalLM } from '../models/index.js';
import { headLoss, logprobHead, chunkRows, type HeadObjective, type TokenHead } from '../nn/chunked_head.js';
import { IGNORE_INDEX } from '../data/index.js';

/** How the head is chunked: the rows-per-chunk setting (0: automatic) and fp16's loss scale. */
export interface HeadSettings {
  logits_chunk_size: number;
  gradScale?: number;
}

/** hidden (B, T, H) → rows (B·T, H). */
function rowsOf(hidden: Tensor): Tensor {
  return hidden.reshape(-1, hidden.size(-1)); // (B·T, H)
}

/**
 * Σ over target positions of −log p(target), times `weight` (1 / the step's token count for a mean
 * over micro-batches): hidden (B, T, H), targets (B, T) with IGNORE_INDEX where nothing is learned.
 * Differentiable when hidden or the head is; the gradients equal unchunked cross-entropy's.
 */
export function crossEntropyLoss(model: CausalLM, hidden: Tensor, targets: Tensor, weight: number, s: HeadSettings): Tensor {
  return pt.scope(() => {
    const t = trainedTargets(targets);
    const w = t.keep.to(model.activationDtype === 'float64' ? 'float64' : 'float32').mul(-weight); // (B·T)
    return tokenHeadLoss(model, hidden, logprobHead(t.ids), { weights: [w] }, s).loss;
  });
}

/** targets (B, T) with IGNORE_INDEX → ids (B·T) a head can gather (ignored ones read token 0) and keep (B·T) bool. */
export function trainedTargets(targets: Tensor): { ids: Tensor; keep: Tensor } {
  return pt.scope(() => {
    const t = targets.reshape(-1); // (B·T)
    const keep = t.ne(IGNORE_INDEX); // (B·T)
    return { ids: t.maskedFill(keep.logicalNot(), 0), keep };
  });
}

/** The head over hidden (B, T, H) with a per-token head and an objective (see nn/chunked_head.ts); values come back (B, T). */
export function tokenHeadLoss(
  model: CausalLM,
  hidden: Tensor,
  head: TokenHead,
  objective: HeadObjective,
  s: HeadSettings,
): { loss: Tensor; values: Tensor[] } {
  const [B, T] = hidden.shape as [number, number];
  const rows = chunkRows(s.logits_chunk_size, model.config.vocabSize);
  const out = headLoss(rowsOf(hidden), model.headWeight(), head, objective, { rows, gradScale: s.gradScale });
  return { loss: out.loss, values: out.values.map((v) => v.view(B, T)) };
}

/**
 * Per-token log-probabilities of next tokens under softmax(logits / temperature), (B, S−1), and
 * (with `entropy` or an objective) the entropy of that distribution: ids (B, S) and the hidden
 * states (B, S, H) of the same forward. With `objective`, the loss over [logp, entropy] (each (B·S)
 * rows; the last position of each row is padding with weight 0) comes back too; without one, values
 * only, without autograd.
 */
export function nextTokenLogprobs(
  model: CausalLM,
  hidden: Tensor,
  ids: Tensor,
  temperature: number,
  s: HeadSettings,
  o: { entropy?: boolean; objective?: (logp: Tensor, entropy: Tensor) => Tensor } = {},
): { logp: Tensor; entropy: Tensor | null; loss: Tensor | null } {
  const objective = o.objective;
  return pt.scope(() => {
    const [B, S] = ids.shape as [number, number];
    const next = pt.cat([ids.narrow(1, 1, S - 1), pt.zeros([B, 1], { dtype: 'int64', device: ids.device })], 1).reshape(-1); // (B·S)
    const head = logprobHead(next, temperature, objective !== undefined || (o.entropy ?? false));
    const cut = (v: Tensor) => v.view(B, S).narrow(1, 0, S - 1); // (B, S−1)
    const reduce = objective ? (qs: Tensor[]) => objective(cut(qs[0]!), cut(qs[1]!)) : () => pt.zeros([]);
    const run = () => tokenHeadLoss(model, hidden, head, { reduce }, s);
    const out = objective ? run() : pt.noGrad(run); // values only without an objective
    const [logp, entropy] = out.values.map((v) => v.narrow(1, 0, S - 1)); // (B, S−1) each
    return { logp: logp!, entropy: entropy ?? null, loss: objective ? out.loss : null };
  });
}
