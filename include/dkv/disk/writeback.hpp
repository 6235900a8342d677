#pragma once
// Keeping a file that is written once, front to back, and read only when the
// node restarts (a WAL segment, a snapshot) out of the page cache while it is
// written: the writeback of each written range is started at once, and what
// lies more than drop_lag behind the end is dropped (disk::drop_cached says
// why). Such a file holds at most about 2 * drop_lag of the page cache, and its
// writeback goes in small steps: a later fdatasync finds little left to
// write instead of a second's worth (which kept the thread calling it on a
// CPU for milliseconds, PREEMPT_NONE kernels switching only at their tick).

#include <cstdint>
#include <system_error>

namespace dkv::disk {

// The writeback started for each range has had the time of drop_lag more
// bytes to finish before that range is dropped.
inline constexpr std::uint64_t drop_lag = 8u << 20;

// The page boundary drop_lag behind `end` (0 before that): what a file
// written up to `end` keeps cached starts there.
std::uint64_t drop_point(std::uint64_t end) noexcept;

// For a writer that drops in batches (and waits for them): where the
// dropped front moves from `dropped` once the file is written up to `end`:
// `dropped` itself until 2 * drop_lag lies between them, then drop_point.
std::uint64_t drop_target(std::uint64_t dropped, std::uint64_t end) noexcept;

// Starts the writeback of the dirty pages of [offset, offset + length) and
// returns at once (sync_file_range). An I/O error of that writeback is
// reported by the file's next fdatasync.
std::error_code start_writeback(int fd, std::uint64_t offset, std::uint64_t length) noexcept;

// Writes [offset, offset + length) back and waits for it (not a durability
// point: neither metadata nor the disk's cache is flushed), then drops its
// pages. An error here is one that the file's next fdatasync would not
// report again.
std::error_code write_back_and_drop(int fd, std::uint64_t offset, std::uint64_t length) noexcept;

}  // namespace dkv::disk
