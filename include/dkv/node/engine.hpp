#pragma once
// The node's key-value operations, shared by every front end (binary
// protocol, RESP, REPL). A local write gets a fresh HLC version, is
// appended to the write-ahead log, and only then applied to the store
// (last-writer-wins). Counts what it serves for STATS/INFO.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkv/node/durable_log.hpp"
#include "dkv/store/hlc.hpp"
#include "dkv/store/store.hpp"

namespace dkv::node {

struct engine_counters {
  std::uint64_t gets = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t puts = 0;
  std::uint64_t dels = 0;
  std::uint64_t refused_writes = 0;  // the log had failed
};

// What a write did: `lsn` is its log sequence number (wait for it with
// durable_log::async_wait before acknowledging), 0 when the log refused it
// and nothing changed (the reason is write_failure()).
struct write_result {
  std::uint64_t lsn = 0;
  bool existed = false;  // del: a live key was deleted
};

class engine {
 public:
  engine(std::string_view node_id, durable_log& log);

  std::optional<std::string_view> get(std::string_view key);
  bool exists(std::string_view key) const;
  write_result put(std::string_view key, std::string_view value);
  write_result del(std::string_view key);
  const std::string& write_failure() const noexcept { return log_.failure(); }

  // An entry from another node (migration), with its own version: applied
  // if newer (last-writer-wins) and logged either way. Returns its lsn.
  std::uint64_t apply_remote(const wal::entry& e);
  // Forgets partition `p` after its new owner confirmed it; logged.
  std::uint64_t drop_partition(std::uint32_t p);

  // Seed data: the lowest version, so any real write or delete wins.
  write_result import_seed(std::string_view key, std::string_view value);
  // Moves the clock past versions recovered from disk.
  void observe(std::uint64_t hlc) noexcept { clock_.observe(store::version{hlc, 0}); }
  // Removes tombstones older than `grace_ms`; returns how many.
  std::size_t purge_tombstones(std::uint64_t grace_ms);

  const store::store& data() const noexcept { return store_; }
  store::store& recovery_target() noexcept { return store_; }
  durable_log& log() noexcept { return log_; }
  const durable_log& log() const noexcept { return log_; }
  const engine_counters& counters() const noexcept { return counters_; }

 private:
  std::uint64_t append(wal::op kind, std::string_view key, std::string_view value,
                       const store::version& v);

  store::store store_;
  store::hlc clock_;
  durable_log& log_;
  engine_counters counters_;
};

}  // namespace dkv::node
