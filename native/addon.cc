// The addon's entry point: argument reading (Ctx), the trampoline that turns every C++ exception
// into a typed JS error, and module init, which registers the op tables of the other translation
// units (ops_core, ops_math, ops_shape, ops_nn, distributed) under their names.
#include "common.h"
#include "handles.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <sstream>

namespace pt {

namespace {
struct AddonData {
  Napi::FunctionReference errorFactory;
  std::string mallocPolicy;
};
}  // namespace

// ---------------------------------------------------------------- descriptions
const char* dtypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return c10::toString(s);
  }
}

std::string describe(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream o;
  o << dtypeName(t.scalar_type()) << "[";
  auto sizes = t.sizes();
  for (size_t i = 0; i < sizes.size(); i++) o << (i ? ", " : "") << sizes[i];
  o << "] " << t.device().str();
  return o.str();
}

// ---------------------------------------------------------------- Ctx
[[noreturn]] void Ctx::fail(const std::string& kind, const std::string& message) {
  Napi::Array inputs = Napi::Array::New(env, seen.size());
  for (size_t i = 0; i < seen.size(); i++) inputs.Set(i, describe(*seen[i]));
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data && !data->errorFactory.IsEmpty()) {
    Napi::Value err = data->errorFactory.Call(
        {Napi::String::New(env, kind), Napi::String::New(env, op), Napi::String::New(env, message), inputs});
    if (err.IsObject()) throw Napi::Error(env, err);
  }
  throw Napi::Error::New(env, std::string(op) + ": " + message);
}

[[noreturn]] void Ctx::argFail(size_t i, const std::string& what) {
  throw ArgError{"argument", "argument " + std::to_string(i) + " " + what};
}

static const char* jsTypeName(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return v.IsArray() ? "array" : "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "value";
}

static Slot* slotAt(Ctx& c, const Napi::Value& v, size_t i, const std::string& where) {
  if (!v.IsNumber()) c.argFail(i, where + "must be a Tensor, got " + jsTypeName(v));
  Slot* s = lookup(v.As<Napi::Number>().DoubleValue());
  if (!s) throw ArgError{"disposed", "argument " + std::to_string(i) + " " + where + "is a disposed tensor (or not a tensor handle)"};
  return s;
}

at::Tensor& Ctx::t(size_t i) {
  if (i >= info.Length()) argFail(i, "must be a Tensor, got nothing");
  Slot* s = slotAt(*this, info[i], i, "");
  seen.push_back(&s->t);
  return s->t;
}

c10::optional<at::Tensor> Ctx::optT(size_t i) {
  if (!has(i)) return c10::nullopt;
  return t(i);
}

std::vector<at::Tensor> Ctx::tensors(size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) argFail(i, "must be an array of Tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Slot* s = slotAt(*this, a.Get(k), i, "element " + std::to_string(k) + " ");
    seen.push_back(&s->t);
    out.push_back(s->t);
  }
  return out;
}

std::vector<c10::optional<at::Tensor>> Ctx::optTensors(size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) argFail(i, "must be an array of Tensors or nulls");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<c10::optional<at::Tensor>> out;
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    if (v.IsNull() || v.IsUndefined()) {
      out.emplace_back(c10::nullopt);
      continue;
    }
    Slot* s = slotAt(*this, v, i, "element " + std::to_string(k) + " ");
    seen.push_back(&s->t);
    out.emplace_back(s->t);
  }
  return out;
}

static bool isWholeInt64(double d) {
  return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18;
}

at::Scalar Ctx::scalar(size_t i) {
  if (i < info.Length()) {
    Napi::Value v = info[i];
    if (v.IsArray() && v.As<Napi::Array>().Length() == 1) v = v.As<Napi::Array>().Get(0u);  // a boxed scalar
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      if (isWholeInt64(d) && !(d == 0 && std::signbit(d))) return at::Scalar(static_cast<int64_t>(d));
      return at::Scalar(d);
    }
    if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  }
  argFail(i, std::string("must be a number or boolean, got ") + (i < info.Length() ? jsTypeName(info[i]) : "nothing"));
}

c10::optional<at::Scalar> Ctx::optScalar(size_t i) {
  if (!has(i)) return c10::nullopt;
  return scalar(i);
}

int64_t Ctx::i64(size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    argFail(i, std::string("must be an integer, got ") + (i < info.Length() ? jsTypeName(info[i]) : "nothing"));
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!isWholeInt64(d)) argFail(i, "must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double Ctx::f64(size_t i) {
  if (i >= info.Length() || !info[i].IsNumber())
    argFail(i, std::string("must be a number, got ") + (i < info.Length() ? jsTypeName(info[i]) : "nothing"));
  return info[i].As<Napi::Number>().DoubleValue();
}

bool Ctx::b(size_t i, bool dflt) {
  if (!has(i)) return dflt;
  if (!info[i].IsBoolean()) argFail(i, std::string("must be a boolean, got ") + jsTypeName(info[i]));
  return info[i].As<Napi::Boolean>().Value();
}

