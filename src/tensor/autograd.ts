// Autograd controls beyond Tensor.backward(): grad-mode scopes, gradient clipping by global norm,
// zeroing gradients. Grad mode is global to the thread, so its scopes are synchronous only.
import { N } from './native.js';
import { ArgumentError, ScopeError } from './errors.js';
import { Tensor, handleOf } from './tensor.js';

function withGradMode<T>(on: boolean, fn: () => T, name: string): T {
  if (fn.constructor?.name === 'AsyncFunction') {
    throw new ScopeError(
      name,
      `${name}() was given an async function; grad mode cannot span await — call ${name}() around the synchronous part`,
    );
  }
  const prev = N.setGradEnabled(on);
  try {
    const out = fn();
    if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
      throw new ScopeError(name, `the function given to ${name}() returned a promise; grad mode cannot span await`);
    }
    return out;
  } finally {
    N.setGradEnabled(prev);
  }
}

/** Runs fn without recording autograd history (inference, sampling, optimizer math). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn, 'noGrad');
}
/** Runs fn with autograd recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn, 'enableGrad');
}
export function isGradEnabled(): boolean {
  return N.gradEnabled();
}

function handles(params: readonly Tensor[], op: string) {
  return params.map((p, i) => handleOf(p, op, `parameter ${i}`));
}

/**
 * Scales all gradients together so their global `normType`-norm is at most maxNorm (torch's
 * clip_grad_norm_). Returns the norm before clipping; Infinity norm allowed.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0))
    throw new ArgumentError('clipGradNorm', `maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0))
    throw new ArgumentError('clipGradNorm', `normType must be > 0 (or Infinity), got ${String(normType)}`);
  return N.clipGradNorm(handles(params, 'clipGradNorm'), maxNorm, normType, errorIfNonfinite);
}

/** Drops (setToNone, the default) or zeroes the .grad of each parameter. */
export function zeroGrad(params: readonly Tensor[], setToNone = true): void {
  N.zeroGrad(handles(params, 'zeroGrad'), setToNone);
}
