#pragma once
// Reads logical records back from the bytes of one file in the format of
// log_format.hpp. Distinguishes a torn tail (the file ends inside a record:
// the last write was cut short; everything before it is good) from
// corruption (a complete fragment whose CRC, type or sequence is wrong),
// and, in a WAL segment of recyclable fragments, both from a stale tail
// (an older segment's bytes after the segment's last record).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/wal/log_format.hpp"

namespace dkv::wal {

enum class read_status {
  record,     // `record` holds the next logical record
  end,        // clean end of file
  torn_tail,  // the file ends inside a record; good_end() is where the good prefix ends
  corrupt,    // bad fragment at error_offset(); why() says what
  // A recyclable segment's records end at good_end(); the bytes after were
  // left there by an older segment whose file this one was written over.
  stale_tail,
};

class log_reader {
 public:
  // Reads a file of 7-byte fragments (a snapshot): recyclable fragment
  // types are corruption there.
  explicit log_reader(std::string_view file) noexcept : file_(file) {}
  // Reads `file` from offset `start`, where a record begins; `file` must
  // begin at a block boundary of the file it was read from (a window of it:
  // offsets are then relative to the window).
  log_reader(std::string_view file, std::uint64_t start) noexcept
      : file_(file), pos_(start), good_end_(start) {}
  // Reads a whole WAL segment file, `segment` the segment_number() of its
  // sequence. The type of the fragment at offset 0 says the file's kind: a
  // file of 7-byte fragments (an older version's, or empty) reads as with
  // the constructors; in a file of recyclable fragments, what is not a
  // fragment of this segment where one should start (another segment's,
  // damaged, a 7-byte one) ends the segment with `stale_tail` when no later
  // block starts with a fragment of this segment, and is `corrupt` (as in
  // a plain file) when one does.
  static log_reader for_segment(std::string_view file, std::uint32_t segment) noexcept;

  // Reads the next logical record. The view is valid until the next call
  // (it points into the file or into an internal buffer for multi-fragment
  // records). `end` only when the file ends exactly where a record ends
  // (or where skip_to_next_block() moved to); bytes after the last complete
  // record that do not complete another one (block padding included) are a
  // torn tail. `corrupt`, `torn_tail` and `stale_tail` are sticky: next()
  // repeats them.
  read_status next(std::string_view& record);

  // After `corrupt`: skips to the next block so reading can go on
  // (--wal-recovery=skip-corrupt). Records in the skipped range are lost;
  // so are the MIDDLE/LAST fragments at the start of the next block(s),
  // the remains of a record that began in the skipped range (dropped
  // silently). No effect after `torn_tail` or `stale_tail`.
  void skip_to_next_block() noexcept;

  // Whether the file is one of recyclable fragments (for_segment only).
  bool recyclable() const noexcept { return header_size_ == recyclable_header_size; }
  // After `torn_tail`: whether what was cut is known to be a record of this
  // file's (a fragment of it read, or its header), rather than bytes where
  // a header should start (too few for one, a zero trailer, zeros).
  bool torn_inside_record() const noexcept { return torn_inside_record_; }

  // File offset just past the last complete record returned.
  std::uint64_t good_end() const noexcept { return good_end_; }
  std::uint64_t error_offset() const noexcept { return error_offset_; }
  std::string_view why() const noexcept { return why_; }

 private:
  // One physical fragment, checked (complete, CRC and type valid; of this
  // segment). `type` is a 7-byte fragment's type, a recyclable one's mapped
  // to it.
  struct fragment {
    std::uint64_t offset = 0;
    std::uint8_t type = 0;
    std::string_view data;
  };
  // torn: the file ends inside a header; torn_data: inside the data of a
  // fragment of this file's.
  enum class fragment_status { ok, eof, torn, torn_data, bad };

  // Reads the fragment at pos_ (skipping a zero block trailer) and advances
  // past it. `bad` sets error_offset_/why_ and leaves pos_ unchanged.
  fragment_status read_fragment(fragment& f);
  // Checks the fragment whose header is at `at`, where its block has room
  // for one; `bad` sets `why`. Changes nothing.
  fragment_status check_fragment(std::uint64_t at, fragment& f,
                                 std::string_view& why) const noexcept;
  // Whether a block after the one holding `at` starts with a fragment of
  // this segment.
  bool segment_goes_on(std::uint64_t at) const noexcept;
  // Ends reading with `torn_tail` or `stale_tail`.
  read_status stop(read_status outcome) noexcept;
  read_status fail(std::uint64_t offset, std::string_view why) noexcept;

  std::string_view file_;
  std::uint64_t pos_ = 0;
  std::uint64_t good_end_ = 0;
  std::uint64_t error_offset_ = 0;
  std::string_view why_;  // always a string literal
  std::string assembled_;
  // `corrupt`, `torn_tail` and `stale_tail` are sticky: next() repeats them
  // until skip_to_next_block() (corrupt) or forever.
  read_status stopped_ = read_status::record;
  // After skip_to_next_block(): MIDDLE/LAST fragments are the remains of a
  // record that began in the skipped range and are dropped silently.
  bool resyncing_ = false;
  bool torn_inside_record_ = false;
  std::size_t header_size_ = fragment_header_size;  // recyclable_header_size: recyclable
  char segment_[4] = {};  // the segment recyclable fragments must carry, big-endian
};

}  // namespace dkv::wal
