#include "dkv/wal/log_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "dkv/common/bytes.hpp"
#include "dkv/wal/log_format.hpp"

namespace dkv::wal {

log_writer log_writer::for_segment(std::uint32_t segment, std::uint64_t file_offset) noexcept {
  log_writer w(file_offset);
  w.header_size_ = recyclable_header_size;
  w.segment_ = segment;
  return w;
}

void log_writer::add_record(std::string_view payload, std::string& out) {
  // Invariant: offset_ is the file offset of the next byte appended, so
  // offset_ % block_size is the position inside the current block.
  bool begin = true;
  do {
    std::size_t left = block_size - static_cast<std::size_t>(offset_ % block_size);
    if (left < header_size_) {
      // No room for a header: zero-fill the trailer, go to the next block.
      out.append(left, '\0');
      offset_ += left;
      left = block_size;
    }
    // With exactly a header's worth left, a non-empty record still starts
    // here, as a FIRST fragment of length 0 (the format allows it and it
    // keeps "pad only when a header cannot fit" the single padding rule).
    const std::size_t n = std::min(left - header_size_, payload.size());
    const bool end = n == payload.size();
    const fragment_type type = begin && end ? fragment_type::full
                               : begin      ? fragment_type::first
                               : end        ? fragment_type::last
                                            : fragment_type::middle;
    const std::size_t at = out.size();
    out.append(header_size_, '\0');
    out.append(payload.substr(0, n));
    frame(out, at, type);
    payload.remove_prefix(n);
    begin = false;
  } while (!payload.empty());
}

bool log_writer::fits_full(std::size_t size) const noexcept {
  const std::size_t left = block_size - static_cast<std::size_t>(offset_ % block_size);
  return left >= header_size_ && size <= left - header_size_;
}

void log_writer::frame(std::string& out, std::size_t at, fragment_type type) noexcept {
  const std::size_t length = out.size() - at - header_size_;
  char* h = out.data() + at;
  const bool recyclable = header_size_ == recyclable_header_size;
  h[4] = static_cast<char>(length >> 8);
  h[5] = static_cast<char>(length);
  h[6] = static_cast<char>(static_cast<std::uint8_t>(type) + (recyclable ? 4 : 0));
  if (recyclable) common::store_u32_be(h + 7, segment_);
  // The CRC covers what follows the length: the type byte (and the
  // segment), then the data.
  common::store_u32_be(h, mask_crc(crc32c(std::string_view(h + 6, out.size() - at - 6))));
  offset_ += header_size_ + length;
}

}  // namespace dkv::wal
