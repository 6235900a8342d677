#include "dkv/store/store.hpp"

#include <algorithm>

namespace dkv::store {

// Counters always describe the stored entries: each entry is counted once,
// as live or as a tombstone, and payload_bytes_ sums key + live value sizes.

store::store(std::uint64_t table_seed) {
  partitions_.reserve(common::partition_count);
  for (std::uint32_t p = 0; p < common::partition_count; ++p) partitions_.emplace_back(table_seed);
}

std::optional<std::string_view> store::get(std::string_view key) const {
  const entry* e = find(key);
  if (!e || e->tombstone()) return std::nullopt;
  return e->value();
}

const entry* store::find(std::string_view key) const {
  const hashed_key k(key);
  return partitions_[common::partition_of_hash(k.hash)].find(k);
}

void store::prefetch(std::span<const std::string_view> keys) const noexcept {
  constexpr std::size_t chunk = 32;  // lines in flight: about what a core tracks
  std::uint64_t hashes[chunk];
  while (!keys.empty()) {
    const std::size_t n = std::min(keys.size(), chunk);
    for (std::size_t i = 0; i < n; ++i) {
      const hashed_key k(keys[i]);
      hashes[i] = k.hash;
      partitions_[common::partition_of_hash(k.hash)].prefetch_slot(k);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const hashed_key k(keys[i], hashes[i]);
      partitions_[common::partition_of_hash(k.hash)].prefetch_block(k);
    }
    keys = keys.subspan(n);
  }
}

apply_result store::put(std::string_view key, std::string_view value, const version& v) {
  return write(key, value, v, false);
}

apply_result store::remove(std::string_view key, const version& v) {
  return write(key, {}, v, true);
}

apply_result store::write(std::string_view key, std::string_view value, const version& v,
                          bool tombstone) {
  const hashed_key k(key);
  auto& part = partitions_[common::partition_of_hash(k.hash)];
  entry* e = part.find(k);
  if (!e) {
    // A tombstone for a key never seen still matters: it must stop an older
    // write that arrives later (e.g. from a migration) from resurrecting it.
    account(part.insert(k, entry(key, value, v, tombstone)), +1);
    return apply_result::applied;
  }
  // assign() keeps the key bytes, so the entry stays where the table put it.
  if (!(e->ver() < v)) return apply_result::stale;
  account(*e, -1);
  e->assign(value, v, tombstone);
  account(*e, +1);
  return apply_result::applied;
}

void store::drop_partition(std::uint32_t p) {
  for (const entry& e : partitions_[p]) account(e, -1);
  partitions_[p].clear();
}

std::size_t store::purge_tombstones(std::uint64_t hlc_before) {
  if (tombstones_ == 0) return 0;  // no scan of every key for nothing
  std::size_t purged = 0;
  for (auto& part : partitions_) {
    purged += part.erase_if([&](const entry& e) {
      const bool drop = e.tombstone() && e.ver().hlc < hlc_before;
      if (drop) account(e, -1);
      return drop;
    });
  }
  return purged;
}

void store::account(const entry& e, int sign) noexcept {
  if (e.tombstone()) {
    tombstones_ += sign;
  } else {
    live_keys_ += sign;
    payload_bytes_ += sign * static_cast<std::ptrdiff_t>(e.key().size() + e.value().size());
  }
}

}  // namespace dkv::store
