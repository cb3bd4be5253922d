// SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD semantics: the first
// step's momentum buffer is the gradient itself). One native call per group per step.
import { ArgumentError, keep, sgdStep } from '../tensor/index.js';
import { Optimizer, checkRange, type ParamsInput, type ParamGroup } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export const SGD_DEFAULTS: SGDOptions = { lr: 1e-2, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super('sgd', params, { ...SGD_DEFAULTS, ...options });
  }

  protected validate(g: ParamGroup<SGDOptions>, gi: number): void {
    checkRange('sgd', gi, 'lr', g.lr, 0, Infinity);
    checkRange('sgd', gi, 'momentum', g.momentum, 0, Infinity);
    checkRange('sgd', gi, 'dampening', g.dampening, 0, 1);
    checkRange('sgd', gi, 'weightDecay', g.weightDecay, 0, Infinity);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0))
      throw new ArgumentError('sgd', `group ${gi}: nesterov needs momentum > 0 and dampening 0`);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const bufs = g.params.map((p) => this.state.get(p)?.tensors['momentumBuffer'] ?? null);
      const out = sgdStep(g.params, bufs, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, g.maximize);
      out.forEach((r, i) => {
        if (r === false) return;
        const p = g.params[i]!;
        let s = this.state.get(p);
        if (!s) {
          s = { step: 0, tensors: {} };
          this.state.set(p, s);
        }
        if (r !== null) s.tensors['momentumBuffer'] = keep(r);
        s.step += 1;
      });
    }
  }
}
