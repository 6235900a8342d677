#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dkv/store/hlc.hpp"
#include "dkv/store/store.hpp"
#include "dkv/store/store_scan.hpp"

using dkv::store::apply_result;
using dkv::store::version;

BOOST_AUTO_TEST_CASE(put_get_overwrite_with_newer_version) {
  dkv::store::store s;
  BOOST_TEST(!s.get("k").has_value());
  BOOST_TEST((s.put("k", "v1", version{10, 1}) == apply_result::applied));
  BOOST_TEST(*s.get("k") == "v1");
  BOOST_TEST((s.put("k", "v2", version{11, 1}) == apply_result::applied));
  BOOST_TEST(*s.get("k") == "v2");
  BOOST_TEST(s.live_keys() == 1u);
  BOOST_TEST(s.payload_bytes() == 3u);
}

BOOST_AUTO_TEST_CASE(older_or_equal_version_is_stale) {
  dkv::store::store s;
  s.put("k", "new", version{20, 1});
  BOOST_TEST((s.put("k", "old", version{19, 9}) == apply_result::stale));
  BOOST_TEST((s.put("k", "same", version{20, 1}) == apply_result::stale));
  BOOST_TEST(*s.get("k") == "new");
}

BOOST_AUTO_TEST_CASE(node_tiebreak_orders_equal_timestamps) {
  dkv::store::store s;
  s.put("k", "from-2", version{20, 2});
  BOOST_TEST((s.put("k", "from-1", version{20, 1}) == apply_result::stale));
  BOOST_TEST((s.put("k", "from-3", version{20, 3}) == apply_result::applied));
  BOOST_TEST(*s.get("k") == "from-3");
}

BOOST_AUTO_TEST_CASE(tombstone_hides_and_blocks_older_writes) {
  dkv::store::store s;
  s.put("k", "v", version{10, 1});
  BOOST_TEST((s.remove("k", version{12, 1}) == apply_result::applied));
  BOOST_TEST(!s.get("k").has_value());
  BOOST_REQUIRE(s.find("k") != nullptr);
  BOOST_TEST(s.find("k")->tombstone());
  // A late write older than the delete (e.g. a migrated batch) loses.
  BOOST_TEST((s.put("k", "late", version{11, 7}) == apply_result::stale));
  BOOST_TEST(!s.get("k").has_value());
  BOOST_TEST(s.live_keys() == 0u);
  BOOST_TEST(s.tombstones() == 1u);
  BOOST_TEST(s.payload_bytes() == 0u);
  // A newer write resurrects it.
  BOOST_TEST((s.put("k", "again", version{13, 1}) == apply_result::applied));
  BOOST_TEST(*s.get("k") == "again");
  BOOST_TEST(s.tombstones() == 0u);
}

BOOST_AUTO_TEST_CASE(delete_of_unknown_key_still_records_tombstone) {
  dkv::store::store s;
  BOOST_TEST((s.remove("ghost", version{50, 1}) == apply_result::applied));
  BOOST_TEST((s.put("ghost", "old", version{40, 1}) == apply_result::stale));
  BOOST_TEST(!s.get("ghost").has_value());
}

BOOST_AUTO_TEST_CASE(seed_version_loses_to_everything) {
  dkv::store::store s;
  s.put("k", "seed", dkv::store::seed_version);
  BOOST_TEST((s.put("k", "user", version{1, 1}) == apply_result::applied));
  BOOST_TEST((s.put("k", "seed", dkv::store::seed_version) == apply_result::stale));
}

BOOST_AUTO_TEST_CASE(purge_drops_only_old_tombstones) {
  dkv::store::store s;
  s.put("live", "v", version{1, 1});
  s.remove("old", version{5, 1});
  s.remove("young", version{50, 1});
  BOOST_TEST(s.purge_tombstones(10) == 1u);
  BOOST_TEST(s.find("old") == nullptr);
  BOOST_TEST(s.find("young") != nullptr);
  BOOST_TEST(*s.get("live") == "v");
  BOOST_TEST(s.tombstones() == 1u);
  BOOST_TEST(s.live_keys() == 1u);
}

BOOST_AUTO_TEST_CASE(binary_safe_keys_and_values) {
  dkv::store::store s;
  const std::string key("a\0b", 3), value("\r\n\0\xff", 4);
  s.put(key, value, version{1, 1});
  BOOST_TEST(*s.get(key) == value);
  BOOST_TEST(!s.get("a").has_value());
}

BOOST_AUTO_TEST_CASE(keys_are_grouped_by_partition) {
  dkv::store::store s;
  for (int i = 0; i < 1000; ++i) s.put("key" + std::to_string(i), "v", version{1, 1});
  std::size_t total = 0;
  for (std::uint32_t p = 0; p < dkv::common::partition_count; ++p) {
    for (const auto& e : s.partition(p)) BOOST_TEST(dkv::common::partition_of(e.key()) == p);
    total += s.partition(p).size();
  }
  BOOST_TEST(total == 1000u);
}

