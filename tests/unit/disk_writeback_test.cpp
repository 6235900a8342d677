#define BOOST_TEST_MODULE disk_writeback
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "dkv/disk/file.hpp"
#include "dkv/disk/writeback.hpp"
#include "support/test_support.hpp"

using namespace dkv;

namespace {

constexpr std::uint64_t MiB = 1u << 20;

struct stat stat_of(const std::string& path) {
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  return st;
}

// Whether the temp dir's file system takes fallocate(KEEP_SIZE).
bool can_preallocate() {
  const test::scratch probe("disk_writeback_test.probe");
  const int fd = ::open(probe.path().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  BOOST_REQUIRE(fd >= 0);
  const bool ok = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

BOOST_AUTO_TEST_CASE(drop_point_is_a_page_boundary_a_lag_behind) {
  const std::uint64_t lag = disk::drop_lag;
  BOOST_TEST(disk::drop_point(0) == 0u);
  BOOST_TEST(disk::drop_point(lag - 1) == 0u);
  BOOST_TEST(disk::drop_point(lag) == 0u);
  BOOST_TEST(disk::drop_point(lag + 4095) == 0u);
  BOOST_TEST(disk::drop_point(lag + 4096) == 4096u);
  BOOST_TEST(disk::drop_point(lag + 10 * MiB + 5) == 10 * MiB);
}

BOOST_AUTO_TEST_CASE(written_back_and_dropped_pages_read_back_from_disk) {
  const test::scratch t("disk_writeback_test");
  disk::file f;
  BOOST_REQUIRE(!disk::file::open_append(t.path(), f));
  const std::string chunk(MiB, 'w');
  for (int i = 0; i < 2; ++i) BOOST_REQUIRE(!f.write_all(chunk));
  BOOST_TEST(!disk::write_back_step(f.fd(), 0, 2 * MiB));  // nothing to drop yet
  for (int i = 0; i < 8; ++i) BOOST_REQUIRE(!f.write_all(chunk));
  BOOST_TEST(!disk::write_back_step(f.fd(), 2 * MiB, 10 * MiB));  // drops [0, 2 MiB)
  BOOST_REQUIRE(!f.sync());
  disk::drop_cached(f.fd(), 2 * MiB, 8 * MiB);
  BOOST_TEST(disk::write_back_step(-1, 0, MiB).value() == EBADF);
  std::ifstream in(t.path(), std::ios::binary);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += chunk;
  BOOST_TEST(back == expected);
}

BOOST_AUTO_TEST_CASE(create_preallocated_empties_the_file_and_allocates_past_its_end) {
  const test::scratch t("disk_writeback_test");
  std::ofstream(t.path()) << "an older spare's bytes";
  disk::file f;
  BOOST_REQUIRE(!disk::file::create_preallocated(t.path(), 8 * MiB, f));
  auto st = stat_of(t.path());
  BOOST_TEST(st.st_size == 0);
  if (can_preallocate())
    BOOST_TEST(static_cast<std::uint64_t>(st.st_blocks) * 512 >= 8 * MiB);
  BOOST_REQUIRE(!f.write_all("abc"));
  BOOST_REQUIRE(!f.write_all("def"));
  BOOST_TEST(stat_of(t.path()).st_size == 6, "opened for appending");
}

BOOST_AUTO_TEST_CASE(create_preallocated_without_the_space_is_a_plain_empty_file) {
  const test::scratch t("disk_writeback_test");
  disk::file f;
  // Past any file system's largest file: fallocate fails (EFBIG) at once.
  BOOST_REQUIRE(!disk::file::create_preallocated(t.path(), std::uint64_t{1} << 62, f));
  BOOST_TEST(f.is_open());
  const auto st = stat_of(t.path());
  BOOST_TEST(st.st_size == 0);
  BOOST_TEST(st.st_blocks == 0);
  BOOST_REQUIRE(!f.write_all("abc"));
  BOOST_TEST(stat_of(t.path()).st_size == 3);
}
