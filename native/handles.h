// Tensor handles as numbers (slot index + generation · 2^24) and the memory accounting of live
// tensors. One table per JS thread. Contract:
//  - newSlot takes one reference to a tensor and returns its id; releaseSlot drops it (idempotent:
//    false for an id that is not live); ids of freed slots never name a tensor again.
//  - Host bytes are counted once per storage, however many handles view it, and reported to V8 in
//    batches of ~1 MiB (memoryStats flushes the rest).
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include <cstdint>

namespace pt {

struct Slot {
  at::Tensor t;
  const void* storageKey = nullptr;  // StorageImpl counted for this slot, or null
  uint32_t gen = 0;
};

Slot* lookup(double id, size_t* index = nullptr);
double newSlot(node_api_basic_env env, at::Tensor t);
bool releaseSlot(node_api_basic_env env, double id);

struct MemoryStats {
  int64_t liveTensors, liveStorages, hostBytes, deviceBytes, v8ExternalBytes;
};
MemoryStats memoryStats(node_api_basic_env env);

}  // namespace pt