BOOST_AUTO_TEST_CASE(scan_visits_every_entry_of_a_partition_once_in_table_order) {
  // Partitions from empty to larger than the prefetch distance; values
  // shorter and longer than a cache line; tombstones included.
  dkv::store::store s;
  for (int i = 0; i < 100000; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (i % 7 == 0) s.remove(key, version{1, 1});
    else s.put(key, std::string(static_cast<std::size_t>(i % 200), 'v'), version{1, 1});
  }
  const std::size_t dropped = s.partition(0).size();
  s.drop_partition(0);
  std::size_t total = 0, smallest = 1000, largest = 0;
  for (std::uint32_t p = 0; p < dkv::common::partition_count; ++p) {
    std::vector<const dkv::store::entry*> seen;
    s.scan(p, [&seen](const dkv::store::entry& e) { seen.push_back(&e); });
    std::vector<const dkv::store::entry*> expected;
    for (const auto& e : s.partition(p)) expected.push_back(&e);
    BOOST_TEST_REQUIRE((seen == expected));
    total += seen.size();
    smallest = std::min(smallest, seen.size());
    largest = std::max(largest, seen.size());
  }
  BOOST_TEST(total == 100000u - dropped);
  BOOST_TEST(smallest == 0u);
  BOOST_TEST(largest > 16u);
}

namespace {

// `n` keys of partition `p` (0 is the one a store_scan walks first), the
// i-th named from `prefix` and a counter.
std::vector<std::string> keys_in_partition(std::uint32_t p, std::size_t n,
                                           const std::string& prefix) {
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < n; ++i) {
    std::string key = prefix + std::to_string(i);
    if (dkv::common::partition_of(key) == p) keys.push_back(std::move(key));
  }
  return keys;
}

// Visits at most `budget` entries, counting each key's visits.
bool step_counting(dkv::store::store_scan& scan, std::map<std::string, int>& seen, int budget) {
  return scan.step([&](const dkv::store::entry& e) {
    ++seen[std::string(e.key())];
    return --budget > 0;
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(store_scan_in_small_steps_visits_every_entry_once) {
  dkv::store::store s;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (i % 5 == 0) s.remove(key, version{1, 1});
    else s.put(key, "v", version{1, 1});
  }
  for (const int budget : {1, 37, 1000000}) {
    dkv::store::store_scan scan(s);
    std::map<std::string, int> seen;
    int steps = 1;
    while (!step_counting(scan, seen, budget)) ++steps;
    BOOST_TEST(seen.size() == 20000u);
    BOOST_TEST(
        std::all_of(seen.begin(), seen.end(), [](const auto& kv) { return kv.second == 1; }));
    BOOST_TEST(scan.restarts() == 0u);
    BOOST_TEST(steps >= 20000 / budget);
    BOOST_TEST(scan.step([](const dkv::store::entry&) {  // done: calls nothing
      BOOST_FAIL("a finished walk visits nothing");
      return true;
    }));
  }
}

BOOST_AUTO_TEST_CASE(store_scan_resumes_inside_a_partition_across_writes) {
  dkv::store::store s;
  const auto keys = keys_in_partition(0, 200, "a");  // in 512 slots, room for 384
  for (const auto& k : keys) s.put(k, "v", version{1, 1});
  const std::uint64_t layout = s.partition(0).layout();
  dkv::store::store_scan scan(s);
  std::map<std::string, int> seen;
  BOOST_TEST(!step_counting(scan, seen, 50));
  BOOST_TEST(seen.size() == 50u);
  // Overwrites, deletes and inserts that do not grow the table: the walk
  // goes on where it stopped.
  for (std::size_t i = 0; i < keys.size(); i += 2) s.put(keys[i], "newer", version{2, 1});
  for (std::size_t i = 1; i < keys.size(); i += 10) s.remove(keys[i], version{2, 1});
  for (const auto& k : keys_in_partition(0, 2, "b")) s.put(k, "new", version{2, 1});
  BOOST_TEST(s.partition(0).layout() == layout);
  while (!step_counting(scan, seen, 50)) {
  }
  for (const auto& k : keys) BOOST_TEST(seen[k] == 1);
  BOOST_TEST(scan.restarts() == 0u);
}

BOOST_AUTO_TEST_CASE(store_scan_walks_a_partition_again_when_its_table_grows) {
  dkv::store::store s;
  const auto keys = keys_in_partition(0, 150, "a");
  for (const auto& k : keys) s.put(k, "v", version{1, 1});
  dkv::store::store_scan scan(s);
  std::map<std::string, int> seen;
  BOOST_TEST(!step_counting(scan, seen, 100));
  const std::size_t slots = s.partition(0).slot_count();
  for (const auto& k : keys_in_partition(0, 150, "b")) s.put(k, "new", version{2, 1});
  BOOST_TEST(s.partition(0).slot_count() > slots);  // entries moved
  while (!step_counting(scan, seen, 100)) {
  }
  BOOST_TEST(scan.restarts() == 1u);
  int twice = 0;
  for (const auto& k : keys) {
    BOOST_TEST(seen[k] >= 1);  // none missed
    BOOST_TEST(seen[k] <= 2);
    twice += seen[k] == 2;
  }
  BOOST_TEST(twice == 100);  // those of the first step, and only those
}

BOOST_AUTO_TEST_CASE(store_scan_walks_a_partition_again_when_its_table_shrinks) {
  // Purging tombstones rebuilds the table smaller: entries from past the
  // walk's slot land before it, and only a walk from the start finds them.
  dkv::store::store s;
  const auto keys = keys_in_partition(0, 300, "a");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i % 3 == 0) s.put(keys[i], "v", version{5, 1});
    else s.remove(keys[i], version{1, 1});
  }
  dkv::store::store_scan scan(s);
  std::map<std::string, int> seen;
  BOOST_TEST(!step_counting(scan, seen, 100));
  const std::size_t slots = s.partition(0).slot_count();
  BOOST_TEST(s.purge_tombstones(2) == 200u);
  BOOST_TEST(s.partition(0).slot_count() < slots);
  while (!step_counting(scan, seen, 100)) {
  }
  BOOST_TEST(scan.restarts() == 1u);
  for (std::size_t i = 0; i < keys.size(); i += 3) BOOST_TEST(seen[keys[i]] >= 1);
}

