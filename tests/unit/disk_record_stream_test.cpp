#define BOOST_TEST_MODULE disk_record_stream
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "dkv/disk/file.hpp"
#include "dkv/disk/record_stream.hpp"
#include "dkv/wal/log_reader.hpp"
#include "dkv/wal/log_writer.hpp"
#include "support/test_support.hpp"

using namespace dkv;

namespace {

// Writes `bytes` to `path`, replacing what was there.
void write_file(const std::string& path, const std::string& bytes) {
  disk::file f;
  BOOST_REQUIRE(!disk::file::open_overwrite(path, f));
  BOOST_REQUIRE(!f.truncate(0));
  BOOST_REQUIRE(!f.write_all(bytes));
}

struct outcome {
  std::vector<std::string> records;
  wal::read_status last = wal::read_status::record;
  std::uint64_t good_end = 0;
};

outcome whole_file(const std::string& bytes) {
  outcome o;
  wal::log_reader r(bytes);
  std::string_view rec;
  while ((o.last = r.next(rec)) == wal::read_status::record) o.records.emplace_back(rec);
  o.good_end = r.good_end();
  return o;
}

outcome streamed(const std::string& path, std::uint64_t window) {
  outcome o;
  disk::record_stream s(window);
  BOOST_REQUIRE(!s.open(path));
  std::string_view rec;
  while ((o.last = s.next(rec)) == wal::read_status::record) o.records.emplace_back(rec);
  BOOST_TEST(!s.read_error());
  o.good_end = s.good_end();
  return o;
}

void same(const outcome& a, const outcome& b) {
  BOOST_TEST(a.records.size() == b.records.size());
  BOOST_TEST((a.records == b.records));
  BOOST_TEST(static_cast<int>(a.last) == static_cast<int>(b.last));
  BOOST_TEST(a.good_end == b.good_end);
}

// Records of 0 bytes to several windows' worth, in a random order.
std::string log_bytes(std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::size_t> sizes = {0, 1, 100, 32761, 32768, 70000, 300000, 1u << 20};
  wal::log_writer w;
  std::string out;
  for (int i = 0; i < 60; ++i) {
    const std::size_t n = sizes[rng() % sizes.size()];
    w.add_record(std::string(n, static_cast<char>('a' + i % 26)), out);
  }
  return out;
}

}  // namespace

// Through windows of 64 KiB (smaller than many records) up to 4 MiB, the
// stream reads what log_reader reads from the whole file: the same records,
// the same end, the same good end.
BOOST_AUTO_TEST_CASE(reads_as_the_whole_file_reads) {
  const test::scratch f("disk_record_stream_test");
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    const std::string bytes = log_bytes(seed);
    write_file(f.path(), bytes);
    const outcome whole = whole_file(bytes);
    BOOST_TEST(static_cast<int>(whole.last) == static_cast<int>(wal::read_status::end));
    for (const std::uint64_t window :
         {std::uint64_t{64} << 10, std::uint64_t{1} << 20, disk::record_stream::default_window})
      same(streamed(f.path(), window), whole);
  }
}

// A torn tail (the file cut anywhere inside its last records) and a damaged
// byte read as they do from the whole file.
BOOST_AUTO_TEST_CASE(torn_and_damaged_files_read_as_the_whole_file_reads) {
  const test::scratch f("disk_record_stream_test");
  const std::string bytes = log_bytes(4);
  for (const std::size_t cut : {bytes.size() - 1, bytes.size() - 40000, bytes.size() / 2 + 3}) {
    const std::string torn = bytes.substr(0, cut);
    write_file(f.path(), torn);
    const outcome whole = whole_file(torn);
    BOOST_TEST(static_cast<int>(whole.last) == static_cast<int>(wal::read_status::torn_tail));
    same(streamed(f.path(), 64u << 10), whole);
  }
  for (const std::size_t at : {std::size_t{10}, bytes.size() / 3, bytes.size() - 5}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x40);
    write_file(f.path(), damaged);
    const outcome whole = whole_file(damaged);
    BOOST_TEST(static_cast<int>(whole.last) == static_cast<int>(wal::read_status::corrupt));
    same(streamed(f.path(), 64u << 10), whole);
  }
  // Zeros where the next header should be, to the end of the file: torn.
  std::string zeros = bytes + std::string(100000, '\0');
  write_file(f.path(), zeros);
  same(streamed(f.path(), 64u << 10), whole_file(zeros));
}

BOOST_AUTO_TEST_CASE(an_empty_file_ends_at_once) {
  const test::scratch f("disk_record_stream_test");
  write_file(f.path(), "");
  same(streamed(f.path(), 64u << 10), whole_file(""));
}
