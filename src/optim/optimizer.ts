// The shared shape of optimizers: parameter groups with their own hyperparameters, per-parameter
// state, zeroGrad, and a state dict that resume code saves and loads (PyTorch's layout: groups
// list their parameters by index in the order the optimizer was given them).
import { Tensor, ArgumentError, zeroGrad, keep } from '../tensor/index.js';

export type Hyper = Record<string, number | boolean>;
export type ParamGroup<H extends object> = H & { params: Tensor[] };
export type GroupSpec<H extends object> = { params: readonly Tensor[] } & Partial<H>;
export type ParamsInput<H extends object> = readonly Tensor[] | readonly GroupSpec<H>[];

export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

export interface OptimizerStateDict {
  kind: string;
  /** Hyperparameters of each group and the indices of its parameters. */
  paramGroups: { hyper: Hyper; params: number[] }[];
  /** State by parameter index; tensors are the live state (clone them to snapshot). */
  state: Record<number, ParamState>;
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly order: Tensor[] = [];

  protected constructor(
    readonly kind: string,
    params: ParamsInput<H>,
    defaults: H,
  ) {
    if (!Array.isArray(params) || params.length === 0)
      throw new ArgumentError(kind, 'needs a non-empty list of parameters or parameter groups');
    const specs: GroupSpec<H>[] =
      params[0] instanceof Tensor ? [{ params: params as readonly Tensor[] } as GroupSpec<H>] : (params as GroupSpec<H>[]);
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, gi) => {
      if (!spec || !Array.isArray(spec.params)) throw new ArgumentError(kind, `group ${gi} needs a params array`);
      const group = { ...defaults, ...spec, params: [...spec.params] } as ParamGroup<H>;
      for (const key of Object.keys(spec)) {
        if (key !== 'params' && !(key in defaults))
          throw new ArgumentError(kind, `group ${gi}: unknown option '${key}' (known: ${Object.keys(defaults).join(', ')})`);
      }
      this.validate(group, gi);
      group.params.forEach((p, pi) => {
        if (!(p instanceof Tensor)) throw new ArgumentError(kind, `group ${gi} parameter ${pi} is not a Tensor`);
        if (seen.has(p)) throw new ArgumentError(kind, `group ${gi} parameter ${pi} appears in more than one place`);
        if (!p.requiresGrad) throw new ArgumentError(kind, `group ${gi} parameter ${pi} (${p.describe()}) does not require grad`);
        seen.add(p);
        this.order.push(p);
      });
      return group;
    });
  }

  /** Checks one group's hyperparameters; throws ArgumentError naming the group. */
  protected abstract validate(group: ParamGroup<H>, index: number): void;
  abstract step(): void;

  /** Drops (setToNone, the default) or zeroes every parameter's gradient. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) zeroGrad(g.params, setToNone);
  }

  /** All parameters, in the order the optimizer was given them. */
  get params(): readonly Tensor[] {
    return this.order;
  }

  protected stateFor(p: Tensor, init: () => Record<string, Tensor>): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = { step: 0, tensors: keep(init()) };
      this.state.set(p, s);
    }
    return s;
  }

  stateDict(): OptimizerStateDict {
    const index = new Map(this.order.map((p, i) => [p, i]));
    const paramGroups = this.paramGroups.map(({ params, ...hyper }) => ({
      hyper: { ...(hyper as unknown as Hyper) },
      params: params.map((p) => index.get(p)!),
    }));
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) state[index.get(p)!] = { step: s.step, tensors: { ...s.tensors } };
    return { kind: this.kind, paramGroups, state };
  }

  /** Restores hyperparameters and state (tensors are copied, so the source may be disposed). */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.kind !== this.kind) throw new ArgumentError(`${this.kind}.loadStateDict`, `state dict is for '${sd.kind}', not '${this.kind}'`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(
        `${this.kind}.loadStateDict`,
        `state dict has ${sd.paramGroups.length} groups, optimizer has ${this.paramGroups.length}`,
      );
    }
    sd.paramGroups.forEach((g, gi) => {
      const mine = this.paramGroups[gi]!;
      if (g.params.length !== mine.params.length) {
        throw new ArgumentError(
          `${this.kind}.loadStateDict`,
          `group ${gi} has ${g.params.length} parameters in the state dict, ${mine.params.length} here`,
        );
      }
      Object.assign(mine, g.hyper);
    });
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = this.order[Number(key)];
      if (!p)
        throw new ArgumentError(`${this.kind}.loadStateDict`, `state for parameter ${key}, but the optimizer has ${this.order.length}`);
      const tensors: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(s.tensors)) {
        if (t.shape.join() !== p.shape.join()) {
          throw new ArgumentError(
            `${this.kind}.loadStateDict`,
            `state '${name}' of parameter ${key} has shape [${t.shape}], parameter has [${p.shape}]`,
          );
        }
        tensors[name] = keep(t.to({ dtype: p.dtype, device: p.device, copy: true }));
      }
      this.state.set(p, { step: s.step, tensors });
    }
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
  }
}

export function checkRange(kind: string, gi: number, name: string, v: unknown, lo: number, hi: number, hiOpen = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
    throw new ArgumentError(kind, `group ${gi}: ${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
  }
}
