// Basic layers with Hugging Face parameter names: Linear (weight (out, in), bias), Embedding
// (weight (V, D)), RMSNorm (weight (D)), and the SwiGLU MLP of Llama/Qwen (gate_proj, up_proj,
// down_proj). Initialisation follows HF's _init_weights (normal(0, initializer_range), zero bias,
// ones for norms) from a caller-given Generator, so a seed fixes the model.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

export interface InitOptions {
  generator?: pt.Generator;
  std?: number; // HF initializer_range, 0.02 by default
  dtype?: pt.DType;
}

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
}

export class Linear extends Module {
  private readonly hasBias: boolean;
  /** Set while a LoRA adapter is attached (src/nn/lora.ts): children lora_A (r, in), lora_B (out, r). */
  lora: LoraSettings | null = null;
  /** False while the adapter is switched off (PEFT's disable_adapter): the layer is its base. */
  loraEnabled = true;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias: boolean,
    init: InitOptions = {},
  ) {
    super();
    this.param('weight', pt.normal_(pt.empty([outFeatures, inFeatures], { dtype: init.dtype }), 0, init.std ?? 0.02, init.generator));
    if (bias) this.param('bias', pt.zeros([outFeatures], { dtype: init.dtype }));
    this.hasBias = bias;
  }

  get weight(): Tensor {
    return this.getParam('weight');
  }
  get bias(): Tensor | null {
    return this.hasBias ? this.getParam('bias') : null;
  }

  /** x (..., in) → (..., out); with LoRA: + (alpha / r) · B(A(dropout(x))). */
  forward(x: Tensor): Tensor {
    const bias = this.bias;
    const base = pt.linear(x, this.linearWeight(this.weight), bias ? this.linearWeight(bias) : null); // (..., out)
    if (!this.lora || !this.loraEnabled) return base;
    const { r, alpha, dropout } = this.lora;
    return pt.scope(() => {
      const a = this.child<Linear>('lora_A');
      const b = this.child<Linear>('lora_B');
      const h = dropout > 0 && this.training ? pt.dropout(x, dropout, true) : x;
      return base.add(b.forward(a.forward(h)), alpha / r); // (..., out)
    });
  }

  /** Attaches lora_A (Kaiming-uniform like PEFT) and lora_B (zeros) and freezes the base weight. */
  attachLora(s: LoraSettings, generator?: pt.Generator): void {
    if (this.lora) throw new pt.ArgumentError('attachLora', 'this layer already has a LoRA adapter');
    const dtype = this.weight.dtype;
    const a = this.module('lora_A', new Linear(this.inFeatures, s.r, false, { dtype }));
    const bound = 1 / Math.sqrt(this.inFeatures);
    pt.noGrad(() => pt.uniform_(a.weight, -bound, bound, generator));
    const b = this.module('lora_B', new Linear(s.r, this.outFeatures, false, { dtype }));
    pt.noGrad(() => b.weight.zero_());
    const device = this.weight.device;
    if (device !== 'cpu') {
      a.to(device);
      b.to(device);
    }
    a.computeDtype = b.computeDtype = this.computeDtype;
    this.getParam('weight').requiresGrad_(false);
    if (this.hasBias) this.getParam('bias').requiresGrad_(false);
    this.lora = s;
  }

  /** Folds the adapter into the base weight (W += (alpha/r) · B A) and removes it. */
  mergeLora(): void {
    if (!this.lora) return;
    const scale = this.lora.alpha / this.lora.r;
    pt.noGrad(() =>
      pt.scope(() => {
        const delta = this.child<Linear>('lora_B').weight.matmul(this.child<Linear>('lora_A').weight).mul(scale); // (out, in)
        this.weight.add_(delta.to(this.weight.dtype));
      }),
    );
    this.removeModule('lora_A');
    this.removeModule('lora_B');
    this.lora = null;
  }
}

export class Embedding extends Module {
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    init: InitOptions = {},
  ) {
    super();
    this.param('weight', pt.normal_(pt.empty([numEmbeddings, dim], { dtype: init.dtype }), 0, init.std ?? 0.02, init.generator));
  }

  get weight(): Tensor {
    return this.getParam('weight');
  }

  /** ids (...) int64 → (..., D), in the compute dtype (the lookup itself reads the stored table). */
  forward(ids: Tensor): Tensor {
    return this.inComputeDtype(pt.embedding(this.weight, ids)); // (..., D)
  }
}

export class RMSNorm extends Module {
  constructor(
    readonly dim: number,
    readonly eps: number,
    init: InitOptions = {},
  ) {
    super();
    this.param('weight', pt.ones([dim], { dtype: init.dtype }));
  }

  /** x (..., D) → (..., D), statistics in float32 (HF LlamaRMSNorm). */
  forward(x: Tensor): Tensor {
    return pt.rmsNorm(x, this.inComputeDtype(this.getParam('weight')), this.eps);
  }
}

/** down(silu(gate(x)) * up(x)): the Llama/Qwen feed-forward block. */
export class SwiGLU extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(hidden: number, intermediate: number, bias: boolean, init: InitOptions = {}) {
    super();
    this.gate_proj = this.module('gate_proj', new Linear(hidden, intermediate, bias, init));
    this.up_proj = this.module('up_proj', new Linear(hidden, intermediate, bias, init));
    this.down_proj = this.module('down_proj', new Linear(intermediate, hidden, bias, init));
  }

  /** x (..., H) → (..., H) */
  forward(x: Tensor): Tensor {
    return pt.scope(() => this.down_proj.forward(this.gate_proj.forward(x).silu().mul(this.up_proj.forward(x))));
  }
}
