#define BOOST_TEST_MODULE disk_snapshot
#include <boost/test/unit_test.hpp>

#include <linux/magic.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/file.hpp"
#include "dkv/disk/recovery.hpp"
#include "dkv/disk/snapshot.hpp"
#include "dkv/disk/snapshot_policy.hpp"
#include "dkv/store/store.hpp"
#include "dkv/store/store_scan.hpp"
#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_writer.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace dkv;

namespace {

constexpr std::uint64_t mib = 1u << 20;

// A fresh directory under the working directory (the build tree: a disk
// file system, where the page cache is what the test looks at; /tmp may be
// a tmpfs), or under `under`.
struct temp_dir : test::scratch_dir {
  explicit temp_dir(const fs::path& under = fs::current_path())
      : scratch_dir("disk_snapshot_test", under) {}
};

bool on_tmpfs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

std::uint64_t cached_bytes(const std::string& path) {
  const auto cached = disk::cached_bytes(path);
  BOOST_REQUIRE(cached);
  return *cached;
}

std::string key_of(int i) { return "key-" + std::to_string(i); }

const std::string value(1000, 'v');

// Leaves the spare an earlier snapshot leaves: `bytes` of stale data, on
// disk, not cached.
void make_spare(const std::string& dir, std::uint64_t bytes) {
  disk::file spare;
  BOOST_REQUIRE(!disk::file::open_overwrite(disk::snapshot_spare_path(dir), spare));
  const std::string stale(mib, 's');
  for (std::uint64_t i = 0; i < bytes / mib; ++i) BOOST_REQUIRE(!spare.write_all(stale));
  BOOST_REQUIRE(!spare.sync());
  disk::drop_cached(spare.fd());
}

struct written {
  std::string path;
  std::uint64_t bytes = 0;
  bool direct = false;
  std::uint64_t most_cached = 0;  // the largest page cache share seen while writing
};

// Writes snapshot 7 of `count` keys in 256 KiB chunks, as the snapshotter
// does, over the spare, and publishes it.
written write_snapshot(const std::string& dir, int count) {
  disk::snapshot_writer w;
  BOOST_REQUIRE(!w.begin(disk::snapshot_path(dir, 7), {7, "n1"}, disk::snapshot_spare_path(dir)));
  BOOST_TEST(!fs::exists(disk::snapshot_spare_path(dir)));  // taken over
  written out;
  out.direct = w.direct();
  for (int i = 0; i < count; ++i) {
    const std::string key = key_of(i);
    w.add(wal::entry{wal::op::put, static_cast<std::uint64_t>(i + 1), 1, key, value});
    if (w.buffered() < (256u << 10)) continue;
    BOOST_REQUIRE(!w.write_buffered());
    out.most_cached = std::max(out.most_cached, cached_bytes(w.tmp_path()));
  }
  w.seal();
  BOOST_REQUIRE(!w.write_buffered());
  BOOST_REQUIRE(!disk::snapshot_writer::publish(w.fd(), w.bytes(), w.tmp_path(), w.final_path()));
  w.release_file().close();
  out.path = w.final_path();
  out.bytes = w.bytes();
  BOOST_TEST(fs::file_size(out.path) == out.bytes);  // the spare's tail (and padding) cut off
  return out;
}

void check_recovers(const std::string& dir, int count) {
  store::store s;
  disk::recovery_report report;
  const auto err = disk::recover(dir, s, {}, report);
  BOOST_REQUIRE_MESSAGE(!err, *err);
  BOOST_TEST(report.snapshot_seq == 7u);
  BOOST_TEST(report.snapshot_entries == static_cast<std::uint64_t>(count));
  BOOST_TEST(s.live_keys() == static_cast<std::size_t>(count));
  for (const int i : {0, 1, count / 2, count - 1}) {
    if (i < 0 || i >= count) continue;
    const auto got = s.get(key_of(i));
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(*got == value);
  }
}

}  // namespace

