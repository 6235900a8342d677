#define BOOST_TEST_MODULE disk_snapshot
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/file.hpp"
#include "dkv/disk/recovery.hpp"
#include "dkv/disk/snapshot.hpp"
#include "dkv/store/store.hpp"
#include "dkv/wal/entry.hpp"

namespace fs = std::filesystem;
using namespace dkv;

namespace {

constexpr std::uint64_t mib = 1u << 20;

// A fresh directory under the working directory (the build tree: a disk
// file system, where the page cache is what the test looks at; /tmp may be
// a tmpfs), removed at the end.
struct temp_dir {
  std::string path = (fs::current_path() / ("disk_snapshot_test." + std::to_string(::getpid())))
                         .string();
  temp_dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

bool on_tmpfs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

// Bytes of the file at `path` that sit in the page cache (mincore over a
// read-only mapping, which reads nothing in).
std::uint64_t cached_bytes(const std::string& path) {
  const auto size = fs::file_size(path);
  if (size == 0) return 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE(fd >= 0);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  BOOST_REQUIRE(map != MAP_FAILED);
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  BOOST_REQUIRE(::mincore(map, size, resident.data()) == 0);
  ::munmap(map, size);
  return page * static_cast<std::uint64_t>(
                    std::count_if(resident.begin(), resident.end(), [](unsigned char r) {
                      return (r & 1) != 0;
                    }));
}

std::string key_of(int i) { return "key-" + std::to_string(i); }

}  // namespace

// A snapshot 48 MiB large is written in 256 KiB chunks, as the snapshotter
// does, over a spare holding stale bytes past the snapshot's end: at no
// point does it hold more than ~16 MiB of the page cache (write-back and
// drop 8 MiB behind), none once published, and it recovers whole.
BOOST_AUTO_TEST_CASE(a_snapshot_holds_little_page_cache_and_recovers_whole) {
  temp_dir dir;
  const bool check_cache = !on_tmpfs(dir.path);
  if (!check_cache) BOOST_TEST_MESSAGE("tmpfs: no page cache to drop; checking the contents");
  {  // the spare, as an earlier snapshot leaves it: on disk, not cached
    disk::file spare;
    BOOST_REQUIRE(!disk::file::open_overwrite(disk::snapshot_spare_path(dir.path), spare));
    const std::string stale(mib, 's');
    for (int i = 0; i < 64; ++i) BOOST_REQUIRE(!spare.write_all(stale));
    BOOST_REQUIRE(!spare.sync());
    disk::drop_cached(spare.fd());
  }
  if (check_cache) BOOST_TEST(cached_bytes(disk::snapshot_spare_path(dir.path)) <= 64u << 10);

  disk::snapshot_writer w;
  BOOST_REQUIRE(!w.begin(disk::snapshot_path(dir.path, 7), {7, "n1"},
                         disk::snapshot_spare_path(dir.path)));
  BOOST_TEST(!fs::exists(disk::snapshot_spare_path(dir.path)));  // taken over
  const std::string value(1000, 'v');
  constexpr int count = 52'000;
  std::uint64_t most_cached = 0;
  for (int i = 0; i < count; ++i) {
    const std::string key = key_of(i);
    w.add(wal::entry{wal::op::put, static_cast<std::uint64_t>(i + 1), 1, key, value});
    if (w.buffered() < (256u << 10)) continue;
    BOOST_REQUIRE(!w.write_buffered());
    if (check_cache) most_cached = std::max(most_cached, cached_bytes(w.tmp_path()));
  }
  w.seal();
  BOOST_REQUIRE(!w.write_buffered());
  BOOST_REQUIRE_GT(w.bytes(), 48 * mib);
  BOOST_REQUIRE(!disk::snapshot_writer::publish(w.fd(), w.bytes(), w.tmp_path(), w.final_path()));
  w.release_file().close();
  BOOST_TEST(fs::file_size(w.final_path()) == w.bytes());  // the spare's tail cut off
  if (check_cache) {
    BOOST_TEST(most_cached > 0u);
    BOOST_TEST(most_cached <= 17 * mib);
    BOOST_TEST(cached_bytes(w.final_path()) <= 64u << 10);
  }

  store::store s;
  disk::recovery_report report;
  const auto err = disk::recover(dir.path, s, {}, report);
  BOOST_REQUIRE_MESSAGE(!err, *err);
  BOOST_TEST(report.snapshot_seq == 7u);
  BOOST_TEST(report.snapshot_entries == static_cast<std::uint64_t>(count));
  BOOST_TEST(s.live_keys() == static_cast<std::size_t>(count));
  for (const int i : {0, 1, count / 2, count - 1}) {
    const auto got = s.get(key_of(i));
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(*got == value);
  }
}
