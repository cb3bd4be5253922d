// The output head over chunks of positions: per-token quantities of the logits hidden · Wᵀ
// (log-probabilities, entropies, divergences to a teacher) computed a chunk of rows at a time, so
// that the full (N, V) float32 logits of a real vocabulary never exist at once — Liger-Kernel's fused
// linear + loss, on plain libtorch ops.
//
// Without a custom autograd node, the gradient is produced in the forward pass:
//   1. values of every per-token quantity, chunk by chunk, without autograd          (N) each
//   2. g = ∂loss/∂quantity from `reduce` on detached leaves (small: N numbers each)
//      — skipped when the loss is a weighted sum with known weights (then g = weights)
//   3. per chunk: logits again with autograd on detached copies of the chunk's rows and of W,
//      backward of Σ g·quantity → ∂loss/∂rows, ∂loss/∂W accumulated; the chunk is then freed
//   4. the returned loss = value + S − S.detach() with S = Σ hidden·∂hidden + Σ W·∂W: its backward
//      hands exactly those gradients to whatever produced `hidden` and W (the decoder, a cast, a
//      tied embedding), so a trainer calls loss.backward() as it always did.
// The unchunked path (one chunk holding every row) builds the whole logits with ordinary autograd:
// it is the reference the chunked path is tested against, and what small vocabularies use.
// Knows nothing about models: it takes hidden rows (N, D) and the head weight (V, D).
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

/** One chunk: float32 logits (n, V) of rows [start, start + n) → per-token quantities, each (n). */
export type TokenHead = (logits: Tensor, start: number) => Tensor[];

/** How the loss is formed from the quantities (each (N)). */
export type HeadObjective =
  /** loss = Σ_i Σ_n weights[i]·quantity_i (cross-entropy, distillation): no values pass needed. */
  | { weights: (Tensor | null)[] }
  /** loss = reduce(quantities), any differentiable function of them (GRPO's clipped objective). */
  | { reduce: (quantities: Tensor[]) => Tensor };

/** Logits elements per chunk when the chunk size is automatic: 2^24 (64 MB of float32). */
export const AUTO_CHUNK_ELEMENTS = 2 ** 24;

/**
 * Rows per chunk: `setting` > 0 is taken as given; 0 = automatic, ⌈2^24 / V⌉ rows (Qwen's 151,936
 * vocabulary: 111 rows, 67 MB of logits). At least one row; ≥ N means no chunking.
 */
export function chunkRows(setting: number, vocab: number): number {
  if (!Number.isInteger(setting) || setting < 0)
    throw new pt.ArgumentError('chunkRows', `logits_chunk_size must be an integer >= 0, got ${setting}`);
  return setting > 0 ? setting : Math.max(1, Math.ceil(AUTO_CHUNK_ELEMENTS / vocab));
}

function checkInputs(hidden: Tensor, weight: Tensor, rows: number, op: string): number {
  if (hidden.ndim !== 2 || weight.ndim !== 2 || hidden.size(1) !== weight.size(1))
    throw new pt.ShapeError(
      op,
      `hidden must be (N, D) and the head weight (V, D), got ${JSON.stringify(hidden.shape)} and ${JSON.stringify(weight.shape)}`,
    );
  if (!Number.isInteger(rows) || rows < 1) throw new pt.ArgumentError(op, `rows per chunk must be a positive integer, got ${rows}`);
  return hidden.size(0);
}

function logitsOf(h: Tensor, w: Tensor): Tensor {
  const l = pt.linear(h, w); // (n, V)
  return l.dtype === 'float32' || l.dtype === 'float64' ? l : l.float(); // HF upcasts logits for the loss
}

/** Per-chunk quantities (chunk → quantity → (n)) joined into one (N) tensor per quantity. */
function joinChunks(parts: Tensor[][]): Tensor[] {
  return parts[0]!.map((_, i) =>
    parts.length === 1
      ? parts[0]![i]!
      : pt.cat(
          parts.map((p) => p[i]!),
          0,
        ),
  );
}

/** The quantities over all rows, without autograd: each (N). */
export function headValues(hidden: Tensor, weight: Tensor, head: TokenHead, rows: number): Tensor[] {
  const N = checkInputs(hidden, weight, rows, 'headValues');
  return pt.noGrad(() =>
    pt.scope(() => {
      const parts: Tensor[][] = [];
      for (let s = 0; s < N; s += rows) {
        const n = Math.min(rows, N - s);
        parts.push(pt.scope(() => head(logitsOf(hidden.narrow(0, s, n), weight), s)));
      }
      return joinChunks(parts); // (N) each
    }),
  );
}

function weightedSum(qs: Tensor[], ws: (Tensor | null)[]): Tensor {
  let total: Tensor | null = null;
  qs.forEach((q, i) => {
    const w = ws[i];
    if (!w) return;
    const term = q.mul(w).sum(); // ()
    total = total ? total.add(term) : term;
  });
  if (!total) throw new pt.ArgumentError('headLoss', 'every objective weight is null: nothing to train');
  return total;
}

