#define BOOST_TEST_MODULE wal
#include <boost/test/unit_test.hpp>

// The WAL record format and entry payload (protocol/WAL.md): CRC-32C, the
// document's hex examples byte for byte (copied here verbatim: keep them
// identical by hand), round trips of records of every interesting size, and
// damage in the style of LevelDB's log_test: the file cut at every offset,
// a byte flipped anywhere, a type rewritten with its checksum fixed, and
// reading on past corruption. The same for recyclable fragments, and a
// segment written over an older segment's file: its own records, then a
// stale tail.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/crc.hpp>

#include "dkv/common/bytes.hpp"
#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_format.hpp"
#include "dkv/wal/log_reader.hpp"
#include "dkv/wal/log_writer.hpp"

#include "support/test_support.hpp"

namespace {

namespace w = dkv::wal;
using w::block_size;
using w::fragment_header_size;
using w::fragment_type;
using w::read_status;
using namespace dkv::test;

// ---- the vectors of WAL.md §8, verbatim ---------------------------------------

namespace ex {
constexpr std::string_view put_payload = "01 | 00 01 00 00 00 00 00 02 | 00 00 00 07 | 00 00 00 02 | 6B 31 | 00 00 00 02 | 76 31";
constexpr std::string_view put_fragment = "32 B5 E0 41 | 00 19 | 01 | 01 00 01 00 00 00 00 00 02 00 00 00 07 00 00 00 02 6B 31 00 00 00 02 76 31";
constexpr std::uint32_t put_crc = 0x7AB4C819, put_masked = 0x32B5E041;
constexpr std::string_view del_payload = "02 | 00 01 00 00 00 00 00 03 | 00 00 00 07 | 00 00 00 02 | 6B 31";
constexpr std::string_view del_fragment = "D7 04 38 AF | 00 13 | 01 | 02 00 01 00 00 00 00 00 03 00 00 00 07 00 00 00 02 6B 31";
constexpr std::uint32_t del_crc = 0xA6EB9A40, del_masked = 0xD70438AF;
constexpr std::string_view empty_fragment = "43 28 2B 05 | 00 00 | 01";
constexpr std::uint32_t empty_crc = 0xA016D052, empty_masked = 0x43282B05;
constexpr std::string_view split_first = "51 3D 75 EA | 00 01 | 02 | 61";
constexpr std::string_view split_last = "86 BF 42 C2 | 00 02 | 04 | 62 63";
constexpr std::string_view seven_first = "E9 D0 51 64 | 00 00 | 02";
constexpr std::string_view seven_last = "E1 C0 96 93 | 00 02 | 04 | 78 79";
constexpr std::string_view trailer_pad = "00 00 00";
constexpr std::string_view trailer_full = "43 28 2B 05 | 00 00 | 01";
// Recyclable fragments of segment 7.
constexpr std::string_view r_put_fragment = "83 7E C4 17 | 00 19 | 05 | 00 00 00 07 | 01 00 01 00 00 00 00 00 02 00 00 00 07 00 00 00 02 6B 31 00 00 00 02 76 31";
constexpr std::uint32_t r_put_crc = 0xEC9FF07D, r_put_masked = 0x837EC417;
constexpr std::string_view r_stale_del = "2A 71 70 45 | 00 13 | 05 | 00 00 00 06 | 02 00 01 00 00 00 00 00 03 00 00 00 07 00 00 00 02 6B 31";
constexpr std::string_view r_split_first = "06 B8 99 FE | 00 01 | 06 | 00 00 00 07 | 61";
constexpr std::string_view r_split_last = "AE D5 94 31 | 00 02 | 08 | 00 00 00 07 | 62 63";
constexpr std::string_view r_eleven_first = "88 EE EE 96 | 00 00 | 06 | 00 00 00 07";
constexpr std::string_view r_eleven_last = "79 D6 3F E0 | 00 02 | 08 | 00 00 00 07 | 78 79";
constexpr std::string_view r_trailer_pad = "00 00 00 00 00 00 00 00 00 00";
constexpr std::string_view r_trailer_full = "2A 07 7E B1 | 00 00 | 05 | 00 00 00 07";
constexpr std::uint32_t r_empty_crc = 0x49ECC3C2, r_empty_masked = 0x2A077EB1;
}  // namespace ex

// ---- building and reading files ----------------------------------------------

// Deterministic payload bytes; `seed` makes records distinguishable.
std::string make_payload(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// A reader of a whole file: of a WAL segment (log_reader::for_segment) or
// a plain one.
w::log_reader reader_of(std::string_view file, std::optional<std::uint32_t> segment) {
  return segment ? w::log_reader::for_segment(file, *segment) : w::log_reader(file);
}

// How a file is written and read: 7-byte fragments by the plain writer and
// reader, or recyclable ones of a segment by for_segment().
struct format {
  std::optional<std::uint32_t> segment;

  std::size_t header() const { return segment ? w::recyclable_header_size : fragment_header_size; }
  std::size_t room() const { return block_size - header(); }  // one fragment's room in a block
  std::uint8_t type_shift() const { return segment ? 4 : 0; }  // recyclable types: plain ones + 4
  w::log_writer writer(std::uint64_t at = 0) const {
    return segment ? w::log_writer::for_segment(*segment, at) : w::log_writer(at);
  }
  std::string label() const { return segment ? "segment " + std::to_string(*segment) : "plain"; }
};
const format plain{};
const format segment_7{7};
const format formats[] = {plain, segment_7};

// A file written by one log_writer, with where each record ends.
struct written {
  std::string file;
  std::vector<std::string> records;
  std::vector<std::uint64_t> ends;  // offset just past each record's last fragment

  explicit written(std::uint64_t start = 0) : writer(start) {}
  explicit written(const format& f, std::uint64_t start = 0) : fmt(f), writer(f.writer(start)) {}
  void add(std::string payload) {
    writer.add_record(payload, file);
    records.push_back(std::move(payload));
    ends.push_back(writer.offset());
  }
  format fmt;
  w::log_writer writer;
};

written write_sizes(const std::vector<std::size_t>& sizes, const format& fmt = plain) {
  written out(fmt);
  std::uint32_t seed = 1;
  for (const auto n : sizes) out.add(make_payload(n, seed++));
  return out;
}

// Everything a reader returned for one file, until the first non-record.
struct read_result {
  std::vector<std::string> records;
  read_status last = read_status::end;
  std::uint64_t good_end = 0;
  std::uint64_t error_offset = 0;
  std::string why;
  bool torn_inside_record = false;
};

read_result read_all(std::string_view file, std::optional<std::uint32_t> segment = {}) {
  read_result r;
  w::log_reader reader = reader_of(file, segment);
  std::string_view rec;
  while ((r.last = reader.next(rec)) == read_status::record) {
    r.records.emplace_back(rec);
    if (reader.good_end() > file.size()) throw std::logic_error("good_end past the file");
  }
  r.good_end = reader.good_end();
  r.error_offset = reader.error_offset();
  r.why = reader.why();
  r.torn_inside_record = reader.torn_inside_record();
  // The outcome is sticky.
  if (reader.next(rec) != r.last) throw std::logic_error("second next() differs");
  return r;
}

std::string name(read_status s) {
  switch (s) {
    case read_status::record: return "record";
    case read_status::end: return "end";
    case read_status::torn_tail: return "torn_tail";
    case read_status::corrupt: return "corrupt";
    case read_status::stale_tail: return "stale_tail";
  }
  return "?";
}

constexpr auto every = [](std::uint64_t) { return true; };

// One physical fragment as found by walking the headers (no checks).
struct frag {
  std::uint64_t offset;
  std::size_t length;
  std::uint8_t type;
  std::size_t record;  // index of the logical record it belongs to
};

// `type` as a 7-byte fragment's (a recyclable one's minus 4).
std::uint8_t plain_type(std::uint8_t type) { return type > 4 ? type - 4 : type; }

std::vector<frag> fragments_of(std::string_view file, std::size_t header = fragment_header_size) {
  std::vector<frag> out;
  std::uint64_t pos = 0;
  std::size_t record = 0;
  while (pos < file.size()) {
    const std::size_t left = block_size - pos % block_size;
    if (left < header) {
      pos += left;
      continue;
    }
    const char* h = file.data() + pos;
    frag f{pos, (std::size_t{static_cast<unsigned char>(h[4])} << 8) | static_cast<unsigned char>(h[5]),
           static_cast<std::uint8_t>(h[6]), record};
    out.push_back(f);
    if (plain_type(f.type) == 1 || plain_type(f.type) == 4) ++record;
    pos += header + f.length;
  }
  return out;
}

std::string types_of(std::string_view file, std::size_t header = fragment_header_size) {
  std::string s;
  for (const auto& f : fragments_of(file, header))
    s += "?FSML"[f.type < 9 ? plain_type(f.type) : 0];
  return s;
}

// Sets the type byte (and with `segment` the segment field) of the fragment
// at `offset` and recomputes its CRC, so that only the fragment sequence
// rules, or the segment number, can tell (LevelDB's "fix the checksum").
void retype(std::string& file, std::uint64_t offset, std::uint8_t type,
            std::size_t header = fragment_header_size, std::optional<std::uint32_t> segment = {}) {
  char* h = file.data() + offset;
  const std::size_t length = (std::size_t{static_cast<unsigned char>(h[4])} << 8) | static_cast<unsigned char>(h[5]);
  h[6] = static_cast<char>(type);
  if (segment) dkv::common::store_u32_be(h + 7, *segment);
  const std::uint32_t crc = w::crc32c(std::string_view(h + 6, header - 6 + length));
  dkv::common::store_u32_be(h, w::mask_crc(crc));
}

// Reports at most a few mismatches of a long loop, then their count.
struct failures {
  int count = 0;
  void add(const std::string& what) {
    if (++count <= 5) BOOST_ERROR(what);
  }
  ~failures() { BOOST_TEST(count == 0); }
};

std::string bitwise_crc32c(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  std::string out(4, '\0');
  dkv::common::store_u32_be(out.data(), ~c);
  return out;
}

}  // namespace

// =============================================================================
BOOST_AUTO_TEST_SUITE(checksum)

// crc32c (the CPU's instruction where there is one) and the table-driven
// fallback must agree everywhere.
using crc_function = std::uint32_t (*)(std::string_view, std::uint32_t) noexcept;
const crc_function crc_functions[] = {w::crc32c, w::crc32c_portable};

BOOST_AUTO_TEST_CASE(known_vectors) {
  std::string up, down;
  for (int i = 0; i < 32; ++i) {
    up.push_back(static_cast<char>(i));
    down.push_back(static_cast<char>(31 - i));
  }
  for (const crc_function crc : crc_functions) {
    BOOST_TEST(crc("123456789", 0) == 0xE3069283u);
    BOOST_TEST(crc("", 0) == 0u);
    BOOST_TEST(crc("a", 0) == 0xC1D04330u);
    // RFC 3720 (iSCSI) appendix B.4.
    BOOST_TEST(crc(std::string(32, '\0'), 0) == 0x8A9136AAu);
    BOOST_TEST(crc(std::string(32, '\xFF'), 0) == 0x62A8AB43u);
    BOOST_TEST(crc(up, 0) == 0x46DD794Eu);
    BOOST_TEST(crc(down, 0) == 0x113FDB5Cu);
  }
}

BOOST_AUTO_TEST_CASE(matches_boost_crc_and_a_bitwise_reference) {
  using boost_crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;
  const std::string data = make_payload(4096, 7);
  failures f;
  for (const crc_function crc : crc_functions) {
    // Every length up to 1200 at every alignment 0..7: the three-stripe,
    // 8-byte and byte-at-a-time paths and their seams.
    for (std::size_t start = 0; start < 8; ++start)
      for (std::size_t n = 0; n <= 1200; ++n) {
        const std::string_view s = std::string_view(data).substr(start, n);
        boost_crc32c b;
        b.process_bytes(s.data(), s.size());
        std::string mine(4, '\0');
        dkv::common::store_u32_be(mine.data(), crc(s, 0));
        if (crc(s, 0) != b.checksum() || mine != bitwise_crc32c(s))
          f.add("crc32c differs at start " + std::to_string(start) + " length " +
                std::to_string(n));
      }
    boost_crc32c b;
    b.process_bytes(data.data(), data.size());
    BOOST_TEST(crc(data, 0) == b.checksum());
  }
}

BOOST_AUTO_TEST_CASE(continues_from_a_previous_crc) {
  const std::string data = make_payload(200, 3);
  failures f;
  for (const crc_function crc : crc_functions) {
    const std::uint32_t whole = crc(data, 0);
    for (std::size_t split = 0; split <= data.size(); ++split) {
      const std::string_view v(data);
      if (crc(v.substr(split), crc(v.substr(0, split), 0)) != whole)
        f.add("split at " + std::to_string(split));
    }
  }
}

BOOST_AUTO_TEST_CASE(mask_round_trips_and_differs) {
  BOOST_TEST(w::mask_crc(0) == 0xA282EAD8u);
  BOOST_TEST(w::mask_crc(ex::put_crc) == ex::put_masked);
  failures f;
  std::uint32_t x = 1;
  for (int i = 0; i < 10000; ++i, x = x * 1664525u + 1013904223u) {
    if (w::unmask_crc(w::mask_crc(x)) != x) f.add("unmask(mask(x)) != x");
    if (w::mask_crc(x) == x) f.add("mask(x) == x");
    if (w::mask_crc(w::mask_crc(x)) == x) f.add("mask(mask(x)) == x");
  }
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(examples)

// (The shared hex helper itself is tested in protocol_frame_test.)

BOOST_AUTO_TEST_CASE(put_entry_payload) {
  std::string out;
  w::encode_entry(out, {w::op::put, 0x0001000000000002ull, 7, "k1", "v1"});
  BOOST_TEST(to_hex(out) == to_hex(from_hex(ex::put_payload)));
  const std::string bytes = from_hex(ex::put_payload);
  const auto e = w::decode_entry(bytes);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST((e->kind == w::op::put));
  BOOST_TEST(e->hlc == 0x0001000000000002ull);
  BOOST_TEST(e->node == 7u);
  BOOST_TEST(e->key == "k1");
  BOOST_TEST(e->value == "v1");
}

BOOST_AUTO_TEST_CASE(put_full_fragment) {
  const std::string payload = from_hex(ex::put_payload);
  BOOST_TEST(w::crc32c("\x01" + payload) == ex::put_crc);
  std::string out;
  w::log_writer writer;
  writer.add_record(payload, out);
  BOOST_TEST(to_hex(out) == to_hex(from_hex(ex::put_fragment)));
  BOOST_TEST(writer.offset() == 32u);

  const std::string file = from_hex(ex::put_fragment);
  const auto r = read_all(file);
  BOOST_TEST_REQUIRE(r.records.size() == 1u);
  BOOST_TEST(to_hex(r.records[0]) == to_hex(payload));
  BOOST_TEST(name(r.last) == "end");
  BOOST_TEST(r.good_end == 32u);
}

BOOST_AUTO_TEST_CASE(del_entry_and_fragment) {
  std::string payload;
  w::encode_entry(payload, {w::op::del, 0x0001000000000003ull, 7, "k1", ""});
  BOOST_TEST(to_hex(payload) == to_hex(from_hex(ex::del_payload)));
  BOOST_TEST(w::crc32c("\x01" + payload) == ex::del_crc);
  BOOST_TEST(w::mask_crc(ex::del_crc) == ex::del_masked);
  const auto e = w::decode_entry(payload);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST((e->kind == w::op::del));
  BOOST_TEST(e->hlc == 0x0001000000000003ull);
  BOOST_TEST(e->node == 7u);
  BOOST_TEST(e->key == "k1");
  BOOST_TEST(e->value.empty());

  std::string out;
  w::log_writer writer;
  writer.add_record(payload, out);
  BOOST_TEST(to_hex(out) == to_hex(from_hex(ex::del_fragment)));
  const auto r = read_all(from_hex(ex::del_fragment));
  BOOST_TEST_REQUIRE(r.records.size() == 1u);
  BOOST_TEST(r.records[0] == payload);
  BOOST_TEST(name(r.last) == "end");
}

BOOST_AUTO_TEST_CASE(empty_record) {
  BOOST_TEST(w::crc32c("\x01") == ex::empty_crc);
  BOOST_TEST(w::mask_crc(ex::empty_crc) == ex::empty_masked);
  std::string out;
  w::log_writer writer;
  writer.add_record("", out);
  BOOST_TEST(to_hex(out) == to_hex(from_hex(ex::empty_fragment)));
  const auto r = read_all(from_hex(ex::empty_fragment));
  BOOST_TEST_REQUIRE(r.records.size() == 1u);
  BOOST_TEST(r.records[0].empty());
  BOOST_TEST(name(r.last) == "end");
  BOOST_TEST(r.good_end == 7u);
}

// The block-boundary examples are appended at a given offset; the file they
// belong to starts with one FULL record that ends exactly there.
void check_appended_example(std::uint64_t at, std::string_view payload, std::string_view hex,
                            std::uint64_t end, const format& fmt = plain) {
  BOOST_TEST_CONTEXT("appended at " << at) {
    std::string out;
    w::log_writer writer = fmt.writer(at);
    writer.add_record(payload, out);
    BOOST_TEST(to_hex(out) == to_hex(from_hex(hex)));
    BOOST_TEST(writer.offset() == end);

    written prefix(fmt);
    prefix.add(make_payload(at - fmt.header(), 99));
    BOOST_TEST_REQUIRE(prefix.file.size() == at);
    const std::string file = prefix.file + from_hex(hex);
    const auto r = read_all(file, fmt.segment);
    BOOST_TEST_REQUIRE(r.records.size() == 2u);
    BOOST_TEST(r.records[0] == prefix.records[0]);
    BOOST_TEST(r.records[1] == payload);
    BOOST_TEST(name(r.last) == "end");
    BOOST_TEST(r.good_end == end);
  }
}

BOOST_AUTO_TEST_CASE(record_across_a_block_boundary) {
  check_appended_example(32760, "abc", std::string(ex::split_first) + " " + std::string(ex::split_last), 32777);
}

BOOST_AUTO_TEST_CASE(exactly_seven_bytes_left) {
  check_appended_example(32761, "xy", std::string(ex::seven_first) + " " + std::string(ex::seven_last), 32777);
}

BOOST_AUTO_TEST_CASE(block_trailer) {
  check_appended_example(32765, "", std::string(ex::trailer_pad) + " " + std::string(ex::trailer_full), 32775);
}

BOOST_AUTO_TEST_CASE(put_recyclable_full_fragment) {
  const std::string payload = from_hex(ex::put_payload);
  const std::string crc_input = from_hex("05 | 00 00 00 07") + payload;
  BOOST_TEST(w::crc32c(crc_input) == ex::r_put_crc);
  BOOST_TEST(w::crc32c_portable(crc_input) == ex::r_put_crc);
  BOOST_TEST(w::mask_crc(ex::r_put_crc) == ex::r_put_masked);
  BOOST_TEST(w::segment_number(0x0000000500000007ull) == 7u);
  std::string out;
  auto writer = w::log_writer::for_segment(w::segment_number(7));
  writer.add_record(payload, out);
  BOOST_TEST(to_hex(out) == to_hex(from_hex(ex::r_put_fragment)));
  BOOST_TEST(writer.offset() == 36u);
  // In place, as the WAL frames entries.
  std::string in_place;
  auto entry_writer = w::log_writer::for_segment(7);
  w::add_entry_record(entry_writer, {w::op::put, 0x0001000000000002ull, 7, "k1", "v1"}, in_place);
  BOOST_TEST(to_hex(in_place) == to_hex(out));

  const std::string file = from_hex(ex::r_put_fragment);
  const auto r = read_all(file, 7);
  BOOST_TEST_REQUIRE(r.records.size() == 1u);
  const auto e = w::decode_entry(r.records[0]);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->key == "k1");
  BOOST_TEST(e->value == "v1");
  BOOST_TEST(name(r.last) == "end");
  BOOST_TEST(r.good_end == 36u);
  // Only segment 7's reader takes it as its own.
  const auto other = read_all(file, 6);
  BOOST_TEST(other.records.empty());
  BOOST_TEST(name(other.last) == "stale_tail");
  BOOST_TEST(other.good_end == 0u);
}

BOOST_AUTO_TEST_CASE(stale_tail_after_a_recyclable_fragment) {
  // Segment 6's PUT and DEL, then segment 7's PUT written over them.
  const std::string put = from_hex(ex::put_payload), del = from_hex(ex::del_payload);
  std::string old, own;
  auto older = w::log_writer::for_segment(6), writer = w::log_writer::for_segment(7);
  older.add_record(put, old);
  older.add_record(del, old);
  writer.add_record(put, own);
  const std::string file = own + old.substr(own.size());
  const std::string hex = std::string(ex::r_put_fragment) + " " + std::string(ex::r_stale_del);
  BOOST_TEST(to_hex(file) == to_hex(from_hex(hex)));

  const auto r = read_all(file, 7);
  BOOST_TEST_REQUIRE(r.records.size() == 1u);
  BOOST_TEST(r.records[0] == put);
  BOOST_TEST(name(r.last) == "stale_tail");
  BOOST_TEST(r.good_end == 36u);
  // Read as segment 6: its first fragment is segment 7's, a stale tail at 0.
  BOOST_TEST(name(read_all(old, 6).last) == "end");
  BOOST_TEST(name(read_all(file, 6).last) == "stale_tail");
}

BOOST_AUTO_TEST_CASE(recyclable_record_across_a_block_boundary) {
  check_appended_example(32756, "abc",
                         std::string(ex::r_split_first) + " " + std::string(ex::r_split_last),
                         32781, segment_7);
}

BOOST_AUTO_TEST_CASE(recyclable_exactly_eleven_bytes_left) {
  check_appended_example(32757, "xy",
                         std::string(ex::r_eleven_first) + " " + std::string(ex::r_eleven_last),
                         32781, segment_7);
}

BOOST_AUTO_TEST_CASE(recyclable_block_trailer) {
  BOOST_TEST(w::crc32c(from_hex("05 | 00 00 00 07")) == ex::r_empty_crc);
  BOOST_TEST(w::mask_crc(ex::r_empty_crc) == ex::r_empty_masked);
  check_appended_example(32758, "",
                         std::string(ex::r_trailer_pad) + " " + std::string(ex::r_trailer_full),
                         32779, segment_7);
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(round_trip)

void check_round_trip(const written& wr) {
  BOOST_TEST(wr.writer.offset() == wr.file.size());
  w::log_reader reader = reader_of(wr.file, wr.fmt.segment);
  std::string_view rec;
  failures f;
  const std::uint8_t shift = wr.fmt.type_shift();
  for (const auto& fr : fragments_of(wr.file, wr.fmt.header()))
    if (fr.type < 1 + shift || fr.type > 4 + shift) f.add("a fragment of the other kind");
  for (std::size_t i = 0; i < wr.records.size(); ++i) {
    const auto st = reader.next(rec);
    if (st != read_status::record) {
      f.add(std::string("record ") + std::to_string(i) + ": " + name(st) + " at " +
            std::to_string(reader.error_offset()) + " (" + std::string(reader.why()) + ")");
      return;
    }
    if (rec != wr.records[i]) f.add("record " + std::to_string(i) + " differs");
    if (reader.good_end() != wr.ends[i]) f.add("good_end after record " + std::to_string(i));
  }
  BOOST_TEST(name(reader.next(rec)) == "end");
  BOOST_TEST(reader.good_end() == wr.file.size());
  BOOST_TEST(name(reader.next(rec)) == "end");
}

BOOST_AUTO_TEST_CASE(empty_file) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto r = read_all("", fmt.segment);
      BOOST_TEST(r.records.empty());
      BOOST_TEST(name(r.last) == "end");
      BOOST_TEST(r.good_end == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(many_sizes) {
  for (const format& fmt : formats) {
    const std::size_t room = fmt.room();
    const std::vector<std::size_t> sizes = {
        0, 1, 2, 6, 7, 8, 10, 11, 12, 100, 1000, 4096, room - 1, room, room + 1, block_size - 1,
        block_size, block_size + 1, 2 * room, 2 * room + 1, 2 * block_size, 100 * 1024 - 1,
        100 * 1024, 100 * 1024 + 1, 0, 0, 1, 0};
    // All in one file, then each alone.
    BOOST_TEST_CONTEXT(fmt.label()) {
      check_round_trip(write_sizes(sizes, fmt));
      for (const auto n : sizes) {
        BOOST_TEST_CONTEXT("size " << n) { check_round_trip(write_sizes({n}, fmt)); }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(random_sizes) {
  std::vector<std::size_t> sizes;
  std::uint32_t x = 12345;
  for (int i = 0; i < 1500; ++i) {
    x = x * 1664525u + 1013904223u;
    const std::uint32_t r = x >> 8;
    // Mostly small records, some of a block or more.
    sizes.push_back(r % 10 == 0 ? r % (100 * 1024) : r % 10 < 3 ? r % 40 : r % 600);
  }
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) { check_round_trip(write_sizes(sizes, fmt)); }
  }
}

BOOST_AUTO_TEST_CASE(a_record_that_exactly_fills_a_block) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto wr = write_sizes({fmt.room(), 5}, fmt);
      BOOST_TEST(wr.ends[0] == block_size);
      BOOST_TEST(types_of(wr.file, fmt.header()) == "FF");
      BOOST_TEST(fragments_of(wr.file, fmt.header())[1].offset == block_size);
      check_round_trip(wr);
    }
  }
}

BOOST_AUTO_TEST_CASE(leaving_up_to_a_header_and_a_byte_of_a_block) {
  for (const format& fmt : formats)
    for (std::size_t k = 0; k <= fmt.header() + 1; ++k)
      for (const std::size_t next : {std::size_t{0}, std::size_t{1}, std::size_t{50}, block_size}) {
        BOOST_TEST_CONTEXT(fmt.label() << ", left " << k << ", next record " << next) {
          const auto wr = write_sizes({fmt.room() - k, next}, fmt);
          BOOST_TEST(wr.ends[0] == block_size - k);
          const auto frags = fragments_of(wr.file, fmt.header());
          BOOST_TEST_REQUIRE(frags.size() >= 2u);
          if (k < fmt.header()) {
            // Trailer: k zero bytes, the next record starts at the next block.
            BOOST_TEST(wr.file.substr(block_size - k, k) == std::string(k, '\0'));
            BOOST_TEST(frags[1].offset == block_size);
          } else {
            BOOST_TEST(frags[1].offset == block_size - k);
            if (k == fmt.header()) {
              BOOST_TEST(frags[1].length == 0u);
              // FULL or an empty FIRST
              BOOST_TEST(frags[1].type == (next == 0 ? 1 : 2) + fmt.type_shift());
            }
          }
          check_round_trip(wr);
        }
      }
}

BOOST_AUTO_TEST_CASE(records_spanning_blocks) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto types = [&](const std::vector<std::size_t>& sizes) {
        return types_of(write_sizes(sizes, fmt).file, fmt.header());
      };
      BOOST_TEST(types({fmt.room() + 1}) == "SL");
      BOOST_TEST(types({2 * fmt.room()}) == "SL");
      BOOST_TEST(types({2 * fmt.room() + 1}) == "SML");
      BOOST_TEST(types({100 * 1024}) == "SMML");
      BOOST_TEST(types({10, 100 * 1024, 10}) == "FSMMLF");
      check_round_trip(write_sizes({10, 100 * 1024, 10, 3 * block_size, 0}, fmt));
    }
  }
}

