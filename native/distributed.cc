// c10d collectives for data parallelism: one process group per process (torch.distributed's default
// group), made of a TCPStore rendezvous hosted by rank 0 and ProcessGroupGloo over TCP.
//
// Contract:
//  - distInit / distAllReduce / distBroadcast / distAllGather / distBarrier return Promises: the
//    blocking part (rendezvous, flattening into buckets, waiting on Gloo, copying back) runs on a
//    libuv worker thread, so the event loop stays responsive. Callers issue one collective at a
//    time (tensor/distributed.ts queues them), so every rank enqueues the same collectives in the
//    same order.
//  - Tensors handed to a collective are updated in place; JS must not touch them until the Promise
//    settles (the TS layer awaits).
//  - A failure rejects with an Error whose `code` is 'rendezvous' (a rank never joined, the store
//    was unreachable or its port taken), 'peer' (a rank stopped: its heartbeat stopped advancing),
//    'timeout' (a collective exceeded the group's timeout) or 'collective' (anything else), and
//    whose `deadRanks` lists the ranks found dead. Liveness comes from a heartbeat: each rank's own
//    thread increments a store counter every 500 ms over its own connection; after a failed
//    collective the counters are read twice, 2 s apart, and ranks that did not advance are named.
//  - The store is hosted by rank 0, or — under torchrun, whose agent already hosts one on
//    MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE) — by the launcher, with every rank a client. All
//    keys live under a prefix (per restart of an elastic job).
//  - Nothing here knows about models or trainers.
#include "common.h"
#include "handles.h"

