// Reading fields of a Hugging Face config.json with errors that name the file and the field, and
// the parts every decoder family shares (sizes, norms, rotary). Family files add their own rules.
import { ArgumentError } from '../tensor/index.js';
import { parseRopeScaling, type RopeConfig } from '../nn/rope.js';

export class ConfigReader {
  constructor(
    readonly hf: Record<string, unknown>,
    readonly source: string,
  ) {}

  private fail(field: string, detail: string): never {
    throw new ArgumentError('config', `${this.source}: field '${field}' ${detail}`);
  }

  int(field: string, dflt?: number): number {
    const v = this.hf[field] ?? dflt;
    if (v === undefined || v === null) this.fail(field, 'is required');
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  num(field: string, dflt: number): number {
    const v = this.hf[field] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(field: string, dflt: boolean): boolean {
    const v = this.hf[field] ?? dflt;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  optional(field: string): unknown {
    return this.hf[field];
  }

  /** hidden_act must be SiLU (all supported families use SwiGLU). */
  requireSilu(): void {
    const act = this.hf['hidden_act'] ?? 'silu';
    if (act !== 'silu' && act !== 'swish') this.fail('hidden_act', `'${String(act)}' is not supported (silu only)`);
  }

  rope(headDim: number, maxPositionDefault: number): RopeConfig {
    const partial = this.num('partial_rotary_factor', 1);
    if (partial !== 1) this.fail('partial_rotary_factor', `${partial} is not supported (1 only)`);
    return {
      headDim,
      theta: this.num('rope_theta', 10000),
      maxPositionEmbeddings: this.int('max_position_embeddings', maxPositionDefault),
      scaling: parseRopeScaling(this.hf['rope_scaling'], this.source),
    };
  }

  /** Sizes shared by the families; heads must divide into key/value heads. */
  sizes(headDimDefault?: number) {
    const hidden = this.int('hidden_size');
    const heads = this.int('num_attention_heads');
    const kvHeads = this.int('num_key_value_heads', heads);
    if (heads % kvHeads !== 0) this.fail('num_key_value_heads', `(${kvHeads}) must divide num_attention_heads (${heads})`);
    if (this.hf['head_dim'] === undefined && headDimDefault === undefined && hidden % heads !== 0) {
      this.fail('hidden_size', `(${hidden}) must be a multiple of num_attention_heads (${heads}) when head_dim is not given`);
    }
    const headDim = this.int('head_dim', headDimDefault ?? hidden / heads);
    return {
      vocabSize: this.int('vocab_size'),
      hidden,
      intermediate: this.int('intermediate_size'),
      layers: this.int('num_hidden_layers'),
      heads,
      kvHeads,
      headDim,
      rmsEps: this.num('rms_norm_eps', 1e-6),
      attentionDropout: this.num('attention_dropout', 0),
      initializerRange: this.num('initializer_range', 0.02),
    };
  }
}