/**
 * The loss over the head's quantities, differentiable with respect to `hidden` (N, D) and `weight`
 * (V, D) — gradients equal to the unchunked computation's — and the quantities' values (detached).
 * `gradScale` multiplies the gradients inside the chunk backward (fp16 loss scaling) and is divided
 * out again before they reach the caller's graph.
 */
export function headLoss(
  hidden: Tensor,
  weight: Tensor,
  head: TokenHead,
  objective: HeadObjective,
  o: { rows: number; gradScale?: number },
): { loss: Tensor; values: Tensor[] } {
  const N = checkInputs(hidden, weight, o.rows, 'headLoss');
  const needH = pt.isGradEnabled() && hidden.requiresGrad,
    needW = pt.isGradEnabled() && weight.requiresGrad;
  const reduceOf = (qs: Tensor[]) => ('weights' in objective ? weightedSum(qs, objective.weights) : objective.reduce(qs));
  if (!needH && !needW) {
    const values = headValues(hidden, weight, head, o.rows);
    return { loss: pt.noGrad(() => reduceOf(values)), values };
  }
  if (o.rows >= N) {
    // the reference: whole logits, ordinary autograd
    const qs = head(logitsOf(hidden, weight), 0); // (N) each
    return { loss: reduceOf(qs), values: qs.map((q) => q.detach()) };
  }
  return pt.scope(() => {
    // 1–2: the loss's gradient with respect to each per-token quantity
    let values: Tensor[] | null = null;
    let lossValue: Tensor | null = null;
    let g: (Tensor | null)[];
    if ('weights' in objective) g = objective.weights;
    else {
      values = headValues(hidden, weight, head, o.rows);
      const leaves = values.map((v) => v.detach().requiresGrad_(true));
      const l = pt.enableGrad(() => objective.reduce(leaves));
      l.backward();
      lossValue = l.detach();
      g = leaves.map((leaf) => leaf.grad);
    }
    const scale = o.gradScale ?? 1;
    // 3: chunk by chunk, gradients into the rows and the weight
    const hd = hidden.detach();
    const wd = weight.detach().requiresGrad_(needW);
    const gradRows: Tensor[] = [];
    const parts: Tensor[][] = [];
    let weighted: Tensor | null = null;
    for (let s = 0; s < N; s += o.rows) {
      const n = Math.min(o.rows, N - s);
      const out = pt.scope(() => {
        const hc = hd.narrow(0, s, n).detach().requiresGrad_(needH); // (n, D) leaf
        const qs = pt.enableGrad(() => head(logitsOf(hc, wd), s)); // (n) each
        const gs = g.map((gi) => (gi ? gi.narrow(0, s, n).mul(scale) : null)); // (n) each
        const obj = weightedSum(qs, gs); // ()
        obj.backward();
        // the rows' gradients stay scaled (a half-precision tensor divided by the scale could underflow):
        // the surrogate divides its float32 value instead
        return { grad: needH ? hc.grad : null, qs: qs.map((q) => q.detach()), obj: scale === 1 ? obj.detach() : obj.detach().div(scale) };
      });
      if (out.grad) gradRows.push(out.grad);
      parts.push(out.qs);
      weighted = weighted ? weighted.add(out.obj) : out.obj;
    }
    values ??= joinChunks(parts);
    lossValue ??= weighted!;
    // 4: a surrogate whose backward delivers those gradients: dot products (no (V, D) product beside
    // the weight's gradient; float16 widened to float32, whose range the scaled value needs), / scale
    const wide = (t: Tensor) => (t.dtype === 'float16' ? t.float() : t);
    const dot = (a: Tensor, b: Tensor) => wide(a).reshape(-1).matmul(wide(b).reshape(-1)); // ()
    let surrogate: Tensor | null = null;
    if (needH) surrogate = dot(hidden, pt.cat(gradRows, 0));
    if (needW) {
      const sw = dot(weight, wd.grad!);
      surrogate = surrogate ? surrogate.add(sw) : sw;
    }
    const s = scale === 1 ? surrogate! : surrogate!.div(scale);
    return { loss: s.sub(s.detach()).add(lossValue), values };
  });
}

// ---------------------------------------------------------------------------- heads

/**
 * log p(target) per row under softmax(logits / T) — and, with `entropy`, the entropy of that
 * distribution as a second quantity. targets (N) int64: any value where the weight is 0 (clamp
 * ignored ones to 0).
 */
export function logprobHead(targets: Tensor, temperature = 1, entropy = false): TokenHead {
  return (logits, start) => {
    const x = temperature === 1 ? logits : logits.div(temperature);
    const lp = x.logSoftmax(-1); // (n, V)
    const logp = lp.gather(-1, targets.narrow(0, start, logits.size(0)).unsqueeze(-1)).squeeze(-1); // (n)
    return entropy ? [logp, lp.exp().mul(lp).sum(-1).neg()] : [logp]; // (n) each
  };
}
