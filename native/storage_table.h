// A small open-addressing hash table from StorageImpl* to (handle count, bytes, host?): the
// accounting behind "host bytes counted once per storage". std::unordered_map allocates a node per
// insert; at one insert and one erase per op that was a measurable share of a tiny op's cost.
// Linear probing, power-of-two capacity, backward-shift deletion (no tombstones). Not thread-safe:
// each JS thread (main or worker) has its own table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pt {

struct StorageEntry {
  const void* key = nullptr;  // null = empty slot
  int64_t refs = 0;
  int64_t bytes = 0;
  bool host = false;
};

class StorageTable {
 public:
  StorageTable() : slots_(1024) {}

  size_t size() const { return size_; }

  StorageEntry* find(const void* key) {
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      StorageEntry& s = slots_[i];
      if (s.key == key) return &s;
      if (s.key == nullptr) return nullptr;
    }
  }

  // Inserts a new entry for a key that is not present.
  StorageEntry& insert(const void* key) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = index(key);
    while (slots_[i].key != nullptr) i = (i + 1) & mask();
    slots_[i] = StorageEntry{key, 0, 0, false};
    size_++;
    return slots_[i];
  }

  void erase(StorageEntry* e) {
    size_t i = static_cast<size_t>(e - slots_.data());
    slots_[i] = StorageEntry{};
    size_--;
    // Backward shift: move later entries of the probe run into the hole when that shortens their probe.
    for (size_t j = (i + 1) & mask(); slots_[j].key != nullptr; j = (j + 1) & mask()) {
      size_t home = index(slots_[j].key);
      bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i] = slots_[j];
        slots_[j] = StorageEntry{};
        i = j;
      }
    }
  }

 private:
  std::vector<StorageEntry> slots_;
  size_t size_ = 0;

  size_t mask() const { return slots_.size() - 1; }
  size_t index(const void* key) const {
    uint64_t x = reinterpret_cast<uint64_t>(key);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<size_t>(x) & mask();
  }
  void grow() {
    std::vector<StorageEntry> old(slots_.size() * 2);
    old.swap(slots_);
    size_ = 0;
    for (const StorageEntry& s : old) {
      if (s.key == nullptr) continue;
      StorageEntry& n = insert(s.key);
      n = s;
    }
  }
};

}  // namespace pt