BOOST_AUTO_TEST_CASE(appending_to_an_existing_file) {
  // The first writer stops at many positions, including inside a block's
  // last header's worth of bytes; a second writer continues from the file
  // size.
  for (const format& fmt : formats) {
    const std::size_t room = fmt.room(), h = fmt.header();
    std::uint32_t seed = 500;
    for (const std::size_t first : {std::size_t{0}, std::size_t{1}, std::size_t{100}, room - h - 1,
                                    room - h, room - h + 1, room - 3, room - 1, room, room + 5,
                                    3 * block_size}) {
      BOOST_TEST_CONTEXT(fmt.label() << ", first record " << first) {
        written a(fmt);
        a.add(make_payload(first, seed++));
        written b(fmt, a.file.size());
        for (const std::size_t n :
             {std::size_t{0}, std::size_t{3}, std::size_t{500}, block_size + 17})
          b.add(make_payload(n, seed++));
        BOOST_TEST(b.writer.offset() == a.file.size() + b.file.size());

        written whole(fmt);
        whole.file = a.file + b.file;
        whole.records = a.records;
        whole.ends = a.ends;
        whole.records.insert(whole.records.end(), b.records.begin(), b.records.end());
        whole.ends.insert(whole.ends.end(), b.ends.begin(), b.ends.end());
        whole.writer = fmt.writer(whole.file.size());
        check_round_trip(whole);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(torn_tail)

// Cuts the file at every offset `t` with keep(t): the reader must return
// exactly the records that end at or before t, then `end` if t is where a
// record ends (or 0), else `torn_tail` with good_end at the last such record.
template <class Keep>
void check_truncations(const written& wr, Keep keep) {
  failures f;
  std::size_t complete = 0;  // records with ends[i] <= t
  for (std::uint64_t t = 0; t <= wr.file.size(); ++t) {
    while (complete < wr.ends.size() && wr.ends[complete] <= t) ++complete;
    if (!keep(t)) continue;
    const auto r = read_all(std::string_view(wr.file).substr(0, t), wr.fmt.segment);
    const std::uint64_t good = complete ? wr.ends[complete - 1] : 0;
    const bool at_boundary = good == t;
    const std::string where = "cut at " + std::to_string(t) + ": ";
    if (r.records.size() != complete)
      f.add(where + std::to_string(r.records.size()) + " records, expected " + std::to_string(complete) +
            " (" + name(r.last) + " " + r.why + ")");
    else if (!std::equal(r.records.begin(), r.records.end(), wr.records.begin()))
      f.add(where + "a record differs");
    else if (r.last != (at_boundary ? read_status::end : read_status::torn_tail))
      f.add(where + name(r.last) + " at " + std::to_string(r.error_offset) + " (" + r.why + ")");
    else if (r.good_end != good)
      f.add(where + "good_end " + std::to_string(r.good_end) + ", expected " + std::to_string(good));
  }
}

// torn_inside_record() tells a cut record (its header, or a fragment of it,
// in the file) from a cut where a header should start.
BOOST_AUTO_TEST_CASE(a_cut_inside_a_record_is_told_from_one_where_a_header_starts) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto wr = write_sizes({100, 2 * block_size, 100}, fmt);  // the second: 3 blocks
      const std::uint64_t h = fmt.header(), second = wr.ends[0], third = wr.ends[1];
      const std::pair<std::uint64_t, bool> cuts[] = {
          {second + 1, false},     {second + h - 1, false},  // its header cut
          {second + h, true},      {second + h + 50, true},  // its first fragment's data
          {block_size, true},                                // after its FIRST
          {third + 3, false}};                               // the third's header cut
      for (const auto& [t, inside] : cuts) {
        BOOST_TEST_CONTEXT("cut at " << t) {
          const auto r = read_all(std::string_view(wr.file).substr(0, t), fmt.segment);
          BOOST_TEST(name(r.last) == "torn_tail");
          BOOST_TEST(r.torn_inside_record == inside);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(small_records_and_a_trailer_cut_everywhere) {
  // Block 0 ends with a 3-byte trailer, then records in block 1.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      auto wr = write_sizes({0, 1, 10, 200, 0, 7}, fmt);
      wr.add(make_payload(block_size - 3 - wr.file.size() - fmt.header(), 77));
      BOOST_TEST_REQUIRE(wr.file.size() == block_size - 3);
      for (const std::size_t n : {0, 5, 300}) wr.add(make_payload(n, 78 + n));
      check_truncations(wr, every);
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_first_fragment_cut_everywhere) {
  // Exactly a header's worth left: an empty FIRST closes block 0, its LAST
  // opens block 1.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      auto wr = write_sizes({fmt.room() - fmt.header(), 40, 0}, fmt);
      BOOST_TEST(types_of(wr.file, fmt.header()) == "FSLF");
      check_truncations(wr, every);
    }
  }
}

BOOST_AUTO_TEST_CASE(record_spanning_two_blocks_cut_everywhere) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      check_truncations(write_sizes({3, 0, block_size + 500}, fmt), every);
      check_truncations(write_sizes({fmt.room() - 20, 100, 30}, fmt), every);
    }
  }
}

BOOST_AUTO_TEST_CASE(record_spanning_four_blocks_cut_everywhere_but_inside_long_data) {
  // Cutting inside a MIDDLE's data costs a CRC of everything before it, so
  // every offset of four blocks would be ~3 GB of CRC in a Debug build.
  // Every offset near a header, a block boundary or the end, and every 61st
  // inside long data.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto wr = write_sizes({5, 100 * 1024, 2}, fmt);
      BOOST_TEST(types_of(wr.file, fmt.header()) == "FSMMLF");
      const auto frags = fragments_of(wr.file, fmt.header());
      check_truncations(wr, [&](std::uint64_t t) {
        for (const auto& f : frags)
          if (t + 64 >= f.offset && t <= f.offset + fmt.header() + 64) return true;
        if (t % block_size < 64 || t % block_size > block_size - 64 || t + 64 > wr.file.size())
          return true;
        return t % 61 == 0;
      });
    }
  }
}

