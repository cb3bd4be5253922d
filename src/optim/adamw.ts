// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, torch.optim.AdamW semantics
// (bias-corrected moments; decay p ← p·(1 − lr·wd) before the update). One native call per group
// per step does the per-parameter math (native/ops_nn.cc adamwStep).
import { zerosLike, type Tensor, adamwStep } from '../tensor/index.js';
import { Optimizer, checkRange, type ParamsInput, type ParamGroup } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

export const ADAMW_DEFAULTS: AdamWOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maximize: false };

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super('adamw', params, { ...ADAMW_DEFAULTS, ...options });
  }

  protected validate(g: ParamGroup<AdamWOptions>, gi: number): void {
    checkRange('adamw', gi, 'lr', g.lr, 0, Infinity);
    checkRange('adamw', gi, 'beta1', g.beta1, 0, 1, true);
    checkRange('adamw', gi, 'beta2', g.beta2, 0, 1, true);
    checkRange('adamw', gi, 'eps', g.eps, 0, Infinity);
    checkRange('adamw', gi, 'weightDecay', g.weightDecay, 0, Infinity);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const states = g.params.map((p) => this.stateFor(p, () => ({ expAvg: zerosLike(p), expAvgSq: zerosLike(p) })));
      const updated = adamwStep(
        g.params,
        states.map((s) => s.tensors['expAvg']!),
        states.map((s) => s.tensors['expAvgSq']!),
        states.map((s) => s.step + 1),
        g.lr,
        g.beta1,
        g.beta2,
        g.eps,
        g.weightDecay,
        g.maximize,
      );
      updated.forEach((u, i) => {
        if (u) states[i]!.step += 1;
      });
    }
  }
}

/** A parameter-group split the usual way: no weight decay on biases and norm weights (rank < 2). */
export function decayGroups(params: readonly Tensor[], weightDecay: number): { params: Tensor[]; weightDecay: number }[] {
  const decay = params.filter((p) => p.ndim >= 2);
  const noDecay = params.filter((p) => p.ndim < 2);
  return [
    { params: decay, weightDecay },
    { params: noDecay, weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}
