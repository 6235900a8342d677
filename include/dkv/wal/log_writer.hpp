#pragma once
// Frames logical records into the physical format of log_format.hpp.
// Pure: it appends bytes to a caller's buffer and tracks the file offset;
// the caller writes the buffer to the file.

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::wal {

class log_writer {
 public:
  // `file_offset`: current size of the file the bytes will be appended to
  // (0 for a new file).
  explicit log_writer(std::uint64_t file_offset = 0) noexcept : offset_(file_offset) {}

  // Appends the fragments (and any block padding) of one logical record.
  void add_record(std::string_view payload, std::string& out);

  // File offset after everything appended so far.
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  std::uint64_t offset_;
};

}  // namespace dkv::wal