BOOST_AUTO_TEST_CASE(zero_filled_tail) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto wr = write_sizes({10, 20}, fmt);
      for (const std::size_t zeros : {1, 6, 7, 8, 10, 11, 12, 100, 5000}) {
        BOOST_TEST_CONTEXT(zeros << " zero bytes") {
          const auto r = read_all(wr.file + std::string(zeros, '\0'), fmt.segment);
          BOOST_TEST(r.records == wr.records);
          BOOST_TEST(name(r.last) == "torn_tail");
          BOOST_TEST(r.good_end == wr.file.size());
        }
      }
      // Zeros where a header should be, then more data (and, for a
      // recyclable segment, more of it in a later block: else the rest
      // could be an older segment's, a stale tail): not a tail.
      written more = wr;
      more.add(make_payload(10, 5));
      more.add(make_payload(block_size, 6));
      std::string file = more.file;
      const std::uint64_t at = more.ends[1];
      std::fill_n(file.begin() + static_cast<std::ptrdiff_t>(at), fmt.header(), '\0');
      const auto r = read_all(file, fmt.segment);
      BOOST_TEST(r.records.size() == 2u);
      BOOST_TEST(name(r.last) == "corrupt");
      BOOST_TEST(r.error_offset == at);
      BOOST_TEST(r.why.find("type 0") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(corruption)

// Flips bits of the byte at `i` (one at a time, for each mask) where keep(i),
// and checks what the reader makes of it. Only bytes before the last record
// are flipped: a damaged last record may legitimately read as a torn tail.
// In a recyclable segment, damage with no later block starting with a
// fragment of the segment is a stale tail.
template <class Keep>
void check_flips(const written& wr, Keep keep) {
  const std::size_t h = wr.fmt.header();
  const auto frags = fragments_of(wr.file, h);
  const std::uint64_t last_start = [&] {
    for (const auto& f : frags)
      if (f.record == wr.records.size() - 1) return f.offset;
    return std::uint64_t{0};
  }();
  failures fail;
  std::size_t fi = 0;  // fragment at or before i
  for (std::uint64_t i = 0; i < last_start; ++i) {
    while (fi + 1 < frags.size() && frags[fi + 1].offset <= i) ++fi;
    if (!keep(i)) continue;
    const frag& f = frags[fi];
    const bool in_trailer = i >= f.offset + h + f.length;
    for (const unsigned char mask : {0x01, 0x80, 0xFF}) {
      std::string file = wr.file;
      file[i] = static_cast<char>(file[i] ^ mask);
      const auto r = read_all(file, wr.fmt.segment);
      const std::string where = "byte " + std::to_string(i) + " ^ " + std::to_string(mask) + ": ";

      // What must come back: every record before the damaged one.
      std::size_t before = f.record;
      std::uint64_t expect_offset = f.offset;
      auto expect = read_status::corrupt;
      if (in_trailer) {
        expect_offset = f.offset + h + f.length;
        before = static_cast<std::size_t>(std::count_if(wr.ends.begin(), wr.ends.end(),
                                                        [&](std::uint64_t e) { return e <= i; }));
      } else if (i == f.offset + 4 || i == f.offset + 5) {
        // A damaged length: past the block, corrupt; past the end of the
        // file (inside its last block), a torn tail; else a CRC mismatch.
        const std::size_t len = (std::size_t{static_cast<unsigned char>(file[f.offset + 4])} << 8) |
                                static_cast<unsigned char>(file[f.offset + 5]);
        const std::size_t room = block_size - f.offset % block_size - h;
        if (len <= room && f.offset + h + len > file.size())
          expect = read_status::torn_tail;
      }
      // The first type byte taken out of 5-8 makes a recyclable file read
      // as one of 7-byte fragments: corrupt at 0. Otherwise, bad bytes in
      // a segment's last block are a stale tail.
      const bool kind_changed = wr.fmt.segment && i == 6;
      if (expect == read_status::corrupt && wr.fmt.segment && !kind_changed &&
          (expect_offset / block_size + 1) * block_size >= file.size())
        expect = read_status::stale_tail;
      if (r.records.size() != before || !std::equal(r.records.begin(), r.records.end(), wr.records.begin()))
        fail.add(where + std::to_string(r.records.size()) + " records, expected " + std::to_string(before));
      else if (r.last != expect)
        fail.add(where + name(r.last) + ", expected " + name(expect));
      else if (expect == read_status::corrupt && r.error_offset != expect_offset)
        fail.add(where + "error at " + std::to_string(r.error_offset) + ", expected " + std::to_string(expect_offset));
      else if (expect == read_status::corrupt && r.why.empty())
        fail.add(where + "no reason given");
      else if (expect != read_status::corrupt && r.good_end != (before ? wr.ends[before - 1] : 0))
        fail.add(where + "good_end " + std::to_string(r.good_end));
    }
  }
}

BOOST_AUTO_TEST_CASE(flip_every_byte_of_small_records) {
  // About 3 KiB: every byte of every record but the last, three flips each.
  // In one block: a recyclable segment reads every damage as a stale tail.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      written wr(fmt);
      std::uint32_t seed = 1;
      for (const std::size_t n :
           {0, 1, 2, 7, 8, 11, 12, 30, 100, 255, 256, 257, 1000, 0, 12, 1200, 3})
        wr.add(make_payload(n, seed++));
      check_flips(wr, every);
    }
  }
}

