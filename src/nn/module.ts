// Module: a tree of named parameters and sub-modules whose dotted path is the Hugging Face checkpoint
// key ("model.layers.0.self_attn.q_proj.weight"), as tch-rs's `vs / "q_proj"`. It knows train/eval
// mode, freezing, state dicts with strict key/shape checks, dtype moves and disposal; it does not
// know what a forward pass computes (each layer defines its own `forward`). Mixed precision as AMP
// does it: parameters stay in their own (float32, master) dtype and `autocast(dtype)` makes each layer
// cast its weights to the compute dtype inside its forward, so gradients arrive in float32.
import * as pt from '../tensor/index.js';
import { ArgumentError, ShapeError, type DType, type Device, type Tensor } from '../tensor/index.js';

export class Module {
  training = true;
  /** The dtype layers compute in (weights cast inside forward), or null: the parameters' own dtype. */
  computeDtype: DType | null = null;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers (and keeps, outside every scope) a trainable parameter under `name`. */
  protected param(name: string, t: Tensor, trainable = true): Tensor {
    if (this.ownParams.has(name) || this.children.has(name)) throw new ArgumentError('Module.param', `'${name}' is already registered`);
    if (trainable && pt.isFloating(t.dtype)) t.requiresGrad_(true);
    this.ownParams.set(name, t.keep());
    return t;
  }

  /** Registers a sub-module under `name`; its parameters get the prefix `name.`. */
  protected module<M extends Module>(name: string, m: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new ArgumentError('Module.module', `'${name}' is already registered`);
    this.children.set(name, m);
    return m;
  }

  /** Removes a sub-module and disposes its parameters (LoRA adapters after a merge). */
  protected removeModule(name: string): void {
    const m = this.children.get(name);
    if (!m) throw new ArgumentError('Module.removeModule', `no sub-module '${name}'`);
    m.dispose();
    this.children.delete(name);
  }

  /** Replaces a parameter's tensor (dtype moves, loading); the old one is disposed. */
  protected setParam(name: string, t: Tensor): void {
    const old = this.ownParams.get(name);
    if (!old) throw new ArgumentError('Module.setParam', `no parameter '${name}'`);
    const trainable = old.requiresGrad;
    if (old !== t) old.dispose();
    if (trainable && pt.isFloating(t.dtype)) t.requiresGrad_(true);
    this.ownParams.set(name, t.keep());
  }

  getParam(name: string): Tensor {
    const t = this.ownParams.get(name);
    if (!t) throw new ArgumentError('Module.getParam', `no parameter '${name}'`);
    return t;
  }

