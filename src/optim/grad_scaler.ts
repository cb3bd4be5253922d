// Dynamic loss scaling for float16 training (torch.amp.GradScaler's rule): the loss is multiplied by
// `scale` before backward so small gradients survive float16; the gradients are divided by it
// before clipping and the step; a step whose gradients overflowed (non-finite norm) is skipped and
// the scale halved; after `growthInterval` clean steps the scale doubles. Disabled (bf16, float32),
// it is the identity: scale 1, every step taken. Its state goes into checkpoints for exact resume.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export interface GradScalerOptions {
  enabled: boolean;
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
}

export interface GradScalerState {
  scale: number;
  growthTracker: number;
}

export class GradScaler {
  readonly enabled: boolean;
  private s: number;
  private tracker = 0;
  private readonly growth: number;
  private readonly backoff: number;
  private readonly interval: number;

  constructor(o: GradScalerOptions) {
    this.enabled = o.enabled;
    this.s = o.enabled ? (o.initScale ?? 2 ** 16) : 1;
    this.growth = o.growthFactor ?? 2;
    this.backoff = o.backoffFactor ?? 0.5;
    this.interval = o.growthInterval ?? 2000;
    if (!(this.s > 0) || !(this.growth > 1) || !(this.backoff > 0 && this.backoff < 1) || !(this.interval >= 1))
      throw new pt.ArgumentError('GradScaler', 'needs initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, growthInterval >= 1');
  }

  /** The factor to multiply the loss by before backward. */
  get scale(): number {
    return this.s;
  }

  /** Divides every gradient by the scale (before clipping and the optimizer step). */
  unscale(params: readonly Tensor[]): void {
    if (!this.enabled) return;
    const inv = 1 / this.s;
    pt.noGrad(() => {
      for (const p of params) {
        const g = p.grad;
        if (!g) continue;
        g.mul_(inv);
        g.dispose();
      }
    });
  }

  /** After unscale: whether to take the optimizer step (false: the gradients overflowed), updating the scale. */
  update(gradNorm: number): boolean {
    if (!this.enabled) return true;
    if (!Number.isFinite(gradNorm)) {
      this.s *= this.backoff;
      this.tracker = 0;
      return false;
    }
    if (++this.tracker >= this.interval) {
      this.s *= this.growth;
      this.tracker = 0;
    }
    return true;
  }

  /**
   * The end of a training step: unscale the gradients, clip them to maxGradNorm (0: no clipping; the
   * norm is measured either way) and take the optimizer step unless they overflowed.
   */
  clipAndStep(optimizer: { step(): void }, params: readonly Tensor[], maxGradNorm: number): { gradNorm: number; stepped: boolean } {
    this.unscale(params);
    const gradNorm = pt.clipGradNorm(params, maxGradNorm > 0 ? maxGradNorm : Infinity);
    const stepped = this.update(gradNorm);
    if (stepped) optimizer.step();
    return { gradNorm, stepped };
  }

  state(): GradScalerState {
    return { scale: this.s, growthTracker: this.tracker };
  }

  load(state: GradScalerState | undefined): this {
    if (this.enabled && state) {
      this.s = state.scale;
      this.tracker = state.growthTracker;
    }
    return this;
  }
}