BOOST_AUTO_TEST_CASE(flip_bytes_across_blocks) {
  // Records spanning blocks, a trailer and an empty FIRST; every header and
  // trailer byte, every byte near a block boundary, and a stride elsewhere.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      written wr(fmt);
      wr.add(make_payload(100, 1));
      wr.add(make_payload(block_size + 1000, 2));  // FIRST, LAST
      // Ends 3 bytes before the end of block 1: a trailer.
      wr.add(make_payload(2 * block_size - 3 - wr.file.size() - fmt.header(), 3));
      wr.add(make_payload(2 * block_size, 4));  // FIRST, MIDDLE, LAST
      wr.add(make_payload(50, 5));
      wr.add(make_payload(7, 6));
      const auto frags = fragments_of(wr.file, fmt.header());
      BOOST_TEST(types_of(wr.file, fmt.header()) == "FSLFSMLFF");
      BOOST_TEST(wr.ends[2] == 2 * block_size - 3);
      check_flips(wr, [&](std::uint64_t i) {
        for (const auto& f : frags)
          if (i >= f.offset && i < f.offset + fmt.header() + 8) return true;
        if (i % block_size < 16 || i % block_size >= block_size - 16) return true;
        return i % 401 == 0;
      });
    }
  }
}

BOOST_AUTO_TEST_CASE(flipped_length_past_end_of_file_reads_as_torn_tail) {
  // The documented limit: in the last block, a length made longer than the
  // rest of the file cannot be told from a cut write.
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      const auto wr = write_sizes({10, 20, 30}, fmt);
      std::string file = wr.file;
      file[5] = static_cast<char>(0xF0);  // record 0's length: 240, past the file's end
      const auto r = read_all(file, fmt.segment);
      BOOST_TEST(r.records.empty());
      BOOST_TEST(name(r.last) == "torn_tail");
      BOOST_TEST(r.good_end == 0u);
      // In an earlier block the block boundary comes first: corruption.
      auto big = write_sizes({10, 20, 30}, fmt);
      big.add(make_payload(block_size, 9));
      file = big.file;
      file[4] = static_cast<char>(0xFF);
      BOOST_TEST(name(read_all(file, fmt.segment).last) == "corrupt");
    }
  }
}

