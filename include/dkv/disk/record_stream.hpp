#pragma once
// Reads the records of a file in the log format (protocol/WAL.md) through a
// window of a few MiB rather than the whole file at once: for a snapshot,
// which is as large as the data. Each record is read as log_reader reads it
// from the whole file, with the same statuses; what lies behind the window
// is dropped from the page cache (the file is read once, at start-up). In a
// virtual machine, a buffer as large as the file was the larger part of a
// 1 GB snapshot's recovery time: every page of fresh memory is a slow first
// touch (docs/PERFORMANCE.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "dkv/disk/file.hpp"
#include "dkv/wal/log_reader.hpp"

namespace dkv::disk {

class record_stream {
 public:
  static constexpr std::uint64_t default_window = 4u << 20;

  explicit record_stream(std::uint64_t window = default_window) : window_(window) {}

  std::error_code open(const std::string& path);
  // The next record, as wal::log_reader::next over the whole file; the view
  // is valid until the next call. A read error is `corrupt` with
  // read_error() set.
  wal::read_status next(std::string_view& record);
  // File offset just past the last complete record returned.
  std::uint64_t good_end() const noexcept { return good_end_; }
  std::uint64_t size() const noexcept { return size_; }
  const std::error_code& read_error() const noexcept { return read_error_; }

 private:
  // Reads the window of at least window_ bytes (to the end of the file at
  // most) that holds good_end_, from the block boundary at or before it.
  std::error_code fill();

  file file_;
  std::uint64_t size_ = 0;
  std::uint64_t window_;
  std::uint64_t base_ = 0;  // file offset of buffer_[0], a block boundary
  std::string buffer_;
  std::optional<wal::log_reader> reader_;
  std::uint64_t good_end_ = 0;
  std::error_code read_error_;
};

}  // namespace dkv::disk
