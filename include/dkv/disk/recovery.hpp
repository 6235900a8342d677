#pragma once
// Startup recovery of a data dir (protocol/WAL.md): the newest complete
// snapshot, then every WAL segment it does not cover, applied
// last-writer-wins into a store. A torn tail of the last segment is
// truncated; a segment written over a retired one's file ends where the
// older records begin; corruption anywhere else stops recovery with a
// message naming the file and offset, unless skip_corrupt is set (then the
// damaged block is skipped and counted); so does a damaged snapshot.
// Leftover temporary snapshot files of a crash are removed.

#include <cstdint>
#include <optional>
#include <string>

#include "dkv/store/store.hpp"

namespace dkv::disk {

struct recovery_options {
  bool skip_corrupt = false;
};

struct recovery_report {
  std::uint64_t snapshot_seq = 0;        // 0: no snapshot used
  std::uint64_t snapshot_entries = 0;
  std::uint64_t segments_replayed = 0;
  std::uint64_t records_replayed = 0;
  std::uint64_t bytes_replayed = 0;        // WAL bytes not covered by the snapshot
  std::uint64_t torn_bytes_truncated = 0;
  std::uint64_t corrupt_regions_skipped = 0;
  std::uint64_t incomplete_snapshots = 0;  // damaged, skipped (skip_corrupt only)
  std::uint64_t next_seq = 1;              // first free segment/snapshot sequence
  std::uint64_t max_hlc = 0;               // largest version seen (for the clock)
};

// Returns an error message, or nullopt on success. `into` must be empty: a
// snapshot found damaged partway through is taken out of it again by
// emptying it.
std::optional<std::string> recover(const std::string& dir, store::store& into,
                                   const recovery_options& opts, recovery_report& report);

}  // namespace dkv::disk