BOOST_AUTO_TEST_CASE(nonzero_trailer_is_corrupt_and_skippable) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      auto wr = write_sizes({fmt.room() - 4, 10, 20}, fmt);  // 4-byte trailer at block_size - 4
      std::string file = wr.file;
      file[block_size - 2] = 'x';
      w::log_reader reader = reader_of(file, fmt.segment);
      std::string_view rec;
      BOOST_TEST(name(reader.next(rec)) == "record");
      BOOST_TEST(name(reader.next(rec)) == "corrupt");
      BOOST_TEST(reader.error_offset() == block_size - 4);
      BOOST_TEST(reader.why() == "nonzero bytes in a block trailer");
      reader.skip_to_next_block();
      BOOST_TEST_REQUIRE(name(reader.next(rec)) == "record");
      BOOST_TEST(rec == wr.records[1]);
      BOOST_TEST_REQUIRE(name(reader.next(rec)) == "record");
      BOOST_TEST(rec == wr.records[2]);
      BOOST_TEST(name(reader.next(rec)) == "end");
    }
  }
}

// ---- a type byte rewritten with its CRC fixed ---------------------------------

struct retype_case {
  std::size_t fragment;   // index into fragments_of()
  std::uint8_t type;      // new type, as a 7-byte fragment's
  std::vector<std::string> records;  // what must be returned before the outcome
  read_status outcome;
  std::size_t error_fragment;  // for corrupt: index of the fragment reported
};

BOOST_AUTO_TEST_CASE(fixed_checksum_type_changes) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      // R0 FULL | R1 FIRST MIDDLE LAST | R2 FULL | R3 FULL (last record)
      const auto wr = write_sizes({5, 2 * block_size, 6, 7}, fmt);
      const std::size_t h = fmt.header();
      const auto frags = fragments_of(wr.file, h);
      BOOST_TEST_REQUIRE(types_of(wr.file, h) == "FSMLFF");
      const std::string& r0 = wr.records[0];
      const std::string& r2 = wr.records[2];
      const std::string first_only = wr.records[1].substr(0, frags[1].length);
      const std::string first_middle = wr.records[1].substr(0, frags[1].length + frags[2].length);
      constexpr std::uint8_t full = 1, first = 2, middle = 3, last = 4;
      const auto corrupt = read_status::corrupt;
      const std::vector<retype_case> cases = {
          {0, first, {}, corrupt, 1},             // FULL -> FIRST: R1's FIRST while open
          {0, middle, {}, corrupt, 0},            // MIDDLE without FIRST
          {0, last, {}, corrupt, 0},              // LAST without FIRST
          {1, full, {r0, first_only}, corrupt, 2},  // FIRST -> FULL: not caught before a record
          {1, middle, {r0}, corrupt, 1},
          {1, last, {r0}, corrupt, 1},
          {2, first, {r0}, corrupt, 2},           // FIRST while open
          {2, full, {r0}, corrupt, 2},            // FULL while open
          {2, last, {r0, first_middle}, corrupt, 3},  // MIDDLE -> LAST: record cut short first
          {3, first, {r0}, corrupt, 3},
          {3, full, {r0}, corrupt, 3},
          {3, middle, {r0}, corrupt, 4},          // LAST -> MIDDLE: R2's FULL while open
          {4, first, {r0, wr.records[1]}, corrupt, 5},
          {5, first, {r0, wr.records[1], r2}, read_status::torn_tail, 0},  // open at end of file
          {5, middle, {r0, wr.records[1], r2}, corrupt, 5},
          {5, last, {r0, wr.records[1], r2}, corrupt, 5},
      };
      for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("fragment " << c.fragment << " -> type " << int{c.type}) {
          std::string file = wr.file;
          retype(file, frags[c.fragment].offset, c.type + fmt.type_shift(), h);
          const auto r = read_all(file, fmt.segment);
          BOOST_TEST(r.records == c.records);
          BOOST_TEST(name(r.last) == name(c.outcome));
          if (c.outcome == read_status::corrupt)
            BOOST_TEST(r.error_offset == frags[c.error_fragment].offset);
          if (c.outcome == read_status::torn_tail) BOOST_TEST(r.good_end == wr.ends[2]);
        }
      }
      // Unknown types (the other kind's included) are corrupt at the
      // fragment, whatever the CRC says; in a recyclable segment's last
      // block, a stale tail.
      const auto unknown =
          fmt.segment ? std::vector<int>{0, 1, 4, 9, 255} : std::vector<int>{0, 5, 6, 255};
      for (std::size_t i = 0; i < frags.size(); ++i)
        for (const int type : unknown) {
          BOOST_TEST_CONTEXT("fragment " << i << " -> type " << type) {
            std::string file = wr.file;
            retype(file, frags[i].offset, static_cast<std::uint8_t>(type), h);
            const auto r = read_all(file, fmt.segment);
            const bool last_block = (frags[i].offset / block_size + 1) * block_size >= file.size();
            BOOST_TEST(r.records.size() == frags[i].record);
            if (fmt.segment && last_block) {
              BOOST_TEST(name(r.last) == "stale_tail");
              BOOST_TEST(r.good_end == (frags[i].record ? wr.ends[frags[i].record - 1] : 0));
            } else {
              BOOST_TEST(name(r.last) == "corrupt");
              BOOST_TEST(r.error_offset == frags[i].offset);
            }
          }
        }
    }
  }
}