#define USE_C10D_GLOO 1  // the Debian libtorch is built with Gloo; its header is guarded by this macro
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace pt {
namespace {

using std::chrono::milliseconds;
constexpr auto kBeat = milliseconds(500);
constexpr auto kProbe = milliseconds(2000);

struct Heartbeat {
  std::atomic<bool> stop{false};
};

struct Group {
  int rank = 0, world = 1;
  std::string host;
  uint16_t port = 0;
  milliseconds timeout{0};
  std::string prefix;  // every key of this group lives under it (a restarted job gets a fresh one)
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::shared_ptr<Heartbeat> heartbeat;
};

// The process's group. Deliberately leaked at exit (never destroyed by static destructors): a
// process that exits with a collective in flight must not block in Gloo's teardown.
Group* group = nullptr;

std::string beatKey(int r) { return "heartbeat/" + std::to_string(r); }
std::string rankKey(int r) { return "rank/" + std::to_string(r); }

c10::intrusive_ptr<c10d::Store> connect(const std::string& host, uint16_t port, milliseconds timeout, const std::string& prefix) {
  c10d::TCPStoreOptions o;
  o.port = port;
  o.isServer = false;
  o.waitWorkers = false;
  o.timeout = timeout;
  return c10::make_intrusive<c10d::PrefixStore>(prefix, c10::make_intrusive<c10d::TCPStore>(host, o));
}

void beat(std::shared_ptr<Heartbeat> hb, std::string host, uint16_t port, std::string prefix, int rank, milliseconds timeout) {
  try {
    auto s = connect(host, port, timeout, prefix);
    while (!hb->stop.load()) {
      s->add(beatKey(rank), 1);
      std::this_thread::sleep_for(kBeat);
    }
  } catch (...) {
    // the store went away (rank 0 exited): a peer's probe reports it
  }
}

struct Failure {
  std::string code;
  std::string message;
  std::vector<int> dead;
};

// Which peers stopped beating; "" when every peer is alive.
Failure diagnose(const Group& g, const std::string& what) {
  Failure f{"collective", what, {}};
  if (what.find("imed out") != std::string::npos || what.find("imeout") != std::string::npos) f.code = "timeout";
  std::vector<int64_t> before(g.world), after(g.world);
  try {
    auto probe = connect(g.host, g.port, kProbe, g.prefix);
    for (int r = 0; r < g.world; r++) before[r] = probe->add(beatKey(r), 0);
    std::this_thread::sleep_for(kProbe);
    for (int r = 0; r < g.world; r++) after[r] = probe->add(beatKey(r), 0);
  } catch (const std::exception&) {
    f.code = "peer";
    f.dead = {0};
    std::ostringstream o;
    o << "the rendezvous store at " << g.host << ":" << g.port
      << " is unreachable: rank 0 (or the launcher hosting it) exited or was killed; this was rank " << g.rank << " of " << g.world << " ("
      << what << ")";
    f.message = o.str();
    return f;
  }
  for (int r = 0; r < g.world; r++)
    if (r != g.rank && after[r] == before[r]) f.dead.push_back(r);
  if (!f.dead.empty()) {
    f.code = "peer";
    std::ostringstream o;
    o << (f.dead.size() == 1 ? "rank " : "ranks ");
    for (size_t i = 0; i < f.dead.size(); i++) o << (i ? ", " : "") << f.dead[i];
    o << " stopped" << " (no heartbeat for " << kProbe.count() / 1000.0
      << " s: exited, killed or hung); this was rank " << g.rank << " of " << g.world << " (" << what << ")";
    f.message = o.str();
  } else {
    f.message = "rank " + std::to_string(g.rank) + " of " + std::to_string(g.world) + ": " + what;
  }
  return f;
}

Group& current(Ctx& c) {
  if (!group) throw ArgError{"argument", "the process group is not initialised (call distributed.init first)"};
  return *group;
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// A Promise settled by a job run on a worker thread; the job either fills `result` state or throws.
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, const char* op) : Napi::AsyncWorker(env, op), deferred(Napi::Promise::Deferred::New(env)), op(op) {}
  Napi::Promise promise() { return deferred.Promise(); }

 protected:
  virtual void run() = 0;
  virtual Napi::Value result(Napi::Env env) { return env.Undefined(); }
  Failure failure;

 private:
  void Execute() override {
    try {
      at::NoGradGuard noGrad;
      run();
      return;
    } catch (const Failure& f) {
      failure = f;
    } catch (const c10::Error& e) {
      failure = group ? diagnose(*group, e.what_without_backtrace()) : Failure{"collective", e.what_without_backtrace(), {}};
    } catch (const std::exception& e) {
      failure = group ? diagnose(*group, e.what()) : Failure{"collective", e.what(), {}};
    }
    SetError(failure.message);
  }
  void OnOK() override { deferred.Resolve(result(Env())); }
  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    Napi::Error err = Napi::Error::New(env, std::string(op) + ": " + failure.message);
    err.Set("code", Napi::String::New(env, failure.code));
    Napi::Array dead = Napi::Array::New(env, failure.dead.size());
    for (size_t i = 0; i < failure.dead.size(); i++) dead.Set(i, Napi::Number::New(env, failure.dead[i]));
    err.Set("deadRanks", dead);
    err.Set("detail", Napi::String::New(env, failure.message));
    deferred.Reject(err.Value());
  }
  Napi::Promise::Deferred deferred;
  const char* op;
};

// ---------------------------------------------------------------- init / destroy
class InitJob : public Job {
 public:
  InitJob(Napi::Env env, int rank, int world, std::string host, uint16_t port, milliseconds timeout, bool hostStore, std::string prefix)
      : Job(env, "distributed.init"),
        rank(rank),
        world(world),
        host(std::move(host)),
        port(port),
        timeout(timeout),
        hostStore(hostStore),
        prefix(std::move(prefix)) {}

