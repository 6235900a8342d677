#pragma once
// A thin RAII wrapper over a POSIX file descriptor for the data dir's files.
// Errors are values (std::error_code from errno); nothing throws.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace dkv::disk {

// What direct I/O (file::try_direct_io) needs aligned to: buffer addresses,
// file offsets and lengths.
inline constexpr std::size_t direct_io_align = 4096;

class file {
 public:
  file() = default;
  explicit file(int fd) noexcept : fd_(fd) {}
  file(file&& o) noexcept : fd_(o.release()) {}
  file& operator=(file&& o) noexcept;
  file(const file&) = delete;
  file& operator=(const file&) = delete;
  ~file() { close(); }

  // Opens for appending, creating it if missing.
  static std::error_code open_append(const std::string& path, file& out);
  // Opens for writing from offset 0 over what the file holds, creating it
  // if missing (no truncation: its blocks and cached pages are reused).
  static std::error_code open_overwrite(const std::string& path, file& out);
  static std::error_code open_read(const std::string& path, file& out);
  // Creates (or empties) the file and opens it for writing from offset 0,
  // with `bytes` of disk blocks allocated beyond its end (fallocate
  // KEEP_SIZE; its size stays 0). Appends into those blocks allocate
  // nothing, so they never wait for the file's writeback, which allocates
  // the blocks of appends that have none (ext4 holds the file's block map
  // lock meanwhile). A file system that cannot preallocate (no support, or
  // not that much space) gets a plain empty file: only an error opening it
  // is returned.
  static std::error_code create_preallocated(const std::string& path, std::uint64_t bytes,
                                             file& out);

  // Turns on direct I/O (O_DIRECT: writes go to the disk, not through the
  // page cache) if the file system says it takes it with direct_io_align
  // alignment (statx STATX_DIOALIGN; tmpfs, for one, does not say). False,
  // with nothing changed, if not.
  bool try_direct_io() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void close() noexcept;

  // Writes all of `data` (retrying short writes and EINTR).
  std::error_code write_all(std::string_view data) noexcept;
  // The same at file offset `offset` (pwrite: the file position is not
  // used; not for a file opened for appending, where Linux appends).
  std::error_code write_all_at(std::uint64_t offset, std::string_view data) noexcept;
  // Reads up to `size` bytes at `offset` into `data` (retrying short reads
  // and EINTR); `got` is less than `size` only at the end of the file.
  std::error_code read_at(std::uint64_t offset, char* data, std::size_t size,
                          std::size_t& got) const noexcept;
  std::error_code sync() noexcept;  // fdatasync
  std::error_code truncate(std::uint64_t size) noexcept;
  std::error_code size(std::uint64_t& out) const noexcept;

 private:
  int fd_ = -1;
};

// Drops the clean cached pages of the file open as `fd` (of `length` bytes
// from `offset`; 0: to its end) from the page cache: a hint, with no error
// to report. For files the node reads only when it restarts (a synced WAL
// segment, a snapshot): the freed pages then serve its next writes. In a
// virtual machine that is much cheaper than growing the page cache into
// memory the host has not backed (or took back: free page reporting), and
// several writers doing that at once slow each other down
// (docs/PERFORMANCE.md).
void drop_cached(int fd, std::uint64_t offset = 0, std::uint64_t length = 0) noexcept;

// Bytes of the file at `path` in the page cache, in whole pages (mincore
// over a read-only mapping, which reads nothing in); nullopt when it cannot
// tell.
std::optional<std::uint64_t> cached_bytes(const std::string& path) noexcept;

// Reads a whole file into `out`.
std::error_code read_file(const std::string& path, std::string& out);
// Writes `data` to `path` atomically: a temp file, fdatasync, rename, and
// an fsync of the directory.
std::error_code write_file_atomic(const std::string& path, std::string_view data);
// fsync of a directory, so that a rename or a new file in it is durable.
std::error_code sync_dir(const std::string& dir) noexcept;

}  // namespace dkv::disk
