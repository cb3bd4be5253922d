// Grouped-query self-attention with Hugging Face's parameter names: q_proj, k_proj, v_proj, o_proj
// (biases per family), optional per-head q_norm / k_norm (Qwen3), rotary embeddings, and an optional
// KV cache. The caller builds the mask (causal, padding, packed samples); this module knows heads.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';
import { Linear, RMSNorm, type InitOptions } from './layers.js';
import { applyRope } from './rope.js';
import type { KVCache } from './kv_cache.js';

export interface AttentionConfig {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  qkvBias: boolean;
  outBias: boolean;
  qkNorm: boolean;
  rmsEps: number;
  dropout: number;
}

export interface AttentionInputs {
  cos: Tensor; // (B, 1, T, D)
  sin: Tensor;
  mask: Tensor | null; // bool (B|1, 1, T, S), true = attend; null = plain causal
  cache: KVCache | null;
  layer: number;
}

export class Attention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly q_norm: RMSNorm | null;
  readonly k_norm: RMSNorm | null;

  constructor(
    readonly c: AttentionConfig,
    init: InitOptions = {},
  ) {
    super();
    this.q_proj = this.module('q_proj', new Linear(c.hidden, c.heads * c.headDim, c.qkvBias, init));
    this.k_proj = this.module('k_proj', new Linear(c.hidden, c.kvHeads * c.headDim, c.qkvBias, init));
    this.v_proj = this.module('v_proj', new Linear(c.hidden, c.kvHeads * c.headDim, c.qkvBias, init));
    this.o_proj = this.module('o_proj', new Linear(c.heads * c.headDim, c.hidden, c.outBias, init));
    this.q_norm = c.qkNorm ? this.module('q_norm', new RMSNorm(c.headDim, c.rmsEps, init)) : null;
    this.k_norm = c.qkNorm ? this.module('k_norm', new RMSNorm(c.headDim, c.rmsEps, init)) : null;
  }

  /** x (B, T, hidden) → (B, T, hidden) */
  forward(x: Tensor, a: AttentionInputs): Tensor {
    const { heads, kvHeads, headDim } = this.c;
    return pt.scope(() => {
      const [B, T] = x.shape as [number, number];
      let q = this.q_proj.forward(x).view(B, T, heads, headDim); // (B, T, H, D)
      let k = this.k_proj.forward(x).view(B, T, kvHeads, headDim); // (B, T, Hkv, D)
      let v = this.v_proj.forward(x).view(B, T, kvHeads, headDim).transpose(1, 2); // (B, Hkv, T, D)
      if (this.q_norm && this.k_norm) {
        q = this.q_norm.forward(q);
        k = this.k_norm.forward(k);
      }
      q = applyRope(q.transpose(1, 2), a.cos, a.sin); // (B, H, T, D)
      k = applyRope(k.transpose(1, 2), a.cos, a.sin); // (B, Hkv, T, D)
      if (a.cache) ({ k, v } = a.cache.append(a.layer, k, v)); // (B, Hkv, S, D)
      const out = pt.scaledDotProductAttention(q, k, v, {
        mask: a.mask,
        causal: a.mask === null,
        dropout: this.training ? this.c.dropout : 0,
      }); // (B, H, T, D)
      return this.o_proj.forward(out.transpose(1, 2).reshape(B, T, heads * headDim));
    });
  }
}
