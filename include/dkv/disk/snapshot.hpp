#pragma once
// Snapshot files (protocol/WAL.md): the WAL record format, a header record
//   "DKVSNAP1" | u64 first_wal_segment | bytes node_id
// then one entry record per stored key (tombstones included), then a
// trailer record "DKVEND01" | u64 entry_count. Written to <path>.tmp and
// renamed into place once complete and synced. The .tmp may be a spare (an
// older snapshot's file) renamed and overwritten: its blocks are allocated
// already.
//
// A snapshot is as large as the data, and nothing reads it until a restart,
// so it is written with direct I/O where the file system takes it: it
// passes by the page cache, and costs a quarter of the CPU of writing
// through it (1 GiB in 1 MiB writes: 0.2 s against 0.7-0.8 s of system
// time, docs/PERFORMANCE.md) with no writeback work left for the kernel's
// threads. Elsewhere (tmpfs) it is written through the page cache like a
// WAL segment, its writeback started as it goes and its pages dropped
// drop_lag behind (disk/writeback.hpp).

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "dkv/disk/file.hpp"
#include "dkv/store/entry.hpp"
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
// call touches nothing but the file and the buffers, so the owner may run
// it on a helper thread and wait (it waits for the disk under direct I/O;
// through the page cache it takes a fault per fresh page, in a virtual
// machine a slow one: the event loop should pay neither). The file is then
// cut to size, made durable, dropped from the page cache and renamed by
// publish(), which touches no node state either.
class snapshot_writer {
 public:
  // Starts <final_path>.tmp, from the file at `spare_path` if there is one.
  std::error_code begin(const std::string& final_path, const snapshot_header& h,
                        const std::string& spare_path);
  void add(const wal::entry& e);
  // The same for a stored entry (a tombstone as a DEL).
  void add(const store::entry& e);
  // Appends the trailer; write_buffered() then writes the rest.
  void seal();
  std::size_t buffered() const noexcept { return buffer_.size(); }
  // Empties the buffer towards the file. Under direct I/O, whole
  // direct_chunks go to the disk and the rest waits for more (after seal():
  // the rest too, padded with zeros to direct_io_align, which publish()
  // cuts off); otherwise it is all written, its writeback started, and what
  // lies drop_lag behind dropped.
  std::error_code write_buffered();
  // Whether the file is written with direct I/O (see file::try_direct_io).
  bool direct() const noexcept { return staging_ != nullptr; }
  // Truncation to `size` (the snapshot's bytes: a spare may have held
  // more, direct I/O pads the end), fdatasync, dropping its cached pages,
  // rename to the final path, fsync of the directory.
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

  // Bytes per direct write: larger writes cost less CPU per byte (1 GiB in
  // 256 KiB writes: 0.35 s of system time, in 1 MiB writes 0.2 s).
  static constexpr std::size_t direct_chunk = 1u << 20;

 private:
  struct free_memory {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  // Writes staged_ bytes of the staging buffer (a multiple of
  // direct_io_align) with direct I/O.
  std::error_code write_staged();

  file file_;
  std::string tmp_path_, final_path_;
  wal::log_writer writer_;
  std::string buffer_;
  std::uint64_t entries_ = 0;
  bool sealed_ = false;
  // Direct I/O: encoded bytes gather here (direct_chunk bytes, aligned)
  // until a chunk is full. Null when writing through the page cache.
  std::unique_ptr<char, free_memory> staging_;
  std::size_t staged_ = 0;
};

}  // namespace dkv::disk
