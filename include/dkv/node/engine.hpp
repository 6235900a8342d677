#pragma once
// The node's key-value operations, shared by every front end (binary
// protocol, RESP, REPL). Local writes get a fresh HLC version; the store
// keeps last-writer-wins order. Counts what it serves for STATS/INFO.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkv/store/hlc.hpp"
#include "dkv/store/store.hpp"

namespace dkv::node {

struct engine_counters {
  std::uint64_t gets = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t puts = 0;
  std::uint64_t dels = 0;
};

class engine {
 public:
  explicit engine(std::string_view node_id);

  std::optional<std::string_view> get(std::string_view key);
  bool exists(std::string_view key) const;
  void put(std::string_view key, std::string_view value);
  // True when a live key was deleted.
  bool del(std::string_view key);
  // Removes tombstones older than `grace_ms`; returns how many.
  std::size_t purge_tombstones(std::uint64_t grace_ms);

  const store::store& data() const noexcept { return store_; }
  const engine_counters& counters() const noexcept { return counters_; }

 private:
  store::version next_version();

  store::store store_;
  store::hlc clock_;
  engine_counters counters_;
};

}  // namespace dkv::node
