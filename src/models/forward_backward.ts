// One training forward + backward of a causal LM: the decoder, a loss over its final hidden states
// (the caller's: chunked cross-entropy, distillation, GRPO, a reward head), and the backward that
// accumulates gradients into the parameters. With gradient checkpointing, the decoder layers run
// without autograd in the forward (keeping only each layer's input, (B, T, hidden)); the backward
// then walks the layers from the top, recomputing one layer with autograd, back-propagating the
// gradient of its output through it and freeing it before the next — per-layer activation
// checkpointing as torch.utils.checkpoint does, written as a loop instead of an autograd node. The
// RNG state before each layer is restored for its recomputation, so dropout draws the same masks,
// and the state after the forward is restored at the end, so later draws are those of a run without
// checkpointing. Gradients equal those of the plain path (test/models/forward_backward.test.ts).
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CausalLM, ForwardOptions } from './decoder.js';

export interface BackwardOptions {
  /** Recompute each decoder layer in the backward instead of keeping its activations. */
  gradientCheckpointing?: boolean;
  /** Multiplies the loss before backward (fp16 loss scaling); the returned value is unscaled. */
  lossScale?: number;
}

/**
 * Forward of `model` on ids (B, T), loss(hidden (B, T, hidden)) → scalar, and its backward: the
 * gradients accumulate into the parameters' .grad. Returns the loss's value.
 */
export function forwardBackward(
  model: CausalLM,
  ids: Tensor,
  fwd: ForwardOptions,
  loss: (hidden: Tensor) => Tensor,
  o: BackwardOptions = {},
): number {
  if (fwd.cache) throw new pt.ArgumentError('forwardBackward', 'a KV cache is for generation, not training');
  const scale = o.lossScale ?? 1;
  const backward = (l: Tensor) => (scale === 1 ? l : l.mul(scale)).backward();
  if (!o.gradientCheckpointing) {
    return pt.scope(() => {
      const l = loss(model.hiddenStates(ids, fwd)); // ()
      backward(l);
      return l.item() as number;
    });
  }
  return pt.scope(() => {
    const ctx = model.layerContext(ids, fwd);
    const emb = model.embed(ids); // (B, T, hidden), with autograd into the embedding
    const L = model.config.layers;
    const inputs: Tensor[] = [];
    const rng: Tensor[] = [];
    let x = emb.detach();
    pt.noGrad(() => {
      for (let i = 0; i < L; i++) {
        rng.push(pt.getRngState());
        inputs.push(x);
        x = model.layerForward(i, x, ctx); // (B, T, hidden)
      }
    });
    const rngAfter = pt.getRngState();
    const top = x.requiresGrad_(true); // (B, T, hidden) leaf
    const l = loss(model.finalNorm(top)); // ()
    const value = l.item() as number;
    backward(l);
    let g = top.grad; // (B, T, hidden), scaled
    top.dispose();
    for (let i = L - 1; i >= 0; i--) {
      if (!g) break; // nothing below the top needs a gradient
      const next: Tensor | null = pt.scope(() => {
        pt.setRngState(rng[i]!);
        const xi = inputs[i]!.detach().requiresGrad_(true); // (B, T, hidden) leaf
        pt.enableGrad(() => model.layerForward(i, xi, ctx)).backward(g);
        return xi.grad;
      });
      inputs[i]!.dispose();
      g.dispose();
      g = next;
    }
    pt.setRngState(rngAfter);
    if (g && emb.requiresGrad) emb.backward(g);
    return value;
  });
}