 private:
  void run() override {
    auto g = std::make_unique<Group>();
    g->rank = rank;
    g->world = world;
    g->host = host;
    g->port = port;
    g->timeout = timeout;
    g->prefix = prefix;
    const std::string where = host + ":" + std::to_string(port);
    std::ostringstream so;
    so << timeout.count() / 1000.0;
    const std::string secs = so.str();
    c10::intrusive_ptr<c10d::Store> store;
    const bool server = hostStore && rank == 0;
    try {
      c10d::TCPStoreOptions o;
      o.port = port;
      o.isServer = server;
      o.numWorkers = world;
      o.waitWorkers = false;
      o.timeout = timeout;
      store = c10::make_intrusive<c10d::PrefixStore>(prefix, c10::make_intrusive<c10d::TCPStore>(host, o));
    } catch (const std::exception& e) {
      std::string m = e.what();
      m = m.substr(0, m.find("\nException raised from"));
      if (server) throw Failure{"rendezvous", "rank 0 could not host the rendezvous store at " + where + ": " + m, {}};
      throw Failure{"rendezvous",
                    "rendezvous timed out after " + secs + " s: rank " + std::to_string(rank) + " could not reach the rendezvous store at " +
                        where + (hostStore ? " (is rank 0 running, with the same MASTER_ADDR and MASTER_PORT?): " : " (the launcher's store): ") + m,
                    {}};
    }
    char hostname[256] = {0};
    gethostname(hostname, sizeof(hostname) - 1);
    const std::string me = std::string(hostname) + " pid " + std::to_string(getpid());
    store->set(rankKey(rank), std::vector<uint8_t>(me.begin(), me.end()));
    std::vector<std::string> keys;
    for (int r = 0; r < world; r++) keys.push_back(rankKey(r));
    try {
      store->wait(keys, timeout);
    } catch (const std::exception&) {
      std::vector<int> missing;
      try {
        for (int r = 0; r < world; r++)
          if (!store->check({rankKey(r)})) missing.push_back(r);
      } catch (...) {
      }
      std::ostringstream o;
      o << "rendezvous timed out after " << secs << " s at " << where << ": " << (world - (int)missing.size()) << " of " << world
        << " ranks joined; missing ";
      for (size_t i = 0; i < missing.size(); i++) o << (i ? ", " : "") << "rank " << missing[i];
      o << " (did every rank start, with WORLD_SIZE=" << world << "?)";
      throw Failure{"rendezvous", o.str(), missing};
    }
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (isLoopback(host))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    try {
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store), rank, world, options);
    } catch (const std::exception& e) {
      std::string m = e.what();
      throw Failure{"rendezvous", "rank " + std::to_string(rank) + " could not connect to its peers over Gloo: " + m.substr(0, m.find("\nException raised from")), {}};
    }
    g->store = store;
    g->heartbeat = std::make_shared<Heartbeat>();
    std::thread(beat, g->heartbeat, host, port, prefix, rank, timeout).detach();
    group = g.release();
  }
  int rank, world;
  std::string host;
  uint16_t port;
  milliseconds timeout;
  bool hostStore;
  std::string prefix;
};

Napi::Value distInit(Ctx& c) {
  if (group) c.fail("argument", "the process group is already initialised (rank " + std::to_string(group->rank) + " of " + std::to_string(group->world) + ")");
  const int64_t rank = c.i64(0), world = c.i64(1);
  const std::string host = c.str(2);
  const int64_t port = c.i64(3), timeoutMs = c.i64(4);
  if (world < 1) c.argFail(1, "world size must be >= 1, got " + std::to_string(world));
  if (rank < 0 || rank >= world) c.argFail(0, "rank must be in [0, " + std::to_string(world) + "), got " + std::to_string(rank));
  if (port < 1 || port > 65535) c.argFail(3, "port must be in [1, 65535], got " + std::to_string(port));
  if (timeoutMs < 1) c.argFail(4, "timeout must be >= 1 ms, got " + std::to_string(timeoutMs));
  const bool hostStore = c.b(5, true);
  const std::string prefix = c.has(6) ? c.str(6) : "posttrain";
  auto* job = new InitJob(c.env, int(rank), int(world), host, uint16_t(port), milliseconds(timeoutMs), hostStore, prefix);
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

Napi::Value distDestroy(Ctx& c) {
  if (group) {
    group->heartbeat->stop = true;
    Group* g = group;
    group = nullptr;
    delete g;  // Gloo's threads are idle here: the TS layer awaits every collective before destroy
  }
  return c.env.Undefined();
}

Napi::Value distInfo(Ctx& c) {
  if (!group) return c.env.Null();
  Napi::Object o = Napi::Object::New(c.env);
  o.Set("rank", group->rank);
  o.Set("worldSize", group->world);
  o.Set("backend", "gloo");
  o.Set("timeoutMs", Napi::Number::New(c.env, double(group->timeout.count())));
  return o;
}

// ---------------------------------------------------------------- collectives
// Tensors travel in buckets of at most `bucketBytes`: each bucket is flattened into one contiguous
// tensor, all buckets are enqueued before the first is awaited, then results are copied back.
std::vector<std::vector<size_t>> buckets(const std::vector<at::Tensor>& ts, int64_t bucketBytes) {
  std::vector<std::vector<size_t>> out;
  int64_t bytes = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    const int64_t b = ts[i].numel() * int64_t(ts[i].element_size());
    const bool sameDtype = out.empty() || ts[out.back().front()].scalar_type() == ts[i].scalar_type();
    if (out.empty() || !sameDtype || (bytes > 0 && bytes + b > bucketBytes)) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(i);
    bytes += b;
  }
  return out;
}

