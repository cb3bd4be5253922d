// Loads the addon (native/build/posttrain.node, or the file named by POSTTRAIN_ADDON) and declares
// its surface. Handles are opaque: only the tensor layer turns them into Tensor objects.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorFromNative } from './errors.js';

declare const handleBrand: unique symbol;
/** A libtorch tensor held by the addon: the id of one of its slots (a number; stale once disposed). */
export type Handle = number & { readonly [handleBrand]: 'tensor' };
/** A scalar where an op takes "tensor or scalar" travels boxed, so it is never read as a tensor id. */
export type BoxedScalar = readonly [number | boolean];
declare const generatorBrand: unique symbol;
export type GeneratorHandle = { readonly [generatorBrand]: 'generator' };

export type NativeArg =
  | Handle
  | GeneratorHandle
  | number
  | boolean
  | string
  | null
  | undefined
  | BoxedScalar
  | readonly number[]
  | readonly Handle[]
  | readonly (Handle | null)[]
  | ArrayBufferView;

/** Ops that return one new tensor handle. */
export type TensorOpName =
  // creation
  | 'zeros'
  | 'ones'
  | 'empty'
  | 'full'
  | 'arange'
  | 'linspace'
  | 'eye'
  | 'zerosLike'
  | 'onesLike'
  | 'fullLike'
  | 'rand'
  | 'randn'
  | 'randint'
  | 'randperm'
  | 'multinomial'
  | 'bernoulli'
  | 'fromBuffer'
  | 'to'
  | 'clone'
  // pointwise
  | 'add'
  | 'sub'
  | 'rsub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'rpow'
  | 'remainder'
  | 'maximum'
  | 'minimum'
  | 'clamp'
  | 'lerp'
  | 'neg'
  | 'abs'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'log2'
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'logSigmoid'
  | 'silu'
  | 'relu'
  | 'erf'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc'
  | 'gelu'
  | 'softplus'
  | 'nanToNum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr'
  | 'logicalXor'
  | 'logicalNot'
  | 'isfinite'
  | 'isnan'
  | 'isinf'
  // reductions
  | 'sum'
  | 'mean'
  | 'prod'
  | 'var'
  | 'std'
  | 'maxAll'
  | 'minAll'
  | 'amax'
  | 'amin'
  | 'argmax'
  | 'argmin'
  | 'logsumexp'
  | 'cumsum'
  | 'cummax'
  | 'cumprod'
  | 'all'
  | 'any'
  | 'norm'
  // products
  | 'matmul'
  | 'mm'
  | 'bmm'
  | 'baddbmm'
  | 'addmm'
  | 'outer'
  | 'einsum'
  | 'softmax'
  | 'logSoftmax'
  // in place (return their first argument)
  | 'add_'
  | 'mul_'
  | 'div_'
  | 'copy_'
  | 'fill_'
  | 'zero_'
  | 'clamp_'
  | 'addcmul_'
  | 'addcdiv_'
  | 'normal_'
  | 'uniform_'
  | 'maskedFill_'
  | 'indexPut_'
  | 'setRequiresGrad'
  // shape
  | 'reshape'
  | 'view'
  | 'permute'
  | 'transpose'
  | 'narrow'
  | 'slice'
  | 'select'
  | 'expand'
  | 'repeat'
  | 'repeatInterleave'
  | 'squeeze'
  | 'unsqueeze'
  | 'flatten'
  | 'contiguous'
  | 'tril'
  | 'triu'
  | 'flip'
  | 'nonzero'
  | 't'
  | 'indexSelect'
  | 'gather'
  | 'scatter'
  | 'scatterAdd'
  | 'index'
  | 'maskedFill'
  | 'where'
  | 'cat'
  | 'stack'
  // nn
  | 'embedding'
  | 'linear'
  | 'layerNorm'
  | 'rmsNorm'
  | 'dropout'
  | 'sdpa'
  | 'oneHot'
  | 'crossEntropy'
  | 'klDiv'
  | 'mseLoss'
  | 'detach';

export type TensorOp = (...args: NativeArg[]) => Handle;

