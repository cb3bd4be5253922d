// The decoder shared by the Llama, Qwen2 and Qwen3 families, in Hugging Face's layout and
// semantics (modeling_llama / qwen2 / qwen3): embed_tokens → layers of (RMSNorm → GQA attention with
// rotary → residual, RMSNorm → SwiGLU → residual) → norm → lm_head (tied or not). What differs by
// family — biases, q/k norm, head_dim, defaults — comes from the family's config reader
// (llama.ts, qwen2.ts, qwen3.ts) as a DecoderConfig. Knows nothing about files or tokenizers.
import * as pt from '../tensor/index.js';
import type { Tensor, DType } from '../tensor/index.js';
import { Module, ModuleList } from '../nn/module.js';
import { Embedding, Linear, RMSNorm, SwiGLU, type InitOptions } from '../nn/layers.js';
import { Attention } from '../nn/attention.js';
import { ropeCosSin, type RopeConfig } from '../nn/rope.js';
import { KVCache } from '../nn/kv_cache.js';

export type Family = 'llama' | 'qwen2' | 'qwen3';

export interface DecoderConfig {
  family: Family;
  vocabSize: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsEps: number;
  rope: RopeConfig;
  tieEmbeddings: boolean;
  qkvBias: boolean;
  outBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  attentionDropout: number;
  initializerRange: number;
  /** The HF config.json this was read from (unknown fields kept), written back on save. */
  hf: Record<string, unknown>;
}

export interface ForwardOptions {
  /** (B, S) 1/true = token, 0/false = padding, over cached + new positions (S = cache length + T). */
  attentionMask?: Tensor | null;
  /** (B, T) int64 positions; derived from the mask, segments or cache when omitted. */
  positions?: Tensor | null;
  /** (B, T) ids of packed samples: attention and positions stay inside each sample. */
  segmentIds?: Tensor | null;
  cache?: KVCache | null;
}

class DecoderLayer extends Module {
  readonly self_attn: Attention;
  readonly mlp: SwiGLU;
  readonly input_layernorm: RMSNorm;
  readonly post_attention_layernorm: RMSNorm;
  constructor(c: DecoderConfig, init: InitOptions) {
    super();
    this.self_attn = this.module(
      'self_attn',
      new Attention(
        {
          hidden: c.hidden,
          heads: c.heads,
          kvHeads: c.kvHeads,
          headDim: c.headDim,
          qkvBias: c.qkvBias,
          outBias: c.outBias,
          qkNorm: c.qkNorm,
          rmsEps: c.rmsEps,
          dropout: c.attentionDropout,
        },
        init,
      ),
    );
    this.mlp = this.module('mlp', new SwiGLU(c.hidden, c.intermediate, c.mlpBias, init));
    this.input_layernorm = this.module('input_layernorm', new RMSNorm(c.hidden, c.rmsEps, init));
    this.post_attention_layernorm = this.module('post_attention_layernorm', new RMSNorm(c.hidden, c.rmsEps, init));
  }
}

class DecoderModel extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DecoderLayer>;
  readonly norm: RMSNorm;
  constructor(c: DecoderConfig, init: InitOptions) {
    super();
    this.embed_tokens = this.module('embed_tokens', new Embedding(c.vocabSize, c.hidden, init));
    this.layers = this.module('layers', new ModuleList(Array.from({ length: c.layers }, () => new DecoderLayer(c, init))));
    this.norm = this.module('norm', new RMSNorm(c.hidden, c.rmsEps, init));
  }
}

/** A causal language model (HF *ForCausalLM): ids → logits. */
export class CausalLM extends Module {
  readonly model: DecoderModel;
  readonly lm_head: Linear | null;

  constructor(
    readonly config: DecoderConfig,
    init: InitOptions = {},
  ) {
    super();
    this.model = this.module('model', new DecoderModel(config, { std: config.initializerRange, ...init }));
    this.lm_head = config.tieEmbeddings
      ? null
      : this.module('lm_head', new Linear(config.hidden, config.vocabSize, false, { std: config.initializerRange, ...init }));
  }

  /** A model with random weights (HF initialisation) from a seed: training from scratch. */
  static random(config: DecoderConfig, seed = 0, dtype?: DType): CausalLM {
    return new CausalLM(config, { generator: new pt.Generator(seed), dtype });
  }

  /** The dtype activations are computed in: the autocast dtype, or the parameters'. */
  get activationDtype(): DType {
    return this.computeDtype ?? this.model.embed_tokens.weight.dtype;
  }

  /** A KV cache sized for this model, in its compute dtype, on its device. */
  newCache(batch: number, maxLength: number): KVCache {
    const w = this.model.embed_tokens.weight;
    return new KVCache(this.config.layers, batch, this.config.kvHeads, maxLength, this.config.headDim, this.activationDtype, w.device);
  }

