// Typed errors of the tensor layer. Every failure inside libtorch, and every bad argument, reaches
// JavaScript as one of these, carrying the op name and a description of each tensor input
// ("float32[2, 3] cpu"), so that a message says what failed and with which shapes.
export type ErrorKind =
  'shape' | 'dtype' | 'index' | 'argument' | 'disposed' | 'device' | 'autograd' | 'value' | 'memory' | 'scope' | 'torch';

export class TensorError extends Error {
  readonly op: string;
  readonly kind: ErrorKind;
  readonly inputs: readonly string[];
  /** The underlying message, without the op prefix and input list. */
  readonly detail: string;
  constructor(op: string, detail: string, inputs: readonly string[] = [], kind: ErrorKind = 'torch') {
    const where = inputs.length ? ` (inputs: ${inputs.join('; ')})` : '';
    super(`${op}: ${detail}${where}`);
    this.op = op;
    this.kind = kind;
    this.inputs = inputs;
    this.detail = detail;
    this.name = new.target.name;
  }
}
export class ShapeError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'shape');
  }
}
export class DTypeError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'dtype');
  }
}
export class IndexError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'index');
  }
}
export class ArgumentError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'argument');
  }
}
export class DisposedError extends TensorError {
  constructor(op: string, detail = 'tensor was already disposed', inputs: readonly string[] = []) {
    super(op, detail, inputs, 'disposed');
  }
}
export class DeviceError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'device');
  }
}
export class AutogradError extends TensorError {
  constructor(op: string, detail: string, inputs: readonly string[] = []) {
    super(op, detail, inputs, 'autograd');
  }
}
export class ScopeError extends TensorError {
  constructor(op: string, detail: string) {
    super(op, detail, [], 'scope');
  }
}

const INDEX = /out of (range|bounds)|out of data bounds|exceeds dimension size|index .* is out|invalid index|index_select\(\): index/i;
const DTYPE =
  /scalar type|dtype|not implemented for|Expected object of scalar type|can't be cast|result type|must be bool|only Tensors of floating point|floating point/i;
const AUTOGRAD = /does not require grad|backward|leaf Variable|in-place operation|grad can be implicitly|gradient/i;
const SHAPE =
  /shape|size|dimension|\d+D tensor|cannot be multiplied|broadcast|expand|same number|must match|invalid for input|rank|mismatch|dim/i;
const DEVICE = /device|cuda/i;

/** Addon entry points whose users know them by another name. */
const PUBLIC_NAME: Record<string, string> = {
  fromBuffer: 'tensor',
  toBuffer: 'data',
  setGrad: 'grad',
  maxAll: 'max',
  maxDim: 'max',
  minAll: 'min',
  minDim: 'min',
  generatorSetState: 'setState',
  generatorGetState: 'getState',
  generatorNew: 'Generator',
};

/** Builds the typed error for a failure reported by the addon (registered with setErrorFactory). */
export function errorFromNative(kind: string, nativeOp: string, message: string, inputs: string[]): TensorError {
  const op = PUBLIC_NAME[nativeOp] ?? nativeOp;
  const detail = message.trim();
  switch (kind) {
    case 'argument':
      return new ArgumentError(op, detail, inputs);
    case 'disposed':
      return new DisposedError(op, detail, inputs);
    case 'index':
      return new IndexError(op, detail, inputs);
    case 'dtype':
      return new DTypeError(op, detail, inputs);
    case 'shape':
      return new ShapeError(op, detail, inputs);
    case 'device':
      return new DeviceError(op, detail, inputs);
    case 'autograd':
      return new AutogradError(op, detail, inputs);
    case 'memory':
      return new TensorError(op, detail, inputs, 'memory');
    case 'value':
      return new TensorError(op, detail, inputs, 'value');
  }
  if (INDEX.test(detail)) return new IndexError(op, detail, inputs);
  if (DTYPE.test(detail)) return new DTypeError(op, detail, inputs);
  if (AUTOGRAD.test(detail)) return new AutogradError(op, detail, inputs);
  if (SHAPE.test(detail)) return new ShapeError(op, detail, inputs);
  if (DEVICE.test(detail)) return new DeviceError(op, detail, inputs);
  return new TensorError(op, detail, inputs, 'torch');
}
