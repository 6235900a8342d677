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
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "dkv/common/key_hash.hpp"
#include "dkv/store/entry.hpp"
#include "dkv/store/version.hpp"

namespace dkv::store {

// A key with its key_hash: one hash picks the partition and finds the key
// inside it.
struct hashed_key {
  explicit hashed_key(std::string_view k) noexcept : key(k), hash(common::key_hash(k)) {}
  std::string_view key;
  std::uint64_t hash;
};

struct entry_hash {
  using is_transparent = void;
  std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
  std::size_t operator()(const entry& e) const noexcept { return common::key_hash(e.key()); }
};
struct entry_equal {
  using is_transparent = void;
  static std::string_view key_of(const hashed_key& k) noexcept { return k.key; }
  static std::string_view key_of(const entry& e) noexcept { return e.key(); }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return key_of(a) == key_of(b);
  }
};

// Entries are their own keys: a set looked up by key.
using partition_map = boost::unordered_flat_set<entry, entry_hash, entry_equal>;

// What a write did.
enum class apply_result {
  applied,  // the write's version was newer: it is now the stored state
  stale,    // an equal or newer version is stored: nothing changed
};

class store {
 public:
  store();

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

  const partition_map& partition(std::uint32_t p) const { return partitions_[p]; }

  // Calls f(entry) for every entry of partition `p`, tombstones included,
  // in the set's order. Faster than iterating partition(p) when the entries
  // are read: each entry's key and value block is a cache miss of its own
  // (blocks lie in allocation order, the set in hash order), so the blocks
  // of the entries ahead are prefetched while the current one is handled.
  template <class F>
  void scan(std::uint32_t p, F&& f) const {
    constexpr int distance = 16;
    const partition_map& part = partitions_[p];
    auto ahead = part.begin();
    for (int i = 0; i < distance && ahead != part.end(); ++i, ++ahead) ahead->prefetch();
    for (const entry& e : part) {
      if (ahead != part.end()) (ahead++)->prefetch();
      f(e);
    }
  }

  std::size_t live_keys() const noexcept { return live_keys_; }
  std::size_t tombstones() const noexcept { return tombstones_; }
  // Bytes of keys and live values (payload, not allocator overhead).
  std::size_t payload_bytes() const noexcept { return payload_bytes_; }

 private:
  apply_result write(std::string_view key, std::string_view value, const version& v,
                     bool tombstone);
  void account(const entry& e, int sign) noexcept;

  std::vector<partition_map> partitions_;
  std::size_t live_keys_ = 0;
  std::size_t tombstones_ = 0;
  std::size_t payload_bytes_ = 0;
};

}  // namespace dkv::store
