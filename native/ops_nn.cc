// Neural-network ops: embedding, linear, norms, dropout, attention, losses; autograd controls;
// and the fused per-parameter kernels of the optimizers (AdamW, SGD) and gradient clipping, so an
// optimizer step is one native call per step rather than a dozen per parameter.
//
// Attention: libtorch 1.13 has no public scaled_dot_product_attention, so below 2.0 the math path
// is written out here (the same steps as PyTorch's math backend); from 2.0 on, libtorch's own
// kernel (flash / memory-efficient on CUDA) is used. Masks are boolean, true = may attend.
//
// linear for one row of float32 input on the CPU without autograd (batch-1 decoding) is a
// matrix-vector product bound by reading the weight: OpenBLAS's GEMV reaches ~13–16 GB/s on this
// project's machine with two threads, an AVX2/FMA dot-product loop ~23 GB/s with one, so that case
// takes the loop (when the CPU has AVX2 and FMA; at::linear otherwise), rows split across ATen's
// threads, and so does bfloat16 (whose CPU GEMV in libtorch 1.13 is slower than float32's). float32
// input with a bfloat16/float16 weight is weight-only half precision (llama.cpp's F16/BF16): half the
// bytes to read per token, activations in float32. Tested against the BLAS product.
#include "common.h"

#include <immintrin.h>

#include <torch/csrc/api/include/torch/version.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace pt {
namespace {

// y[r] = W[r, :] · x for rows [0, N): four 8-wide FMA accumulators per row, the tail scalar.
__attribute__((target("avx2,fma"))) void gemvAvx2(const float* W, const float* x, float* y, int64_t N, int64_t K) {
  for (int64_t r = 0; r < N; r++) {
    const float* w = W + r * K;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(x + k), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k + 8), _mm256_loadu_ps(x + k + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k + 16), _mm256_loadu_ps(x + k + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k + 24), _mm256_loadu_ps(x + k + 24), a3);
    }
    for (; k + 8 <= K; k += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(x + k), a0);
    alignas(32) float t[8];
    _mm256_store_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float acc = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    for (; k < K; k++) acc += w[k] * x[k];
    y[r] = acc;
  }
}

// The same over bfloat16 weights (half the bytes to read): each weight widened to float32 by a
// 16-bit shift, products and sums in float32.
__attribute__((target("avx2,fma"))) inline __m256 widen(const uint16_t* p) {  // 8 bfloat16 → 8 float32
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}

__attribute__((target("avx2,fma"))) void gemvBf16Avx2(const uint16_t* W, const float* x, float* y, int64_t N, int64_t K) {
  for (int64_t r = 0; r < N; r++) {
    const uint16_t* w = W + r * K;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
      a0 = _mm256_fmadd_ps(widen(w + k), _mm256_loadu_ps(x + k), a0);
      a1 = _mm256_fmadd_ps(widen(w + k + 8), _mm256_loadu_ps(x + k + 8), a1);
      a2 = _mm256_fmadd_ps(widen(w + k + 16), _mm256_loadu_ps(x + k + 16), a2);
      a3 = _mm256_fmadd_ps(widen(w + k + 24), _mm256_loadu_ps(x + k + 24), a3);
    }
    for (; k + 8 <= K; k += 8) a0 = _mm256_fmadd_ps(widen(w + k), _mm256_loadu_ps(x + k), a0);
    alignas(32) float t[8];
    _mm256_store_ps(t, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float acc = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    for (; k < K; k++) {
      const uint32_t bits = static_cast<uint32_t>(w[k]) << 16;
      float wf;
      std::memcpy(&wf, &bits, 4);
      acc += wf * x[k];
    }
    y[r] = acc;
  }
}

bool hasAvx2Fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

