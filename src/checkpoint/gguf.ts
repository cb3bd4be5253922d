// GGUF export (llama.cpp's file format, version 3) of a Llama / Qwen2 / Qwen3 model folder: the
// weights under llama.cpp's tensor names, the hyper-parameters under its metadata keys, and the
// byte-level BPE tokenizer (tokens, token types, merges, special ids, chat template) with the
// pre-tokenizer llama.cpp must apply, so llama.cpp tokenizes and computes what posttrain does.
//
// Contract:
//  - Layout: "GGUF", version 3, tensor count, metadata count, the metadata key/values, the tensor
//    infos (name, dims innermost first, type, offset), then the tensor data, each aligned to 32
//    bytes (general.alignment).
//  - Types: f32, f16, bf16 and q8_0 (blocks of 32: a float16 scale max|x|/127 and 32 int8) for
//    the 2-D weight matrices; norms and biases stay float32, as llama.cpp's converter writes them.
//  - Llama's q/k projections are permuted from Hugging Face's rotate-half layout to the interleaved
//    pairs llama.cpp's "llama" rope reads (its converter's permute); Qwen2/3 use NeoX rope in
//    llama.cpp, which is Hugging Face's layout: no permutation.
//  - The pre-tokenizer is chosen by the tokenizer.json Split regex: Llama-3's → "llama-bpe",
//    Qwen2's → "qwen2"; any other is refused (llama.cpp would split text differently), unless the
//    caller names one (`preTokenizer`), accepting the difference.
import { closeSync, openSync, renameSync, rmSync, writeSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { CheckpointError } from './errors.js';

export type GgufType = 'f32' | 'f16' | 'bf16' | 'q8_0';

const GGML_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 8, bf16: 30 };
/** general.file_type (llama_ftype): all F32, mostly F16, mostly Q8_0, mostly BF16. */
const FILE_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 };
const ALIGNMENT = 32;

/** The Split regexes llama.cpp knows, by its tokenizer.ggml.pre name (tokenizer.json / Oniguruma spelling). */
export const KNOWN_PRE_TOKENIZERS: Record<string, string> = {
  'llama-bpe':
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

// ---------------------------------------------------------------- metadata values
type MetaValue =
  | { t: 'u32'; v: number }
  | { t: 'i32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'strs'; v: string[] }
  | { t: 'i32s'; v: number[] };

const u32 = (v: number): MetaValue => ({ t: 'u32', v });
const f32 = (v: number): MetaValue => ({ t: 'f32', v });
const str = (v: string): MetaValue => ({ t: 'str', v });

class Bytes {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  value(m: MetaValue): void {
    switch (m.t) {
      case 'u32':
        this.u32(4);
        this.u32(m.v);
        return;
      case 'i32':
        this.u32(5);
        this.i32(m.v);
        return;
      case 'f32':
        this.u32(6);
        this.f32(m.v);
        return;
      case 'bool':
        this.u32(7);
        this.push(Buffer.from([m.v ? 1 : 0]));
        return;
      case 'str':
        this.u32(8);
        this.str(m.v);
        return;
      case 'strs':
        this.u32(9);
        this.u32(8);
        this.u64(m.v.length);
        for (const s of m.v) this.str(s);
        return;
      case 'i32s':
        this.u32(9);
        this.u32(5);
        this.u64(m.v.length);
        for (const x of m.v) this.i32(x);
        return;
    }
  }
  concat(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---------------------------------------------------------------- tensor data
/** Q8_0: blocks of 32 values → float16 scale d = max|x| / 127, then 32 int8 round(x / d). */
export function quantizeQ8_0(x: Float32Array): Buffer {
  if (x.length % 32 !== 0) throw new RangeError(`q8_0 needs a multiple of 32 values per row, got ${x.length}`);
  const blocks = x.length / 32;
  const out = Buffer.alloc(blocks * 34);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b * 32 + i]!));
    const d = amax / 127;
    out.writeUInt16LE(float16Bits(d), b * 34); // llama.cpp's quantize_row_q8_0_ref: the scale in half precision,
    const id = d === 0 ? 0 : 1 / d; // the values divided by the float32 scale
    for (let i = 0; i < 32; i++) out.writeInt8(Math.max(-127, Math.min(127, Math.round(x[b * 32 + i]! * id))), b * 34 + 2 + i);
  }
  return out;
}

