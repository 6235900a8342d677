#pragma once
// Reads logical records back from the bytes of one file in the format of
// log_format.hpp. Distinguishes a torn tail (the file ends inside a record:
// the last write was cut short; everything before it is good) from
// corruption (a complete fragment whose CRC, type or sequence is wrong).

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::wal {

enum class read_status {
  record,     // `record` holds the next logical record
  end,        // clean end of file
  torn_tail,  // the file ends inside a record; good_end() is where the good prefix ends
  corrupt,    // bad fragment at error_offset(); why() says what
};

class log_reader {
 public:
  explicit log_reader(std::string_view file) noexcept : file_(file) {}
  // Reads `file` from offset `start`, where a record begins; `file` must
  // begin at a block boundary of the file it was read from (a window of it:
  // offsets are then relative to the window).
  log_reader(std::string_view file, std::uint64_t start) noexcept
      : file_(file), pos_(start), good_end_(start) {}

  // Reads the next logical record. The view is valid until the next call
  // (it points into the file or into an internal buffer for multi-fragment
  // records). `end` only when the file ends exactly where a record ends
  // (or where skip_to_next_block() moved to); bytes after the last complete
  // record that do not complete another one (block padding included) are a
  // torn tail. `corrupt` and `torn_tail` are sticky: next() repeats them.
  read_status next(std::string_view& record);

  // After `corrupt`: skips to the next block so reading can go on
  // (--wal-recovery=skip-corrupt). Records in the skipped range are lost;
  // so are the MIDDLE/LAST fragments at the start of the next block(s),
  // the remains of a record that began in the skipped range (dropped
  // silently). No effect after `torn_tail`.
  void skip_to_next_block() noexcept;

  // File offset just past the last complete record returned.
  std::uint64_t good_end() const noexcept { return good_end_; }
  std::uint64_t error_offset() const noexcept { return error_offset_; }
  std::string_view why() const noexcept { return why_; }

 private:
  // One physical fragment, checked (complete, CRC and type valid).
  struct fragment {
    std::uint64_t offset = 0;
    std::uint8_t type = 0;
    std::string_view data;
  };
  enum class fragment_status { ok, eof, torn, bad };

  // Reads the fragment at pos_ (skipping a zero block trailer) and advances
  // past it. `bad` sets error_offset_/why_ and leaves pos_ unchanged.
  fragment_status read_fragment(fragment& f);
  read_status fail(std::uint64_t offset, std::string_view why) noexcept;

  std::string_view file_;
  std::uint64_t pos_ = 0;
  std::uint64_t good_end_ = 0;
  std::uint64_t error_offset_ = 0;
  std::string_view why_;  // always a string literal
  std::string assembled_;
  // `corrupt` and `torn_tail` are sticky: next() repeats them until
  // skip_to_next_block() (corrupt) or forever (torn_tail).
  read_status stopped_ = read_status::record;
  // After skip_to_next_block(): MIDDLE/LAST fragments are the remains of a
  // record that began in the skipped range and are dropped silently.
  bool resyncing_ = false;
};

}  // namespace dkv::wal
