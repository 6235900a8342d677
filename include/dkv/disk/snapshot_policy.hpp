#pragma once
// When a snapshot is due (snapshotter): its cost is writing the whole data
// once, so it waits until the log written since the last one is at least
// the data's size (and a floor, --snapshot-min-bytes); recovery then reads
// at most about twice the data. Restarts each open a new segment, so many
// restarts with few writes would leave many small files: more than
// max_partial_segments segments besides those the bytes fill make one due
// too. Full segments never do on their own: with data larger than 16 of
// them, a snapshot every 16 segments would rewrite the data far more often
// than the log grows by its size. Pure.

#include <algorithm>
#include <cstdint>

namespace dkv::disk {

inline constexpr std::uint64_t max_partial_segments = 16;

// `log_bytes` and `log_segments`: written and opened since the last
// snapshot; `segment_limit`: the size at which a segment is full.
constexpr bool snapshot_due(std::uint64_t log_bytes, std::uint64_t log_segments,
                            std::uint64_t data_bytes, std::uint64_t min_bytes,
                            std::uint64_t segment_limit) noexcept {
  const std::uint64_t full = std::min(log_segments, log_bytes / segment_limit);
  return (log_bytes >= min_bytes && log_bytes >= data_bytes) ||
         log_segments - full > max_partial_segments;
}

}  // namespace dkv::disk