/** IEEE half-precision bits of x (round to nearest even). */
export function float16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  let exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (((u >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1),
      halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** A tensor's bytes in `type` (2-D weights) or float32 (everything else). */
function tensorBytes(t: Tensor, type: GgufType): { bytes: Buffer; type: GgufType } {
  const raw = (x: Tensor) => Buffer.from(pt.tensorBytes(x.contiguous(), 'gguf export'));
  return pt.scope(() => {
    if (type === 'f32' || t.ndim < 2) return { bytes: raw(t.float()), type: 'f32' as const };
    if (type === 'f16') return { bytes: raw(t.to('float16')), type };
    if (type === 'bf16') return { bytes: raw(t.to('bfloat16')), type };
    if (t.size(-1) % 32 !== 0) return { bytes: raw(t.to('float16')), type: 'f16' as const }; // q8_0 rows need a multiple of 32
    return { bytes: quantizeQ8_0(t.float().contiguous().data() as Float32Array), type };
  });
}

/** llama.cpp's permute of Llama q/k weights: HF's rotate-half halves → interleaved pairs. */
function permuteRotary(w: Tensor, heads: number): Tensor {
  return pt.scope(() => {
    const [out, inp] = w.shape as [number, number];
    return w
      .reshape(heads, 2, out / heads / 2, inp)
      .transpose(1, 2)
      .reshape(out, inp); // (out, in)
  });
}

// ---------------------------------------------------------------- the export
export interface GgufExportOptions {
  type?: GgufType;
  /** llama.cpp's pre-tokenizer name, overriding the detection from the Split regex. */
  preTokenizer?: string;
  /** general.name (default: the folder name). */
  name?: string;
}

export interface GgufSource {
  family: 'llama' | 'qwen2' | 'qwen3';
  config: {
    vocabSize: number;
    hidden: number;
    intermediate: number;
    layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    rmsEps: number;
    ropeTheta: number;
    contextLength: number;
    tieEmbeddings: boolean;
  };
  /** HF-named weights (model.layers.N.self_attn.q_proj.weight, …). */
  weights: Map<string, Tensor>;
  /** The folder's tokenizer.json and tokenizer_config.json (parsed). */
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

const LAYER_NAMES: [string, string][] = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['self_attn.q_proj.bias', 'attn_q.bias'],
  ['self_attn.k_proj.bias', 'attn_k.bias'],
  ['self_attn.v_proj.bias', 'attn_v.bias'],
  ['self_attn.q_norm.weight', 'attn_q_norm.weight'],
  ['self_attn.k_norm.weight', 'attn_k_norm.weight'],
  ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  ['mlp.up_proj.weight', 'ffn_up.weight'],
  ['mlp.down_proj.weight', 'ffn_down.weight'],
];

/** The tokenizer metadata: tokens, types, merges, special ids, pre-tokenizer, chat template. */
function tokenizerMetadata(src: GgufSource, o: GgufExportOptions): [string, MetaValue][] {
  const tj = src.tokenizer as {
    model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
    added_tokens?: { id: number; content: string; special?: boolean }[];
    pre_tokenizer?: { type?: string; pretokenizers?: { type?: string; pattern?: { Regex?: string } }[]; pattern?: { Regex?: string } };
  };
  if (tj.model?.type !== 'BPE' || !tj.model.vocab || !tj.model.merges)
    throw new CheckpointError('tokenizer.json', `GGUF export needs a byte-level BPE tokenizer (model.type BPE), got ${tj.model?.type}`);
  const parts = tj.pre_tokenizer?.type === 'Sequence' ? (tj.pre_tokenizer.pretokenizers ?? []) : tj.pre_tokenizer ? [tj.pre_tokenizer] : [];
  const regex = parts.find((p) => p.type === 'Split')?.pattern?.Regex;
  let pre = o.preTokenizer;
  if (!pre) {
    pre = Object.entries(KNOWN_PRE_TOKENIZERS).find(([, r]) => r === regex)?.[0];
    if (!pre)
      throw new CheckpointError(
        'tokenizer.json',
        `its pre-tokenizer regex ${JSON.stringify(regex ?? null)} is none llama.cpp knows (${Object.keys(KNOWN_PRE_TOKENIZERS).join(', ')}): llama.cpp would split text differently. Name one with --pre-tokenizer to export anyway`,
      );
  }
  const V = src.config.vocabSize;
  const tokens = new Array<string>(V).fill('');
  const types = new Array<number>(V).fill(1);
  for (const [t, id] of Object.entries(tj.model.vocab)) if (id < V) tokens[id] = t;
  for (const a of tj.added_tokens ?? [])
    if (a.id < V) {
      tokens[a.id] = a.content;
      types[a.id] = a.special === false ? 4 : 3; // user-defined : control
    }
  for (let i = 0; i < V; i++)
    if (tokens[i] === '') {
      tokens[i] = `[PAD${i}]`; // rows of the embedding beyond the tokenizer (vocab_size padded)
      types[i] = 5; // unused
    }
  const merges = tj.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const cfg = src.tokenizerConfig;
  const idOf = (key: string): number | null => {
    const v = cfg[key];
    const content = typeof v === 'string' ? v : v && typeof v === 'object' ? ((v as Record<string, unknown>)['content'] as string) : null;
    if (!content) return null;
    const i = tokens.indexOf(content);
    return i >= 0 ? i : null;
  };
  const out: [string, MetaValue][] = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre)],
    ['tokenizer.ggml.tokens', { t: 'strs', v: tokens }],
    ['tokenizer.ggml.token_type', { t: 'i32s', v: types }],
    ['tokenizer.ggml.merges', { t: 'strs', v: merges }],
  ];
  const bos = idOf('bos_token'),
    eos = idOf('eos_token'),
    pad = idOf('pad_token');
  if (bos !== null) out.push(['tokenizer.ggml.bos_token_id', u32(bos)]);
  if (eos !== null) out.push(['tokenizer.ggml.eos_token_id', u32(eos)]);
  if (pad !== null) out.push(['tokenizer.ggml.padding_token_id', u32(pad)]);
  out.push(['tokenizer.ggml.add_bos_token', { t: 'bool', v: cfg['add_bos_token'] === true }]);
  out.push(['tokenizer.ggml.add_eos_token', { t: 'bool', v: cfg['add_eos_token'] === true }]);
  if (typeof cfg['chat_template'] === 'string') out.push(['tokenizer.chat_template', str(cfg['chat_template'])]);
  return out;
}

