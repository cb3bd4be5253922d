// The engine-level twin of ../shared/bench/pytorch_llama_ref.py: the same Hugging Face
// Llama-semantics decoder written with posttrain's tensor ops (no model classes yet), trained with
// AdamW on random tokens and sampled greedily with a growing KV cache, so the two engines do the
// same work and can be compared as a ratio.
import * as pt from '../src/tensor/index.js';
import { AdamW } from '../src/optim/index.js';

export interface LlamaConfig {
  vocab_size: number; hidden_size: number; num_attention_heads: number; num_key_value_heads: number;
  num_hidden_layers: number; intermediate_size: number; rms_norm_eps: number; rope_theta: number;
}
export const DEFAULT_CONFIG: LlamaConfig = {
  vocab_size: 1024, hidden_size: 256, num_attention_heads: 4, num_key_value_heads: 2,
  num_hidden_layers: 4, intermediate_size: 688, rms_norm_eps: 1e-6, rope_theta: 10000,
};

interface Layer { q: pt.Tensor; k: pt.Tensor; v: pt.Tensor; o: pt.Tensor; gate: pt.Tensor; up: pt.Tensor; down: pt.Tensor; ln1: pt.Tensor; ln2: pt.Tensor }
interface Model { c: LlamaConfig; embed: pt.Tensor; layers: Layer[]; norm: pt.Tensor; invFreq: pt.Tensor }

function initModel(c: LlamaConfig, gen: pt.Generator): Model {
  const d = c.hidden_size, hd = d / c.num_attention_heads;
  const lin = (o: number, i: number) => pt.uniform_(pt.empty([o, i]), -1 / Math.sqrt(i), 1 / Math.sqrt(i), gen).requiresGrad_().keep();
  const layers: Layer[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    layers.push({
      q: lin(d, d), k: lin(c.num_key_value_heads * hd, d), v: lin(c.num_key_value_heads * hd, d), o: lin(d, d),
      gate: lin(c.intermediate_size, d), up: lin(c.intermediate_size, d), down: lin(d, c.intermediate_size),
      ln1: pt.ones([d]).requiresGrad_().keep(), ln2: pt.ones([d]).requiresGrad_().keep(),
    });
  }
  const invFreq = pt.scope(() => pt.arange(0, hd, 2, { dtype: 'float32' }).div(hd).rpow(c.rope_theta).reciprocal()).keep();
  return { c, embed: pt.randn([c.vocab_size, d], { generator: gen }).requiresGrad_().keep(), layers, norm: pt.ones([d]).requiresGrad_().keep(), invFreq };
}

function params(m: Model): pt.Tensor[] {
  return [m.embed, m.norm, ...m.layers.flatMap((l) => [l.q, l.k, l.v, l.o, l.gate, l.up, l.down, l.ln1, l.ln2])];
}

function rotateHalf(x: pt.Tensor): pt.Tensor {
  const h = x.size(-1) / 2;
  return pt.cat([x.slice(-1, h).neg(), x.slice(-1, 0, h)], -1);
}

type Cache = ({ k: pt.Tensor; v: pt.Tensor } | undefined)[];

