// The Tensor class: one JS object owns one libtorch handle (DESIGN.md tensor-memory rule 1).
//
// This file holds the core — lifetime, metadata, conversion to JS values, dtype/device moves and
// autograd; the op methods are written in tensor_math.ts and tensor_shape.ts, which install
// themselves onto the prototype (installMethods). Import tensors through src/tensor/index.ts, which
// loads all three.
import { inspect } from 'node:util';
import { N, type Handle, type BoxedScalar } from './native.js';
import { type DType, DTYPE_CODE, dtypeCode, dtypeFromCode, isFloating, viewBytes, type TypedArray } from './dtype.js';
import { ArgumentError, DisposedError, DTypeError } from './errors.js';
import { Scoped, track } from './scope.js';

export type Operand = Tensor | number | boolean;
export type Device = string; // 'cpu' | 'cuda' | 'cuda:N'
export type Shape = readonly number[];

/** The JS value of one element: number for numeric dtypes, boolean for bool. */
export type Scalar = number | boolean;
export type NestedArray = Scalar | NestedArray[];

/**
 * The safety net (DESIGN.md rule 4) for tensors no scope owns: when such a Tensor object is
 * garbage-collected undisposed, its slot is freed. (A per-object native finalizer cost more than a
 * tiny op itself; see native/addon.cc.) Callbacks run when the event loop turns.
 */
const unowned = new FinalizationRegistry<Handle>((h) => N.dispose(h));

/**
 * Registration is batched: a guarded tensor waits here and is registered only if it is still alive
 * when 256 have queued up, so the common "create, use, dispose" of an unscoped tensor costs a push
 * instead of a register + unregister pair (measured: 0.6 µs, as much as the op).
 */
const pendingGuard: Tensor[] = [];
const GUARD_BATCH = 256;
function flushGuards(): void {
  for (const t of pendingGuard) t.register();
  pendingGuard.length = 0;
}

export class Tensor extends Scoped {
  /** The native handle; null once disposed. */
  private handle: Handle | null;
  private guarded = false; // queued for, or in, the safety net
  private registered = false; // in the FinalizationRegistry

  constructor(h: Handle) {
    super();
    this.handle = h;
    track(this);
  }

  /** The live handle for `op`, or a DisposedError naming the op. */
  h(op: string): Handle {
    const h = this.handle;
    if (h === null) throw new DisposedError(op, 'tensor was already disposed');
    return h;
  }

  get isDisposed(): boolean {
    return this.handle === null;
  }

  /** Frees the native reference now. Idempotent. Views and autograd keep their own references. */
  dispose(): void {
    if (this.handle !== null) {
      if (this.registered) unowned.unregister(this);
      N.dispose(this.handle);
      this.handle = null;
    }
  }

  guard(): void {
    if (this.guarded || this.handle === null) return;
    this.guarded = true;
    pendingGuard.push(this);
    if (pendingGuard.length >= GUARD_BATCH) flushGuards();
  }