/** Writes `file` (atomically: a temp file, then a rename). Returns the tensor count and bytes written. */
export function writeGguf(file: string, src: GgufSource, o: GgufExportOptions = {}): { tensors: number; bytes: number } {
  const type = o.type ?? 'f32';
  if (!(type in GGML_TYPE)) throw new CheckpointError(file, `unknown GGUF type '${type}' (f32, f16, bf16, q8_0)`);
  const c = src.config;
  const arch = src.family;
  const meta: [string, MetaValue][] = [
    ['general.architecture', str(arch)],
    ['general.name', str(o.name ?? 'posttrain model')],
    ['general.alignment', u32(ALIGNMENT)],
    ['general.file_type', u32(FILE_TYPE[type])],
    [`${arch}.context_length`, u32(c.contextLength)],
    [`${arch}.embedding_length`, u32(c.hidden)],
    [`${arch}.block_count`, u32(c.layers)],
    [`${arch}.feed_forward_length`, u32(c.intermediate)],
    [`${arch}.attention.head_count`, u32(c.heads)],
    [`${arch}.attention.head_count_kv`, u32(c.kvHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(c.rmsEps)],
    [`${arch}.rope.freq_base`, f32(c.ropeTheta)],
    [`${arch}.rope.dimension_count`, u32(c.headDim)],
    [`${arch}.attention.key_length`, u32(c.headDim)],
    [`${arch}.attention.value_length`, u32(c.headDim)],
    [`${arch}.vocab_size`, u32(c.vocabSize)],
    ...tokenizerMetadata(src, o),
  ];
  // tensors: llama.cpp's names, in its converter's order
  const named: [string, Tensor, boolean][] = []; // name, tensor, permute (llama q/k)
  const w = (k: string) => src.weights.get(k);
  const need = (k: string) => {
    const t = w(k);
    if (!t) throw new CheckpointError(file, `the model has no weight '${k}'`);
    return t;
  };
  named.push(['token_embd.weight', need('model.embed_tokens.weight'), false]);
  for (let i = 0; i < c.layers; i++)
    for (const [hf, gg] of LAYER_NAMES) {
      const t = w(`model.layers.${i}.${hf}`);
      if (t) named.push([`blk.${i}.${gg}`, t, arch === 'llama' && (gg === 'attn_q.weight' || gg === 'attn_k.weight')]);
    }
  named.push(['output_norm.weight', need('model.norm.weight'), false]);
  if (!c.tieEmbeddings) named.push(['output.weight', need('lm_head.weight'), false]);

  const datas: { name: string; dims: number[]; type: GgufType; bytes: Buffer }[] = named.map(([name, t, permute]) => {
    const heads = name.endsWith('attn_q.weight') ? c.heads : c.kvHeads;
    const src2 = permute ? permuteRotary(t, heads) : t;
    const { bytes, type: written } = tensorBytes(src2, type);
    if (permute) src2.dispose();
    return { name, dims: [...t.shape].reverse(), type: written, bytes };
  });
  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'ascii'));
  head.u32(3);
  head.u64(datas.length);
  head.u64(meta.length);
  for (const [k, v] of meta) {
    head.str(k);
    head.value(v);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const d of datas) {
    head.str(d.name);
    head.u32(d.dims.length);
    for (const n of d.dims) head.u64(n);
    head.u32(GGML_TYPE[d.type]);
    head.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(d.bytes.length / ALIGNMENT) * ALIGNMENT;
  }
  const header = head.concat();
  const pad = (n: number) => Buffer.alloc((ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  try {
    const put = (b: Buffer) => {
      writeSync(fd, b);
      written += b.length;
    };
    put(header);
    put(pad(header.length));
    for (const d of datas) {
      put(d.bytes);
      put(pad(d.bytes.length));
    }
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return { tensors: datas.length, bytes: written };
}

/** Reads a model folder's tokenizer files for writeGguf. */
export function readTokenizerFiles(dir: string): { tokenizer: Record<string, unknown>; tokenizerConfig: Record<string, unknown> } {
  const tj = join(dir, 'tokenizer.json'),
    tc = join(dir, 'tokenizer_config.json');
  if (!existsSync(tj)) throw new CheckpointError(tj, 'missing: GGUF export writes the tokenizer into the file');
  return {
    tokenizer: JSON.parse(readFileSync(tj, 'utf8')) as Record<string, unknown>,
    tokenizerConfig: existsSync(tc) ? (JSON.parse(readFileSync(tc, 'utf8')) as Record<string, unknown>) : {},
  };
}
