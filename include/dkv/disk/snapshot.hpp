#pragma once
// Snapshot files (protocol/WAL.md): the WAL record format, a header record
//   "DKVSNAP1" | u64 first_wal_segment | bytes node_id
// then one entry record per stored key (tombstones included), then a
// trailer record "DKVEND01" | u64 entry_count. Written to <path>.tmp and
// renamed into place once complete and synced. The .tmp may be a spare (an
// older snapshot's file) renamed and overwritten: its blocks are allocated
// already.
//
// A snapshot is as large as the data, and nothing reads it until a restart:
// its pages are written back and dropped from the page cache as it goes
// (disk/writeback.hpp), so it holds at most ~16 MiB of the page
// cache rather than the data's size.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "dkv/disk/file.hpp"
#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_writer.hpp"

namespace dkv::disk {

inline constexpr std::string_view snapshot_magic = "DKVSNAP1";
inline constexpr std::string_view snapshot_end_magic = "DKVEND01";

struct snapshot_header {
  std::uint64_t first_wal_segment = 0;
  std::string_view node_id;
};
std::string encode_snapshot_header(const snapshot_header& h);
std::optional<snapshot_header> decode_snapshot_header(std::string_view payload);
std::string encode_snapshot_trailer(std::uint64_t entry_count);
std::optional<std::uint64_t> decode_snapshot_trailer(std::string_view payload);

// Writes one snapshot incrementally: begin(), add() and seal() encode into
// a buffer, which write_buffered() writes to the file now and then. That
// call touches nothing but the file and the buffer, so the owner may run it
// on a helper thread and wait (writing into the page cache costs a fault per
// fresh page, in a virtual machine a slow one: the event loop should not
// pay it; and it waits for the disk to take what was written 8 MiB
// before). The file is then made durable, dropped from the page cache and
// renamed by publish(), which touches no node state either.
class snapshot_writer {
 public:
  // Starts <final_path>.tmp, from the file at `spare_path` if there is one.
  std::error_code begin(const std::string& final_path, const snapshot_header& h,
                        const std::string& spare_path);
  void add(const wal::entry& e);
  // Appends the trailer; write_buffered() then writes the rest.
  void seal();
  std::size_t buffered() const noexcept { return buffer_.size(); }
  // Writes and empties the buffer; starts the writeback of what it wrote,
  // and writes back and drops what lies more than 8 MiB behind.
  std::error_code write_buffered();
  // Truncation to `size` (the snapshot's bytes: a spare may have held
  // more), fdatasync, dropping its cached pages, rename to the final path,
  // fsync of the directory.
  static std::error_code publish(int fd, std::uint64_t size, const std::string& tmp_path,
                                 const std::string& final_path);
  // Drops an unfinished snapshot.
  void abort();

  int fd() const noexcept { return file_.fd(); }
  file release_file() noexcept { return std::move(file_); }
  const std::string& tmp_path() const noexcept { return tmp_path_; }
  const std::string& final_path() const noexcept { return final_path_; }
  std::uint64_t entries() const noexcept { return entries_; }
  std::uint64_t bytes() const noexcept { return writer_.offset(); }

 private:
  file file_;
  std::string tmp_path_, final_path_;
  wal::log_writer writer_;
  std::string buffer_;
  std::uint64_t entries_ = 0;
  std::uint64_t dropped_ = 0;  // bytes from the start written back and dropped
};

}  // namespace dkv::disk