BOOST_AUTO_TEST_CASE(hlc_is_monotonic_and_follows_wall_time) {
  dkv::store::hlc clock(7);
  const auto a = clock.tick(1000);
  const auto b = clock.tick(1000);  // same millisecond: logical counter moves
  const auto c = clock.tick(999);   // wall clock stepped back: still ahead
  BOOST_TEST((a < b));
  BOOST_TEST((b < c));
  BOOST_TEST(a.hlc == (std::uint64_t{1000} << 16));
  BOOST_TEST(a.node == 7u);
  const auto d = clock.tick(2000);
  BOOST_TEST(d.hlc == (std::uint64_t{2000} << 16));
  clock.observe(version{std::uint64_t{5000} << 16, 9});
  BOOST_TEST((clock.tick(2001) > version{std::uint64_t{5000} << 16, 9}));
}

BOOST_AUTO_TEST_CASE(node_tiebreak_is_stable_and_nonzero) {
  BOOST_TEST(dkv::store::node_tiebreak("node1") == dkv::store::node_tiebreak("node1"));
  BOOST_TEST(dkv::store::node_tiebreak("node1") != dkv::store::node_tiebreak("node2"));
  BOOST_TEST(dkv::store::node_tiebreak("") != 0u);
}

BOOST_AUTO_TEST_CASE(entry_keeps_key_across_value_changes) {
  dkv::store::entry e("key", "short", version{1, 1}, false);
  e.assign("a much longer value than before", version{2, 1}, false);
  BOOST_TEST(e.key() == "key");
  BOOST_TEST(e.value() == "a much longer value than before");
  e.assign("", version{3, 1}, true);
  BOOST_TEST(e.key() == "key");
  BOOST_TEST(e.value().empty());
  BOOST_TEST(e.tombstone());
  BOOST_TEST((e.ver() == version{3, 1}));
  dkv::store::entry moved(std::move(e));
  BOOST_TEST(moved.key() == "key");
}

BOOST_AUTO_TEST_CASE(value_that_changes_size_a_little_is_rewritten_in_place) {
  const std::string big(1000, 'b');
  dkv::store::entry e("key", "0123456789abcdef", version{1, 1}, false);
  const char* at = e.value().data();
  e.assign("42", version{2, 1}, false);  // shorter: the block still fits
  BOOST_TEST(e.value() == "42");
  BOOST_TEST(static_cast<const void*>(e.value().data()) == static_cast<const void*>(at));
  e.assign("0123456789abcde", version{3, 1}, false);  // back within the block
  BOOST_TEST(e.value() == "0123456789abcde");
  BOOST_TEST(static_cast<const void*>(e.value().data()) == static_cast<const void*>(at));
  e.assign(big, version{4, 1}, false);  // too big: a new block
  BOOST_TEST(e.value() == big);
  e.assign("x", version{5, 1}, false);  // the big block would waste too much
  BOOST_TEST(e.value() == "x");
  BOOST_TEST(e.key() == "key");
}

BOOST_AUTO_TEST_CASE(payload_bytes_follow_overwrites) {
  dkv::store::store s;
  s.put("k", "12345", version{1, 1});
  s.put("k", "1", version{2, 1});
  BOOST_TEST(s.payload_bytes() == 2u);
  s.put("k2", "abc", version{3, 1});
  BOOST_TEST(s.payload_bytes() == 7u);
  s.remove("k2", version{4, 1});
  BOOST_TEST(s.payload_bytes() == 2u);
}

BOOST_AUTO_TEST_CASE(drop_partition_forgets_only_that_partition) {
  dkv::store::store s;
  for (int i = 0; i < 200; ++i) s.put("key" + std::to_string(i), "v", version{1, 1});
  const auto p = dkv::common::partition_of("key7");
  const auto in_p = s.partition(p).size();
  s.drop_partition(p);
  BOOST_TEST(s.partition(p).empty());
  BOOST_TEST(!s.get("key7").has_value());
  BOOST_TEST(s.live_keys() == 200u - in_p);
}
