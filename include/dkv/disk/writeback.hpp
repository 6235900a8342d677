#pragma once
// Keeping a file that is written once, front to back, and read only when the
// node restarts (a WAL segment, a snapshot) out of the page cache while it is
// written: each written range's writeback is started at once, and what lies
// more than drop_lag behind the end is written back and dropped
// (disk::drop_cached says why). Such a file holds at most ~2 * drop_lag of
// the page cache, and its writeback is done in small steps: an fdatasync
// later finds little left to write instead of a second's worth (which kept
// the thread calling it on a CPU for milliseconds, PREEMPT_NONE kernels
// switching only at their 4 ms tick).

#include <cstdint>
#include <system_error>

namespace dkv::disk {

// The writeback started for each range has had the time of drop_lag more
// bytes to finish before write_back_behind() waits for it.
inline constexpr std::uint64_t drop_lag = 8u << 20;

// Where the dropped front of a file written up to `end` moves from
// `dropped`: `dropped` itself until 2 * drop_lag lies between them, then a
// page boundary drop_lag behind `end`.
std::uint64_t drop_target(std::uint64_t dropped, std::uint64_t end) noexcept;

// Starts the writeback of [start, end) and returns at once; then writes back
// [dropped, upto) and waits for it (not a durability point: neither metadata
// nor the disk's cache is flushed), and drops it from the page cache. An
// error is one that the file's next fdatasync would not report again.
std::error_code write_back_behind(int fd, std::uint64_t start, std::uint64_t end,
                                  std::uint64_t dropped, std::uint64_t upto) noexcept;

}  // namespace dkv::disk
