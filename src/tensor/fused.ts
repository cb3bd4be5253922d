// Fused multi-tensor kernels the optimizers call (one native call per parameter group per step:
// AdamW and SGD updates in place), and a tensor's raw bytes for writers — so nothing above tensor/
// touches the addon (DESIGN.md: only tensor/ loads it). Shapes and dtypes are checked natively; the
// errors name the op.
import { N } from './native.js';
import { Tensor } from './tensor.js';

/** AdamW in place over a group: params, first and second moments, each parameter's step number.
 *  Returns, per parameter, whether it had a gradient (and so was updated). */
export function adamwStep(
  params: readonly Tensor[],
  expAvg: readonly Tensor[],
  expAvgSq: readonly Tensor[],
  steps: readonly number[],
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): boolean[] {
  return N.adamwStep(
    params.map((p) => p.h('adamw.step')),
    expAvg.map((t) => t.h('adamw.step')),
    expAvgSq.map((t) => t.h('adamw.step')),
    steps,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    maximize,
  );
}

/** SGD (momentum, dampening, Nesterov, weight decay) in place over a group. Per parameter: false
 *  without a gradient, else the new momentum buffer (a tensor the caller keeps) or null without momentum. */
export function sgdStep(
  params: readonly Tensor[],
  buffers: readonly (Tensor | null)[],
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
  maximize: boolean,
): (false | Tensor | null)[] {
  return N.sgdStep(
    params.map((p) => p.h('sgd.step')),
    buffers.map((b) => (b ? b.h('sgd.step') : null)),
    lr,
    momentum,
    dampening,
    weightDecay,
    nesterov,
    maximize,
  ).map((r) => (r === false || r === null ? r : new Tensor(r)));
}

/** A copy of a contiguous CPU tensor's bytes (the writer's view of its storage). */
export function tensorBytes(t: Tensor, op: string): ArrayBuffer {
  return N.toBuffer(t.h(op));
}