// ---- reading on past corruption -------------------------------------------------

// Reads the whole file, skipping to the next block after each corruption.
struct skip_result {
  std::vector<std::string> records;
  std::vector<std::uint64_t> errors;
  read_status last = read_status::end;
};

skip_result read_skipping(std::string_view file, std::optional<std::uint32_t> segment = {}) {
  skip_result r;
  w::log_reader reader = reader_of(file, segment);
  std::string_view rec;
  for (int guard = 0; guard < 1000; ++guard) {
    const auto st = reader.next(rec);
    if (st == read_status::record) {
      r.records.emplace_back(rec);
    } else if (st == read_status::corrupt) {
      r.errors.push_back(reader.error_offset());
      // Sticky until skipped.
      if (reader.next(rec) != read_status::corrupt) throw std::logic_error("corrupt not sticky");
      reader.skip_to_next_block();
    } else {
      r.last = st;
      // Nothing follows the end or a tail, skipping or not.
      reader.skip_to_next_block();
      if (reader.next(rec) != st) throw std::logic_error(name(st) + " not sticky");
      return r;
    }
  }
  throw std::logic_error("reader does not advance");
}

// The records whose first fragment starts at or after `from`.
std::vector<std::string> records_from(const written& wr, std::uint64_t from) {
  std::vector<std::string> out;
  std::size_t seen = ~std::size_t{0};
  for (const auto& f : fragments_of(wr.file, wr.fmt.header()))
    if (f.record != seen) {
      seen = f.record;
      if (f.offset >= from) out.push_back(wr.records[f.record]);
    }
  return out;
}

BOOST_AUTO_TEST_CASE(skip_recovers_later_blocks) {
  for (const format& fmt : formats) {
    BOOST_TEST_CONTEXT(fmt.label()) {
      // Small records over about five blocks, with multi-block records among them.
      written wr(fmt);
      std::uint32_t seed = 1;
      for (int i = 0; i < 300; ++i) wr.add(make_payload(150 + (i * 37) % 400, seed++));
      const std::size_t big = wr.records.size();
      wr.add(make_payload(2 * block_size, seed++));  // spans 3 blocks
      for (int i = 0; i < 50; ++i) wr.add(make_payload(300, seed++));
      const auto frags = fragments_of(wr.file, fmt.header());
      const std::uint64_t last_block = (wr.file.size() - 1) / block_size;

      // Damage a data byte of every 17th fragment (not in the last record), one
      // at a time. In a recyclable segment's last block that is a stale tail.
      failures fail;
      for (std::size_t k = 0; k + 1 < frags.size(); k += 17) {
        const frag& f = frags[k];
        if (f.length == 0 || f.record + 1 == wr.records.size()) continue;
        std::string file = wr.file;
        file[f.offset + fmt.header() + f.length / 2] ^= 0x20;
        const auto r = read_skipping(file, fmt.segment);
        std::vector<std::string> expect(wr.records.begin(),
                                        wr.records.begin() + static_cast<std::ptrdiff_t>(f.record));
        const bool stale = fmt.segment && f.offset / block_size == last_block;
        if (!stale) {
          const auto after = records_from(wr, (f.offset / block_size + 1) * block_size);
          expect.insert(expect.end(), after.begin(), after.end());
        }
        const std::string where = "fragment " + std::to_string(k) + ": ";
        if (r.errors != (stale ? std::vector<std::uint64_t>{} : std::vector{f.offset}))
          fail.add(where + "errors differ");
        if (r.records != expect)
          fail.add(where + std::to_string(r.records.size()) + " records, expected " +
                   std::to_string(expect.size()));
        if (r.last != (stale ? read_status::stale_tail : read_status::end))
          fail.add(where + name(r.last));
      }

      // The FIRST of the big record damaged: its MIDDLE and LAST in later blocks
      // are dropped without another error.
      const auto first =
          std::find_if(frags.begin(), frags.end(), [&](const frag& f) { return f.record == big; });
      BOOST_TEST_REQUIRE(first->type == 2 + fmt.type_shift());
      std::string file = wr.file;
      file[first->offset + 20] ^= 1;
      const auto r = read_skipping(file, fmt.segment);
      BOOST_TEST(r.errors == std::vector<std::uint64_t>{first->offset});
      BOOST_TEST(std::count(r.records.begin(), r.records.end(), wr.records[big]) == 0);
      BOOST_TEST(r.records.back() == wr.records.back());
      BOOST_TEST(name(r.last) == "end");

      // Two damaged blocks: two errors, everything else after them read.
      file = wr.file;
      file[frags[3].offset + 8] ^= 1;
      file[block_size * 3 + 100] ^= 1;
      const auto two = read_skipping(file, fmt.segment);
      BOOST_TEST_REQUIRE(two.errors.size() == 2u);
      BOOST_TEST(two.errors[0] == frags[3].offset);
      BOOST_TEST(two.records.back() == wr.records.back());
    }
  }
}

