// The addon's entry point and its core ops: tensor handles and their memory accounting, argument
// reading, error conversion, metadata, typed-array conversion, random generators, threads, build
// facts. Op tables of the other translation units are registered here under their names.
#include "common.h"
#include "storage_table.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <deque>
#include <stdexcept>

namespace pt {

// ---------------------------------------------------------------- tensor slots and accounting
namespace {
// A tensor handle is a number: slot index + generation · 2^24. Passing numbers costs Node-API
// nothing, where a handle object cost an allocation plus a weak reference that the garbage
// collector had to process for every tensor (that was most of a tiny op's time). A stale or forged
// id fails the generation check and is reported as a disposed tensor; it can never reach freed memory.
constexpr double kSlotSpan = 16777216.0;  // 2^24 slots per generation

struct Slot {
  at::Tensor t;
  const void* storageKey = nullptr;  // StorageImpl counted for this slot, or null
  uint32_t gen = 0;
};

// State of one JS thread (an addon instance per worker keeps its own).
struct Accounts {
  std::deque<Slot> slots;  // deque: references stay valid while slots are added
  std::vector<uint32_t> freeSlots;
  StorageTable storages;
  int64_t liveTensors = 0;
  int64_t hostBytes = 0;
  int64_t deviceBytes = 0;
  int64_t unreported = 0;  // host bytes changed but not yet reported to V8
};
thread_local Accounts acct;

struct AddonData {
  Napi::FunctionReference errorFactory;
};

// Host-byte changes reach V8 in batches: one napi_adjust_external_memory per ~1 MiB of change
// instead of two per op (a tiny op costs about a microsecond; the call is a measurable part of it).
constexpr int64_t kReportQuantum = 1 << 20;

void reportToV8(node_api_basic_env env) {
  int64_t delta = acct.unreported;
  acct.unreported = 0;
  if (delta && env) {
    int64_t out;
    napi_adjust_external_memory(env, delta, &out);
  }
}

void accountAdd(node_api_basic_env env, Slot& h) {
  acct.liveTensors++;
  if (!h.t.has_storage()) return;
  const c10::Storage& s = h.t.storage();
  const void* key = s.unsafeGetStorageImpl();
  h.storageKey = key;
  if (StorageEntry* e = acct.storages.find(key)) {
    e->refs++;
    return;
  }
  StorageEntry& e = acct.storages.insert(key);
  e.refs = 1;
  e.bytes = static_cast<int64_t>(s.nbytes());
  e.host = h.t.device().is_cpu();
  if (!e.host) {
    acct.deviceBytes += e.bytes;
    return;
  }
  acct.hostBytes += e.bytes;
  acct.unreported += e.bytes;
  if (acct.unreported >= kReportQuantum) reportToV8(env);
}

void accountRemove(node_api_basic_env env, Slot& h) {
  acct.liveTensors--;
  if (!h.storageKey) return;
  StorageEntry* e = acct.storages.find(h.storageKey);
  h.storageKey = nullptr;
  if (!e || --e->refs > 0) return;
  if (e->host) {
    acct.hostBytes -= e->bytes;
    acct.unreported -= e->bytes;
  } else {
    acct.deviceBytes -= e->bytes;
  }
  acct.storages.erase(e);
  if (acct.unreported <= -kReportQuantum) reportToV8(env);
}

// The live slot an id names, or null; its index through `index`.
Slot* lookup(double id, size_t* index = nullptr) {
  if (!(id >= 0) || id >= 9007199254740992.0 || std::floor(id) != id) return nullptr;
  double genPart = std::floor(id / kSlotSpan);
  size_t i = static_cast<size_t>(id - genPart * kSlotSpan);
  if (i >= acct.slots.size()) return nullptr;
  Slot& s = acct.slots[i];
  if (static_cast<double>(s.gen) != genPart || !s.t.defined()) return nullptr;
  if (index) *index = i;
  return &s;
}

double newSlot(node_api_basic_env env, at::Tensor t) {
  uint32_t index;
  if (!acct.freeSlots.empty()) {
    index = acct.freeSlots.back();
    acct.freeSlots.pop_back();
  } else {
    if (acct.slots.size() >= static_cast<size_t>(kSlotSpan)) throw std::runtime_error("too many live tensors (16.7M): dispose tensors or use scopes");
    index = static_cast<uint32_t>(acct.slots.size());
    acct.slots.emplace_back();
  }
  Slot& s = acct.slots[index];
  s.t = std::move(t);
  accountAdd(env, s);
  return static_cast<double>(s.gen) * kSlotSpan + index;
}

// Frees the slot an id names; false if it was not live.
bool releaseSlot(node_api_basic_env env, double id) {
  size_t index;
  Slot* s = lookup(id, &index);
  if (!s) return false;
  accountRemove(env, *s);
  s->t = at::Tensor();
  s->gen = (s->gen + 1) % (1u << 29);  // every id handed out for this slot so far is now stale
  acct.freeSlots.push_back(static_cast<uint32_t>(index));
  return true;
}
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

static void finalizeGenerator(node_api_basic_env /*env*/, void* data, void* /*hint*/) {
  delete static_cast<at::Generator*>(data);
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

// ---------------------------------------------------------------- threads
using BlasSetThreads = void (*)(int);
using BlasGetThreads = int (*)();
static BlasSetThreads blasSet() { return reinterpret_cast<BlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }
static BlasGetThreads blasGet() { return reinterpret_cast<BlasGetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }

// ---------------------------------------------------------------- core ops
static const std::vector<OpDef> kCore = {
    // Idempotent: a stale id is ignored.
    {"dispose", [](Ctx& c) -> Napi::Value {
       if (!c.isTensor(0)) c.argFail(0, "must be a Tensor");
       releaseSlot(c.env, c.info[0].As<Napi::Number>().DoubleValue());
       return c.env.Undefined();
     }},
    {"isAlive", [](Ctx& c) -> Napi::Value {
       if (!c.isTensor(0)) c.argFail(0, "must be a Tensor");
       return Napi::Boolean::New(c.env, lookup(c.info[0].As<Napi::Number>().DoubleValue()) != nullptr);
     }},
    {"memory", [](Ctx& c) -> Napi::Value {
       Napi::Object o = Napi::Object::New(c.env);
       reportToV8(c.env);
       int64_t v8External = 0;  // V8's own count of external memory, which our host bytes feed
       napi_adjust_external_memory(c.env, 0, &v8External);
       o.Set("v8ExternalBytes", (double)v8External);
       o.Set("liveTensors", (double)acct.liveTensors);
       o.Set("liveStorages", (double)acct.storages.size());
       o.Set("hostBytes", (double)acct.hostBytes);
       o.Set("deviceBytes", (double)acct.deviceBytes);
       return o;
     }},
    {"shape", [](Ctx& c) -> Napi::Value {
       auto sizes = c.t(0).sizes();
       Napi::Array a = Napi::Array::New(c.env, sizes.size());
       for (size_t i = 0; i < sizes.size(); i++) a.Set(i, (double)sizes[i]);
       return a;
     }},
    {"strides", [](Ctx& c) -> Napi::Value {
       auto st = c.t(0).strides();
       Napi::Array a = Napi::Array::New(c.env, st.size());
       for (size_t i = 0; i < st.size(); i++) a.Set(i, (double)st[i]);
       return a;
     }},
    {"dtype", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, (int)c.t(0).scalar_type()); }},
    {"device", [](Ctx& c) -> Napi::Value { return Napi::String::New(c.env, c.t(0).device().str()); }},
    {"dim", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, (double)c.t(0).dim()); }},
    {"numel", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, (double)c.t(0).numel()); }},
    {"isContiguous", [](Ctx& c) -> Napi::Value { return Napi::Boolean::New(c.env, c.t(0).is_contiguous()); }},
    {"describe", [](Ctx& c) -> Napi::Value { return Napi::String::New(c.env, describe(c.t(0))); }},
    {"sameStorage", [](Ctx& c) -> Napi::Value {
       const at::Tensor& a = c.t(0);
       const at::Tensor& b = c.t(1);
       return Napi::Boolean::New(c.env, a.has_storage() && b.has_storage() && a.storage().unsafeGetStorageImpl() == b.storage().unsafeGetStorageImpl());
     }},
    // fromBuffer(typedArray, dtype, shape, device?): copies the bytes into a new tensor.
    {"fromBuffer", [](Ctx& c) -> Napi::Value {
       if (!c.info[0].IsTypedArray()) c.argFail(0, "must be a typed array");
       Napi::TypedArray ta = c.info[0].As<Napi::TypedArray>();
       at::ScalarType st = c.dtype(1);
       std::vector<int64_t> shape = c.ints(2);
       int64_t numel = 1;
       for (int64_t s : shape) {
         if (s < 0) c.argFail(2, "has a negative size");
         numel *= s;
       }
       size_t bytes = ta.ByteLength();
       if (bytes != static_cast<size_t>(numel) * c10::elementSize(st))
         c.fail("shape", "buffer holds " + std::to_string(bytes) + " bytes but shape needs " + std::to_string(numel) + " elements of " + dtypeName(st) + " (" + std::to_string(numel * c10::elementSize(st)) + " bytes)");
       at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
       const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
       if (bytes) std::memcpy(t.data_ptr(), src, bytes);
       at::Device d = c.device(3);
       if (!d.is_cpu()) t = t.to(d);
       return c.wrap(t);
     }},
    // toBuffer(t): a contiguous CPU copy of the bytes, as an ArrayBuffer.
    {"toBuffer", [](Ctx& c) -> Napi::Value {
       at::Tensor t = c.t(0).detach().to(at::kCPU).contiguous();
       size_t bytes = t.numel() * t.element_size();
       Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(c.env, bytes);
       if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
       return ab;
     }},
    {"item", [](Ctx& c) -> Napi::Value {
       at::Tensor& t = c.t(0);
       if (t.numel() != 1) c.fail("shape", "item() needs a tensor with one element, got " + std::to_string(t.numel()));
       at::Scalar s = t.item();
       if (s.isBoolean()) return Napi::Boolean::New(c.env, s.toBool());
       if (s.isIntegral(false)) return Napi::Number::New(c.env, (double)s.toLong());
       return Napi::Number::New(c.env, s.toDouble());
     }},
    // ---- random generators
    {"generatorNew", [](Ctx& c) -> Napi::Value {
       auto* g = new at::Generator(at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(c.i64(0))));
       napi_value ext;
       if (napi_create_external(c.env, g, finalizeGenerator, nullptr, &ext) != napi_ok) {
         delete g;
         c.fail("memory", "could not create a generator handle");
       }
       return Napi::Value(c.env, ext);
     }},
    {"generatorSeed", [](Ctx& c) -> Napi::Value {
       at::Generator& g = c.generator(0);
       std::lock_guard<std::mutex> lock(g.mutex());
       g.set_current_seed(static_cast<uint64_t>(c.i64(1)));
       return c.env.Undefined();
     }},
    {"generatorGetState", [](Ctx& c) -> Napi::Value {
       at::Generator g = c.has(0) ? c.generator(0) : at::detail::getDefaultCPUGenerator();
       std::lock_guard<std::mutex> lock(g.mutex());
       return c.wrap(g.get_state());
     }},
    {"generatorSetState", [](Ctx& c) -> Napi::Value {
       at::Generator g = c.has(0) ? c.generator(0) : at::detail::getDefaultCPUGenerator();
       at::Tensor& s = c.t(1);
       if (s.scalar_type() != at::kByte || s.dim() != 1) c.fail("dtype", "a generator state must be a 1-d uint8 tensor, got " + describe(s));
       std::lock_guard<std::mutex> lock(g.mutex());
       g.set_state(s);
       return c.env.Undefined();
     }},
    {"manualSeed", [](Ctx& c) -> Napi::Value {
       uint64_t seed = static_cast<uint64_t>(c.i64(0));
       {
         at::Generator g = at::detail::getDefaultCPUGenerator();
         std::lock_guard<std::mutex> lock(g.mutex());
         g.set_current_seed(seed);
       }
       if (at::hasCUDA()) {
         for (int i = 0; i < at::detail::getCUDAHooks().getNumGPUs(); i++) {
           at::Generator g = at::detail::getCUDAHooks().getDefaultCUDAGenerator(i);
           std::lock_guard<std::mutex> lock(g.mutex());
           g.set_current_seed(seed);
         }
       }
       return c.env.Undefined();
     }},
    // ---- threads and build facts
    {"setThreads", [](Ctx& c) -> Napi::Value {
       if (c.has(0)) {
         int64_t n = c.i64(0);
         if (n < 1) c.argFail(0, "intra-op threads must be >= 1");
         at::set_num_threads(static_cast<int>(n));
       }
       if (c.has(1)) {
         int64_t n = c.i64(1);
         if (n < 1) c.argFail(1, "BLAS threads must be >= 1");
         if (auto f = blasSet()) f(static_cast<int>(n));
       }
       return c.env.Undefined();
     }},
    {"getThreads", [](Ctx& c) -> Napi::Value {
       Napi::Object o = Napi::Object::New(c.env);
       o.Set("intraOp", at::get_num_threads());
       auto g = blasGet();
       o.Set("blas", g ? Napi::Value(Napi::Number::New(c.env, g())) : c.env.Null());
       return o;
     }},
    {"buildInfo", [](Ctx& c) -> Napi::Value {
       Napi::Object o = Napi::Object::New(c.env);
       o.Set("torchVersion", TORCH_VERSION);
       o.Set("cuda", at::hasCUDA());
       o.Set("cudaDevices", at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
       o.Set("openblas", blasSet() != nullptr);
       o.Set("config", at::show_config());
       return o;
     }},
};

const std::vector<OpDef>& coreOps() { return kCore; }

// ---------------------------------------------------------------- module init
static Napi::Value setErrorFactory(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorFactory: expected a function");
  info.Env().GetInstanceData<AddonData>()->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorFactory", Napi::Function::New(env, setErrorFactory, "setErrorFactory"));
  for (const auto* table : {&coreOps(), &mathOps(), &shapeOps(), &nnOps()}) {
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
