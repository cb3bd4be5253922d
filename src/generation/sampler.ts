// Next-token selection from logits, shared by the fast engine and the slow reference so both make
// the same choices: repetition penalty (HF: divide positive / multiply negative logits of tokens
// already present), temperature, top-k, top-p (nucleus), min-p, then greedy argmax or a seeded
// draw: torch's multinomial from one generator for the batch, or — given one uniform per row, from
// per-row streams — the inverse CDF of each row's distribution at its own uniform, so a row's
// tokens do not depend on which other rows share its batch (data-parallel ranks). Reports the log-probability of each chosen token under softmax(logits / T)
// (the policy at the sampling temperature, before top-k/p/min-p truncation), which RL needs.
// Selection runs on the CPU (the (B, V) logits of a GPU model are copied over once per step), so a
// seeded run draws the same tokens on every device; the log-probability of the chosen token is its
// logit minus the row's logsumexp, without a (B, V) log-softmax copy.
import * as pt from '../tensor/index.js';
import { ArgumentError, type Tensor } from '../tensor/index.js';

export interface SamplingOptions {
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set whose probability reaches p (1 = off). */
  topP?: number;
  /** Drop tokens below minP × the top probability (0 = off). */
  minP?: number;
  /** > 1 discourages tokens already in the prompt or output (1 = off). */
  repetitionPenalty?: number;
}

export function checkSampling(o: SamplingOptions): Required<SamplingOptions> {
  const s = {
    temperature: o.temperature ?? 1,
    topK: o.topK ?? 0,
    topP: o.topP ?? 1,
    minP: o.minP ?? 0,
    repetitionPenalty: o.repetitionPenalty ?? 1,
  };
  const bad = (k: string, why: string) => {
    throw new ArgumentError('generate', `${k} ${why}, got ${(s as Record<string, number>)[k]}`);
  };
  if (!(s.temperature >= 0)) bad('temperature', 'must be >= 0');
  if (!Number.isInteger(s.topK) || s.topK < 0) bad('topK', 'must be an integer >= 0');
  if (!(s.topP > 0 && s.topP <= 1)) bad('topP', 'must be in (0, 1]');
  if (!(s.minP >= 0 && s.minP < 1)) bad('minP', 'must be in [0, 1)');
  if (!(s.repetitionPenalty > 0)) bad('repetitionPenalty', 'must be > 0');
  return s;
}

/**
 * logits (B, V) float, seen (B, V) bool (tokens present so far, for the repetition penalty)
 * → chosen tokens (B) int64 and their log-probabilities (B) float32. `draw`: a generator for the
 * batch, or one uniform in [0, 1) per row.
 */
export function selectTokens(
  logits: Tensor,
  seen: Tensor | null,
  s: Required<SamplingOptions>,
  draw: pt.Generator | readonly number[],
): { tokens: Tensor; logprobs: Tensor } {
  return pt.scope(() => {
    const host = logits.device === 'cpu' ? logits : logits.to('cpu');
    let l = host.dtype === 'float64' ? host : host.float(); // (B, V), at least float32
    if (s.repetitionPenalty !== 1 && seen) {
      const penalised = pt.where(l.lt(0), l.mul(s.repetitionPenalty), l.div(s.repetitionPenalty));
      l = pt.where(seen.device === 'cpu' ? seen : seen.to('cpu'), penalised, l);
    }
    const greedy = s.temperature === 0;
    const scaled = greedy ? l : l.div(s.temperature); // (B, V)
    let tokens: Tensor;
    if (greedy) {
      tokens = scaled.argmax(-1); // (B)
    } else {
      let f = scaled;
      if (s.topK > 0 && s.topK < f.size(-1)) {
        const kth = f.topk(s.topK, -1).values.narrow(-1, s.topK - 1, 1); // (B, 1)
        f = f.maskedFill(f.lt(kth), -Infinity);
      }
      if (s.topP < 1) {
        const { values, indices } = f.sort(-1, false); // ascending (B, V)
        const cum = values.softmax(-1).cumsum(-1);
        const drop = cum.le(1 - s.topP); // HF TopPLogitsWarper
        drop.narrow(-1, drop.size(-1) - 1, 1).fill_(false); // keep the top token
        f = f.maskedFill(pt.zerosLike(drop).scatter(-1, indices, drop), -Infinity);
      }
      if (s.minP > 0) {
        const probs = f.softmax(-1);
        const threshold = probs.amax(-1, true).mul(s.minP); // (B, 1)
        f = f.maskedFill(probs.lt(threshold), -Infinity);
      }
      if (draw instanceof pt.Generator)
        tokens = pt.multinomial(f.softmax(-1), 1, false, draw).squeeze(-1); // (B)
      else {
        if (draw.length !== f.size(0)) throw new ArgumentError('generate', `${draw.length} uniforms for ${f.size(0)} rows`);
        const cum = f.softmax(-1).double().cumsum(-1); // (B, V) the CDF of each row
        const V = cum.size(-1);
        const u = pt.tensor(Float64Array.from(draw), { shape: [draw.length, 1] }).mul(cum.narrow(-1, V - 1, 1)); // (B, 1)
        tokens = cum
          .le(u)
          .sum(-1)
          .clamp(null, V - 1); // (B) the first token whose CDF exceeds u
      }
    }
    const logprobs = scaled.gather(-1, tokens.unsqueeze(-1)).squeeze(-1).sub(scaled.logsumexp(-1)); // (B) log softmax(scaled)[token]
    return { tokens, logprobs };
  });
}

/**
 * The k most likely tokens of each row under softmax(logits / T) (the distribution the sampled
 * token's log-probability is taken from; the raw logits for greedy): indices (B, k) int64 and
 * log-probabilities (B, k), most likely first.
 */
export function topLogprobs(logits: Tensor, s: Required<SamplingOptions>, k: number): { indices: Tensor; values: Tensor } {
  return pt.scope(() => {
    const host = logits.device === 'cpu' ? logits : logits.to('cpu');
    const l = host.dtype === 'float64' ? host : host.float(); // (B, V)
    const scaled = s.temperature === 0 ? l : l.div(s.temperature);
    const { values, indices } = scaled.logSoftmax(-1).topk(Math.min(k, l.size(-1)), -1); // (B, k) each
    return { indices, values };
  });
}