at::Tensor flatten(const std::vector<at::Tensor>& ts, const std::vector<size_t>& idx) {
  if (idx.size() == 1) return ts[idx[0]].is_contiguous() ? ts[idx[0]].view({-1}) : ts[idx[0]].reshape({-1}).clone();
  std::vector<at::Tensor> flat;
  for (size_t i : idx) flat.push_back(ts[i].reshape({-1}));
  return at::cat(flat);
}

void unflatten(std::vector<at::Tensor>& ts, const std::vector<size_t>& idx, const at::Tensor& flat) {
  int64_t off = 0;
  for (size_t i : idx) {
    const int64_t n = ts[i].numel();
    if (!(idx.size() == 1 && ts[i].is_contiguous() && flat.data_ptr() == ts[i].data_ptr())) ts[i].copy_(flat.narrow(0, off, n).view(ts[i].sizes()));
    off += n;
  }
}

// Flattens `ts` into buckets, enqueues `launch(flat)` for every bucket before waiting on the first,
// then for each bucket in order waits, applies `finish(flat)` and copies the result back.
template <typename Launch, typename Finish>
void bucketed(std::vector<at::Tensor>& ts, int64_t bucketBytes, Launch launch, Finish finish) {
  auto bs = buckets(ts, bucketBytes);
  std::vector<at::Tensor> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& b : bs) {
    flats.push_back(flatten(ts, b));
    std::vector<at::Tensor> one{flats.back()};
    works.push_back(launch(one));
  }
  for (size_t k = 0; k < bs.size(); k++) {
    works[k]->wait();
    finish(flats[k]);
    unflatten(ts, bs[k], flats[k]);
  }
}

c10d::ReduceOp reduceOp(Ctx& c, size_t i, bool* average) {
  const std::string op = c.has(i) ? c.str(i) : "sum";
  *average = op == "avg";
  if (op == "sum" || op == "avg") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  c.argFail(i, "must be 'sum', 'avg', 'max', 'min' or 'product', got '" + op + "'");
}

class AllReduceJob : public Job {
 public:
  AllReduceJob(Napi::Env env, std::vector<at::Tensor> ts, c10d::ReduceOp reduce, bool average, int64_t bucketBytes)
      : Job(env, "distributed.allReduce"), ts(std::move(ts)), reduce(reduce), average(average), bucketBytes(bucketBytes) {}

 private:
  void run() override {
    Group& g = *group;
    c10d::AllreduceOptions o;
    o.reduceOp = reduce;
    bucketed(
        ts, bucketBytes, [&](std::vector<at::Tensor>& one) { return g.pg->allreduce(one, o); },
        [&](at::Tensor& flat) {
          if (average) flat.div_(g.world);
        });
  }
  std::vector<at::Tensor> ts;
  c10d::ReduceOp reduce;
  bool average;
  int64_t bucketBytes;
};