/** ids (B, T) → logits (B, T, V). With a cache, keys/values of earlier positions are reused and kept. */
function forward(m: Model, ids: pt.Tensor, cache: Cache | null, start: number): pt.Tensor {
  const c = m.c;
  const [B, T] = ids.shape as [number, number];
  const h = c.num_attention_heads, kv = c.num_key_value_heads, hd = c.hidden_size / h;
  const f = pt.arange(start, start + T, 1, { dtype: 'float32' }).outer(m.invFreq);        // (T, hd/2)
  const emb = pt.cat([f, f], -1);                                                         // (T, hd)
  const cos = emb.cos().view(1, 1, T, hd), sin = emb.sin().view(1, 1, T, hd);
  let x = pt.embedding(m.embed, ids);                                                     // (B, T, D)
  m.layers.forEach((L, i) => {
    let y = pt.rmsNorm(x, L.ln1, c.rms_norm_eps);
    let q = pt.linear(y, L.q).view(B, T, h, hd).transpose(1, 2);                          // (B, h, T, hd)
    let k = pt.linear(y, L.k).view(B, T, kv, hd).transpose(1, 2);                         // (B, kv, T, hd)
    let v = pt.linear(y, L.v).view(B, T, kv, hd).transpose(1, 2);
    q = q.mul(cos).add(rotateHalf(q).mul(sin));
    k = k.mul(cos).add(rotateHalf(k).mul(sin));
    if (cache) {
      const prev = cache[i];
      if (prev) { k = pt.cat([prev.k, k], 2); v = pt.cat([prev.v, v], 2); prev.k.dispose(); prev.v.dispose(); }
      cache[i] = { k: k.keep(), v: v.keep() };                                             // (B, kv, S, hd)
    }
    const a = pt.scaledDotProductAttention(q, k, v, { causal: true });                     // (B, h, T, hd)
    x = x.add(pt.linear(a.transpose(1, 2).reshape(B, T, h * hd), L.o));
    y = pt.rmsNorm(x, L.ln2, c.rms_norm_eps);
    x = x.add(pt.linear(pt.linear(y, L.gate).silu().mul(pt.linear(y, L.up)), L.down));
  });
  return pt.rmsNorm(x, m.norm, c.rms_norm_eps).matmul(m.embed.t());                        // (B, T, V)
}

export interface LlamaBench { params: number; train_tokens_per_s: number; sample_tokens_per_s: number; peak_rss_mib: number }

export function runLlamaBench(o: { config?: Partial<LlamaConfig>; batch?: number; seq?: number; steps?: number;
  genBatch?: number; prompt?: number; newTokens?: number } = {}): LlamaBench {
  const c = { ...DEFAULT_CONFIG, ...o.config };
  const batch = o.batch ?? 8, seq = o.seq ?? 256, steps = o.steps ?? 5;
  const genBatch = o.genBatch ?? 16, prompt = o.prompt ?? 32, newTokens = o.newTokens ?? 96;
  const gen = new pt.Generator(0);
  const m = initModel(c, gen);
  const ps = params(m);
  const opt = new AdamW(ps, { lr: 1e-3 });
  const ids = pt.randint(0, c.vocab_size, [batch, seq + 1], { generator: gen }).keep();
  const step = () => pt.scope(() => {
    const logits = forward(m, ids.slice(1, 0, -1), null, 0);
    const loss = pt.crossEntropy(logits.reshape(-1, c.vocab_size), ids.slice(1, 1).reshape(-1));
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
  for (let i = 0; i < 2; i++) step();
  let t = performance.now();
  for (let i = 0; i < steps; i++) step();
  const trainTps = (batch * seq * steps) / ((performance.now() - t) / 1000);

  const promptIds = pt.randint(0, c.vocab_size, [genBatch, prompt], { generator: gen }).keep();
  t = performance.now();
  pt.noGrad(() => {
    const cache: Cache = [];
    let next = pt.scope(() => forward(m, promptIds, cache, 0).select(1, -1).argmax(-1, true)).keep();   // (B, 1)
    for (let s = 0; s < newTokens - 1; s++) {
      const n = pt.scope(() => forward(m, next, cache, prompt + s).select(1, -1).argmax(-1, true)).keep();
      next.dispose();
      next = n;
    }
    next.dispose();
    for (const e of cache) { e?.k.dispose(); e?.v.dispose(); }
  });
  const genTps = (genBatch * newTokens) / ((performance.now() - t) / 1000);
  const nParams = ps.reduce((a, p) => a + p.numel, 0);
  opt.dispose();
  for (const p of [...ps, m.invFreq, ids, promptIds]) p.dispose();
  return { params: nParams, train_tokens_per_s: trainTps, sample_tokens_per_s: genTps, peak_rss_mib: process.resourceUsage().maxRSS / 1024 };
}
