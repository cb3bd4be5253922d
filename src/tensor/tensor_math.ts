// Math methods of Tensor: pointwise ops with broadcasting and scalars, comparisons and logic,
// reductions along dims, matrix products, softmax, and in-place updates. Installed onto
// Tensor.prototype by tensor.ts; the interface merge below gives them their types.
import { N } from './native.js';
import { type DType, dtypeCode } from './dtype.js';
import { Tensor, wrap, operand, handleOf, type Operand, installMethods } from './tensor.js';

type Dims = number | readonly number[] | null | undefined;
const code = (d: DType | undefined, op: string): number | null => (d === undefined ? null : dtypeCode(d, op));
const dims = (d: Dims): number | readonly number[] | null => (d === undefined ? null : d);

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

/** Methods copied onto Tensor.prototype by tensor.ts. */
export class MathMethods {
  // ---------------------------------------------------------------- binary, broadcasting
  /** this + alpha * other */
  add(this: Tensor, other: Operand, alpha = 1): Tensor {
    return wrap(N.add(this.h('add'), operand(other, 'add'), alpha));
  }
  /** this - alpha * other */
  sub(this: Tensor, other: Operand, alpha = 1): Tensor {
    return wrap(N.sub(this.h('sub'), operand(other, 'sub'), alpha));
  }
  /** scalar - this */
  rsub(this: Tensor, scalar: number): Tensor {
    return wrap(N.rsub(this.h('rsub'), scalar));
  }
  mul(this: Tensor, other: Operand): Tensor {
    return wrap(N.mul(this.h('mul'), operand(other, 'mul')));
  }
  /** True division, or rounded with 'trunc' / 'floor'. */
  div(this: Tensor, other: Operand, roundingMode?: 'trunc' | 'floor'): Tensor {
    return wrap(N.div(this.h('div'), operand(other, 'div'), roundingMode ?? null));
  }
  pow(this: Tensor, exponent: Operand): Tensor {
    return wrap(N.pow(this.h('pow'), operand(exponent, 'pow')));
  }
  /** base ** this */
  rpow(this: Tensor, base: number): Tensor {
    return wrap(N.rpow(this.h('rpow'), base));
  }
  remainder(this: Tensor, other: Operand): Tensor {
    return wrap(N.remainder(this.h('remainder'), operand(other, 'remainder')));
  }
  maximum(this: Tensor, other: Tensor): Tensor {
    return wrap(N.maximum(this.h('maximum'), handleOf(other, 'maximum')));
  }
  minimum(this: Tensor, other: Tensor): Tensor {
    return wrap(N.minimum(this.h('minimum'), handleOf(other, 'minimum')));
  }
  clamp(this: Tensor, min?: Operand | null, max?: Operand | null): Tensor {
    return wrap(N.clamp(this.h('clamp'), min == null ? null : operand(min, 'clamp'), max == null ? null : operand(max, 'clamp')));
  }
  /** this + weight * (end - this) */
  lerp(this: Tensor, end: Tensor, weight: Operand): Tensor {
    return wrap(N.lerp(this.h('lerp'), handleOf(end, 'lerp'), operand(weight, 'lerp')));
  }

