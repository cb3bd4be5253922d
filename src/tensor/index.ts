// The tensor layer's public surface. Import from here: it loads the Tensor class first, which the
// method files depend on.
export { Tensor, type Operand, type Device, type Shape, type Scalar, type NestedArray } from './tensor.js';
export type { ValuesIndices } from './tensor_math.js';
import './tensor_math.js'; // installs the math methods on Tensor
import './tensor_shape.js'; // installs the shape methods on Tensor
export { type DType, DTYPES, isFloating, ELEMENT_SIZE, type TypedArray } from './dtype.js';
export * from './errors.js';
export { scope, keep, scopeDepth } from './scope.js';
export { adamwStep, sgdStep, tensorBytes } from './fused.js';
export * from './create.js';
export * from './functional.js';
export * from './autograd.js';
export * from './runtime.js';
export * as distributed from './distributed.js';
export { DistributedError } from './distributed.js';
import { applyDefaultThreads } from './runtime.js';

applyDefaultThreads();
