// Tensor handles: a slot table that owns one libtorch reference per JS handle, and the memory
// accounting behind memory() and the host bytes reported to V8 (see handles.h).
#include "handles.h"
#include "storage_table.h"

#include <cmath>
#include <deque>
#include <stdexcept>
#include <vector>

namespace pt {

// ---------------------------------------------------------------- tensor slots and accounting
// A tensor handle is a number: slot index + generation · 2^24. Passing numbers costs Node-API
// nothing, where a handle object cost an allocation plus a weak reference that the garbage
// collector had to process for every tensor (that was most of a tiny op's time). A stale or forged
// id fails the generation check and is reported as a disposed tensor; it can never reach freed memory.
namespace {
constexpr double kSlotSpan = 16777216.0;  // 2^24 slots per generation

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

}  // namespace

// The live slot an id names, or null; its index through `index`.
Slot* lookup(double id, size_t* index) {
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

MemoryStats memoryStats(node_api_basic_env env) {
  reportToV8(env);
  int64_t v8External = 0;  // V8's own count of external memory, which our host bytes feed
  napi_adjust_external_memory(env, 0, &v8External);
  return MemoryStats{acct.liveTensors, static_cast<int64_t>(acct.storages.size()), acct.hostBytes, acct.deviceBytes, v8External};
}

}  // namespace pt