  /** The sub-module registered as `name`. */
  protected child<M extends Module>(name: string): M {
    const m = this.children.get(name);
    if (!m) throw new ArgumentError('Module.child', `no sub-module '${name}'`);
    return m as M;
  }

  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** Every module below this one (this one first), with its dotted path. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** All parameters with their checkpoint keys, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.ownParams) out.push([prefix ? `${prefix}.${name}` : name, t]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters an optimizer should update (requiresGrad). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((t) => t.requiresGrad);
  }

  numParameters(onlyTrainable = false): number {
    return (onlyTrainable ? this.trainableParameters() : this.parameters()).reduce((n, t) => n + t.numel, 0);
  }

  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Computes in `dtype` (bfloat16, float16) with parameters kept in their own dtype; null turns it off. */
  autocast(dtype: DType | null): this {
    if (dtype !== null && !pt.isFloating(dtype)) throw new ArgumentError('Module.autocast', `compute dtype must be floating, got ${dtype}`);
    for (const [, m] of this.namedModules()) m.computeDtype = dtype;
    return this;
  }

  /** A parameter or activation as this module computes with it: cast to computeDtype when one is set (differentiable). */
  protected inComputeDtype(t: Tensor): Tensor {
    return this.computeDtype && this.computeDtype !== t.dtype && pt.isFloating(t.dtype) ? t.to(this.computeDtype) : t;
  }

  /**
   * A linear weight as pt.linear should get it: like inComputeDtype, except that a half-precision
   * weight under float32 compute stays as stored (weight-only half precision: linear reads the
   * half-precision bytes and widens them itself, instead of a float32 copy per call).
   */
  protected linearWeight(w: Tensor): Tensor {
    if (this.computeDtype === 'float32' && (w.dtype === 'bfloat16' || w.dtype === 'float16')) return w;
    return this.inComputeDtype(w);
  }

  /** Freezes (requiresGrad false) every parameter whose key matches, or all. */
  freeze(match?: (key: string) => boolean): this {
    for (const [k, t] of this.namedParameters()) if (!match || match(k)) t.requiresGrad_(false);
    return this;
  }

  unfreeze(match?: (key: string) => boolean): this {
    for (const [k, t] of this.namedParameters()) if ((!match || match(k)) && pt.isFloating(t.dtype)) t.requiresGrad_(true);
    return this;
  }

  /** Parameters by key (live references, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Strict (default): every key must be present and no extra key
   * allowed. Shapes must match; dtypes are converted to the parameter's dtype.
   */
  loadStateDict(
    weights: Map<string, Tensor>,
    opts: { strict?: boolean; source?: string } = {},
  ): { missing: string[]; unexpected: string[] } {
    const strict = opts.strict ?? true;
    const where = opts.source ? ` (from ${opts.source})` : '';
    const mine = this.stateDict();
    const missing = [...mine.keys()].filter((k) => !weights.has(k));
    const unexpected = [...weights.keys()].filter((k) => !mine.has(k));
    if (strict && (missing.length || unexpected.length)) {
      const show = (l: string[]) => l.slice(0, 8).join(', ') + (l.length > 8 ? `, … (${l.length})` : '');
      throw new ArgumentError('loadStateDict', `keys do not match${where}: missing [${show(missing)}], unexpected [${show(unexpected)}]`);
    }
    pt.noGrad(() => {
      for (const [k, p] of mine) {
        const src = weights.get(k);
        if (!src) continue;
        if (src.shape.join() !== p.shape.join()) {
          throw new ShapeError(
            'loadStateDict',
            `'${k}'${where} has shape [${src.shape.join(', ')}], the model expects [${p.shape.join(', ')}]`,
          );
        }
        p.copy_(src);
      }
    });
    return { missing, unexpected };
  }

  /**
   * Moves every parameter to a device ('cpu', 'cuda', 'cuda:1') or converts every floating parameter
   * to a dtype (e.g. bfloat16 for inference): `to('cuda')`, `to('bfloat16')`, `to({ device, dtype })`.
   */
  to(target: DType | Device | { dtype?: DType; device?: Device }): this {
    const { dtype, device } = typeof target === 'object' ? target : isDType(target) ? { dtype: target } : { device: target as Device };
    if (device !== undefined) pt.checkDevice(device, 'Module.to');
    for (const [, m] of this.namedModules()) {
      for (const [name, t] of m.ownParams) {
        const newDtype = dtype !== undefined && pt.isFloating(t.dtype) && t.dtype !== dtype ? dtype : undefined;
        const newDevice = device !== undefined && t.device !== pt.normalizeDevice(device) ? device : undefined;
        if (newDtype === undefined && newDevice === undefined) continue;
        const converted = pt.noGrad(() => t.to({ dtype: newDtype, device: newDevice }));
        m.setParam(name, converted);
      }
    }
    return this;
  }

  /** The device of the first parameter ('cpu' for a module without any). */
  get device(): Device {
    return this.firstParam()?.device ?? 'cpu';
  }

  private firstParam(): Tensor | null {
    for (const t of this.ownParams.values()) return t;
    for (const m of this.children.values()) {
      const t = m.firstParam();
      if (t) return t;
    }
    return null;
  }

  dispose(): void {
    for (const t of this.parameters()) t.dispose();
  }
}

function isDType(s: string): s is DType {
  return (pt.DTYPES as readonly string[]).includes(s);
}

/** Sub-modules named 0, 1, 2 … (HF's nn.ModuleList: keys `layers.0.…`). */
export class ModuleList<M extends Module> extends Module {
  private readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.module(String(i), m));
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    return this.items[i]!;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