// A snapshot 48 MiB large, over a spare holding stale bytes past the
// snapshot's end, is written with direct I/O on a disk file system: at no
// point does it hold page cache (through the page cache it held up to
// 16 MiB), none once published, and it recovers whole.
BOOST_AUTO_TEST_CASE(a_snapshot_on_disk_passes_by_the_page_cache_and_recovers_whole) {
  temp_dir dir;
  make_spare(dir.path(), 64 * mib);
  constexpr int count = 52'000;
  const written w = write_snapshot(dir.path(), count);
  BOOST_REQUIRE_GT(w.bytes, 48 * mib);
  BOOST_TEST(w.bytes % disk::direct_io_align != 0u, "the padded tail is exercised");
  if (on_tmpfs(dir.path())) {
    BOOST_TEST_MESSAGE("tmpfs: no direct I/O, no page cache to look at; checking the contents");
  } else if (!w.direct) {
    BOOST_TEST_MESSAGE("this file system reports no direct I/O alignment; checking the contents");
  } else {
    BOOST_TEST(w.most_cached <= 64u << 10);
    BOOST_TEST(cached_bytes(w.path) <= 64u << 10);
  }
  check_recovers(dir.path(), count);
}

// Where the file system takes no direct I/O (tmpfs), the snapshot goes
// through the page cache and its bytes are the same as with direct I/O:
// the way of writing does not show in the file.
BOOST_AUTO_TEST_CASE(a_snapshot_through_the_page_cache_is_the_same_file) {
  constexpr int count = 3'000;  // 3 MiB: a few chunks, a padded tail
  temp_dir disk_dir;
  make_spare(disk_dir.path(), 4 * mib);
  const written on_disk = write_snapshot(disk_dir.path(), count);
  const std::string shm = "/dev/shm";
  if (!fs::is_directory(shm) || !on_tmpfs(shm)) {
    BOOST_TEST_MESSAGE("no tmpfs at /dev/shm: nothing to compare with");
    return;
  }
  temp_dir shm_dir(shm);
  const written on_tmpfs_dir = write_snapshot(shm_dir.path(), count);
  BOOST_TEST(!on_tmpfs_dir.direct);
  std::string a, b;
  BOOST_REQUIRE(!disk::read_file(on_disk.path, a));
  BOOST_REQUIRE(!disk::read_file(on_tmpfs_dir.path, b));
  BOOST_TEST(a.size() == on_disk.bytes);
  BOOST_TEST((a == b), "the snapshots' bytes differ");
  check_recovers(shm_dir.path(), count);
  check_recovers(disk_dir.path(), count);
}

// An empty store's snapshot, smaller than one direct write: header and
// trailer only, padded, cut back to its size.
BOOST_AUTO_TEST_CASE(an_empty_snapshot_is_cut_to_its_size) {
  temp_dir dir;
  make_spare(dir.path(), 2 * mib);
  const written w = write_snapshot(dir.path(), 0);
  BOOST_TEST(w.bytes < disk::direct_io_align);
  check_recovers(dir.path(), 0);
}

