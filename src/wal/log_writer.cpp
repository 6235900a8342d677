#include "dkv/wal/log_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "dkv/common/bytes.hpp"
#include "dkv/wal/log_format.hpp"

namespace dkv::wal {
namespace {

// Fills the header at `h` of a fragment of `type` holding `data`.
void put_header(char* h, fragment_type type, std::string_view data) {
  const char type_byte = static_cast<char>(type);
  const std::uint32_t crc = crc32c(data, crc32c(std::string_view(&type_byte, 1)));
  common::store_u32_be(h, mask_crc(crc));
  h[4] = static_cast<char>(data.size() >> 8);
  h[5] = static_cast<char>(data.size());
  h[6] = type_byte;
}

void append_fragment(std::string& out, fragment_type type, std::string_view data) {
  const std::size_t at = out.size();
  out.append(fragment_header_size, '\0');
  out.append(data);
  put_header(out.data() + at, type, data);
}

}  // namespace

void log_writer::add_record(std::string_view payload, std::string& out) {
  // Invariant: offset_ is the file offset of the next byte appended, so
  // offset_ % block_size is the position inside the current block.
  bool begin = true;
  do {
    std::size_t left = block_size - static_cast<std::size_t>(offset_ % block_size);
    if (left < fragment_header_size) {
      // No room for a header: zero-fill the trailer, go to the next block.
      out.append(left, '\0');
      offset_ += left;
      left = block_size;
    }
    // With exactly a header's worth left, a non-empty record still starts
    // here, as a FIRST fragment of length 0 (the format allows it and it
    // keeps "pad only when a header cannot fit" the single padding rule).
    const std::size_t n = std::min(left - fragment_header_size, payload.size());
    const bool end = n == payload.size();
    const fragment_type type = begin && end ? fragment_type::full
                               : begin      ? fragment_type::first
                               : end        ? fragment_type::last
                                            : fragment_type::middle;
    append_fragment(out, type, payload.substr(0, n));
    offset_ += fragment_header_size + n;
    payload.remove_prefix(n);
    begin = false;
  } while (!payload.empty());
}

bool log_writer::fits_full(std::size_t size) const noexcept {
  const std::size_t left = block_size - static_cast<std::size_t>(offset_ % block_size);
  return left >= fragment_header_size && size <= left - fragment_header_size;
}

void log_writer::frame_full(std::string& out, std::size_t at) noexcept {
  const std::string_view payload = std::string_view(out).substr(at + fragment_header_size);
  put_header(out.data() + at, fragment_type::full, payload);
  offset_ += fragment_header_size + payload.size();
}

}  // namespace dkv::wal