  /** What every layer of one forward pass shares: rotary tables, the attention mask, the cache. */
  layerContext(ids: Tensor, o: ForwardOptions = {}): LayerContext {
    return pt.scope(() => {
      const [B, T] = ids.shape as [number, number];
      const cache = o.cache ?? null;
      const positions = o.positions ?? defaultPositions(B, T, o, cache, ids.device); // (B, T)
      const mask = buildMask(T, o, cache); // (B|1, 1, T, S) or null
      const { cos, sin } = ropeCosSin(this.config.rope, positions); // (B, 1, T, D)
      const dtype = this.activationDtype;
      return dtype === 'float32' ? { cos, sin, mask, cache } : { cos: cos.to(dtype), sin: sin.to(dtype), mask, cache };
    });
  }

  /** ids (B, T) → embeddings (B, T, hidden) in the compute dtype. */
  embed(ids: Tensor): Tensor {
    return this.model.embed_tokens.forward(ids);
  }

  /** Decoder layer i: x (B, T, hidden) → (B, T, hidden). */
  layerForward(i: number, x: Tensor, ctx: LayerContext): Tensor {
    const layer = this.model.layers.at(i);
    return pt.scope(() => {
      const h = x.add(layer.self_attn.forward(layer.input_layernorm.forward(x), { ...ctx, layer: i })); // (B, T, hidden)
      return h.add(layer.mlp.forward(layer.post_attention_layernorm.forward(h)));
    });
  }

  /** The final norm: (B, T, hidden) → (B, T, hidden). */
  finalNorm(x: Tensor): Tensor {
    return this.model.norm.forward(x);
  }

  /** ids (B, T) int64 → final hidden states (B, T, hidden), after the last norm. */
  hiddenStates(ids: Tensor, o: ForwardOptions = {}): Tensor {
    return pt.scope(() => {
      const ctx = this.layerContext(ids, o);
      let x = this.embed(ids); // (B, T, hidden)
      for (let i = 0; i < this.config.layers; i++) x = this.layerForward(i, x, ctx);
      if (ctx.cache) ctx.cache.length += ids.size(1);
      return this.finalNorm(x);
    });
  }

  /** ids (B, T) int64 → logits (B, T, vocab). */
  forward(ids: Tensor, o: ForwardOptions = {}): Tensor {
    return pt.scope(() => this.logits(this.hiddenStates(ids, o)));
  }

  /** hidden (..., hidden) → logits (..., vocab) through lm_head or the tied embedding. */
  logits(hidden: Tensor): Tensor {
    return pt.linear(hidden, this.linearWeight(this.storedHeadWeight())); // (..., vocab)
  }

  /**
   * The output head's weight (vocab, hidden) as the forward uses it (cast to the compute dtype,
   * differentiable): lm_head's, or the tied embedding's. For losses over chunks (nn/chunked_head.ts).
   */
  headWeight(): Tensor {
    return this.inComputeDtype(this.storedHeadWeight());
  }

  /** lm_head's weight or the tied embedding's, as stored; refused while lm_head carries a LoRA adapter. */
  private storedHeadWeight(): Tensor {
    if (this.lm_head?.lora)
      throw new pt.ArgumentError(
        'CausalLM.headWeight',
        'lm_head carries a LoRA adapter; merge it or leave lm_head out of lora_target_modules',
      );
    return this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight;
  }
}

/** What the decoder layers of one forward pass share. */
export interface LayerContext {
  cos: Tensor; // (B, 1, T, headDim)
  sin: Tensor; // (B, 1, T, headDim)
  mask: Tensor | null; // (B|1, 1, T, S)
  cache: KVCache | null;
}

function defaultPositions(B: number, T: number, o: ForwardOptions, cache: KVCache | null, device: pt.Device): Tensor {
  if (o.segmentIds) return pt.positionsFromSegments(o.segmentIds);
  if (o.attentionMask) {
    // HF: position_ids = cumsum(mask) - 1, with padding positions set to 1 (they are masked anyway)
    const m = o.attentionMask.long(); // (B, S)
    const pos = m.cumsum(-1).sub(1).maskedFill(m.eq(0), 1); // (B, S)
    return pos.slice(1, pos.size(1) - T); // (B, T)
  }
  const start = cache ? cache.length : 0;
  return pt
    .arange(start, start + T, 1, { device })
    .view(1, T)
    .expand(B, T);
}

function buildMask(T: number, o: ForwardOptions, cache: KVCache | null): Tensor | null {
  if (o.segmentIds) {
    if (cache) throw new pt.ArgumentError('CausalLM.forward', 'packed segmentIds cannot be combined with a KV cache');
    return pt.attentionMask({ queryLength: T, segmentIds: o.segmentIds, keyPadding: o.attentionMask ?? null });
  }
  if (o.attentionMask) {
    const S = o.attentionMask.size(1);
    const expected = (cache ? cache.length : 0) + T;
    if (S !== expected)
      throw new pt.ShapeError(
        'CausalLM.forward',
        `attentionMask covers ${S} positions, expected ${expected} (cached ${cache ? cache.length : 0} + new ${T})`,
      );
    return pt.attentionMask({ queryLength: T, keyLength: S, causal: true, keyPadding: o.attentionMask });
  }
  return null;
}