  /** @internal Puts a guarded, still-live tensor into the FinalizationRegistry (see flushGuards). */
  register(): void {
    if (this.registered || this.handle === null) return;
    unowned.register(this, this.handle, this);
    this.registered = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Marks this tensor as outliving every scope (see scope.ts). */
  keep(): this {
    this.kept = true;
    this.guard();
    return this;
  }

  // ------------------------------------------------------------------ metadata
  get shape(): number[] {
    return N.shape(this.h('shape'));
  }
  get dtype(): DType {
    return dtypeFromCode(N.dtype(this.h('dtype')));
  }
  get device(): Device {
    return N.device(this.h('device'));
  }
  get ndim(): number {
    return N.dim(this.h('ndim'));
  }
  get numel(): number {
    return N.numel(this.h('numel'));
  }
  get strides(): number[] {
    return N.strides(this.h('strides'));
  }
  get isContiguous(): boolean {
    return N.isContiguous(this.h('isContiguous'));
  }

  /** Size of one dimension (negative counts from the end). */
  size(dim: number): number {
    const shape = this.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (!Number.isInteger(d) || d < 0 || d >= shape.length) {
      throw new ArgumentError('size', `dimension ${dim} out of range for a tensor of rank ${shape.length}`, [this.describe()]);
    }
    return shape[d]!;
  }

  describe(): string {
    return this.handle === null ? 'disposed tensor' : N.describe(this.handle);
  }

  /** True when both tensors view the same storage. */
  sharesStorageWith(other: Tensor): boolean {
    return N.sameStorage(this.h('sharesStorageWith'), other.h('sharesStorageWith'));
  }

  // ------------------------------------------------------------------ values out
  /** The single element as a JS number (or boolean). */
  item(): Scalar {
    return N.item(this.h('item'));
  }

  /** A flat typed-array copy of the values: Float32Array for float32/float16/bfloat16, BigInt64Array for int64, ... */
  data(): TypedArray {
    const h = this.h('data');
    const dt = dtypeFromCode(N.dtype(h));
    if (dt === 'float16' || dt === 'bfloat16') {
      const f = N.to(h, dtypeCode('float32'), null, false);
      try {
        return new Float32Array(N.toBuffer(f));
      } finally {
        N.dispose(f);
      }
    }
    return viewBytes(N.toBuffer(h), dt);
  }

  /** The values as a flat array of JS numbers (int64 converted with Number()). */
  toFlatArray(): Scalar[] {
    const d = this.data();
    const dt = this.dtype;
    if (dt === 'bool') return Array.from(d as Uint8Array, (v) => v !== 0);
    if (d instanceof BigInt64Array) return Array.from(d, (v) => Number(v));
    return Array.from(d as Float32Array);
  }

  /** Nested JS arrays shaped like the tensor (a scalar for a 0-d tensor), like PyTorch's tolist(). */
  toArray(): NestedArray {
    const flat = this.toFlatArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0]!;
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[d]!);
      for (let i = 0; i < shape[d]!; i++) out[i] = d === shape.length - 1 ? flat[pos++]! : build(d + 1);
      return out;
    };
    return build(0);
  }

  override toString(): string {
    if (this.handle === null) return 'Tensor(disposed)';
    const n = this.numel;
    const body = n <= 64 ? JSON.stringify(this.toArray()) : `<${n} values>`;
    return `Tensor(${body}, ${this.describe()}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // ------------------------------------------------------------------ dtype and device
  /** Converts dtype and/or device; returns this tensor's data in a new tensor unless nothing changes (then a new handle to the same data). */
  to(target: DType | Device | { dtype?: DType; device?: Device; copy?: boolean }): Tensor {
    const h = this.h('to');
    let dtype: DType | undefined;
    let device: Device | undefined;
    let copy = false;
    if (typeof target === 'string') {
      if (target in DTYPE_CODE) dtype = target as DType;
      else device = target;
    } else {
      ({ dtype, device } = target);
      copy = target.copy ?? false;
    }
    return new Tensor(N.to(h, dtype === undefined ? null : dtypeCode(dtype, 'to'), device ?? null, copy));
  }

  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  bfloat16(): Tensor {
    return this.to('bfloat16');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  cuda(index = 0): Tensor {
    return this.to({ device: `cuda:${index}` });
  }
  clone(): Tensor {
    return new Tensor(N.clone(this.h('clone')));
  }

  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8, equalNan = false): boolean {
    return N.allclose(this.h('allclose'), other.h('allclose'), rtol, atol, equalNan);
  }

  /** Same shape and same values. */
  equal(other: Tensor): boolean {
    return N.equal(this.h('equal'), other.h('equal'));
  }

  // ------------------------------------------------------------------ autograd
  get requiresGrad(): boolean {
    return N.requiresGrad(this.h('requiresGrad'));
  }
  set requiresGrad(on: boolean) {
    this.setRequiresGrad(on, 'requiresGrad');
  }

  /** Sets requiresGrad in place and returns this tensor. */
  requiresGrad_(on = true): this {
    this.setRequiresGrad(on, 'requiresGrad_');
    return this;
  }

  /** Checks the dtype here so that the error names the op the caller used, not the addon's. */
  private setRequiresGrad(on: boolean, op: string): void {
    const h = this.h(op);
    if (on && !isFloating(dtypeFromCode(N.dtype(h)))) {
      throw new DTypeError(op, 'only floating-point tensors can require gradients', [N.describe(h)]);
    }
    N.setRequiresGrad(h, on);
  }

  get isLeaf(): boolean {
    return N.isLeaf(this.h('isLeaf'));
  }

  /** The accumulated gradient (a new handle to it), or null. */
  get grad(): Tensor | null {
    const g = N.grad(this.h('grad'));
    return g === null ? null : new Tensor(g);
  }

  set grad(g: Tensor | null) {
    N.setGrad(this.h('grad'), g === null ? null : g.h('grad'));
  }

  /** Keeps .grad on a non-leaf tensor after backward. */
  retainGrad(): this {
    N.retainGrad(this.h('retainGrad'));
    return this;
  }

  /** Backpropagates from this tensor. A non-scalar needs `grad` (same shape). */
  backward(grad?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    N.backward(this.h('backward'), grad ? grad.h('backward') : null, opts.retainGraph ?? false, opts.createGraph ?? false);
  }

  /** A tensor sharing this one's data, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(N.detach(this.h('detach')));
  }
}

/** A Tensor for a handle the addon just returned. */
export function wrap(h: Handle): Tensor {
  return new Tensor(h);
}

/** The native form of an operand: a handle for a tensor, a boxed [value] for a number/boolean. */
export function operand(x: Operand, op: string): Handle | BoxedScalar {
  if (x instanceof Tensor) return x.h(op);
  if (typeof x === 'number' || typeof x === 'boolean') return [x];
  throw new ArgumentError(op, `expected a Tensor, number or boolean, got ${describeValue(x)}`);
}

/** The handle of a required tensor argument, with a clear error for anything else. */
export function handleOf(x: unknown, op: string, what = 'argument'): Handle {
  if (x instanceof Tensor) return x.h(op);
  throw new ArgumentError(op, `${what} must be a Tensor, got ${describeValue(x)}`);
}

export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'Object'})`;
  return `${typeof x} ${String(x).slice(0, 40)}`;
}

/** Makes the methods of a class of ops (tensor_math.ts, tensor_shape.ts) Tensor's own methods: each
 *  of those files calls it once at load, so this file imports neither (no import cycle). */
export function installMethods(source: { prototype: object }): void {
  for (const name of Object.getOwnPropertyNames(source.prototype)) {
    if (name !== 'constructor') Object.defineProperty(Tensor.prototype, name, Object.getOwnPropertyDescriptor(source.prototype, name)!);
  }
}
