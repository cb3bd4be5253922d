// Core ops: handle lifetime and memory numbers, metadata, typed-array conversion, random
// generators and the default generator's state, thread settings, build facts.
#include "common.h"
#include "handles.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>

#include <cstring>
#include <mutex>

namespace pt {
namespace {

void finalizeGenerator(node_api_basic_env /*env*/, void* data, void* /*hint*/) {
  delete static_cast<at::Generator*>(data);
}

// ---------------------------------------------------------------- threads
using BlasSetThreads = void (*)(int);
using BlasGetThreads = int (*)();
BlasSetThreads blasSet() { return reinterpret_cast<BlasSetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }
BlasGetThreads blasGet() { return reinterpret_cast<BlasGetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }

// ---------------------------------------------------------------- core ops
const std::vector<OpDef> kCore = {
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
       MemoryStats m = memoryStats(c.env);
       Napi::Object o = Napi::Object::New(c.env);
       o.Set("liveTensors", (double)m.liveTensors);
       o.Set("liveStorages", (double)m.liveStorages);
       o.Set("hostBytes", (double)m.hostBytes);
       o.Set("deviceBytes", (double)m.deviceBytes);
       o.Set("v8ExternalBytes", (double)m.v8ExternalBytes);
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

}  // namespace

const std::vector<OpDef>& coreOps() { return kCore; }


}  // namespace pt
