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
constexpr std::uint8_t type_recyclable_full =
    static_cast<std::uint8_t>(fragment_type::recyclable_full);

constexpr std::string_view another_segment = "fragment of another segment before more of this one";

bool all_zero(std::string_view bytes) noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

}  // namespace

log_reader log_reader::for_segment(std::string_view file, std::uint32_t segment) noexcept {
  log_reader reader(file);
  if (file.size() > 6 && is_recyclable(static_cast<unsigned char>(file[6]))) {
    reader.header_size_ = recyclable_header_size;
    common::store_u32_be(reader.segment_, segment);
  }
  return reader;
}

read_status log_reader::stop(read_status outcome) noexcept {
  assembled_.clear();
  stopped_ = outcome;
  return outcome;
}

read_status log_reader::fail(std::uint64_t offset, std::string_view why) noexcept {
  error_offset_ = offset;
  why_ = why;
  pos_ = offset;
  return stop(read_status::corrupt);
}

log_reader::fragment_status log_reader::check_fragment(std::uint64_t at, fragment& f,
                                                       std::string_view& why) const noexcept {
  // Checks run in this order, so that bytes which are present but wrong are
  // corruption and only bytes which are missing make a torn tail (see
  // protocol/WAL.md section 5).
  const std::size_t left = block_size - static_cast<std::size_t>(at % block_size);
  const std::string_view here = file_.substr(static_cast<std::size_t>(at), left);
  if (here.size() < header_size_) return fragment_status::torn;  // header cut short

  const std::size_t length = (std::size_t{static_cast<unsigned char>(here[4])} << 8) |
                             static_cast<unsigned char>(here[5]);
  const std::uint8_t type = static_cast<unsigned char>(here[6]);
  const std::uint8_t first_type = recyclable() ? type_recyclable_full : type_full;
  if (length > left - header_size_) {
    why = "fragment length runs past the end of its block";
    return fragment_status::bad;
  }
  if (type < first_type || type >= first_type + 4) {
    why = type == 0 ? "fragment type 0 (reserved: zero bytes where a header should be)"
                    : "unknown fragment type";
    return fragment_status::bad;
  }
  // Another segment's fragment is what the segment whose file this one was
  // written over left there, not a cut write of this one.
  const bool ours = !recyclable() || here.substr(7, 4) == std::string_view(segment_, 4);
  if (here.size() < header_size_ + length) {  // data cut short
    if (ours) return fragment_status::torn_data;
    why = another_segment;  // never reported: no block follows this one
    return fragment_status::bad;
  }
  // The CRC covers what follows the length: the type byte (and the
  // segment), then the data.
  const std::uint32_t actual = crc32c(here.substr(6, header_size_ - 6 + length));
  if (unmask_crc(common::load_u32_be(here.data())) != actual) {
    why = "fragment checksum mismatch";
    return fragment_status::bad;
  }
  if (!ours) {
    why = another_segment;
    return fragment_status::bad;
  }
  f.offset = at;
  f.type = static_cast<std::uint8_t>(type - first_type + type_full);
  f.data = here.substr(header_size_, length);
  return fragment_status::ok;
}

log_reader::fragment_status log_reader::read_fragment(fragment& f) {
  for (;;) {
    if (pos_ >= file_.size()) return fragment_status::eof;
    const std::size_t left = block_size - static_cast<std::size_t>(pos_ % block_size);
    if (left < header_size_) {
      // Block trailer: the writer zero-fills it and it is skipped.
      const std::string_view trailer = file_.substr(static_cast<std::size_t>(pos_), left);
      if (!all_zero(trailer)) {
        error_offset_ = pos_;
        why_ = "nonzero bytes in a block trailer";
        return fragment_status::bad;
      }
      pos_ += trailer.size();
      continue;
    }
    std::string_view why;
    const fragment_status st = check_fragment(pos_, f, why);
    if (st == fragment_status::ok) pos_ += header_size_ + f.data.size();
    if (st != fragment_status::bad) return st;
    // A file extended before its data reached the disk reads as zeros: zeros
    // from a header position to the end of the file are a torn tail. (A bad
    // fragment's header is complete; zeros have type 0, which is bad.)
    if (file_[static_cast<std::size_t>(pos_) + 6] == '\0' &&
        all_zero(file_.substr(static_cast<std::size_t>(pos_))))
      return fragment_status::torn;
    error_offset_ = pos_;
    why_ = why;
    return fragment_status::bad;
  }
}

bool log_reader::segment_goes_on(std::uint64_t at) const noexcept {
  fragment f;
  std::string_view why;
  for (std::uint64_t b = (at / block_size + 1) * block_size; b < file_.size(); b += block_size)
    if (check_fragment(b, f, why) == fragment_status::ok) return true;
  return false;
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
        torn_inside_record_ = open;
        return stop(read_status::torn_tail);
      case fragment_status::torn_data:
        torn_inside_record_ = true;
        return stop(read_status::torn_tail);
      case fragment_status::bad:
        // In a recyclable segment, what is not a fragment of it is where an
        // older segment's bytes begin, unless a later block starts with one:
        // the writer went on past here, so these bytes were its own.
        if (recyclable() && !segment_goes_on(error_offset_)) return stop(read_status::stale_tail);
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
  if (stopped_ == read_status::torn_tail || stopped_ == read_status::stale_tail)
    return;  // nothing of the file's records follows
  const std::uint64_t from = stopped_ == read_status::corrupt ? error_offset_ : pos_;
  pos_ = std::min<std::uint64_t>((from / block_size + 1) * block_size, file_.size());
  assembled_.clear();
  stopped_ = read_status::record;
  resyncing_ = true;
}

}  // namespace dkv::wal
