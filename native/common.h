// Shared plumbing of the posttrain addon: how a libtorch tensor is held by JavaScript, how
// arguments are read from a call, and how every failure becomes a typed JS error.
//
// Contract:
//  - A tensor crosses into JS as a number: the id of a slot that owns one reference to the
//    TensorImpl (addon.cc). dispose() frees the slot at once; ids of freed slots go stale, and a
//    stale id is refused as a disposed tensor. Where an op takes "tensor or scalar", a scalar comes
//    boxed in a one-element array, so the two cannot be confused.
//  - Host bytes are reported to V8 once per storage (several views of one storage count once).
//  - Each exported op is a plain function `Napi::Value (*)(Ctx&)` listed in a table; one trampoline
//    catches every C++ exception and throws the JS error built by the factory that TypeScript
//    registered (setErrorFactory), carrying the op name and the shape/dtype/device of each input.
//  - Nothing here knows about models, training or the TypeScript classes.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace pt {

// Thrown (as a C++ exception) by argument readers; the trampoline turns it into a JS error.
struct ArgError {
  std::string kind;  // "argument", "disposed", "index", ...
  std::string message;
};

class Ctx {
 public:
  Ctx(const Napi::CallbackInfo& info, const char* op) : info(info), env(info.Env()), op(op) {}

  const Napi::CallbackInfo& info;
  Napi::Env env;
  const char* op;

  size_t count() const { return info.Length(); }
  bool has(size_t i) const { return i < info.Length() && !info[i].IsUndefined() && !info[i].IsNull(); }
  // Where an op takes a tensor or a scalar, the tensor is an id (number), the scalar a boxed [value].
  bool isTensor(size_t i) const { return i < info.Length() && info[i].IsNumber(); }

  at::Tensor& t(size_t i);                        // a required tensor
  c10::optional<at::Tensor> optT(size_t i);       // tensor, or null/undefined
  std::vector<at::Tensor> tensors(size_t i);      // an array of tensors
  std::vector<c10::optional<at::Tensor>> optTensors(size_t i);  // array of tensor | null
  at::Scalar scalar(size_t i);                    // number or boolean, bare or boxed as [value]
  c10::optional<at::Scalar> optScalar(size_t i);
  int64_t i64(size_t i);
  int64_t i64(size_t i, int64_t dflt) { return has(i) ? i64(i) : dflt; }
  c10::optional<int64_t> optI64(size_t i) { return has(i) ? c10::optional<int64_t>(i64(i)) : c10::nullopt; }
  double f64(size_t i);
  double f64(size_t i, double dflt) { return has(i) ? f64(i) : dflt; }
  c10::optional<double> optF64(size_t i) { return has(i) ? c10::optional<double>(f64(i)) : c10::nullopt; }
  bool b(size_t i, bool dflt);
  std::string str(size_t i);
  std::vector<int64_t> ints(size_t i);            // array of integers (a shape, dims)
  at::ScalarType dtype(size_t i);                 // dtype code
  c10::optional<at::ScalarType> optDtype(size_t i) { return has(i) ? c10::optional<at::ScalarType>(dtype(i)) : c10::nullopt; }
  at::Device device(size_t i);                    // "cpu", "cuda", "cuda:1"; default cpu
  at::TensorOptions options(size_t dtypeArg, size_t deviceArg, at::ScalarType dflt);
  at::Generator& generator(size_t i);
  c10::optional<at::Generator> optGenerator(size_t i);

  Napi::Value wrap(at::Tensor t);                 // new handle for JS
  Napi::Value wrapOpt(const at::Tensor& t) { return t.defined() ? wrap(t) : env.Null(); }
  Napi::Value wrapList(const std::vector<at::Tensor>& ts);
  Napi::Value wrapPair(const std::tuple<at::Tensor, at::Tensor>& p);

  [[noreturn]] void argFail(size_t i, const std::string& what);
  [[noreturn]] void fail(const std::string& kind, const std::string& message);

  std::vector<const at::Tensor*> seen;  // inputs read so far, for error context
};

using OpFn = Napi::Value (*)(Ctx&);
struct OpDef {
  const char* name;
  OpFn fn;
};

// Tables of ops, one per translation unit.
const std::vector<OpDef>& coreOps();    // addon.cc: memory, metadata, conversion, rng, threads
const std::vector<OpDef>& mathOps();    // ops_math.cc: creation, pointwise, reductions, matmul
const std::vector<OpDef>& shapeOps();   // ops_shape.cc: views, indexing, joining
const std::vector<OpDef>& nnOps();      // ops_nn.cc: functional, autograd, optimizer kernels
const std::vector<OpDef>& distributedOps();  // distributed.cc: c10d rendezvous and collectives (Promises)

std::string describe(const at::Tensor& t);      // "float32[2, 3] cpu"
const char* dtypeName(at::ScalarType s);

}  // namespace pt
