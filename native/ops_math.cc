// Math ops: tensor creation (constant and random), pointwise math with broadcasting and scalars,
// comparisons and logic, reductions, matrix products, softmax, and the in-place ops that
// initialisers and optimizers need. Each entry reads its arguments in the order the TypeScript
// layer passes them (src/tensor/tensor.ts and src/tensor/create.ts), and knows nothing else.
#include "common.h"

namespace pt {
namespace {

template <typename FT, typename FS>
Napi::Value binary(Ctx& c, FT ft, FS fs) {
  at::Tensor& a = c.t(0);
  if (c.isTensor(1)) return c.wrap(ft(a, c.t(1)));
  return c.wrap(fs(a, c.scalar(1)));
}

// dims argument: null/undefined → all dims (empty optional), number or array otherwise.
c10::optional<std::vector<int64_t>> optDims(Ctx& c, size_t i) {
  if (!c.has(i)) return c10::nullopt;
  return c.ints(i);
}

at::OptionalIntArrayRef asRef(const c10::optional<std::vector<int64_t>>& v) {
  if (!v) return c10::nullopt;
  return at::IntArrayRef(*v);
}

#define UNARY(NAME, EXPR) {NAME, [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(EXPR); }}

const std::vector<OpDef> kOps = {
    // ---------------------------------------------------------------- creation
    {"zeros", [](Ctx& c) -> Napi::Value { return c.wrap(at::zeros(c.ints(0), c.options(1, 2, at::kFloat))); }},
    {"ones", [](Ctx& c) -> Napi::Value { return c.wrap(at::ones(c.ints(0), c.options(1, 2, at::kFloat))); }},
    {"empty", [](Ctx& c) -> Napi::Value { return c.wrap(at::empty(c.ints(0), c.options(1, 2, at::kFloat))); }},
    {"full", [](Ctx& c) -> Napi::Value { return c.wrap(at::full(c.ints(0), c.scalar(1), c.options(2, 3, at::kFloat))); }},
    {"arange", [](Ctx& c) -> Napi::Value {
       at::ScalarType dflt = (c.scalar(0).isIntegral(false) && c.scalar(1).isIntegral(false) && c.scalar(2).isIntegral(false)) ? at::kLong : at::kFloat;
       return c.wrap(at::arange(c.scalar(0), c.scalar(1), c.scalar(2), c.options(3, 4, dflt)));
     }},
    {"linspace", [](Ctx& c) -> Napi::Value {
       int64_t steps = c.i64(2);
       if (steps < 0) c.argFail(2, "steps must be >= 0");
       return c.wrap(at::linspace(c.scalar(0), c.scalar(1), steps, c.options(3, 4, at::kFloat)));
     }},
    {"eye", [](Ctx& c) -> Napi::Value { return c.wrap(at::eye(c.i64(0), c.i64(1), c.options(2, 3, at::kFloat))); }},
    {"zerosLike", [](Ctx& c) -> Napi::Value { return c.wrap(at::zeros_like(c.t(0), c.optDtype(1) ? at::TensorOptions().dtype(*c.optDtype(1)) : at::TensorOptions())); }},
    {"onesLike", [](Ctx& c) -> Napi::Value { return c.wrap(at::ones_like(c.t(0), c.optDtype(1) ? at::TensorOptions().dtype(*c.optDtype(1)) : at::TensorOptions())); }},
    {"fullLike", [](Ctx& c) -> Napi::Value { return c.wrap(at::full_like(c.t(0), c.scalar(1))); }},
    // random: (shape, dtype, device, generator)
    {"rand", [](Ctx& c) -> Napi::Value { return c.wrap(at::rand(c.ints(0), c.optGenerator(3), c.options(1, 2, at::kFloat))); }},
    {"randn", [](Ctx& c) -> Napi::Value { return c.wrap(at::randn(c.ints(0), c.optGenerator(3), c.options(1, 2, at::kFloat))); }},
    {"randint", [](Ctx& c) -> Napi::Value {  // (low, high, shape, dtype, device, generator)
       return c.wrap(at::randint(c.i64(0), c.i64(1), c.ints(2), c.optGenerator(5), c.options(3, 4, at::kLong)));
     }},
    {"randperm", [](Ctx& c) -> Napi::Value { return c.wrap(at::randperm(c.i64(0), c.optGenerator(3), c.options(1, 2, at::kLong))); }},
    {"multinomial", [](Ctx& c) -> Napi::Value {  // (probs, n, replacement, generator)
       return c.wrap(at::multinomial(c.t(0), c.i64(1), c.b(2, false), c.optGenerator(3)));
     }},
    {"bernoulli", [](Ctx& c) -> Napi::Value { return c.wrap(at::bernoulli(c.t(0), c.optGenerator(1))); }},
    {"normal_", [](Ctx& c) -> Napi::Value {  // (t, mean, std, generator) in place
       at::Tensor& t = c.t(0);
       at::NoGradGuard ng;
       t.normal_(c.f64(1, 0.0), c.f64(2, 1.0), c.optGenerator(3));
       return c.info[0];
     }},
    {"uniform_", [](Ctx& c) -> Napi::Value {  // (t, from, to, generator) in place
       at::Tensor& t = c.t(0);
       at::NoGradGuard ng;
       t.uniform_(c.f64(1, 0.0), c.f64(2, 1.0), c.optGenerator(3));
       return c.info[0];
     }},

    // ---------------------------------------------------------------- conversion
    {"to", [](Ctx& c) -> Napi::Value {  // (t, dtype?, device?, copy)
       at::Tensor& t = c.t(0);
       at::ScalarType st = c.has(1) ? c.dtype(1) : t.scalar_type();
       at::Device d = c.has(2) ? c.device(2) : t.device();
       return c.wrap(t.to(d, st, false, c.b(3, false)));
     }},
    UNARY("clone", x.clone()),
    {"allclose", [](Ctx& c) -> Napi::Value {
       return Napi::Boolean::New(c.env, at::allclose(c.t(0), c.t(1), c.f64(2, 1e-5), c.f64(3, 1e-8), c.b(4, false)));
     }},
    {"equal", [](Ctx& c) -> Napi::Value { return Napi::Boolean::New(c.env, at::equal(c.t(0), c.t(1))); }},

    // ---------------------------------------------------------------- pointwise, binary
    {"add", [](Ctx& c) -> Napi::Value {
       at::Scalar alpha = c.has(2) ? c.scalar(2) : at::Scalar(1);
       return binary(c, [&](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b, alpha); },
                     [&](const at::Tensor& a, const at::Scalar& b) { return at::add(a, b, alpha); });
     }},
    {"sub", [](Ctx& c) -> Napi::Value {
       at::Scalar alpha = c.has(2) ? c.scalar(2) : at::Scalar(1);
       return binary(c, [&](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b, alpha); },
                     [&](const at::Tensor& a, const at::Scalar& b) { return at::sub(a, b, alpha); });
     }},
    {"rsub", [](Ctx& c) -> Napi::Value {  // scalar - tensor
       at::Tensor& a = c.t(0);
       return c.wrap(at::rsub(a, c.scalar(1)));
     }},
    {"mul", [](Ctx& c) -> Napi::Value {
       return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); },
                     [](const at::Tensor& a, const at::Scalar& b) { return at::mul(a, b); });
     }},
    {"div", [](Ctx& c) -> Napi::Value {  // (a, b, roundingMode?: "trunc" | "floor")
       c10::optional<std::string> mode;
       if (c.has(2)) mode = c.str(2);
       c10::optional<c10::string_view> mv;
       if (mode) mv = c10::string_view(*mode);
       return binary(c, [&](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b, mv); },
                     [&](const at::Tensor& a, const at::Scalar& b) { return at::div(a, b, mv); });
     }},
    {"pow", [](Ctx& c) -> Napi::Value {
       return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::pow(a, b); },
                     [](const at::Tensor& a, const at::Scalar& b) { return at::pow(a, b); });
     }},
    {"rpow", [](Ctx& c) -> Napi::Value { at::Tensor& e = c.t(0); return c.wrap(at::pow(c.scalar(1), e)); }},  // scalar ** tensor
    {"remainder", [](Ctx& c) -> Napi::Value {
       return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::remainder(a, b); },
                     [](const at::Tensor& a, const at::Scalar& b) { return at::remainder(a, b); });
     }},
    {"maximum", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::maximum(a, c.t(1))); }},
    {"minimum", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::minimum(a, c.t(1))); }},
    {"clamp", [](Ctx& c) -> Napi::Value {  // (t, min?, max?) numbers or tensors
       at::Tensor out = c.t(0);
       if (!c.has(1) && !c.has(2)) c.fail("argument", "clamp needs min or max");
       if (c.has(1)) out = c.isTensor(1) ? at::clamp_min(out, c.t(1)) : at::clamp_min(out, c.scalar(1));
       if (c.has(2)) out = c.isTensor(2) ? at::clamp_max(out, c.t(2)) : at::clamp_max(out, c.scalar(2));
       return c.wrap(out);
     }},
    {"lerp", [](Ctx& c) -> Napi::Value {
       at::Tensor& a = c.t(0);
       at::Tensor& b = c.t(1);
       return c.wrap(c.isTensor(2) ? at::lerp(a, b, c.t(2)) : at::lerp(a, b, c.scalar(2)));
     }},

    // ---------------------------------------------------------------- pointwise, unary
    UNARY("neg", at::neg(x)),
    UNARY("abs", at::abs(x)),
    UNARY("exp", at::exp(x)),
    UNARY("expm1", at::expm1(x)),
    UNARY("log", at::log(x)),
    UNARY("log1p", at::log1p(x)),
    UNARY("log2", at::log2(x)),
    UNARY("sqrt", at::sqrt(x)),
    UNARY("rsqrt", at::rsqrt(x)),
    UNARY("square", at::square(x)),
    UNARY("reciprocal", at::reciprocal(x)),
    UNARY("sin", at::sin(x)),
    UNARY("cos", at::cos(x)),
    UNARY("tanh", at::tanh(x)),
    UNARY("sigmoid", at::sigmoid(x)),
    UNARY("logSigmoid", at::log_sigmoid(x)),
    UNARY("silu", at::silu(x)),
    UNARY("relu", at::relu(x)),
    UNARY("erf", at::erf(x)),
    UNARY("sign", at::sign(x)),
    UNARY("floor", at::floor(x)),
    UNARY("ceil", at::ceil(x)),
    UNARY("round", at::round(x)),
    UNARY("trunc", at::trunc(x)),
    {"gelu", [](Ctx& c) -> Napi::Value {  // (t, approximate: "none" | "tanh")
       at::Tensor& x = c.t(0);
       std::string approx = c.has(1) ? c.str(1) : "none";
       return c.wrap(at::gelu(x, approx));
     }},
    {"softplus", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::softplus(x, c.f64(1, 1.0), c.f64(2, 20.0))); }},
    {"nanToNum", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::nan_to_num(x, c.optF64(1), c.optF64(2), c.optF64(3))); }},

    // ---------------------------------------------------------------- comparisons and logic
    {"eq", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::eq(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::eq(a, b); }); }},
    {"ne", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::ne(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::ne(a, b); }); }},
    {"lt", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::lt(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::lt(a, b); }); }},
    {"le", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::le(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::le(a, b); }); }},
    {"gt", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::gt(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::gt(a, b); }); }},
    {"ge", [](Ctx& c) -> Napi::Value { return binary(c, [](const at::Tensor& a, const at::Tensor& b) { return at::ge(a, b); }, [](const at::Tensor& a, const at::Scalar& b) { return at::ge(a, b); }); }},
    {"logicalAnd", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::logical_and(a, c.t(1))); }},
    {"logicalOr", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::logical_or(a, c.t(1))); }},
    {"logicalXor", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::logical_xor(a, c.t(1))); }},
    UNARY("logicalNot", at::logical_not(x)),
    UNARY("isfinite", at::isfinite(x)),
    UNARY("isnan", at::isnan(x)),
    UNARY("isinf", at::isinf(x)),

    // ---------------------------------------------------------------- reductions
    {"sum", [](Ctx& c) -> Napi::Value {  // (t, dims?, keepdim, dtype?)
       at::Tensor& x = c.t(0);
       auto dims = optDims(c, 1);
       if (!dims) return c.wrap(at::sum(x, c.optDtype(3)));
       return c.wrap(at::sum(x, *dims, c.b(2, false), c.optDtype(3)));
     }},
    {"mean", [](Ctx& c) -> Napi::Value {
       at::Tensor& x = c.t(0);
       auto dims = optDims(c, 1);
       if (!dims) return c.wrap(at::mean(x, c.optDtype(3)));
       return c.wrap(at::mean(x, *dims, c.b(2, false), c.optDtype(3)));
     }},
    {"prod", [](Ctx& c) -> Napi::Value {  // (t, dim?, keepdim)
       at::Tensor& x = c.t(0);
       if (!c.has(1)) return c.wrap(at::prod(x));
       return c.wrap(at::prod(x, c.i64(1), c.b(2, false)));
     }},
    {"var", [](Ctx& c) -> Napi::Value {  // (t, dims?, correction, keepdim)
       at::Tensor& x = c.t(0);
       auto dims = optDims(c, 1);
       return c.wrap(at::var(x, asRef(dims), c.optI64(2).value_or(1), c.b(3, false)));
     }},
    {"std", [](Ctx& c) -> Napi::Value {
       at::Tensor& x = c.t(0);
       auto dims = optDims(c, 1);
       return c.wrap(at::std(x, asRef(dims), c.optI64(2).value_or(1), c.b(3, false)));
     }},
    UNARY("maxAll", at::max(x)),
    UNARY("minAll", at::min(x)),
    {"maxDim", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrapPair(at::max(x, c.i64(1), c.b(2, false))); }},
    {"minDim", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrapPair(at::min(x, c.i64(1), c.b(2, false))); }},
    {"amax", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); auto d = optDims(c, 1); return c.wrap(at::amax(x, d ? at::IntArrayRef(*d) : at::IntArrayRef(), c.b(2, false))); }},
    {"amin", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); auto d = optDims(c, 1); return c.wrap(at::amin(x, d ? at::IntArrayRef(*d) : at::IntArrayRef(), c.b(2, false))); }},
    {"argmax", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::argmax(x, c.optI64(1), c.b(2, false))); }},
    {"argmin", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::argmin(x, c.optI64(1), c.b(2, false))); }},
    {"logsumexp", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::logsumexp(x, c.ints(1), c.b(2, false))); }},
    {"cumsum", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::cumsum(x, c.i64(1), c.optDtype(2))); }},
    {"cummax", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(std::get<0>(at::cummax(x, c.i64(1)))); }},
    {"cumprod", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::cumprod(x, c.i64(1), c.optDtype(2))); }},
    {"topk", [](Ctx& c) -> Napi::Value {  // (t, k, dim, largest, sorted)
       at::Tensor& x = c.t(0);
       return c.wrapPair(at::topk(x, c.i64(1), c.i64(2, -1), c.b(3, true), c.b(4, true)));
     }},
    {"sort", [](Ctx& c) -> Napi::Value {  // (t, dim, descending, stable)
       at::Tensor& x = c.t(0);
       return c.wrapPair(at::sort(x, c10::optional<bool>(c.b(3, false)), c.i64(1, -1), c.b(2, false)));
     }},
    {"all", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.has(1) ? c.wrap(at::all(x, c.i64(1), c.b(2, false))) : c.wrap(at::all(x)); }},
    {"any", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.has(1) ? c.wrap(at::any(x, c.i64(1), c.b(2, false))) : c.wrap(at::any(x)); }},
    {"norm", [](Ctx& c) -> Napi::Value {  // (t, ord, dims?, keepdim)
       at::Tensor& x = c.t(0);
       auto dims = optDims(c, 2);
       return c.wrap(at::linalg_vector_norm(x, c.has(1) ? c.scalar(1) : at::Scalar(2), asRef(dims), c.b(3, false), c10::nullopt));
     }},

    // ---------------------------------------------------------------- products and softmax
    {"matmul", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::matmul(a, c.t(1))); }},
    {"mm", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::mm(a, c.t(1))); }},
    {"bmm", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::bmm(a, c.t(1))); }},
    {"baddbmm", [](Ctx& c) -> Napi::Value {  // (self, b1, b2, beta, alpha)
       at::Tensor& s = c.t(0);
       at::Tensor& b1 = c.t(1);
       at::Tensor& b2 = c.t(2);
       return c.wrap(at::baddbmm(s, b1, b2, c.has(3) ? c.scalar(3) : at::Scalar(1), c.has(4) ? c.scalar(4) : at::Scalar(1)));
     }},
    {"addmm", [](Ctx& c) -> Napi::Value {
       at::Tensor& s = c.t(0);
       at::Tensor& m1 = c.t(1);
       at::Tensor& m2 = c.t(2);
       return c.wrap(at::addmm(s, m1, m2, c.has(3) ? c.scalar(3) : at::Scalar(1), c.has(4) ? c.scalar(4) : at::Scalar(1)));
     }},
    {"outer", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); return c.wrap(at::outer(a, c.t(1))); }},
    {"einsum", [](Ctx& c) -> Napi::Value { std::string eq = c.str(0); return c.wrap(at::einsum(eq, c.tensors(1))); }},
    {"softmax", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::softmax(x, c.i64(1), c.optDtype(2))); }},
    {"logSoftmax", [](Ctx& c) -> Napi::Value { at::Tensor& x = c.t(0); return c.wrap(at::log_softmax(x, c.i64(1), c.optDtype(2))); }},

    // ---------------------------------------------------------------- in place (return their first argument)
    {"add_", [](Ctx& c) -> Napi::Value {
       at::Tensor& a = c.t(0);
       at::Scalar alpha = c.has(2) ? c.scalar(2) : at::Scalar(1);
       if (c.isTensor(1)) a.add_(c.t(1), alpha); else a.add_(c.scalar(1), alpha);
       return c.info[0];
     }},
    {"mul_", [](Ctx& c) -> Napi::Value {
       at::Tensor& a = c.t(0);
       if (c.isTensor(1)) a.mul_(c.t(1)); else a.mul_(c.scalar(1));
       return c.info[0];
     }},
    {"div_", [](Ctx& c) -> Napi::Value {
       at::Tensor& a = c.t(0);
       if (c.isTensor(1)) a.div_(c.t(1)); else a.div_(c.scalar(1));
       return c.info[0];
     }},
    {"copy_", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); a.copy_(c.t(1)); return c.info[0]; }},
    {"fill_", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); a.fill_(c.scalar(1)); return c.info[0]; }},
    {"zero_", [](Ctx& c) -> Napi::Value { c.t(0).zero_(); return c.info[0]; }},
    {"clamp_", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); a.clamp_(c.optScalar(1), c.optScalar(2)); return c.info[0]; }},
    {"addcmul_", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); a.addcmul_(c.t(1), c.t(2), c.has(3) ? c.scalar(3) : at::Scalar(1)); return c.info[0]; }},
    {"addcdiv_", [](Ctx& c) -> Napi::Value { at::Tensor& a = c.t(0); a.addcdiv_(c.t(1), c.t(2), c.has(3) ? c.scalar(3) : at::Scalar(1)); return c.info[0]; }},
};

#undef UNARY
}  // namespace

const std::vector<OpDef>& mathOps() { return kOps; }

}  // namespace pt