// The snapshotter's way at a small scale: the store is walked three
// entries a step (store_scan) while writes go on between the steps, each
// also logged in the WAL segment that began with the snapshot. The snapshot
// plus that segment recover exactly the store's final state, with tables
// growing (inserts) and shrinking (purged tombstones) in the middle of the
// partitions being walked.
BOOST_AUTO_TEST_CASE(a_fuzzy_snapshot_and_the_log_since_recover_the_final_state) {
  temp_dir dir;
  store::store s;
  std::uint64_t hlc = 0;
  for (int i = 0; i < 60000; ++i) s.put(key_of(i), "before", store::version{++hlc, 1});

  std::string segment;  // the WAL since the snapshot began
  wal::log_writer log;
  const auto write = [&](const std::string& key, const std::string& v, bool del) {
    const store::version ver{++hlc, 1};
    if (del) s.remove(key, ver);
    else s.put(key, v, ver);
    std::string payload;
    wal::encode_entry(payload, wal::entry{del ? wal::op::del : wal::op::put, ver.hlc, ver.node,
                                          key, del ? std::string_view() : v});
    log.add_record(payload, segment);
  };

  disk::snapshot_writer w;
  BOOST_REQUIRE(!w.begin(disk::snapshot_path(dir.path(), 7), {7, "n1"},
                         disk::snapshot_spare_path(dir.path())));
  store::store_scan scan(s);
  int step = 0, next_key = 60000;
  for (;; ++step) {
    int in_step = 0;
    const bool done = scan.step([&](const store::entry& e) {
      w.add(e);
      return ++in_step < 3;
    });
    BOOST_REQUIRE(!w.write_buffered());
    if (done) break;
    // Between steps: an overwrite, a delete and a few new keys; now and
    // then the tombstones so far are purged.
    write(key_of(step * 7 % next_key), "during-" + std::to_string(step), false);
    write(key_of(step * 13 % next_key), "", true);
    for (int i = 0; i < 4; ++i) write(key_of(next_key++), "new", false);
    if (step % 500 == 499) s.purge_tombstones(hlc + 1);
  }
  BOOST_TEST(scan.restarts() > 0u);  // the walk did meet rebuilt tables
  w.seal();
  BOOST_REQUIRE(!w.write_buffered());
  BOOST_REQUIRE(!disk::snapshot_writer::publish(w.fd(), w.bytes(), w.tmp_path(), w.final_path()));
  w.release_file().close();
  disk::file seg;
  BOOST_REQUIRE(!disk::file::open_overwrite(disk::segment_path(dir.path(), 7), seg));
  BOOST_REQUIRE(!seg.write_all(segment));
  seg.close();

  store::store recovered;
  disk::recovery_report report;
  const auto err = disk::recover(dir.path(), recovered, {}, report);
  BOOST_REQUIRE_MESSAGE(!err, *err);
  BOOST_TEST(report.snapshot_seq == 7u);
  BOOST_TEST(recovered.live_keys() == s.live_keys());
  int wrong = 0;
  for (int i = 0; i < next_key; ++i) wrong += recovered.get(key_of(i)) != s.get(key_of(i));
  BOOST_TEST(wrong == 0);
  BOOST_TEST(step > 20000);
}

// Segment `seq` as durable_log writes it: `keys` PUTs of key_of(i)@seq.
std::string segment_of(std::uint64_t seq, int keys, std::size_t value_size) {
  std::string bytes;
  auto log = wal::log_writer::for_segment(wal::segment_number(seq));
  for (int i = 0; i < keys; ++i)
    wal::add_entry_record(log,
                          wal::entry{wal::op::put, 1000u + seq, 1,
                                     key_of(i) + "@" + std::to_string(seq),
                                     std::string(value_size, 'v')},
                          bytes);
  return bytes;
}

// A segment written over a retired one's file (durable_log reuses them)
// holds the older segment's records past its own end: recovery applies
// only its own, whether the older ones begin at a header of theirs or in
// the middle of one, and counts only its own bytes as replayed.
BOOST_AUTO_TEST_CASE(a_segment_written_over_a_retired_one_recovers_its_own_records) {
  for (const std::size_t new_value : {100u, 1000u, 5000u, 40000u}) {
    temp_dir dir;
    const std::string old = segment_of(3, 600, 3000);  // about 55 blocks
    const std::string own = segment_of(9, 30, new_value);
    BOOST_REQUIRE(own.size() < old.size());
    disk::file f;
    BOOST_REQUIRE(!disk::file::open_overwrite(disk::segment_path(dir.path(), 9), f));
    BOOST_REQUIRE(!f.write_all(old));
    BOOST_REQUIRE(!f.write_all_at(0, own));
    f.close();

    store::store recovered;
    disk::recovery_report report;
    const auto err = disk::recover(dir.path(), recovered, {}, report);
    BOOST_REQUIRE_MESSAGE(!err, *err);
    BOOST_TEST(report.records_replayed == 30u);
    BOOST_TEST(report.bytes_replayed == own.size());
    BOOST_TEST(recovered.live_keys() == 30u);
    BOOST_TEST(!recovered.get(key_of(0) + "@3"));
    BOOST_TEST(std::filesystem::file_size(disk::segment_path(dir.path(), 9)) == old.size());
  }
}

