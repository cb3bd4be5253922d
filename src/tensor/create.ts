// Tensor creation: from typed arrays, nested arrays and scalars; constant fills and ranges; random
// tensors with seedable generators; the default generator's seed and state (resume needs it).
import { N, type GeneratorHandle } from './native.js';
import { type DType, dtypeCode, dtypeOfTypedArray, type TypedArray } from './dtype.js';
import { ArgumentError } from './errors.js';
import { Tensor, wrap, handleOf, type Device, type NestedArray } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

type ShapeLike = number | readonly number[];
const shapeOf = (s: ShapeLike): readonly number[] => (typeof s === 'number' ? [s] : s);

function finish(t: Tensor, o: CreateOptions | undefined): Tensor {
  if (o?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A seedable random number generator (libtorch CPUGeneratorImpl, mt19937). */
export class Generator {
  readonly handle: GeneratorHandle;
  constructor(seed = 0) {
    checkSeed(seed, 'Generator');
    this.handle = N.generatorNew(seed);
  }
  manualSeed(seed: number): this {
    checkSeed(seed, 'Generator.manualSeed');
    N.generatorSeed(this.handle, seed);
    return this;
  }
  /** The full state as a uint8 tensor; setState() restores it exactly. */
  getState(): Tensor {
    return wrap(N.generatorGetState(this.handle));
  }
  setState(state: Tensor): void {
    N.generatorSetState(this.handle, handleOf(state, 'Generator.setState', 'state'));
  }
}

function checkSeed(seed: number, op: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(op, `seed must be a non-negative safe integer, got ${seed}`);
}

/** Seeds the default generators (CPU, and CUDA when present). */
export function manualSeed(seed: number): void {
  checkSeed(seed, 'manualSeed');
  N.manualSeed(seed);
}
export function getRngState(): Tensor {
  return wrap(N.generatorGetState(null));
}
export function setRngState(state: Tensor): void {
  N.generatorSetState(null, handleOf(state, 'setRngState', 'state'));
}

// ------------------------------------------------------------------ from JS values
/** A tensor from a typed array, nested arrays or a scalar. Nested numbers default to int64 when all are integers, else float32 (as PyTorch). */
export function tensor(
  data: TypedArray | NestedArray | readonly NestedArray[],
  opts: CreateOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (opts.dtype !== undefined) dtypeCode(opts.dtype, 'tensor'); // an unknown dtype name fails here, naming this op
  if (ArrayBuffer.isView(data)) return fromTypedArray(data as TypedArray, opts);
  const shape: number[] = [];
  const flat: (number | boolean)[] = [];
  flatten(data as NestedArray, 0, shape, flat, []);
  if (opts.shape && opts.shape.reduce((a, b) => a * b, 1) !== flat.length) {
    throw new ArgumentError('tensor', `shape [${opts.shape.join(', ')}] does not hold ${flat.length} values`);
  }
  const dtype = opts.dtype ?? inferDtype(flat);
  return finish(fromValues(flat, opts.shape ?? shape, dtype, opts.device), opts);
}

function flatten(v: NestedArray, depth: number, shape: number[], out: (number | boolean)[], path: number[]): void {
  if (Array.isArray(v)) {
    if (shape.length === depth) {
      // A new dimension after values were already read means an earlier element at this depth was a scalar.
      if (out.length > 0)
        throw new ArgumentError('tensor', `ragged nested array: element [${path.join('][')}] is an array where a scalar was expected`);
      shape.push(v.length);
    } else if (shape[depth] !== v.length) {
      throw new ArgumentError(
        'tensor',
        `ragged nested array: element [${path.join('][')}] has length ${v.length}, expected ${shape[depth]}`,
      );
    }
    for (let i = 0; i < v.length; i++) flatten(v[i]!, depth + 1, shape, out, [...path, i]);
    return;
  }
  if (depth < shape.length)
    throw new ArgumentError('tensor', `ragged nested array: a scalar at [${path.join('][')}] where an array was expected`);
  if (typeof v !== 'number' && typeof v !== 'boolean') {
    throw new ArgumentError('tensor', `element [${path.join('][')}] must be a number or boolean, got ${typeof v}`);
  }
  out.push(v);
}

function inferDtype(flat: (number | boolean)[]): DType {
  if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) return 'bool';
  if (flat.length > 0 && flat.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'int64';
  return 'float32';
}

function fromValues(flat: (number | boolean)[], shape: readonly number[], dtype: DType, device?: Device): Tensor {
  const nums = flat.map(Number);
  let arr: TypedArray;
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      arr = Float32Array.from(nums);
      break;
    case 'float64':
      arr = Float64Array.from(nums);
      break;
    case 'int64':
      arr = BigInt64Array.from(nums, (v, i) => {
        if (!Number.isInteger(v)) throw new ArgumentError('tensor', `value ${v} at flat index ${i} is not an integer (dtype int64)`);
        return BigInt(v);
      });
      break;
    case 'int32':
      arr = Int32Array.from(nums);
      break;
    case 'int16':
      arr = Int16Array.from(nums);
      break;
    case 'int8':
      arr = Int8Array.from(nums);
      break;
    case 'uint8':
      arr = Uint8Array.from(nums);
      break;
    case 'bool':
      arr = Uint8Array.from(nums, (v) => (v ? 1 : 0));
      break;
  }
  const carrier: DType = dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
  const t = wrap(N.fromBuffer(arr, dtypeCode(carrier), shape, device ?? null));
  if (carrier === dtype) return t;
  try {
    return t.to(dtype);
  } finally {
    t.dispose();
  }
}

function fromTypedArray(a: TypedArray, opts: CreateOptions & { shape?: readonly number[] }): Tensor {
  const natural = dtypeOfTypedArray(a);
  const shape = opts.shape ?? [a.length];
  if (a instanceof Uint16Array) {
    if (opts.dtype !== 'float16' && opts.dtype !== 'bfloat16') {
      throw new ArgumentError('tensor', 'a Uint16Array holds raw float16/bfloat16 bits: pass dtype "float16" or "bfloat16"');
    }
    return finish(wrap(N.fromBuffer(a, dtypeCode(opts.dtype), shape, opts.device ?? null)), opts);
  }
  if (natural === undefined) throw new ArgumentError('tensor', `unsupported typed array ${a.constructor.name}`);
  if (opts.dtype === 'bool' && natural === 'uint8')
    return finish(wrap(N.fromBuffer(a, dtypeCode('bool'), shape, opts.device ?? null)), opts);
  const t = wrap(N.fromBuffer(a, dtypeCode(natural), shape, opts.device ?? null));
  if (opts.dtype === undefined || opts.dtype === natural) return finish(t, opts);
  try {
    return finish(t.to(opts.dtype), opts);
  } finally {
    t.dispose();
  }
}

// ------------------------------------------------------------------ constant fills and ranges
const dt = (o: CreateOptions | undefined, op: string): number | null => (o?.dtype ? dtypeCode(o.dtype, op) : null);

export function zeros(shape: ShapeLike, o?: CreateOptions): Tensor {
  return finish(wrap(N.zeros(shapeOf(shape), dt(o, 'zeros'), o?.device ?? null)), o);
}
export function ones(shape: ShapeLike, o?: CreateOptions): Tensor {
  return finish(wrap(N.ones(shapeOf(shape), dt(o, 'ones'), o?.device ?? null)), o);
}
/** Uninitialised memory: every value must be written before it is read. */
export function empty(shape: ShapeLike, o?: CreateOptions): Tensor {
  return finish(wrap(N.empty(shapeOf(shape), dt(o, 'empty'), o?.device ?? null)), o);
}
/** Filled with `value`; dtype defaults to float32 (bool for a boolean value). */
export function full(shape: ShapeLike, value: number | boolean, o?: CreateOptions): Tensor {
  const dtype = o?.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  return finish(wrap(N.full(shapeOf(shape), value, dtypeCode(dtype, 'full'), o?.device ?? null)), o);
}
export function zerosLike(t: Tensor, o?: { dtype?: DType }): Tensor {
  return wrap(N.zerosLike(handleOf(t, 'zerosLike'), dt(o, 'zerosLike')));
}
export function onesLike(t: Tensor, o?: { dtype?: DType }): Tensor {
  return wrap(N.onesLike(handleOf(t, 'onesLike'), dt(o, 'onesLike')));
}
export function fullLike(t: Tensor, value: number | boolean): Tensor {
  return wrap(N.fullLike(handleOf(t, 'fullLike'), value));
}

/** [start, end) by step; int64 when all three are integers, else float32 (as PyTorch). arange(n) = arange(0, n). */
export function arange(start: number, end?: number, step = 1, o?: CreateOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new ArgumentError('arange', 'step must be non-zero');
  return finish(wrap(N.arange(start, end, step, dt(o, 'arange'), o?.device ?? null)), o);
}
export function linspace(start: number, end: number, steps: number, o?: CreateOptions): Tensor {
  return finish(wrap(N.linspace(start, end, steps, dt(o, 'linspace'), o?.device ?? null)), o);
}
export function eye(n: number, m = n, o?: CreateOptions): Tensor {
  return finish(wrap(N.eye(n, m, dt(o, 'eye'), o?.device ?? null)), o);
}

// ------------------------------------------------------------------ random
const gen = (o: RandomOptions | undefined): GeneratorHandle | null => o?.generator?.handle ?? null;

/** Uniform on [0, 1). */
export function rand(shape: ShapeLike, o?: RandomOptions): Tensor {
  return finish(wrap(N.rand(shapeOf(shape), dt(o, 'rand'), o?.device ?? null, gen(o))), o);
}
/** Standard normal. */
export function randn(shape: ShapeLike, o?: RandomOptions): Tensor {
  return finish(wrap(N.randn(shapeOf(shape), dt(o, 'randn'), o?.device ?? null, gen(o))), o);
}
/** Integers uniform on [low, high), int64 by default. */
export function randint(low: number, high: number, shape: ShapeLike, o?: RandomOptions): Tensor {
  return wrap(N.randint(low, high, shapeOf(shape), dt(o, 'randint'), o?.device ?? null, gen(o)));
}
/** A random permutation of 0..n-1. */
export function randperm(n: number, o?: RandomOptions): Tensor {
  return wrap(N.randperm(n, dt(o, 'randperm'), o?.device ?? null, gen(o)));
}
/** `numSamples` indices per row drawn from the (unnormalised, non-negative) weights in the last dim of `probs`. */
export function multinomial(probs: Tensor, numSamples: number, replacement = false, generator?: Generator): Tensor {
  return wrap(N.multinomial(handleOf(probs, 'multinomial', 'probs'), numSamples, replacement, generator?.handle ?? null));
}
/** 1 with probability p (elementwise), else 0. */
export function bernoulli(p: Tensor, generator?: Generator): Tensor {
  return wrap(N.bernoulli(handleOf(p, 'bernoulli', 'p'), generator?.handle ?? null));
}
/** Fills t in place (under no-grad) from N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  N.normal_(handleOf(t, 'normal_'), mean, std, generator?.handle ?? null);
  return t;
}
/** Fills t in place (under no-grad) uniformly from [low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, generator?: Generator): Tensor {
  N.uniform_(handleOf(t, 'uniform_'), low, high, generator?.handle ?? null);
  return t;
}