std::string Ctx::str(size_t i) {
  if (i >= info.Length() || !info[i].IsString())
    argFail(i, std::string("must be a string, got ") + (i < info.Length() ? jsTypeName(info[i]) : "nothing"));
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Ctx::ints(size_t i) {
  if (i < info.Length() && info[i].IsNumber()) return {i64(i)};
  if (i >= info.Length() || !info[i].IsArray())
    argFail(i, std::string("must be an array of integers, got ") + (i < info.Length() ? jsTypeName(info[i]) : "nothing"));
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!isWholeInt64(d)) argFail(i, "element " + std::to_string(k) + " must be an integer, got " + (v.IsNumber() ? std::to_string(d) : jsTypeName(v)));
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

static bool validDtype(int64_t code) {
  switch (static_cast<at::ScalarType>(code)) {
    case at::kFloat: case at::kDouble: case at::kBFloat16: case at::kHalf: case at::kLong:
    case at::kInt: case at::kShort: case at::kChar: case at::kByte: case at::kBool:
      return true;
    default:
      return false;
  }
}

at::ScalarType Ctx::dtype(size_t i) {
  int64_t code = i64(i);
  if (code < 0 || !validDtype(code)) argFail(i, "is not a supported dtype code: " + std::to_string(code));
  return static_cast<at::ScalarType>(code);
}

at::Device Ctx::device(size_t i) {
  if (!has(i)) return at::Device(at::kCPU);
  at::Device d(str(i));  // throws c10::Error for a malformed string
  if (d.is_cuda() && !at::hasCUDA())
    throw ArgError{"device", "device '" + d.str() + "' requested, but the linked libtorch has no CUDA support (build against a CUDA libtorch with LIBTORCH=...)"};
  if (!d.is_cpu() && !d.is_cuda()) throw ArgError{"device", "unsupported device '" + d.str() + "'"};
  return d;
}

at::TensorOptions Ctx::options(size_t dtypeArg, size_t deviceArg, at::ScalarType dflt) {
  at::ScalarType st = has(dtypeArg) ? dtype(dtypeArg) : dflt;
  return at::TensorOptions().dtype(st).device(device(deviceArg));
}

at::Generator& Ctx::generator(size_t i) {
  if (i >= info.Length() || !info[i].IsExternal()) argFail(i, "must be a Generator");
  return *info[i].As<Napi::External<at::Generator>>().Data();
}

c10::optional<at::Generator> Ctx::optGenerator(size_t i) {
  if (!has(i)) return c10::nullopt;
  return generator(i);
}

Napi::Value Ctx::wrap(at::Tensor t) {
  return Napi::Number::New(env, newSlot(env, std::move(t)));
}

Napi::Value Ctx::wrapList(const std::vector<at::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(i, wrap(ts[i]));
  return a;
}

Napi::Value Ctx::wrapPair(const std::tuple<at::Tensor, at::Tensor>& p) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, wrap(std::get<0>(p)));
  a.Set(1u, wrap(std::get<1>(p)));
  return a;
}

// ---------------------------------------------------------------- the trampoline
static Napi::Value trampoline(const Napi::CallbackInfo& info) {
  const OpDef* def = static_cast<const OpDef*>(info.Data());
  Ctx c(info, def->name);
  try {
    return def->fn(c);
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgError& e) {
    c.fail(e.kind, e.message);
  } catch (const c10::IndexError& e) {
    c.fail("index", e.what_without_backtrace());
  } catch (const c10::TypeError& e) {
    c.fail("dtype", e.what_without_backtrace());
  } catch (const c10::NotImplementedError& e) {
    c.fail("dtype", e.what_without_backtrace());
  } catch (const c10::Error& e) {
    c.fail("torch", e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    c.fail("memory", "out of memory");
  } catch (const std::exception& e) {
    c.fail("torch", e.what());
  } catch (...) {
    c.fail("torch", "unknown native exception");
  }
}

// ---------------------------------------------------------------- module init
// glibc returns freed memory to the kernel eagerly: blocks above the (dynamic) mmap threshold are
// unmapped on free and the heap top is trimmed past 128 KiB. A training step frees and reallocates
// the same activation-sized blocks every time, so every step paid page faults again — on the 2-core
// VM this project is measured on, half the wall time of an SFT step was kernel time (sys 22 s of
// 35 s for 60 steps). Blocks up to 32 MiB (glibc's ceiling for this setting) now come from the heap
// and the heap is not trimmed, so a step reuses the pages of the last one: 2.0-2.2x the tokens/s of
// the demo's models, RSS stays at the run's peak instead of breathing. Left alone when the user
// tunes malloc through glibc's own variables, or sets POSTTRAIN_MALLOC=system.
static const char* configureMalloc() {
  const char* choice = std::getenv("POSTTRAIN_MALLOC");
  if (choice != nullptr && std::strcmp(choice, "system") == 0) return "system (POSTTRAIN_MALLOC=system)";
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}) {
    if (std::getenv(v) != nullptr) return "system (glibc variables set)";
  }
  const bool ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return ok ? "retained (mmap threshold 32 MiB, no trim)" : "system (mallopt refused)";
}

static Napi::Value mallocPolicy(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), info.Env().GetInstanceData<AddonData>()->mallocPolicy);
}

static Napi::Value setErrorFactory(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorFactory: expected a function");
  info.Env().GetInstanceData<AddonData>()->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->mallocPolicy = configureMalloc();
  env.SetInstanceData(data);
  exports.Set("setErrorFactory", Napi::Function::New(env, setErrorFactory, "setErrorFactory"));
  exports.Set("mallocPolicy", Napi::Function::New(env, mallocPolicy, "mallocPolicy"));
  for (const auto* table : {&coreOps(), &mathOps(), &shapeOps(), &nnOps(), &distributedOps()}) {
    for (const OpDef& def : *table) {
      if (exports.Has(def.name)) throw Napi::Error::New(env, std::string("posttrain addon: op registered twice: ") + def.name);
      exports.Set(def.name, Napi::Function::New(env, trampoline, def.name, const_cast<OpDef*>(&def)));
    }
  }
  return exports;
}

}  // namespace pt

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return pt::Init(env, exports); }
NODE_API_MODULE(posttrain, InitAddon)