class BroadcastJob : public Job {
 public:
  BroadcastJob(Napi::Env env, std::vector<at::Tensor> ts, int root, int64_t bucketBytes)
      : Job(env, "distributed.broadcast"), ts(std::move(ts)), root(root), bucketBytes(bucketBytes) {}

 private:
  void run() override {
    Group& g = *group;
    c10d::BroadcastOptions o;
    o.rootRank = root;
    bucketed(
        ts, bucketBytes, [&](std::vector<at::Tensor>& one) { return g.pg->broadcast(one, o); }, [](at::Tensor&) {});
  }
  std::vector<at::Tensor> ts;
  int root;
  int64_t bucketBytes;
};

class AllGatherJob : public Job {
 public:
  AllGatherJob(Napi::Env env, at::Tensor t) : Job(env, "distributed.allGather"), t(std::move(t)) {}

 private:
  void run() override {
    Group& g = *group;
    std::vector<at::Tensor> in{t.contiguous()};
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < g.world; r++) out[0].push_back(at::empty_like(in[0]));
    g.pg->allgather(out, in)->wait();
    gathered = out[0];
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Array a = Napi::Array::New(env, gathered.size());
    for (size_t i = 0; i < gathered.size(); i++) a.Set(i, Napi::Number::New(env, newSlot(env, gathered[i])));
    return a;
  }
  at::Tensor t;
  std::vector<at::Tensor> gathered;
};

class BarrierJob : public Job {
 public:
  explicit BarrierJob(Napi::Env env) : Job(env, "distributed.barrier") {}

 private:
  void run() override { group->pg->barrier()->wait(); }
};

void checkCollectiveTensors(Ctx& c, const std::vector<at::Tensor>& ts) {
  for (size_t i = 0; i < ts.size(); i++) {
    if (!ts[i].device().is_cpu())
      c.argFail(0, "element " + std::to_string(i) + " is on " + ts[i].device().str() +
                       ": the Gloo backend of this libtorch reduces CPU tensors (NCCL needs a CUDA build of libtorch)");
  }
}

Napi::Value distAllReduce(Ctx& c) {
  current(c);
  auto ts = c.tensors(0);
  checkCollectiveTensors(c, ts);
  bool average = false;
  auto op = reduceOp(c, 1, &average);
  if (average)
    for (size_t i = 0; i < ts.size(); i++)
      if (!at::isFloatingType(ts[i].scalar_type()))
        c.argFail(0, "element " + std::to_string(i) + " is " + dtypeName(ts[i].scalar_type()) + ": 'avg' needs floating-point tensors (use 'sum')");
  const int64_t bucketBytes = c.i64(2, 25 << 20);
  auto* job = new AllReduceJob(c.env, std::move(ts), op, average, bucketBytes);
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

Napi::Value distBroadcast(Ctx& c) {
  Group& g = current(c);
  auto ts = c.tensors(0);
  checkCollectiveTensors(c, ts);
  const int64_t root = c.i64(1, 0);
  if (root < 0 || root >= g.world) c.argFail(1, "root must be a rank in [0, " + std::to_string(g.world) + "), got " + std::to_string(root));
  auto* job = new BroadcastJob(c.env, std::move(ts), int(root), c.i64(2, 25 << 20));
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

Napi::Value distAllGather(Ctx& c) {
  current(c);
  at::Tensor t = c.t(0);
  checkCollectiveTensors(c, {t});
  auto* job = new AllGatherJob(c.env, t);
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

Napi::Value distBarrier(Ctx& c) {
  current(c);
  auto* job = new BarrierJob(c.env);
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

}  // namespace

const std::vector<OpDef>& distributedOps() {
  static const std::vector<OpDef> ops = {
      {"distInit", distInit},           {"distDestroy", distDestroy}, {"distInfo", distInfo},     {"distAllReduce", distAllReduce},
      {"distBroadcast", distBroadcast}, {"distAllGather", distAllGather}, {"distBarrier", distBarrier},
  };
  return ops;
}

}  // namespace pt
