// Rotary position embeddings as Hugging Face computes them (ROPE_INIT_FUNCTIONS): the default
// inverse frequencies and the rope_scaling types Llama 3 and Qwen configs use — 'llama3' (wavelength
// smoothing), 'linear' (position interpolation) and 'dynamic' (NTK-aware, recomputed from the
// longest position in the batch). Frequencies are computed in float64 and used in float32.
import * as pt from '../tensor/index.js';
import { ArgumentError, type Tensor } from '../tensor/index.js';

export interface RopeScaling {
  type: 'default' | 'linear' | 'dynamic' | 'llama3';
  factor: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
}

export interface RopeConfig {
  headDim: number;
  theta: number;
  maxPositionEmbeddings: number;
  scaling: RopeScaling | null;
}

/** Reads HF's rope_scaling ({rope_type | type, factor, ...}); null for none/default. */
export function parseRopeScaling(raw: unknown, where: string): RopeScaling | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object') throw new ArgumentError('rope_scaling', `${where}: rope_scaling must be an object or null`);
  const r = raw as Record<string, unknown>;
  const type = (r['rope_type'] ?? r['type'] ?? 'default') as string;
  if (type === 'default') return null;
  if (type !== 'linear' && type !== 'dynamic' && type !== 'llama3') {
    throw new ArgumentError(
      'rope_scaling',
      `${where}: rope_scaling type '${type}' is not supported (supported: default, linear, dynamic, llama3)`,
    );
  }
  const num = (k: string, required: boolean): number | undefined => {
    const v = r[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ArgumentError('rope_scaling', `${where}: rope_scaling.${k} must be a number (type ${type})`);
    return v;
  };
  const s: RopeScaling = { type, factor: num('factor', true)! };
  if (type === 'llama3') {
    s.lowFreqFactor = num('low_freq_factor', true);
    s.highFreqFactor = num('high_freq_factor', true);
    s.originalMaxPositionEmbeddings = num('original_max_position_embeddings', true);
  }
  return s;
}

function defaultInvFreq(dim: number, base: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dim; i += 2) out.push(1 / base ** (i / dim));
  return out;
}

/** Inverse frequencies (headDim / 2) for a batch whose largest position + 1 is seqLen. */
export function ropeInvFreq(c: RopeConfig, seqLen: number): number[] {
  const dim = c.headDim;
  const s = c.scaling;
  if (!s) return defaultInvFreq(dim, c.theta);
  switch (s.type) {
    case 'linear':
      return defaultInvFreq(dim, c.theta).map((f) => f / s.factor);
    case 'dynamic': {
      const maxPos = c.maxPositionEmbeddings;
      const len = seqLen > maxPos ? seqLen : maxPos;
      const base = c.theta * ((s.factor * len) / maxPos - (s.factor - 1)) ** (dim / (dim - 2));
      return defaultInvFreq(dim, base);
    }
    case 'llama3': {
      const old = s.originalMaxPositionEmbeddings!,
        low = s.lowFreqFactor!,
        high = s.highFreqFactor!;
      const lowWavelen = old / low,
        highWavelen = old / high;
      return defaultInvFreq(dim, c.theta).map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f; // high frequency: unchanged
        if (wavelen > lowWavelen) return f / s.factor; // low frequency: scaled
        const smooth = (old / wavelen - low) / (high - low); // in between: interpolated
        return (1 - smooth) * (f / s.factor) + smooth * f;
      });
    }
    default:
      return defaultInvFreq(dim, c.theta);
  }
}

// Inverse-frequency tensors by configuration (and sequence length for 'dynamic'), computed once.
const invFreqCache = new WeakMap<RopeConfig, Map<number, Tensor>>();

function invFreqTensor(c: RopeConfig, seqLen: number): Tensor {
  const key = c.scaling?.type === 'dynamic' && seqLen > c.maxPositionEmbeddings ? seqLen : 0;
  let byLen = invFreqCache.get(c);
  if (!byLen) invFreqCache.set(c, (byLen = new Map()));
  let t = byLen.get(key);
  if (!t) {
    t = pt.tensor(Float32Array.from(ropeInvFreq(c, key))).keep(); // (D/2)
    if (byLen.size > 64) byLen.clear(); // dynamic NTK: do not grow without bound
    byLen.set(key, t);
  }
  return t;
}

/** cos and sin (B, 1, T, headDim) for int64 positions (B, T), HF layout cat(freqs, freqs). */
export function ropeCosSin(c: RopeConfig, positions: Tensor): { cos: Tensor; sin: Tensor } {
  return pt.scope(() => {
    const seqLen = c.scaling?.type === 'dynamic' ? (positions.max().item() as number) + 1 : 0;
    const cached = invFreqTensor(c, seqLen); // (D/2), on the CPU
    const invFreq = positions.device === 'cpu' ? cached : cached.to(positions.device); // (D/2)
    const freqs = positions.float().unsqueeze(-1).mul(invFreq); // (B, T, D/2)
    const emb = pt.cat([freqs, freqs], -1).unsqueeze(1); // (B, 1, T, D)
    return { cos: emb.cos(), sin: emb.sin() };
  });
}

/** x (B, H, T, D) rotated: x·cos + rotate_half(x)·sin. */
export function applyRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return pt.scope(() => {
    const half = x.size(-1) / 2;
    const rotated = pt.cat([x.slice(-1, half).neg(), x.slice(-1, 0, half)], -1); // (B, H, T, D)
    return x.mul(cos).add(rotated.mul(sin));
  });
}