// linear's batch-1 fast path: one input row, CPU, contiguous weight, nothing to differentiate;
// float32 or bfloat16 input with a weight of its dtype, or float32 input with a bfloat16 weight
// (weight-only half precision). bfloat16 weights accumulate in float32; a bfloat16 result is rounded once.
c10::optional<at::Tensor> gemvLinear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  const auto dt = x.scalar_type(), wt = w.scalar_type();
  const bool dtypesOk = (dt == at::kFloat && (wt == at::kFloat || wt == at::kBFloat16)) || (dt == at::kBFloat16 && wt == at::kBFloat16);
  if (!hasAvx2Fma() || !x.device().is_cpu() || !w.device().is_cpu() || !dtypesOk) return c10::nullopt;
  if (w.dim() != 2 || !w.is_contiguous() || x.dim() < 1 || x.size(-1) != w.size(1) || x.numel() != w.size(1)) return c10::nullopt;
  if (at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b && b->requires_grad()))) return c10::nullopt;
  if (b && (!b->device().is_cpu() || b->dim() != 1 || b->size(0) != w.size(0))) return c10::nullopt;
  const at::Tensor xf = x.to(at::kFloat).contiguous();
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = w.size(0);
  at::Tensor y = at::empty(shape, x.options().dtype(at::kFloat));
  const int64_t N = w.size(0), K = w.size(1);
  const float* xp = xf.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  // rows split across ATen's threads, at least 256K weights per chunk (a thread hand-off costs ~10 µs)
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(K, 1));
  if (wt == at::kFloat) {
    const float* wp = w.data_ptr<float>();
    at::parallel_for(0, N, grain, [&](int64_t r0, int64_t r1) { gemvAvx2(wp + r0 * K, xp, yp + r0, r1 - r0, K); });
  } else {
    const uint16_t* wp = reinterpret_cast<const uint16_t*>(w.data_ptr<at::BFloat16>());
    at::parallel_for(0, N, grain, [&](int64_t r0, int64_t r1) { gemvBf16Avx2(wp + r0 * K, xp, yp + r0, r1 - r0, K); });
  }
  if (b) y.add_(b->to(at::kFloat));
  return dt == at::kFloat ? y : y.to(dt);
}

// linear with a half-precision weight (and bias) under float32 input: weight-only half precision,
// as llama.cpp runs F16/BF16 files. Beyond the batch-1 loop, the weight is widened for the product
// (differentiably). Other dtype mixes are left to at::linear, which refuses them.
at::Tensor linearOp(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  if (auto fast = gemvLinear(x, w, b)) return *fast;
  const bool weightOnlyHalf = x.scalar_type() == at::kFloat && (w.scalar_type() == at::kBFloat16 || w.scalar_type() == at::kHalf);
  if (!weightOnlyHalf) return at::linear(x, w, b);
  c10::optional<at::Tensor> bf;
  if (b) bf = b->to(at::kFloat);
  return at::linear(x, w.to(at::kFloat), bf);
}

int64_t reductionCode(Ctx& c, size_t i) {
  if (!c.has(i)) return 1;
  std::string r = c.str(i);
  if (r == "none") return 0;
  if (r == "mean") return 1;
  if (r == "sum") return 2;
  c.argFail(i, "reduction must be 'none', 'mean' or 'sum', got '" + r + "'");
}

// (..., H, T, D) x (..., Hkv, S, D) x (..., Hkv, S, Dv) → (..., H, T, Dv)
at::Tensor attention(Ctx& c, at::Tensor q, at::Tensor k, at::Tensor v, const c10::optional<at::Tensor>& mask,
                     bool causal, double dropoutP, c10::optional<double> scale) {
  if (q.dim() < 3 || k.dim() != q.dim() || v.dim() != q.dim())
    c.fail("shape", "query, key and value must have the same rank >= 3, laid out (..., heads, seq, head_dim)");
  int64_t H = q.size(-3), Hkv = k.size(-3);
  if (v.size(-3) != Hkv) c.fail("shape", "key and value must have the same number of heads");
  if (Hkv == 0 || H % Hkv != 0) c.fail("shape", "query heads (" + std::to_string(H) + ") must be a multiple of key/value heads (" + std::to_string(Hkv) + ")");
  int64_t G = H / Hkv;  // query heads per key/value head (grouped-query attention)
  int64_t T = q.size(-2), S = k.size(-2), D = q.size(-1);
  at::Tensor allowed;  // bool, broadcastable to (..., T, S)
  // Causal, bottom-right aligned (KV cache). One query row sees every key: no mask needed.
  if (causal && T > 1) allowed = at::ones({T, S}, q.options().dtype(at::kBool)).tril(S - T);
  if (mask) {
    if (mask->scalar_type() != at::kBool) c.fail("dtype", "attention mask must be bool (true = attend), got " + describe(*mask));
    allowed = allowed.defined() ? at::logical_and(allowed, *mask) : *mask;
  }
  at::Tensor rowHasKey;  // (..., T, 1): rows with no key allowed (padding, or T > S causal) give zeros, not NaN
  if (allowed.defined() && (mask || T > S)) {
    rowHasKey = allowed.any(-1, true);
    allowed = at::logical_or(allowed, rowHasKey.logical_not());
  }
  double sc = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(D));
#if TORCH_VERSION_MAJOR >= 2
  if (G > 1) {
    k = k.repeat_interleave(G, -3);
    v = v.repeat_interleave(G, -3);
  }
  at::Tensor out = at::scaled_dot_product_attention(q, k, v, allowed.defined() ? c10::optional<at::Tensor>(allowed) : c10::nullopt,
                                                    dropoutP, false, sc);
