// The tensor layer's public surface. Import from here: it loads the Tensor class first, which the
// method files depend on.
export { Tensor, type Operand, type Device, type Shape, type Scalar, type NestedArray } from './tensor.js';
export type { ValuesIndices } from './tensor_math.js';
export { type DType, DTYPES, isFloating, ELEMENT_SIZE, type TypedArray } from './dtype.js';
export * from './errors.js';
export { scope, keep, scopeDepth } from './scope.js';
export * from './create.js';
export * from './functional.js';
export * from './autograd.js';
export * from './runtime.js';
import { applyDefaultThreads } from './runtime.js';

applyDefaultThreads();
