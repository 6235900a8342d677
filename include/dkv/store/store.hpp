#pragma once
// The in-memory versioned key-value store of one node (DESIGN §6).
// Keys are grouped by partition (top bits of XXH3, see common/key_hash.hpp)
// so that a whole partition can be listed, counted or dropped without
// scanning the others. Every write carries a version; apply() keeps the
// larger one (last-writer-wins), and deletes leave tombstones that carry
// their version until purge_tombstones() removes them after a grace period.
// Pure: no clocks, no I/O.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/common/key_hash.hpp"
#include "dkv/store/entry_table.hpp"
#include "dkv/store/version.hpp"

namespace dkv::store {

// What a write did.
enum class apply_result {
  applied,  // the write's version was newer: it is now the stored state
  stale,    // an equal or newer version is stored: nothing changed
};

class store {
 public:
  // `table_seed` picks where keys sit in the partitions' tables (see
  // entry_table): a node passes a random one.
  explicit store(std::uint64_t table_seed = 0);

  // The live value of `key`, or nullopt when absent or deleted. The view is
  // valid until the next write to the store.
  std::optional<std::string_view> get(std::string_view key) const;
  // The stored entry, tombstones included.
  const entry* find(std::string_view key) const;

  apply_result put(std::string_view key, std::string_view value, const version& v);
  apply_result remove(std::string_view key, const version& v);

  // Removes every entry of partition `p` (handed off to another node).
  void drop_partition(std::uint32_t p);

  // Drops tombstones with a version hlc below `hlc_before`; returns how many.
  std::size_t purge_tombstones(std::uint64_t hlc_before);

  const entry_table& partition(std::uint32_t p) const { return partitions_[p]; }

  // Starts loading what looking up each key will touch: a pipelined batch's
  // lookups then wait for their cache misses together, not in turn (the
  // slots of all keys, then their blocks). A hint: changes nothing.
  void prefetch(std::span<const std::string_view> keys) const noexcept;

  // Calls f(entry) for every entry of partition `p`, tombstones included,
  // in the table's order. Faster than iterating partition(p) when the entries
  // are read: each entry's key and value block is a cache miss of its own
  // (blocks lie in allocation order, the table in hash order), so the blocks
  // of the entries ahead are prefetched while the current one is handled.
  template <class F>
  void scan(std::uint32_t p, F&& f) const {
    scan_from(p, 0, [&f](const entry& e) {
      f(e);
      return true;
    });
  }
  // The same from slot `from` on, while f(entry) returns true; returns the
  // slot after the last entry visited, or partition(p).slot_count() once
  // every entry to the end was (see store_scan for resuming later).
  template <class F>
  std::size_t scan_from(std::uint32_t p, std::size_t from, F&& f) const {
    constexpr int distance = 16;
    const entry_table& part = partitions_[p];
    if (from >= part.slot_count()) return part.slot_count();
    auto ahead = part.from_slot(from);
    for (int i = 0; i < distance && ahead != part.end(); ++i, ++ahead) ahead->prefetch();
    for (auto it = part.from_slot(from); it != part.end(); ++it) {
      if (ahead != part.end()) (ahead++)->prefetch();
      if (!f(*it)) return part.slot_of(*it) + 1;
    }
    return part.slot_count();
  }

  std::size_t live_keys() const noexcept { return live_keys_; }
  std::size_t tombstones() const noexcept { return tombstones_; }
  // Bytes of keys and live values (payload, not allocator overhead).
  std::size_t payload_bytes() const noexcept { return payload_bytes_; }

 private:
  apply_result write(std::string_view key, std::string_view value, const version& v,
                     bool tombstone);
  void account(const entry& e, int sign) noexcept;

  std::vector<entry_table> partitions_;
  std::size_t live_keys_ = 0;
  std::size_t tombstones_ = 0;
  std::size_t payload_bytes_ = 0;
};

}  // namespace dkv::store