#else
  // Grouped-query attention without copying keys and values G times: the G query heads that share
  // a key/value head become G·T rows against it (heads are grouped consecutively, as repeat_interleave
  // would pair them). A mask with its own per-head dimension falls back to repeating K and V.
  bool grouped = G > 1 && (!allowed.defined() || allowed.dim() < 3 || allowed.size(-3) == 1);
  if (G > 1 && !grouped) {
    k = k.repeat_interleave(G, -3);
    v = v.repeat_interleave(G, -3);
  }
  std::vector<int64_t> lead(q.sizes().begin(), q.sizes().end() - 3);
  auto shapeWith = [&](std::initializer_list<int64_t> tail) {
    std::vector<int64_t> s = lead;
    s.insert(s.end(), tail);
    return s;
  };
  at::Tensor qq = grouped ? q.reshape(shapeWith({Hkv, G * T, D})) : q;                // (..., Hkv, G·T, D) or (..., H, T, D)
  at::Tensor scores = at::matmul(qq, k.transpose(-2, -1)).mul(sc);                    // (..., Hkv, G·T, S) or (..., H, T, S)
  if (allowed.defined()) {
    at::Tensor blocked = allowed.logical_not();
    if (grouped) {  // row g·T + t of a group uses the mask row t
      std::vector<int64_t> reps(blocked.dim(), 1);
      reps[blocked.dim() - 2] = G;
      blocked = blocked.repeat(reps);                                                  // (..., G·T, S)
    }
    scores = scores.masked_fill(blocked, -std::numeric_limits<double>::infinity());
  }
  at::Tensor probs = at::softmax(scores, -1);
  if (dropoutP > 0) probs = at::dropout(probs, dropoutP, true);
  at::Tensor out = at::matmul(probs, v);                                              // (..., Hkv, G·T, Dv)
  if (grouped) out = out.reshape(shapeWith({H, T, v.size(-1)}));                      // (..., H, T, Dv)
#endif
  if (rowHasKey.defined()) out = out.masked_fill(rowHasKey.logical_not(), 0);
  return out;
}

