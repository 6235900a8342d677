#define BOOST_TEST_MODULE store_table
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/common/key_hash.hpp"
#include "dkv/store/entry_table.hpp"
#include "dkv/store/store.hpp"

using dkv::store::entry;
using dkv::store::entry_table;
using dkv::store::hashed_key;
using dkv::store::version;

namespace {

std::string key_of(int i) { return "key" + std::to_string(i); }

entry& add(entry_table& t, const std::string& key, std::string_view value = "v") {
  return t.insert(hashed_key(key), entry(key, value, version{1, 1}, false));
}

std::set<std::string> keys_of(const entry_table& t) {
  std::set<std::string> keys;
  for (const entry& e : t) BOOST_TEST(keys.emplace(e.key()).second);  // each once
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_empty_table_finds_nothing) {
  const entry_table t;
  BOOST_TEST(t.empty());
  BOOST_TEST(t.find(hashed_key("k")) == nullptr);
  BOOST_TEST((t.begin() == t.end()));
  t.prefetch_slot(hashed_key("k"));  // hints on no slots at all
  t.prefetch_block(hashed_key("k"));
}

BOOST_AUTO_TEST_CASE(finds_every_key_through_growth_and_no_other) {
  // 20000 keys in one table: it doubles a dozen times, and at 3/4 full
  // many probes run past other keys' slots.
  entry_table t;
  for (int i = 0; i < 20000; ++i) {
    BOOST_TEST_REQUIRE(t.find(hashed_key(key_of(i))) == nullptr);
    const entry& e = add(t, key_of(i), std::to_string(i));
    BOOST_TEST_REQUIRE(e.key() == key_of(i));
    BOOST_TEST_REQUIRE(t.size() == static_cast<std::size_t>(i + 1));
  }
  for (int i = 0; i < 20000; ++i) {
    const entry* e = t.find(hashed_key(key_of(i)));
    BOOST_TEST_REQUIRE(e != nullptr);
    BOOST_TEST_REQUIRE(e->value() == std::to_string(i));
    BOOST_TEST_REQUIRE(t.find(hashed_key(key_of(i + 20000))) == nullptr);
  }
  BOOST_TEST(keys_of(t).size() == 20000u);
}

BOOST_AUTO_TEST_CASE(an_empty_key_is_a_key) {
  entry_table t;
  t.insert(hashed_key(""), entry("", "", version{1, 1}, false));
  BOOST_TEST(t.size() == 1u);
  BOOST_REQUIRE(t.find(hashed_key("")) != nullptr);
  BOOST_TEST(t.find(hashed_key(""))->value().empty());
  BOOST_TEST(keys_of(t) == std::set<std::string>{""});
}

BOOST_AUTO_TEST_CASE(keys_sharing_a_slot_and_a_tag_are_told_apart) {
  // Two keys with the same home slot in a small table (low bits of the slot
  // hash) and the same 16-bit tag (its bits 32-47): only their bytes differ.
  const auto slot_and_tag = [](const std::string& k) {
    const std::uint64_t h = entry_table::slot_hash(dkv::common::key_hash(k), 0);
    return (h & 7) | (((h >> 32) & 0xffff) << 3);
  };
  const std::string first = key_of(0);
  std::string twin;
  for (int i = 1; twin.empty(); ++i)
    if (slot_and_tag(key_of(i)) == slot_and_tag(first)) twin = key_of(i);
  entry_table t;
  add(t, first, "first");
  BOOST_TEST(t.find(hashed_key(twin)) == nullptr);
  add(t, twin, "twin");
  BOOST_TEST(t.find(hashed_key(first))->value() == "first");
  BOOST_TEST(t.find(hashed_key(twin))->value() == "twin");
  t.prefetch_block(hashed_key(twin));
}

BOOST_AUTO_TEST_CASE(the_seed_decides_where_keys_sit) {
  // The same keys, in the same order, in tables with other seeds: each
  // finds them all, and the slot order (iteration) differs.
  std::vector<std::vector<std::string>> orders;
  for (const std::uint64_t seed : {0ULL, 1ULL, 0x9e3779b97f4a7c15ULL}) {
    entry_table t(seed);
    for (int i = 0; i < 200; ++i) add(t, key_of(i));
    for (int i = 0; i < 200; ++i) BOOST_TEST_REQUIRE(t.find(hashed_key(key_of(i))) != nullptr);
    orders.emplace_back();
    for (const entry& e : t) orders.back().emplace_back(e.key());
  }
  BOOST_TEST((orders[0] != orders[1]));
  BOOST_TEST((orders[1] != orders[2]));
  // Keys with equal low key_hash bits do not share home slots.
  const auto low = [](int i) { return dkv::common::key_hash(key_of(i)) & 1023; };
  std::vector<int> same_low;
  for (int i = 1; same_low.size() < 8; ++i)
    if (low(i) == low(0)) same_low.push_back(i);
  std::set<std::uint64_t> homes;
  for (const int i : same_low)
    homes.insert(entry_table::slot_hash(dkv::common::key_hash(key_of(i)), 12345) & 1023);
  BOOST_TEST(homes.size() > 4u);
}

BOOST_AUTO_TEST_CASE(found_entries_are_updated_in_place) {
  entry_table t;
  for (int i = 0; i < 100; ++i) add(t, key_of(i));
  entry* e = t.find(hashed_key(key_of(42)));
  BOOST_REQUIRE(e != nullptr);
  e->assign("a new value, longer than the old", version{2, 1}, false);
  BOOST_TEST(t.find(hashed_key(key_of(42)))->value() == "a new value, longer than the old");
  BOOST_TEST(t.size() == 100u);
}

BOOST_AUTO_TEST_CASE(erase_if_keeps_every_other_key_findable) {
  // Erasing leaves holes in the probe sequences of the keys that stay: the
  // table must still find each of them.
  entry_table t;
  for (int i = 0; i < 5000; ++i) add(t, key_of(i), i % 3 == 0 ? "drop" : "keep");
  const std::size_t erased = t.erase_if([](const entry& e) { return e.value() == "drop"; });
  BOOST_TEST(erased == 1667u);
  BOOST_TEST(t.size() == 5000u - 1667u);
  for (int i = 0; i < 5000; ++i) {
    const entry* e = t.find(hashed_key(key_of(i)));
    BOOST_TEST_REQUIRE((e != nullptr) == (i % 3 != 0));
  }
  BOOST_TEST(keys_of(t).size() == t.size());
  BOOST_TEST(t.erase_if([](const entry&) { return false; }) == 0u);

  BOOST_TEST(t.erase_if([](const entry&) { return true; }) == 5000u - 1667u);
  BOOST_TEST(t.empty());
  BOOST_TEST((t.begin() == t.end()));
  add(t, "again");  // usable after emptying
  BOOST_TEST(t.find(hashed_key("again")) != nullptr);
}

BOOST_AUTO_TEST_CASE(clear_and_move_hand_over_the_entries) {
  entry_table t;
  for (int i = 0; i < 300; ++i) add(t, key_of(i));
  entry_table moved(std::move(t));
  BOOST_TEST(moved.size() == 300u);
  BOOST_TEST(t.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  BOOST_TEST(t.find(hashed_key(key_of(1))) == nullptr);
  entry_table assigned;
  add(assigned, "replaced");
  assigned = std::move(moved);
  BOOST_TEST(assigned.find(hashed_key("replaced")) == nullptr);
  BOOST_TEST(assigned.find(hashed_key(key_of(299))) != nullptr);
  assigned.clear();
  BOOST_TEST(assigned.empty());
  BOOST_TEST(assigned.find(hashed_key(key_of(299))) == nullptr);
  add(assigned, key_of(299));
  BOOST_TEST(assigned.size() == 1u);
}

BOOST_AUTO_TEST_CASE(layout_changes_exactly_when_entries_may_move) {
  entry_table t;
  for (int i = 0; i < 6; ++i) add(t, key_of(i));  // 8 slots hold 6
  const std::uint64_t eight = t.layout();
  const entry* first = &*t.begin();
  t.find(hashed_key(key_of(0)))->assign("overwritten", version{2, 1}, false);
  t.erase_if([](const entry&) { return false; });  // erases nothing
  BOOST_TEST(t.layout() == eight);
  BOOST_TEST(&*t.begin() == first);

  add(t, key_of(6));  // a 7th needs 16 slots
  BOOST_TEST(t.slot_count() == 16u);
  const std::uint64_t sixteen = t.layout();
  BOOST_TEST(sixteen != eight);
  t.erase_if([](const entry& e) { return e.key() == key_of(3); });
  const std::uint64_t erased = t.layout();
  BOOST_TEST(erased != sixteen);
  t.clear();
  BOOST_TEST(t.layout() != erased);

  // A table assigned over another (or moved from) is not the same layout.
  entry_table other;
  add(other, "other");
  add(t, "t");
  const std::uint64_t before = t.layout();
  t = std::move(other);
  BOOST_TEST(t.layout() != before);
  const std::uint64_t moved_from = other.layout();  // NOLINT(bugprone-use-after-move)
  entry_table taker(std::move(t));
  BOOST_TEST(t.layout() != taker.layout());  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(moved_from != before);
}

BOOST_AUTO_TEST_CASE(slots_locate_entries_for_a_walk_that_resumes) {
  entry_table t;
  for (int i = 0; i < 100; ++i) add(t, key_of(i));
  std::vector<std::string> whole, resumed;
  for (const entry& e : t) whole.emplace_back(e.key());
  for (std::size_t slot = 0; slot < t.slot_count();) {
    auto it = t.from_slot(slot);
    if (it == t.end()) break;
    resumed.emplace_back(it->key());
    slot = t.slot_of(*it) + 1;
  }
  BOOST_TEST(resumed == whole);
}

BOOST_AUTO_TEST_CASE(prefetching_a_batch_changes_nothing) {
  // More keys than one prefetch round (32), present and absent ones.
  dkv::store::store s;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(key_of(i));
    if (i % 2 == 0) s.put(keys.back(), std::to_string(i), version{1, 1});
  }
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  s.prefetch(views);
  s.prefetch({});
  BOOST_TEST(s.live_keys() == 50u);
  for (int i = 0; i < 100; ++i) {
    const auto v = s.get(keys[i]);
    BOOST_TEST_REQUIRE(v.has_value() == (i % 2 == 0));
    if (v) BOOST_TEST(*v == std::to_string(i));
  }
}
