#pragma once
// Writing back a file as it is written, front to back, in small steps (a WAL
// segment), and keeping one that is read only when the node restarts (a
// snapshot where direct I/O is not to be had) out of the page cache
// meanwhile: the writeback of each written range is started at once, and
// what lies more than drop_lag behind the end is dropped (disk::drop_cached
// says why). Such a file holds about drop_lag of the page cache, more while
// the disk lags. In small steps, a later fdatasync finds little left to
// write instead of a second's worth (which kept the thread calling it on a
// CPU for milliseconds, PREEMPT_NONE kernels switching only at their tick).

#include <cstdint>
#include <system_error>

namespace dkv::disk {

// The page cache's unit: drop points, and the ends of the steps of a file
// still being appended to (whose last page the next write goes on in),
// fall on its boundaries.
inline constexpr std::uint64_t page_bytes = 4096;

// The writeback started for each range has had the time of drop_lag more
// bytes to finish before that range is dropped.
inline constexpr std::uint64_t drop_lag = 8u << 20;

// The page boundary drop_lag behind `end` (0 before that): what a file
// written up to `end` keeps cached starts there.
std::uint64_t drop_point(std::uint64_t end) noexcept;

// Starts the writeback of [from, end) and returns at once (sync_file_range
// WRITE): the small steps of a file that stays cached (a WAL segment, whose
// pages a later segment reuses).
std::error_code start_writeback(int fd, std::uint64_t from, std::uint64_t end) noexcept;

// One step of such a file, written from `from` to `end` since the last step (or
// its start): starts the writeback of [from, end) and returns at once
// (sync_file_range), and drops what lies between the drop points of the two,
// [drop_point(from), drop_point(end)). Nothing waits for the disk: a wait wakes
// the caller again as pages complete (1474 preemptions of the event loop in 7 s
// of SET 1 KiB -P 1, docs/PERFORMANCE.md). Pages still being written back when
// dropped stay cached until the file's final drop; an I/O error of the
// writeback is reported by the file's next fdatasync.
std::error_code write_back_step(int fd, std::uint64_t from, std::uint64_t end) noexcept;

}  // namespace dkv::disk
