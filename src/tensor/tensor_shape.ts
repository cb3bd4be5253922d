// Shape and indexing methods of Tensor: views (share storage with the input, as in PyTorch),
// gathers and scatters, advanced indexing, masked fills, splitting. Installed onto Tensor.prototype
// by tensor.ts; joining (cat, stack) and where() are free functions in functional.ts.
import { N, type Handle } from './native.js';
import { Tensor, wrap, operand, handleOf, type Operand, installMethods } from './tensor.js';
import { ArgumentError } from './errors.js';

type ShapeArg = readonly number[];

function shapeArgs(op: string, args: (number | ShapeArg)[]): ShapeArg {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  for (const a of args) if (typeof a !== 'number') throw new ArgumentError(op, 'expected sizes as numbers or one array of numbers');
  return args as number[];
}

function handles(list: readonly (Tensor | null)[], op: string): (Handle | null)[] {
  if (!Array.isArray(list)) throw new ArgumentError(op, 'indices must be an array of Tensors or nulls');
  return list.map((t) => (t === null ? null : handleOf(t, op, 'index')));
}

/** Methods copied onto Tensor.prototype by tensor.ts. */
export class ShapeMethods {
  /** A tensor with the same data and a new shape (a view when possible); one size may be -1. */
  reshape(this: Tensor, ...shape: (number | ShapeArg)[]): Tensor {
    return wrap(N.reshape(this.h('reshape'), shapeArgs('reshape', shape)));
  }
  /** A view with a new shape; fails if the strides do not allow it (use reshape). */
  view(this: Tensor, ...shape: (number | ShapeArg)[]): Tensor {
    return wrap(N.view(this.h('view'), shapeArgs('view', shape)));
  }
  permute(this: Tensor, ...order: (number | ShapeArg)[]): Tensor {
    return wrap(N.permute(this.h('permute'), shapeArgs('permute', order)));
  }
  transpose(this: Tensor, dim0: number, dim1: number): Tensor {
    return wrap(N.transpose(this.h('transpose'), dim0, dim1));
  }
  /** Transpose of a matrix (rank ≤ 2). */
  t(this: Tensor): Tensor {
    return wrap(N.t(this.h('t')));
  }
  /** `length` elements along `dim` starting at `start` (a view). */
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor {
    return wrap(N.narrow(this.h('narrow'), dim, start, length));
  }
  /** Python-style slice start:end:step along `dim` (a view); negative start/end count from the end. */
  slice(this: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return wrap(N.slice(this.h('slice'), dim, start ?? null, end ?? null, step));
  }
  /** Removes `dim`, taking element `index` of it (a view). */
  select(this: Tensor, dim: number, index: number): Tensor {
    return wrap(N.select(this.h('select'), dim, index));
  }
  expand(this: Tensor, ...shape: (number | ShapeArg)[]): Tensor {
    return wrap(N.expand(this.h('expand'), shapeArgs('expand', shape)));
  }
  expandAs(this: Tensor, other: Tensor): Tensor {
    return wrap(N.expand(this.h('expandAs'), other.shape));
  }
  repeat(this: Tensor, ...reps: (number | ShapeArg)[]): Tensor {
    return wrap(N.repeat(this.h('repeat'), shapeArgs('repeat', reps)));
  }
  repeatInterleave(this: Tensor, repeats: number | Tensor, dim?: number): Tensor {
    return wrap(N.repeatInterleave(this.h('repeatInterleave'), operand(repeats, 'repeatInterleave'), dim ?? null));
  }
  squeeze(this: Tensor, dim?: number): Tensor {
    return wrap(N.squeeze(this.h('squeeze'), dim ?? null));
  }
  unsqueeze(this: Tensor, dim: number): Tensor {
    return wrap(N.unsqueeze(this.h('unsqueeze'), dim));
  }
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor {
    return wrap(N.flatten(this.h('flatten'), startDim, endDim));
  }
  contiguous(this: Tensor): Tensor {
    return wrap(N.contiguous(this.h('contiguous')));
  }
  /** Lower triangle (elements with column - row <= diagonal), the rest zero. */
  tril(this: Tensor, diagonal = 0): Tensor {
    return wrap(N.tril(this.h('tril'), diagonal));
  }
  triu(this: Tensor, diagonal = 0): Tensor {
    return wrap(N.triu(this.h('triu'), diagonal));
  }
  flip(this: Tensor, ...dims: (number | ShapeArg)[]): Tensor {
    return wrap(N.flip(this.h('flip'), shapeArgs('flip', dims)));
  }
  /** Indices of non-zero elements, (count, ndim) int64. */
  nonzero(this: Tensor): Tensor {
    return wrap(N.nonzero(this.h('nonzero')));
  }

  // ---------------------------------------------------------------- indexing
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor {
    return wrap(N.indexSelect(this.h('indexSelect'), dim, handleOf(index, 'indexSelect', 'index')));
  }
  /** out[i][j] = this[i][index[i][j]] for dim 1, and so on. */
  gather(this: Tensor, dim: number, index: Tensor): Tensor {
    return wrap(N.gather(this.h('gather'), dim, handleOf(index, 'gather', 'index')));
  }
  /** Copy of this with src (or a value) written at `index` along `dim`. */
  scatter(this: Tensor, dim: number, index: Tensor, src: Operand): Tensor {
    return wrap(N.scatter(this.h('scatter'), dim, handleOf(index, 'scatter', 'index'), operand(src, 'scatter')));
  }
  /** Copy of this with src added at `index` along `dim` (repeated indices accumulate). */
  scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(N.scatterAdd(this.h('scatterAdd'), dim, handleOf(index, 'scatterAdd', 'index'), handleOf(src, 'scatterAdd', 'src')));
  }
  /** Advanced indexing: one entry per leading dim, a Tensor (int64 or bool) or null for "all". */
  index(this: Tensor, indices: readonly (Tensor | null)[]): Tensor {
    return wrap(N.index(this.h('index'), handles(indices, 'index')));
  }
  /** Writes (or with accumulate, adds) values at the advanced index, in place. */
  indexPut_(this: Tensor, indices: readonly (Tensor | null)[], values: Tensor, accumulate = false): Tensor {
    N.indexPut_(this.h('indexPut_'), handles(indices, 'indexPut_'), handleOf(values, 'indexPut_', 'values'), accumulate);
    return this;
  }
  /** Copy with `value` where mask (bool, broadcastable) is true. */
  maskedFill(this: Tensor, mask: Tensor, value: Operand): Tensor {
    return wrap(N.maskedFill(this.h('maskedFill'), handleOf(mask, 'maskedFill', 'mask'), operand(value, 'maskedFill')));
  }
  maskedFill_(this: Tensor, mask: Tensor, value: number | boolean): Tensor {
    N.maskedFill_(this.h('maskedFill_'), handleOf(mask, 'maskedFill_', 'mask'), value);
    return this;
  }

  // ---------------------------------------------------------------- splitting
  /** Pieces of `size` along dim (the last may be smaller), or pieces of the given sizes. */
  split(this: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    return N.split(this.h('split'), sizeOrSizes, dim).map(wrap);
  }
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] {
    return N.chunk(this.h('chunk'), chunks, dim).map(wrap);
  }
  unbind(this: Tensor, dim = 0): Tensor[] {
    return N.unbind(this.h('unbind'), dim).map(wrap);
  }
}

type ShapeSurface = Omit<ShapeMethods, never>;
declare module './tensor.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface Tensor extends ShapeSurface {}
}

installMethods(ShapeMethods);
