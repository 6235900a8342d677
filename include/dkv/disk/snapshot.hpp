#pragma once
// Snapshot files (protocol/WAL.md): the WAL record format, a header record
//   "DKVSNAP1" | u64 first_wal_segment | bytes node_id
// then one entry record per stored key (tombstones included), then a
// trailer record "DKVEND01" | u64 entry_count. Written to <path>.tmp and
// renamed into place once complete and synced.

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

// Writes one snapshot incrementally: add() buffers entries and writes them
// in large chunks; seal() appends the trailer and writes the rest. The file
// is then made durable and renamed by publish(), which touches no node state
// and may run on a helper thread.
class snapshot_writer {
 public:
  std::error_code begin(const std::string& final_path, const snapshot_header& h);
  std::error_code add(const wal::entry& e);
  std::error_code seal();
  // fdatasync + rename to the final path + fsync of the directory.
  static std::error_code publish(int fd, const std::string& tmp_path,
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
  std::error_code flush_if(std::size_t threshold);

  file file_;
  std::string tmp_path_, final_path_;
  wal::log_writer writer_;
  std::string buffer_;
  std::uint64_t entries_ = 0;
};

}  // namespace dkv::disk