  // ---------------------------------------------------------------- unary
  neg(this: Tensor): Tensor {
    return wrap(N.neg(this.h('neg')));
  }
  abs(this: Tensor): Tensor {
    return wrap(N.abs(this.h('abs')));
  }
  exp(this: Tensor): Tensor {
    return wrap(N.exp(this.h('exp')));
  }
  expm1(this: Tensor): Tensor {
    return wrap(N.expm1(this.h('expm1')));
  }
  log(this: Tensor): Tensor {
    return wrap(N.log(this.h('log')));
  }
  log1p(this: Tensor): Tensor {
    return wrap(N.log1p(this.h('log1p')));
  }
  log2(this: Tensor): Tensor {
    return wrap(N.log2(this.h('log2')));
  }
  sqrt(this: Tensor): Tensor {
    return wrap(N.sqrt(this.h('sqrt')));
  }
  rsqrt(this: Tensor): Tensor {
    return wrap(N.rsqrt(this.h('rsqrt')));
  }
  square(this: Tensor): Tensor {
    return wrap(N.square(this.h('square')));
  }
  reciprocal(this: Tensor): Tensor {
    return wrap(N.reciprocal(this.h('reciprocal')));
  }
  sin(this: Tensor): Tensor {
    return wrap(N.sin(this.h('sin')));
  }
  cos(this: Tensor): Tensor {
    return wrap(N.cos(this.h('cos')));
  }
  tanh(this: Tensor): Tensor {
    return wrap(N.tanh(this.h('tanh')));
  }
  sigmoid(this: Tensor): Tensor {
    return wrap(N.sigmoid(this.h('sigmoid')));
  }
  logSigmoid(this: Tensor): Tensor {
    return wrap(N.logSigmoid(this.h('logSigmoid')));
  }
  silu(this: Tensor): Tensor {
    return wrap(N.silu(this.h('silu')));
  }
  relu(this: Tensor): Tensor {
    return wrap(N.relu(this.h('relu')));
  }
  /** GELU, exact ('none') or the tanh approximation. */
  gelu(this: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
    return wrap(N.gelu(this.h('gelu'), approximate));
  }
  /** log(1 + exp(beta x)) / beta, linear above `threshold`. */
  softplus(this: Tensor, beta = 1, threshold = 20): Tensor {
    return wrap(N.softplus(this.h('softplus'), beta, threshold));
  }
  erf(this: Tensor): Tensor {
    return wrap(N.erf(this.h('erf')));
  }
  sign(this: Tensor): Tensor {
    return wrap(N.sign(this.h('sign')));
  }
  floor(this: Tensor): Tensor {
    return wrap(N.floor(this.h('floor')));
  }
  ceil(this: Tensor): Tensor {
    return wrap(N.ceil(this.h('ceil')));
  }
  round(this: Tensor): Tensor {
    return wrap(N.round(this.h('round')));
  }
  trunc(this: Tensor): Tensor {
    return wrap(N.trunc(this.h('trunc')));
  }
  nanToNum(this: Tensor, nan?: number, posinf?: number, neginf?: number): Tensor {
    return wrap(N.nanToNum(this.h('nanToNum'), nan ?? null, posinf ?? null, neginf ?? null));
  }

  // ---------------------------------------------------------------- comparisons and logic (bool results)
  eq(this: Tensor, other: Operand): Tensor {
    return wrap(N.eq(this.h('eq'), operand(other, 'eq')));
  }
  ne(this: Tensor, other: Operand): Tensor {
    return wrap(N.ne(this.h('ne'), operand(other, 'ne')));
  }
  lt(this: Tensor, other: Operand): Tensor {
    return wrap(N.lt(this.h('lt'), operand(other, 'lt')));
  }
  le(this: Tensor, other: Operand): Tensor {
    return wrap(N.le(this.h('le'), operand(other, 'le')));
  }
  gt(this: Tensor, other: Operand): Tensor {
    return wrap(N.gt(this.h('gt'), operand(other, 'gt')));
  }
  ge(this: Tensor, other: Operand): Tensor {
    return wrap(N.ge(this.h('ge'), operand(other, 'ge')));
  }
  logicalAnd(this: Tensor, other: Tensor): Tensor {
    return wrap(N.logicalAnd(this.h('logicalAnd'), handleOf(other, 'logicalAnd')));
  }
  logicalOr(this: Tensor, other: Tensor): Tensor {
    return wrap(N.logicalOr(this.h('logicalOr'), handleOf(other, 'logicalOr')));
  }
  logicalXor(this: Tensor, other: Tensor): Tensor {
    return wrap(N.logicalXor(this.h('logicalXor'), handleOf(other, 'logicalXor')));
  }
  logicalNot(this: Tensor): Tensor {
    return wrap(N.logicalNot(this.h('logicalNot')));
  }
  isfinite(this: Tensor): Tensor {
    return wrap(N.isfinite(this.h('isfinite')));
  }
  isnan(this: Tensor): Tensor {
    return wrap(N.isnan(this.h('isnan')));
  }
  isinf(this: Tensor): Tensor {
    return wrap(N.isinf(this.h('isinf')));
  }