// A segment closed with fewer than a header's bytes of the older file's
// past its records (the node stopped before cutting it to its size) ends
// there although later segments follow; one whose own last record is cut
// is damage.
BOOST_AUTO_TEST_CASE(a_closed_segment_over_a_longer_file_ends_with_its_records) {
  temp_dir dir;
  const std::string own = segment_of(9, 1, 100), old = segment_of(3, 1, 200),
                    next = segment_of(10, 1, 100);
  disk::file f;
  BOOST_REQUIRE(!disk::file::open_overwrite(disk::segment_path(dir.path(), 9), f));
  BOOST_REQUIRE(!f.write_all(old.substr(0, own.size() + 5)));
  BOOST_REQUIRE(!f.write_all_at(0, own));
  BOOST_REQUIRE(!disk::file::open_overwrite(disk::segment_path(dir.path(), 10), f));
  BOOST_REQUIRE(!f.write_all(next));
  f.close();
  store::store recovered;
  disk::recovery_report report;
  auto err = disk::recover(dir.path(), recovered, {}, report);
  BOOST_REQUIRE_MESSAGE(!err, *err);
  BOOST_TEST(recovered.live_keys() == 2u);
  BOOST_TEST(report.bytes_replayed == own.size() + next.size());

  std::filesystem::resize_file(disk::segment_path(dir.path(), 9), own.size() - 1);
  store::store damaged;
  err = disk::recover(dir.path(), damaged, {}, report);
  BOOST_REQUIRE(err);
  BOOST_TEST(err->find("not the last one") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_snapshot_is_due_once_the_log_outgrows_the_data) {
  constexpr std::uint64_t seg = 64 * mib, floor = 64 * mib, gib = 1024 * mib;
  using disk::snapshot_due;
  BOOST_TEST(!snapshot_due(0, 1, 0, floor, seg));
  BOOST_TEST(!snapshot_due(floor - 1, 1, 0, floor, seg));  // the floor
  BOOST_TEST(snapshot_due(floor, 2, 0, floor, seg));
  BOOST_TEST(!snapshot_due(gib - 1, 16, gib, floor, seg));  // the data's size
  BOOST_TEST(snapshot_due(gib, 17, gib, floor, seg));
  // With 2 GiB of data, 24 or 32 full segments are not enough; 33 are.
  BOOST_TEST(!snapshot_due(24 * seg, 25, 2 * gib, floor, seg));
  BOOST_TEST(!snapshot_due(32 * seg - 1, 32, 2 * gib, floor, seg));
  BOOST_TEST(snapshot_due(32 * seg, 33, 2 * gib, floor, seg));
  // Restarts each open a segment: 17 small ones besides the full are too many.
  BOOST_TEST(!snapshot_due(100, 16, gib, floor, seg));
  BOOST_TEST(snapshot_due(100, 17, gib, floor, seg));
  BOOST_TEST(!snapshot_due(3 * seg + 100, 3 + 16, gib, floor, seg));
  BOOST_TEST(snapshot_due(3 * seg + 100, 3 + 17, gib, floor, seg));
  // Bytes given back to a count with fewer segments (a failed snapshot's
  // add_since) do not underflow.
  BOOST_TEST(!snapshot_due(5 * seg, 2, gib, floor, seg));
}