BOOST_AUTO_TEST_CASE(skip_in_the_last_block_reaches_the_end) {
  const auto wr = write_sizes({10, 20, 30});
  std::string file = wr.file;
  file[40] ^= 1;  // inside record 1
  const auto r = read_skipping(file);
  BOOST_TEST(r.records.size() == 1u);
  BOOST_TEST(r.errors == std::vector<std::uint64_t>{17});
  BOOST_TEST(name(r.last) == "end");
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(recycling)

using corruption::read_skipping;
using corruption::records_from;

// A WAL segment written from offset 0 over the file of an older one: the
// file keeps its size where `own` is shorter.
std::string written_over(std::string_view old, std::string_view own) {
  return std::string(own) + std::string(old.substr(std::min(own.size(), old.size())));
}

bool zeros(std::string_view bytes) {
  return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// The stale-tail rule of WAL.md section 5 for a file whose bytes from `p`,
// where the segment's own records end, are an older segment's: the file
// ending where the segment's next header could still be (after a zero
// trailer, or in zeros only) is a torn tail, the end of the file an end;
// anything else a stale tail (these files hold no later fragment of the
// segment).
read_status expected_after(std::string_view file, std::uint64_t p) {
  constexpr std::size_t h = w::recyclable_header_size;
  if (p == file.size()) return read_status::end;
  const std::size_t left = block_size - p % block_size;
  if (left < h) {
    if (!zeros(file.substr(p, left))) return read_status::stale_tail;
    p += left;
    if (p >= file.size()) return read_status::torn_tail;
  }
  const std::string_view rest = file.substr(p);
  return rest.size() < h || zeros(rest) ? read_status::torn_tail : read_status::stale_tail;
}

written write_series(const format& fmt, std::size_t count, std::uint32_t seed,
                     std::size_t (*size_of)(std::size_t)) {
  written wr(fmt);
  for (std::size_t i = 0; i < count; ++i)
    wr.add(make_payload(size_of(i), seed + static_cast<std::uint32_t>(i)));
  return wr;
}

std::size_t small(std::size_t i) { return 20 + i * 53 % 500; }
std::size_t mixed(std::size_t i) { return 37 + i * 91 % 700 + (i % 23 == 0 ? block_size : 0); }
std::size_t large(std::size_t i) {
  constexpr std::size_t sizes[] = {2 * block_size, 100, block_size + 7, 3000, 0, 40000};
  return sizes[i % 6];
}

// Older files: segment 6's of small records, and of records of a block and
// more; an older version's segment of 7-byte fragments; one with a zero
// trailer of 10 bytes at the end of block 0.
std::vector<std::string> older_files() {
  const format segment_6{6};
  written trailer(segment_6);
  trailer.add(make_payload(segment_6.room() - 10, 9000));
  for (int i = 0; i < 40; ++i) trailer.add(make_payload(500, 9001 + i));
  return {write_series(segment_6, 300, 1000, small).file,
          write_series(segment_6, 6, 2000, large).file, write_series(plain, 300, 3000, small).file,
          trailer.file};
}

// Segment 7's records written over each older file, every prefix of each
// series: the same sizes as the older small records (its end then falls on
// an older header with a valid CRC), others (in older data), and a record
// leaving 0 to 12 bytes of block 0, then one more (in a trailer, zero or
// not). The reader returns exactly segment 7's records, then what
// expected_after() says.
BOOST_AUTO_TEST_CASE(written_over_an_older_segment_reads_its_own_records_then_stale_tail) {
  std::vector<written> series = {write_series(segment_7, 300, 5000, small),
                                 write_series(segment_7, 150, 6000, mixed)};
  for (std::size_t k = 0; k <= 12; ++k) {
    written wr(segment_7);
    wr.add(make_payload(segment_7.room() - k, 7000 + static_cast<std::uint32_t>(k)));
    wr.add(make_payload(k * 100, 7100));
    series.push_back(wr);
  }
  failures f;
  int stale = 0, end = 0;
  for (const std::string& old : older_files())
    for (const written& own : series)
      for (std::size_t n = 1; n <= own.records.size(); ++n) {
        const std::uint64_t p = own.ends[n - 1];
        const std::string file = written_over(old, std::string_view(own.file).substr(0, p));
        const auto r = read_all(file, 7);
        const read_status expect = expected_after(file, p);
        stale += expect == read_status::stale_tail;
        end += expect == read_status::end;
        const std::string where = "old of " + std::to_string(old.size()) +
                                  " bytes, own ending at " + std::to_string(p) + ": ";
        if (r.records.size() != n ||
            !std::equal(r.records.begin(), r.records.end(), own.records.begin()))
          f.add(where + std::to_string(r.records.size()) + " records (" + name(r.last) + " " +
                r.why + ")");
        else if (r.last != expect)
          f.add(where + name(r.last) + ", expected " + name(expect) + " (" + r.why + ")");
        else if (r.good_end != p)
          f.add(where + "good_end " + std::to_string(r.good_end));
      }
  // Both outcomes are there (torn tails: see the next test).
  BOOST_TEST(stale > 1000);
  BOOST_TEST(end > 100);
}

BOOST_AUTO_TEST_CASE(the_older_file_ending_anywhere_after_the_segment) {
  // Cut short where the segment's next header would be: a torn tail (the
  // file ends inside what may be one of its headers); longer: stale, an
  // older header whose data runs past the end of the file included.
  const auto old = write_series(format{6}, 300, 1000, small).file;
  for (const auto size_of : {mixed, small}) {  // ending in older data, at an older header
    const auto own = write_series(segment_7, 20, 8000, size_of);
    const std::uint64_t p = own.file.size();
    failures f;
    for (std::uint64_t size = p; size <= p + 3 * w::recyclable_header_size; ++size) {
      const std::string file = written_over(std::string_view(old).substr(0, size), own.file);
      const auto r = read_all(file, 7);
      const auto expect = size == p ? read_status::end
                          : size - p < w::recyclable_header_size ? read_status::torn_tail
                                                                  : read_status::stale_tail;
      if (r.records != own.records || r.last != expect || r.good_end != p)
        f.add("own ending at " + std::to_string(p) + ", file of " + std::to_string(size) +
              " bytes: " + name(r.last));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_reused_file_holding_only_the_older_segment_is_a_stale_tail_at_0) {
  // A crash before any of the segment's bytes reached the file.
  for (const std::string& old : older_files()) {
    if (old[6] < 5) continue;  // 7-byte fragments: see below
    BOOST_TEST_CONTEXT("old of " << old.size() << " bytes") {
      const auto r = read_all(old, 7);
      BOOST_TEST(r.records.empty());
      BOOST_TEST(name(r.last) == "stale_tail");
      BOOST_TEST(r.good_end == 0u);
      // Its own segment reads it whole.
      BOOST_TEST(name(read_all(old, 6).last) == "end");
    }
  }
  // The documented limit: a file of 7-byte fragments is read as one, so an
  // older version's segment reused with nothing written over it reads as
  // its records.
  const auto old = write_series(plain, 300, 3000, small);
  BOOST_TEST(read_all(old.file, 7).records == old.records);
}

// Segment 7 of about four blocks over a longer segment 6.
written four_blocks_of_segment_7() { return write_series(segment_7, 380, 8500, small); }

BOOST_AUTO_TEST_CASE(damage_before_more_of_the_segment_is_corrupt_and_skippable) {
  const auto own = four_blocks_of_segment_7();
  const auto old = write_series(format{6}, 6, 2000, large).file;
  BOOST_TEST_REQUIRE(own.file.size() > 3 * block_size);
  BOOST_TEST_REQUIRE(old.size() > own.file.size() + block_size);
  const auto frags = fragments_of(own.file, segment_7.header());
  const frag& f = frags[10];  // in block 0
  std::string file = written_over(old, own.file);
  file[f.offset + segment_7.header() + 1] ^= 0x01;
  const auto r = read_skipping(file, 7);
  BOOST_TEST(r.errors == std::vector<std::uint64_t>{f.offset});
  auto expect = std::vector<std::string>(own.records.begin(), own.records.begin() + 10);
  const auto after = records_from(own, block_size);
  expect.insert(expect.end(), after.begin(), after.end());
  BOOST_TEST(r.records == expect);
  BOOST_TEST(name(r.last) == "stale_tail");

  // What the reader says before skipping.
  w::log_reader reader = w::log_reader::for_segment(file, 7);
  std::string_view rec;
  for (int i = 0; i < 10; ++i) BOOST_TEST_REQUIRE(name(reader.next(rec)) == "record");
  BOOST_TEST(name(reader.next(rec)) == "corrupt");
  BOOST_TEST(reader.why() == "fragment checksum mismatch");
  BOOST_TEST(reader.good_end() == own.ends[9]);
}

BOOST_AUTO_TEST_CASE(damage_in_the_last_block_reads_as_a_stale_tail) {
  // The documented limit: with no later block starting with a fragment of
  // the segment, damage cannot be told from an older segment's bytes.
  const auto own = four_blocks_of_segment_7();
  const auto frags = fragments_of(own.file, segment_7.header());
  const std::uint64_t last_block = (own.file.size() - 1) / block_size * block_size;
  const auto in_last = std::find_if(frags.begin(), frags.end(), [&](const frag& f) {
    return f.offset > last_block && plain_type(f.type) == 1;
  });
  BOOST_TEST_REQUIRE(in_last->record + 2 < own.records.size());
  std::string file = own.file;
  file[in_last->offset + segment_7.header()] ^= 0x01;
  const auto r = read_skipping(file, 7);
  BOOST_TEST(r.errors.empty());
  BOOST_TEST(r.records.size() == in_last->record);
  BOOST_TEST(name(r.last) == "stale_tail");
  // The same damage one block earlier is corruption.
  const auto earlier = std::find_if(frags.begin(), frags.end(), [&](const frag& f) {
    return f.offset > last_block - block_size && plain_type(f.type) == 1;
  });
  file = own.file;
  file[earlier->offset + segment_7.header()] ^= 0x01;
  BOOST_TEST(read_skipping(file, 7).errors == std::vector<std::uint64_t>{earlier->offset});
}

BOOST_AUTO_TEST_CASE(another_segments_fragment_before_more_of_this_one_is_corrupt) {
  // A fragment whose CRC is valid but whose segment is 6: corrupt where a
  // later block starts with segment 7's, a stale tail in the last block.
  const auto own = four_blocks_of_segment_7();
  const auto frags = fragments_of(own.file, segment_7.header());
  const std::uint64_t last_block = (own.file.size() - 1) / block_size * block_size;
  for (const std::size_t i : {std::size_t{0}, std::size_t{50}, frags.size() - 3}) {
    BOOST_TEST_CONTEXT("fragment " << i) {
      std::string file = own.file;
      retype(file, frags[i].offset, frags[i].type, segment_7.header(), 6);
      const auto r = read_all(file, 7);
      BOOST_TEST(r.records.size() == frags[i].record);
      if (frags[i].offset < last_block) {
        BOOST_TEST(name(r.last) == "corrupt");
        BOOST_TEST(r.error_offset == frags[i].offset);
        BOOST_TEST(r.why == "fragment of another segment before more of this one");
      } else {
        BOOST_TEST(name(r.last) == "stale_tail");
        BOOST_TEST(r.good_end == own.ends[frags[i].record - 1]);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_segment_reader_reads_a_file_of_seven_byte_fragments_as_before) {
  // Cut, flipped and retyped (to recyclable types among others) anywhere
  // but in the first fragment's type byte, which says the file's kind: the
  // segment reader says exactly what the plain reader says.
  const auto wr = write_sizes({5, 100, 2 * block_size, 0, 3000, block_size - 200, 40});
  const auto frags = fragments_of(wr.file);
  std::vector<std::string> files;
  for (std::uint64_t t = 0; t <= wr.file.size(); t += t % block_size < 40 ? 1 : 97)
    files.push_back(wr.file.substr(0, t));
  for (std::uint64_t i = 0; i < wr.file.size(); i += i % block_size < 40 ? 1 : 89) {
    if (i == 6) continue;
    files.push_back(wr.file);
    files.back()[i] ^= 0x04;
  }
  for (std::size_t i = 1; i < frags.size(); ++i)
    for (const std::uint8_t type : {5, 6, 7, 8, 0}) {
      files.push_back(wr.file);
      retype(files.back(), frags[i].offset, type);
    }
  failures f;
  for (const std::string& file : files) {
    const auto a = read_all(file), b = read_all(file, 7);
    const auto sa = read_skipping(file), sb = read_skipping(file, 7);
    if (a.records != b.records || a.last != b.last || a.good_end != b.good_end ||
        a.error_offset != b.error_offset || a.why != b.why || sa.records != sb.records ||
        sa.errors != sb.errors || sa.last != sb.last)
      f.add("file of " + std::to_string(file.size()) + " bytes: " + name(a.last) + " / " +
            name(b.last));
  }
  BOOST_TEST(files.size() > 1000u);
}

BOOST_AUTO_TEST_CASE(snapshot_readers_find_recyclable_fragments_corrupt) {
  // Snapshots and record_stream windows are read as files of 7-byte
  // fragments.
  const auto own = four_blocks_of_segment_7();
  const auto r = read_all(own.file);
  BOOST_TEST(r.records.empty());
  BOOST_TEST(name(r.last) == "corrupt");
  BOOST_TEST(r.error_offset == 0u);
  BOOST_TEST(r.why == "unknown fragment type");
  w::log_reader window(std::string_view(own.file).substr(block_size), 0);
  std::string_view rec;
  BOOST_TEST(name(window.next(rec)) == "corrupt");
  BOOST_TEST(window.why() == "unknown fragment type");
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================
BOOST_AUTO_TEST_SUITE(entries)

std::string encoded(const w::entry& e) {
  std::string s;
  w::encode_entry(s, e);
  return s;
}

BOOST_AUTO_TEST_CASE(encode_decode) {
  const std::string big_value = make_payload(100 * 1024, 4);
  const std::string binary_key("\0k\xff\0", 4);
  const std::vector<w::entry> cases = {
      {w::op::put, 0, 0, "", ""},
      {w::op::put, 1, 2, "k", "v"},
      {w::op::put, ~0ull, ~0u, binary_key, std::string_view("v\0v", 3)},
      {w::op::put, 0x0001000000000002ull, 7, "key", big_value},
      {w::op::del, 5, 6, "gone", ""},
      {w::op::del, ~0ull, 0, "", ""},
  };
  for (const auto& e : cases) {
    const std::string s = encoded(e);
    BOOST_TEST(s.size() == 17 + e.key.size() + (e.kind == w::op::put ? 4 + e.value.size() : 0));
    const auto d = w::decode_entry(s);
    BOOST_TEST_REQUIRE(d.has_value());
    BOOST_TEST((d->kind == e.kind));
    BOOST_TEST(d->hlc == e.hlc);
    BOOST_TEST(d->node == e.node);
    BOOST_TEST(d->key == e.key);
    BOOST_TEST(d->value == e.value);
  }
  // Appends: two entries back to back are not one entry.
  std::string two = encoded(cases[1]);
  w::encode_entry(two, cases[4]);
  BOOST_TEST(!w::decode_entry(two).has_value());
}

BOOST_AUTO_TEST_CASE(entry_records_are_framed_in_place_as_by_copy) {
  // Entries of several sizes appended at offsets leaving 0..40 bytes of a
  // block, and far from a boundary: add_entry_record (in place when the
  // record fits the block, copied when it does not) matches
  // encode_entry + add_record byte for byte, in both kinds of fragment.
  const std::string value = make_payload(100, 8);
  const std::vector<w::entry> cases = {
      {w::op::put, 1, 2, "k", ""},
      {w::op::put, 3, 4, "key", value},
      {w::op::del, 5, 6, "gone", ""},
  };
  failures f;
  for (const format& fmt : formats)
    for (const auto& e : cases)
      for (std::size_t left = 0; left <= 40; ++left)
        for (const std::uint64_t at : {std::uint64_t{0}, std::uint64_t{block_size - left},
                                       std::uint64_t{5 * block_size - left}}) {
          std::string copied = "prefix", in_place = "prefix";
          w::log_writer by_copy = fmt.writer(at), by_place = fmt.writer(at);
          by_copy.add_record(encoded(e), copied);
          w::add_entry_record(by_place, e, in_place);
          if (in_place != copied || by_place.offset() != by_copy.offset())
            f.add(fmt.label() + ": differs at offset " + std::to_string(at) + ", key " +
                  std::string(e.key));
        }
}

BOOST_AUTO_TEST_CASE(del_carries_no_value) {
  BOOST_TEST(encoded({w::op::del, 1, 2, "k", "ignored"}) == encoded({w::op::del, 1, 2, "k", ""}));
  // A DEL followed by a value field is trailing bytes.
  std::string s = encoded({w::op::del, 1, 2, "k", ""});
  s += from_hex("00 00 00 01 | 76");
  BOOST_TEST(!w::decode_entry(s).has_value());
}

BOOST_AUTO_TEST_CASE(malformed) {
  failures f;
  for (const auto& e : {w::entry{w::op::put, 9, 8, "key", "value"}, w::entry{w::op::del, 9, 8, "key", ""}}) {
    const std::string s = encoded(e);
    for (std::size_t n = 0; n < s.size(); ++n)
      if (w::decode_entry(std::string_view(s).substr(0, n))) f.add("prefix of " + std::to_string(n) + " decoded");
    for (const char extra : {'\0', 'x'})
      if (w::decode_entry(s + extra)) f.add("trailing byte decoded");
    for (const int op : {0, 3, 4, 255}) {
      std::string bad = s;
      bad[0] = static_cast<char>(op);
      if (w::decode_entry(bad)) f.add("op " + std::to_string(op) + " decoded");
    }
  }
  // Lengths running past the payload, including ones that would overflow.
  BOOST_TEST(!w::decode_entry(from_hex("01 | 00 00 00 00 00 00 00 01 | 00 00 00 01 | FF FF FF FF | 6B")));
  BOOST_TEST(!w::decode_entry(from_hex("01 | 00 00 00 00 00 00 00 01 | 00 00 00 01 | 00 00 00 01 | 6B | FF FF FF FF")));
  BOOST_TEST(!w::decode_entry(from_hex("02 | 00 00 00 00 00 00 00 01 | 00 00 00 01 | 00 00 00 02 | 6B")));
  BOOST_TEST(w::decode_entry(from_hex("01 | 00 00 00 00 00 00 00 01 | 00 00 00 01 | 00 00 00 01 | 6B | 00 00 00 00")).has_value());
}

BOOST_AUTO_TEST_CASE(drop_entry) {
  const std::string partition("\x00\x00\x0F\xFF", 4);
  const std::string s = encoded(w::entry{w::op::drop, 0, 0, partition, ""});
  BOOST_TEST(s == from_hex("03 | 00 00 00 00 00 00 00 00 | 00 00 00 00 | 00 00 00 04 | 00 00 0F FF"));
  const auto e = w::decode_entry(s);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST((e->kind == w::op::drop));
  BOOST_TEST(e->key == partition);
  // A DROP's key is exactly a 4-byte partition number.
  BOOST_TEST(!w::decode_entry(from_hex("03 | 00 00 00 00 00 00 00 00 | 00 00 00 00 | 00 00 00 02 | 0F FF")));
}

BOOST_AUTO_TEST_CASE(through_the_log) {
  written wr;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("key" + std::to_string(i));
  for (int i = 0; i < 200; ++i) {
    const std::string value = make_payload(static_cast<std::size_t>(i) * 97 % 3000, i);
    wr.add(encoded({i % 3 ? w::op::put : w::op::del, static_cast<std::uint64_t>(i) << 16, 7, keys[i],
                    i % 3 ? std::string_view(value) : std::string_view()}));
  }
  w::log_reader reader(wr.file);
  std::string_view rec;
  int n = 0;
  while (reader.next(rec) == read_status::record) {
    const auto e = w::decode_entry(rec);
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->key == keys[n]);
    BOOST_TEST(e->hlc == static_cast<std::uint64_t>(n) << 16);
    BOOST_TEST((e->kind == (n % 3 ? w::op::put : w::op::del)));
    ++n;
  }
  BOOST_TEST(n == 200);
}

BOOST_AUTO_TEST_SUITE_END()
