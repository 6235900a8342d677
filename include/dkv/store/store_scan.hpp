#pragma once
// A walk over every entry of a store in bounded steps, with the store
// written between them: what the snapshotter encodes a turn of the event
// loop at a time, so that no partition, however large, is read in one go.
//
// Partitions are walked in order, each in slot order; a step ends where the
// caller's function asks to stop and the next one resumes at the slot after.
// If the partition's layout changed meanwhile (its table was rebuilt:
// grown, shrunk by a purge, or cleared), entries may have moved across that
// slot, so the partition is walked again from its start.
//
// Guarantee: every entry present in the store from the first step to the
// last is visited at least once; one present for only part of the walk
// may or may not be. A partition walked again (restarts()) repeats entries
// it had already given; otherwise none is visited twice. (A snapshot is
// fuzzy anyway: the WAL since it began holds every write made meanwhile.)
// Pure: no I/O.

#include <cstddef>
#include <cstdint>

#include "dkv/common/key_hash.hpp"
#include "dkv/store/store.hpp"

namespace dkv::store {

class store_scan {
 public:
  // `s` outlives the walk.
  explicit store_scan(const store& s) noexcept : store_(s) {}

  // Calls f(entry) for the entries after those of the previous steps, while
  // it returns true; returns true once every partition has been walked to
  // its end (and f was not called after it returned false).
  template <class F>
  bool step(F&& f) {
    while (partition_ < common::partition_count) {
      const std::uint64_t layout = store_.partition(partition_).layout();
      if (slot_ != 0 && layout != layout_) {
        slot_ = 0;
        ++restarts_;
      }
      layout_ = layout;
      bool more = true;
      slot_ = store_.scan_from(partition_, slot_, [&](const entry& e) { return more = f(e); });
      if (slot_ >= store_.partition(partition_).slot_count()) {
        ++partition_;
        slot_ = 0;
      }
      if (!more) break;
    }
    return done();
  }

  bool done() const noexcept { return partition_ == common::partition_count; }
  // Partitions walked again from their start because their layout changed.
  std::uint64_t restarts() const noexcept { return restarts_; }

 private:
  const store& store_;
  std::uint32_t partition_ = 0;  // the partition being walked
  std::size_t slot_ = 0;         // where its walk resumes
  std::uint64_t layout_ = 0;     // its layout when the last step left it
  std::uint64_t restarts_ = 0;
};

}  // namespace dkv::store
