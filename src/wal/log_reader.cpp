#include "dkv/wal/log_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "dkv/common/bytes.hpp"
#include "dkv/wal/log_format.hpp"

namespace dkv::wal {
namespace {

constexpr std::uint8_t type_full = static_cast<std::uint8_t>(fragment_type::full);
constexpr std::uint8_t type_first = static_cast<std::uint8_t>(fragment_type::first);
constexpr std::uint8_t type_middle = static_cast<std::uint8_t>(fragment_type::middle);
constexpr std::uint8_t type_last = static_cast<std::uint8_t>(fragment_type::last);

bool all_zero(std::string_view bytes) noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

}  // namespace

read_status log_reader::fail(std::uint64_t offset, std::string_view why) noexcept {
  error_offset_ = offset;
  why_ = why;
  pos_ = offset;
  assembled_.clear();
  stopped_ = read_status::corrupt;
  return read_status::corrupt;
}

log_reader::fragment_status log_reader::read_fragment(fragment& f) {
  // Checks run in this order, so that bytes which are present but wrong are
  // corruption and only bytes which are missing make a torn tail (see
  // protocol/WAL.md, "Torn tail or corruption").
  for (;;) {
    const std::uint64_t size = file_.size();
    if (pos_ >= size) return fragment_status::eof;
    const std::size_t in_block = static_cast<std::size_t>(pos_ % block_size);
    const std::size_t left = block_size - in_block;
    const std::size_t avail = static_cast<std::size_t>(std::min<std::uint64_t>(size - pos_, left));
    const std::string_view here = file_.substr(static_cast<std::size_t>(pos_), avail);

    if (left < fragment_header_size) {
      // Block trailer: the writer zero-fills it and it is skipped.
      if (!all_zero(here)) {
        error_offset_ = pos_;
        why_ = "nonzero bytes in a block trailer";
        return fragment_status::bad;
      }
      pos_ += avail;
      continue;
    }
    if (avail < fragment_header_size) return fragment_status::torn;  // header cut short

    const std::uint32_t stored_crc = common::load_u32_be(here.data());
    const std::size_t length = (std::size_t{static_cast<unsigned char>(here[4])} << 8) |
                               static_cast<unsigned char>(here[5]);
    const std::uint8_t type = static_cast<unsigned char>(here[6]);

    // A file extended before its data reached the disk reads as zeros: zeros
    // from a header position to the end of the file are a torn tail.
    if (type == 0 && all_zero(file_.substr(static_cast<std::size_t>(pos_))))
      return fragment_status::torn;
    error_offset_ = pos_;
    if (length > left - fragment_header_size) {
      why_ = "fragment length runs past the end of its block";
      return fragment_status::bad;
    }
    if (type < type_full || type > type_last) {
      why_ = type == 0 ? "fragment type 0 (reserved: zero bytes where a header should be)"
                       : "unknown fragment type";
      return fragment_status::bad;
    }
    if (avail < fragment_header_size + length) return fragment_status::torn;  // payload cut short

    const std::string_view data = here.substr(fragment_header_size, length);
    // The CRC covers the type byte, then the payload.
    const std::uint32_t actual = crc32c(data, crc32c(here.substr(6, 1)));
    if (unmask_crc(stored_crc) != actual) {
      why_ = "fragment checksum mismatch";
      return fragment_status::bad;
    }
    f.offset = pos_;
    f.type = type;
    f.data = data;
    pos_ += fragment_header_size + length;
    return fragment_status::ok;
  }
}

read_status log_reader::next(std::string_view& record) {
  if (stopped_ != read_status::record) return stopped_;
  assembled_.clear();
  // `start`: where the bytes of the record being read begin (block trailer
  // padding before its first fragment included). The file ending exactly
  // there is a clean end; ending anywhere after it is a torn tail.
  std::uint64_t start = pos_;
  bool open = false;  // a FIRST has been read, its LAST not yet
  for (;;) {
    fragment f;
    switch (read_fragment(f)) {
      case fragment_status::ok:
        break;
      case fragment_status::eof:
        if (!open && pos_ == start) return read_status::end;
        [[fallthrough]];
      case fragment_status::torn:
        assembled_.clear();
        stopped_ = read_status::torn_tail;
        return read_status::torn_tail;
      case fragment_status::bad:
        return fail(error_offset_, why_);
    }

    if (resyncing_) {
      if (f.type == type_middle) continue;
      resyncing_ = false;
      if (f.type == type_last) {
        start = pos_;  // the dropped remains end here
        continue;
      }
    }

    switch (f.type) {
      case type_full:
        if (open) return fail(f.offset, "FULL fragment while a record is open (its LAST is missing)");
        record = f.data;
        good_end_ = pos_;
        return read_status::record;
      case type_first:
        if (open) return fail(f.offset, "FIRST fragment while a record is open (its LAST is missing)");
        open = true;
        assembled_.assign(f.data);
        break;
      case type_middle:
        if (!open) return fail(f.offset, "MIDDLE fragment without a FIRST");
        assembled_.append(f.data);
        break;
      default:  // type_last (read_fragment admits only the four types)
        if (!open) return fail(f.offset, "LAST fragment without a FIRST");
        assembled_.append(f.data);
        record = assembled_;
        good_end_ = pos_;
        return read_status::record;
    }
  }
}

void log_reader::skip_to_next_block() noexcept {
  // From the bad fragment (after corrupt) or the current position, to the
  // start of the following block, or the end of the file.
  if (stopped_ == read_status::torn_tail) return;  // nothing follows a torn tail
  const std::uint64_t from = stopped_ == read_status::corrupt ? error_offset_ : pos_;
  pos_ = std::min<std::uint64_t>((from / block_size + 1) * block_size, file_.size());
  assembled_.clear();
  stopped_ = read_status::record;
  resyncing_ = true;
}

}  // namespace dkv::wal
