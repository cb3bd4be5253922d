// Slow references for the fused optimizer kernels, written with plain tensor ops step by step
// from the torch.optim documentation. Tests run both and compare trajectories.
import * as pt from '../../src/tensor/index.js';

export interface AdamWRef {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** One AdamW step on (param, m, v) values in float64 JS arrays; returns the new triple. */
export function adamwReferenceStep(p: number[], g: number[], m: number[], v: number[], step: number, o: AdamWRef) {
  const bc1 = 1 - o.beta1 ** step;
  const bc2 = 1 - o.beta2 ** step;
  const np: number[] = [],
    nm: number[] = [],
    nv: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const decayed = p[i]! * (1 - o.lr * o.weightDecay);
    const mi = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
    const vi = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! * g[i]!;
    const denom = Math.sqrt(vi) / Math.sqrt(bc2) + o.eps;
    np.push(decayed - (o.lr / bc1) * (mi / denom));
    nm.push(mi);
    nv.push(vi);
  }
  return { p: np, m: nm, v: nv };
}

export interface SGDRef {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step; buf null on the first step. */
export function sgdReferenceStep(p: number[], g: number[], buf: number[] | null, o: SGDRef) {
  const gw = g.map((gi, i) => gi + o.weightDecay * p[i]!);
  let nb: number[] | null = null;
  let d = gw;
  if (o.momentum !== 0) {
    nb = buf === null ? [...gw] : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * gw[i]!);
    d = o.nesterov ? gw.map((x, i) => x + o.momentum * nb![i]!) : nb;
  }
  return { p: p.map((x, i) => x - o.lr * d[i]!), buf: nb };
}

/** A fixed smooth loss with known gradient: sum(c ⊙ x²)/2 + sum(x) → grad = c ⊙ x + 1. */
export function quadraticLoss(x: pt.Tensor, c: pt.Tensor): pt.Tensor {
  return pt.scope(() => x.square().mul(c).sum().div(2).add(x.sum()));
}