const std::vector<OpDef> kOps = {
    // ---------------------------------------------------------------- layers
    {"embedding", [](Ctx& c) -> Napi::Value {  // (weight (V, D), ids (...), paddingIdx) → (..., D)
       at::Tensor& w = c.t(0);
       at::Tensor& ids = c.t(1);
       return c.wrap(at::embedding(w, ids, c.i64(2, -1)));
     }},
    {"linear", [](Ctx& c) -> Napi::Value {  // (x (..., in), w (out, in), b? (out)) → (..., out)
       at::Tensor& x = c.t(0);
       at::Tensor& w = c.t(1);
       c10::optional<at::Tensor> b = c.optT(2);
       return c.wrap(linearOp(x, w, b));
     }},
    {"layerNorm", [](Ctx& c) -> Napi::Value {  // (x, normalizedShape, w?, b?, eps)
       at::Tensor& x = c.t(0);
       std::vector<int64_t> shape = c.ints(1);
       auto w = c.optT(2);
       auto b = c.optT(3);
       return c.wrap(at::layer_norm(x, shape, w, b, c.f64(4, 1e-5), false));
     }},
    {"rmsNorm", [](Ctx& c) -> Napi::Value {  // (x (..., D), w? (D), eps): HF Llama semantics, statistics in float32
       at::Tensor& x = c.t(0);
       auto w = c.optT(1);
       double eps = c.f64(2, 1e-6);
       at::ScalarType in = x.scalar_type();
       at::Tensor xf = (in == at::kHalf || in == at::kBFloat16) ? x.to(at::kFloat) : x;
       at::Tensor y = xf.mul(at::rsqrt(xf.pow(2).mean(-1, true).add(eps))).to(in);
       return c.wrap(w ? y.mul(*w) : y);
     }},
    {"dropout", [](Ctx& c) -> Napi::Value {  // (x, p, train)
       at::Tensor& x = c.t(0);
       double p = c.f64(1);
       if (p < 0 || p > 1) c.argFail(1, "dropout probability must be in [0, 1], got " + std::to_string(p));
       return c.wrap(at::dropout(x, p, c.b(2, true)));
     }},
    {"sdpa", [](Ctx& c) -> Napi::Value {  // (q, k, v, mask?, causal, dropoutP, scale?)
       at::Tensor& q = c.t(0);
       at::Tensor& k = c.t(1);
       at::Tensor& v = c.t(2);
       auto mask = c.optT(3);
       double p = c.f64(5, 0.0);
       if (p < 0 || p >= 1) c.argFail(5, "dropout probability must be in [0, 1)");
       return c.wrap(attention(c, q, k, v, mask, c.b(4, false), p, c.optF64(6)));
     }},
    {"oneHot", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::one_hot(x, c.i64(1, -1))); }},

    // ---------------------------------------------------------------- losses
    {"crossEntropy", [](Ctx& c) -> Napi::Value {  // (logits (N, C), target (N), weight?, reduction, ignoreIndex, labelSmoothing)
       at::Tensor& logits = c.t(0);
       at::Tensor& target = c.t(1);
       auto w = c.optT(2);
       int64_t red = reductionCode(c, 3);
       double ls = c.f64(5, 0.0);
       if (ls < 0 || ls > 1) c.argFail(5, "label smoothing must be in [0, 1]");
       return c.wrap(at::cross_entropy_loss(logits, target, w, red, c.i64(4, -100), ls));
     }},
    {"klDiv", [](Ctx& c) -> Napi::Value {  // (input log-probs, target, reduction, logTarget)
       at::Tensor& input = c.t(0);
       at::Tensor& target = c.t(1);
       return c.wrap(at::kl_div(input, target, reductionCode(c, 2), c.b(3, false)));
     }},
    {"mseLoss", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); at::Tensor& b = c.t(1); return c.wrap(at::mse_loss(a, b, reductionCode(c, 2))); }},

    // ---------------------------------------------------------------- autograd
    {"requiresGrad", [](Ctx& c) -> Napi::Value { return Napi::Boolean::New(c.env, c.t(0).requires_grad()); }},
    {"setRequiresGrad", [](Ctx& c) -> Napi::Value { at::Tensor& t = c.t(0); t.requires_grad_(c.b(1, true)); return c.info[0]; }},
    {"isLeaf", [](Ctx& c) -> Napi::Value { return Napi::Boolean::New(c.env, c.t(0).is_leaf()); }},
    {"grad", [](Ctx& c) -> Napi::Value { return c.wrapOpt(c.t(0).grad()); }},
    {"setGrad", [](Ctx& c) -> Napi::Value {  // (t, grad | null)
       at::Tensor& t = c.t(0);
       if (c.has(1)) {
         at::Tensor& g = c.t(1);
         if (!g.sizes().equals(t.sizes())) c.fail("shape", "gradient shape must match the tensor's");
         t.mutable_grad() = g;
       } else {
         t.mutable_grad() = at::Tensor();
       }
       return c.env.Undefined();
     }},
    {"retainGrad", [](Ctx& c) -> Napi::Value { c.t(0).retain_grad(); return c.env.Undefined(); }},
    {"backward", [](Ctx& c) -> Napi::Value {  // (t, grad?, retainGraph, createGraph)
       at::Tensor& t = c.t(0);
       auto g = c.optT(1);
       if (!t.requires_grad()) c.fail("autograd", "backward() on a tensor that does not require grad (no parameter it depends on has requiresGrad)");
       if (g && !g->sizes().equals(t.sizes()))
         c.fail("shape", "the gradient given to backward() must have the output's shape: got " + describe(*g) + " for " + describe(t));
       t.backward(g ? *g : at::Tensor(), c.b(2, false), c.b(3, false));
       return c.env.Undefined();
     }},
    {"detach", [](Ctx& c) -> Napi::Value { return c.wrap(c.t(0).detach()); }},
    {"gradEnabled", [](Ctx& c) -> Napi::Value { return Napi::Boolean::New(c.env, c10::GradMode::is_enabled()); }},
    {"setGradEnabled", [](Ctx& c) -> Napi::Value {  // returns the previous mode
       bool prev = c10::GradMode::is_enabled();
       c10::GradMode::set_enabled(c.b(0, true));
       return Napi::Boolean::New(c.env, prev);
     }},
    {"zeroGrad", [](Ctx& c) -> Napi::Value {  // (params, setToNone)
       bool none = c.b(1, true);
       for (at::Tensor& p : c.tensors(0)) {
         at::Tensor& g = p.mutable_grad();
         if (!g.defined()) continue;
         if (none) g = at::Tensor(); else { g = g.detach(); g.zero_(); }
       }
       return c.env.Undefined();
     }},
    {"clipGradNorm", [](Ctx& c) -> Napi::Value {  // (params, maxNorm, normType, errorIfNonfinite) → total norm before clipping
       auto params = c.tensors(0);
       double maxNorm = c.f64(1);
       double normType = c.f64(2, 2.0);
       at::NoGradGuard ng;
       std::vector<at::Tensor> norms;
       std::vector<at::Tensor> grads;
       for (auto& p : params) {
         const at::Tensor& g = p.grad();
         if (!g.defined()) continue;
         grads.push_back(g);
         at::ScalarType acc = g.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;  // half grads: norm in float32
         at::Tensor n = std::isinf(normType) ? g.abs().max().to(acc) : at::linalg_vector_norm(g.to(acc), normType);
         norms.push_back(n.to(at::kDouble));
       }
       if (grads.empty()) return Napi::Number::New(c.env, 0.0);
       at::Tensor stacked = at::stack(norms);
       double total = (std::isinf(normType) ? stacked.max() : at::linalg_vector_norm(stacked, normType)).item<double>();
       if (c.b(3, false) && !std::isfinite(total)) c.fail("value", "the total norm of gradients is non-finite (" + std::to_string(total) + ")");
       double coef = maxNorm / (total + 1e-6);
       if (coef < 1.0) for (auto& g : grads) g.mul_(coef);
       return Napi::Number::New(c.env, total);
     }},

    // ---------------------------------------------------------------- optimizer kernels
    // adamwStep(params, expAvg, expAvgSq, steps (numbers, already incremented), lr, beta1, beta2, eps, weightDecay, maximize)
    // → array of booleans: which parameters had a gradient and were updated. torch.optim.AdamW semantics.
    {"adamwStep", [](Ctx& c) -> Napi::Value {
       auto params = c.tensors(0);
       auto m = c.tensors(1);
       auto v = c.tensors(2);
       std::vector<int64_t> steps = c.ints(3);
       double lr = c.f64(4), b1 = c.f64(5), b2 = c.f64(6), eps = c.f64(7), wd = c.f64(8);
       bool maximize = c.b(9, false);
       if (m.size() != params.size() || v.size() != params.size() || steps.size() != params.size())
         c.fail("argument", "adamwStep: params, state and steps must have the same length");
       at::NoGradGuard ng;
       Napi::Array updated = Napi::Array::New(c.env, params.size());
       for (size_t i = 0; i < params.size(); i++) {
         at::Tensor& p = params[i];
         at::Tensor g = p.grad();
         updated.Set(i, g.defined());
         if (!g.defined()) continue;
         if (maximize) g = g.neg();
         if (wd != 0) p.mul_(1 - lr * wd);
         m[i].lerp_(g, 1 - b1);                                   // m = b1 m + (1 - b1) g
         v[i].mul_(b2).addcmul_(g, g, 1 - b2);                    // v = b2 v + (1 - b2) g²
         double bc1 = 1 - std::pow(b1, static_cast<double>(steps[i]));
         double bc2 = 1 - std::pow(b2, static_cast<double>(steps[i]));
         at::Tensor denom = v[i].sqrt().div_(std::sqrt(bc2)).add_(eps);
         p.addcdiv_(m[i], denom, -lr / bc1);
       }
       return updated;
     }},
    // sgdStep(params, buffers (Tensor | null), lr, momentum, dampening, weightDecay, nesterov, maximize)
    // → per parameter: a new momentum buffer (first step), null (updated in place or no momentum), or false (no grad).
    {"sgdStep", [](Ctx& c) -> Napi::Value {
       auto params = c.tensors(0);
       auto bufs = c.optTensors(1);
       double lr = c.f64(2), momentum = c.f64(3, 0), dampening = c.f64(4, 0), wd = c.f64(5, 0);
       bool nesterov = c.b(6, false), maximize = c.b(7, false);
       if (bufs.size() != params.size()) c.fail("argument", "sgdStep: params and buffers must have the same length");
       at::NoGradGuard ng;
       Napi::Array out = Napi::Array::New(c.env, params.size());
       for (size_t i = 0; i < params.size(); i++) {
         at::Tensor& p = params[i];
         at::Tensor g = p.grad();
         if (!g.defined()) { out.Set(i, false); continue; }
         if (maximize) g = g.neg();
         if (wd != 0) g = g.add(p, wd);
         Napi::Value result = c.env.Null();
         if (momentum != 0) {
           at::Tensor buf;
           if (!bufs[i]) {
             buf = g.clone();
             result = c.wrap(buf);
           } else {
             buf = *bufs[i];
             buf.mul_(momentum).add_(g, 1 - dampening);
           }
           g = nesterov ? g.add(buf, momentum) : buf;
         }
         p.add_(g, -lr);
         out.Set(i, result);
       }
       return out;
     }},
};

}  // namespace

const std::vector<OpDef>& nnOps() { return kOps; }

}  // namespace pt
