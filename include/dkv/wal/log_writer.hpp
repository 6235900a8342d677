#pragma once
// Frames logical records into the physical format of log_format.hpp.
// Pure: it appends bytes to a caller's buffer and tracks the file offset;
// the caller writes the buffer to the file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/wal/log_format.hpp"

namespace dkv::wal {

class log_writer {
 public:
  // `file_offset`: current size of the file the bytes will be appended to
  // (0 for a new file). Writes 7-byte fragments (snapshots).
  explicit log_writer(std::uint64_t file_offset = 0) noexcept : offset_(file_offset) {}
  // Writes recyclable fragments carrying `segment` (segment_number() of the
  // WAL segment's sequence), for a file that may be written over from
  // offset 0 while an older segment's bytes lie past the end.
  static log_writer for_segment(std::uint32_t segment, std::uint64_t file_offset = 0) noexcept;

  // Appends the fragments (and any block padding) of one logical record.
  void add_record(std::string_view payload, std::string& out);

  // The same bytes as add_record(payload, out), for a payload of `size`
  // bytes that `append_payload(std::string&)` appends itself. A record that
  // fits in the current block (most do) is framed around it in place,
  // without a copy of the payload.
  template <class AppendPayload>
  void add_record(std::size_t size, AppendPayload&& append_payload, std::string& out) {
    if (fits_full(size)) {
      const std::size_t at = out.size();
      out.append(header_size_, '\0');
      append_payload(out);
      frame(out, at, fragment_type::full);
      return;
    }
    std::string payload;
    payload.reserve(size);
    append_payload(payload);
    add_record(payload, out);
  }

  // File offset after everything appended so far.
  std::uint64_t offset() const noexcept { return offset_; }

 private:
  // Whether a record of `size` bytes starting now is one FULL fragment.
  bool fits_full(std::size_t size) const noexcept;
  // Fills in the header at out[at] of the fragment that ends `out`, of
  // `type` (a 7-byte one's; a recyclable writer writes its counterpart),
  // and moves offset() past the fragment.
  void frame(std::string& out, std::size_t at, fragment_type type) noexcept;

  std::uint64_t offset_;
  std::size_t header_size_ = fragment_header_size;  // recyclable_header_size: recyclable
  std::uint32_t segment_ = 0;                       // carried by recyclable fragments
};

}  // namespace dkv::wal