export interface NativeAddon extends Record<TensorOpName, TensorOp> {
  setErrorFactory(f: (kind: string, op: string, message: string, inputs: string[]) => Error): void;
  dispose(h: Handle): void;
  isAlive(h: Handle): boolean;
  memory(): { liveTensors: number; liveStorages: number; hostBytes: number; deviceBytes: number; v8ExternalBytes: number };
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dtype(h: Handle): number;
  device(h: Handle): string;
  dim(h: Handle): number;
  numel(h: Handle): number;
  isContiguous(h: Handle): boolean;
  describe(h: Handle): string;
  sameStorage(a: Handle, b: Handle): boolean;
  toBuffer(h: Handle): ArrayBuffer;
  item(h: Handle): number | boolean;
  allclose(a: Handle, b: Handle, rtol?: number, atol?: number, equalNan?: boolean): boolean;
  equal(a: Handle, b: Handle): boolean;
  maxDim(h: Handle, dim: number, keepdim: boolean): [Handle, Handle];
  minDim(h: Handle, dim: number, keepdim: boolean): [Handle, Handle];
  topk(h: Handle, k: number, dim: number, largest: boolean, sorted: boolean): [Handle, Handle];
  sort(h: Handle, dim: number, descending: boolean, stable: boolean): [Handle, Handle];
  split(h: Handle, sizes: number | readonly number[], dim: number): Handle[];
  chunk(h: Handle, n: number, dim: number): Handle[];
  unbind(h: Handle, dim: number): Handle[];
  generatorNew(seed: number): GeneratorHandle;
  generatorSeed(g: GeneratorHandle, seed: number): void;
  generatorGetState(g: GeneratorHandle | null): Handle;
  generatorSetState(g: GeneratorHandle | null, state: Handle): void;
  manualSeed(seed: number): void;
  setThreads(intraOp?: number | null, blas?: number | null): void;
  getThreads(): { intraOp: number; blas: number | null };
  buildInfo(): { torchVersion: string; cuda: boolean; cudaDevices: number; openblas: boolean; config: string };
  mallocPolicy(): string;
  // c10d (native/distributed.cc): Promises settled off the JS thread
  distInit(
    rank: number,
    worldSize: number,
    host: string,
    port: number,
    timeoutMs: number,
    hostStore: boolean,
    prefix: string,
  ): Promise<void>;
  distDestroy(): void;
  distInfo(): { rank: number; worldSize: number; backend: string; timeoutMs: number } | null;
  distAllReduce(hs: readonly Handle[], op: string, bucketBytes: number): Promise<void>;
  distBroadcast(hs: readonly Handle[], root: number, bucketBytes: number): Promise<void>;
  distAllGather(h: Handle): Promise<Handle[]>;
  distBarrier(): Promise<void>;
  requiresGrad(h: Handle): boolean;
  isLeaf(h: Handle): boolean;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  retainGrad(h: Handle): void;
  backward(h: Handle, grad: Handle | null, retainGraph: boolean, createGraph: boolean): void;
  gradEnabled(): boolean;
  setGradEnabled(on: boolean): boolean;
  zeroGrad(params: readonly Handle[], setToNone: boolean): void;
  clipGradNorm(params: readonly Handle[], maxNorm: number, normType: number, errorIfNonfinite: boolean): number;
  adamwStep(
    params: readonly Handle[],
    expAvg: readonly Handle[],
    expAvgSq: readonly Handle[],
    steps: readonly number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    maximize: boolean,
  ): boolean[];
  sgdStep(
    params: readonly Handle[],
    buffers: readonly (Handle | null)[],
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    maximize: boolean,
  ): (Handle | null | false)[];
}

function findAddon(): string {
  const fromEnv = process.env['POSTTRAIN_ADDON'];
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'native', 'build', 'posttrain.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    'posttrain: the native addon native/build/posttrain.node is not built. Run `bash scripts/setup.sh` in the posttrain ' +
      "folder (it installs Debian's libtorch-dev, libopenblas0-pthread, g++, make and builds the addon), or set POSTTRAIN_ADDON to its path.",
  );
}

const require = createRequire(import.meta.url);
export const N = require(findAddon()) as NativeAddon;
N.setErrorFactory(errorFromNative);