  // ---------------------------------------------------------------- reductions
  /** Sum over `dim` (all dims when omitted). */
  sum(this: Tensor, dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    return wrap(N.sum(this.h('sum'), dims(dim), keepdim, code(dtype, 'sum')));
  }
  mean(this: Tensor, dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    return wrap(N.mean(this.h('mean'), dims(dim), keepdim, code(dtype, 'mean')));
  }
  prod(this: Tensor, dim?: number, keepdim = false): Tensor {
    return wrap(N.prod(this.h('prod'), dim ?? null, keepdim));
  }
  /** Variance with `correction` (1 = Bessel, 0 = population). */
  var(this: Tensor, dim?: Dims, correction = 1, keepdim = false): Tensor {
    return wrap(N.var(this.h('var'), dims(dim), correction, keepdim));
  }
  std(this: Tensor, dim?: Dims, correction = 1, keepdim = false): Tensor {
    return wrap(N.std(this.h('std'), dims(dim), correction, keepdim));
  }
  /** Maximum of all elements, or values and indices along `dim`. */
  max(this: Tensor): Tensor;
  max(this: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
  max(this: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
    if (dim === undefined) return wrap(N.maxAll(this.h('max')));
    const [values, indices] = N.maxDim(this.h('max'), dim, keepdim);
    return { values: wrap(values), indices: wrap(indices) };
  }
  min(this: Tensor): Tensor;
  min(this: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
  min(this: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
    if (dim === undefined) return wrap(N.minAll(this.h('min')));
    const [values, indices] = N.minDim(this.h('min'), dim, keepdim);
    return { values: wrap(values), indices: wrap(indices) };
  }
  amax(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return wrap(N.amax(this.h('amax'), dims(dim), keepdim));
  }
  amin(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return wrap(N.amin(this.h('amin'), dims(dim), keepdim));
  }
  argmax(this: Tensor, dim?: number, keepdim = false): Tensor {
    return wrap(N.argmax(this.h('argmax'), dim ?? null, keepdim));
  }
  argmin(this: Tensor, dim?: number, keepdim = false): Tensor {
    return wrap(N.argmin(this.h('argmin'), dim ?? null, keepdim));
  }
  logsumexp(this: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
    return wrap(N.logsumexp(this.h('logsumexp'), dim, keepdim));
  }
  cumsum(this: Tensor, dim: number, dtype?: DType): Tensor {
    return wrap(N.cumsum(this.h('cumsum'), dim, code(dtype, 'cumsum')));
  }
  /** Running maximum along dim (values only). */
  cummax(this: Tensor, dim: number): Tensor {
    return wrap(N.cummax(this.h('cummax'), dim));
  }
  cumprod(this: Tensor, dim: number, dtype?: DType): Tensor {
    return wrap(N.cumprod(this.h('cumprod'), dim, code(dtype, 'cumprod')));
  }
  /** The k largest (or smallest) values along `dim` and their indices. */
  topk(this: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
    const [values, indices] = N.topk(this.h('topk'), k, dim, largest, sorted);
    return { values: wrap(values), indices: wrap(indices) };
  }
  sort(this: Tensor, dim = -1, descending = false, stable = false): ValuesIndices {
    const [values, indices] = N.sort(this.h('sort'), dim, descending, stable);
    return { values: wrap(values), indices: wrap(indices) };
  }
  argsort(this: Tensor, dim = -1, descending = false): Tensor {
    const [values, indices] = N.sort(this.h('argsort'), dim, descending, true);
    N.dispose(values);
    return wrap(indices);
  }
  all(this: Tensor, dim?: number, keepdim = false): Tensor {
    return wrap(N.all(this.h('all'), dim ?? null, keepdim));
  }
  any(this: Tensor, dim?: number, keepdim = false): Tensor {
    return wrap(N.any(this.h('any'), dim ?? null, keepdim));
  }
  /** Vector p-norm over `dim` (all elements when omitted); ord may be Infinity. */
  norm(this: Tensor, ord = 2, dim?: Dims, keepdim = false): Tensor {
    return wrap(N.norm(this.h('norm'), ord, dims(dim), keepdim));
  }

  // ---------------------------------------------------------------- products
  matmul(this: Tensor, other: Tensor): Tensor {
    return wrap(N.matmul(this.h('matmul'), handleOf(other, 'matmul')));
  }
  mm(this: Tensor, other: Tensor): Tensor {
    return wrap(N.mm(this.h('mm'), handleOf(other, 'mm')));
  }
  bmm(this: Tensor, other: Tensor): Tensor {
    return wrap(N.bmm(this.h('bmm'), handleOf(other, 'bmm')));
  }
  /** beta * this + alpha * (b1 @ b2), batched. */
  baddbmm(this: Tensor, b1: Tensor, b2: Tensor, beta = 1, alpha = 1): Tensor {
    return wrap(N.baddbmm(this.h('baddbmm'), handleOf(b1, 'baddbmm'), handleOf(b2, 'baddbmm'), beta, alpha));
  }
  addmm(this: Tensor, m1: Tensor, m2: Tensor, beta = 1, alpha = 1): Tensor {
    return wrap(N.addmm(this.h('addmm'), handleOf(m1, 'addmm'), handleOf(m2, 'addmm'), beta, alpha));
  }
  outer(this: Tensor, other: Tensor): Tensor {
    return wrap(N.outer(this.h('outer'), handleOf(other, 'outer')));
  }
  softmax(this: Tensor, dim: number, dtype?: DType): Tensor {
    return wrap(N.softmax(this.h('softmax'), dim, code(dtype, 'softmax')));
  }
  logSoftmax(this: Tensor, dim: number, dtype?: DType): Tensor {
    return wrap(N.logSoftmax(this.h('logSoftmax'), dim, code(dtype, 'logSoftmax')));
  }

  // ---------------------------------------------------------------- in place (return this)
  add_(this: Tensor, other: Operand, alpha = 1): Tensor {
    N.add_(this.h('add_'), operand(other, 'add_'), alpha);
    return this;
  }
  sub_(this: Tensor, other: Operand, alpha = 1): Tensor {
    N.add_(this.h('sub_'), operand(other, 'sub_'), -alpha);
    return this;
  }
  mul_(this: Tensor, other: Operand): Tensor {
    N.mul_(this.h('mul_'), operand(other, 'mul_'));
    return this;
  }
  div_(this: Tensor, other: Operand): Tensor {
    N.div_(this.h('div_'), operand(other, 'div_'));
    return this;
  }
  copy_(this: Tensor, src: Tensor): Tensor {
    N.copy_(this.h('copy_'), handleOf(src, 'copy_'));
    return this;
  }
  fill_(this: Tensor, value: number | boolean): Tensor {
    N.fill_(this.h('fill_'), value);
    return this;
  }
  zero_(this: Tensor): Tensor {
    N.zero_(this.h('zero_'));
    return this;
  }
  clamp_(this: Tensor, min?: number | null, max?: number | null): Tensor {
    N.clamp_(this.h('clamp_'), min ?? null, max ?? null);
    return this;
  }
  addcmul_(this: Tensor, a: Tensor, b: Tensor, value = 1): Tensor {
    N.addcmul_(this.h('addcmul_'), handleOf(a, 'addcmul_'), handleOf(b, 'addcmul_'), value);
    return this;
  }
  addcdiv_(this: Tensor, a: Tensor, b: Tensor, value = 1): Tensor {
    N.addcdiv_(this.h('addcdiv_'), handleOf(a, 'addcdiv_'), handleOf(b, 'addcdiv_'), value);
    return this;
  }
}

type MathSurface = Omit<MathMethods, never>;
declare module './tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface Tensor extends MathSurface {}
}

installMethods(MathMethods);
