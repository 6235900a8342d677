#define BOOST_TEST_MODULE cluster_membership
#include <boost/test/unit_test.hpp>

// Membership records (include/dkv/cluster/membership.hpp, PROTOCOL.md
// §10.4): the merge rules against an independent oracle, merge order
// (commutative, associative, idempotent) over random permutations, epoch and
// digest, local updates, and the encoding: the GOSSIP example of PROTOCOL.md
// §10.6 (copied verbatim), random round trips and a malformed catalogue.

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "dkv/cluster/membership.hpp"
#include "dkv/common/bytes.hpp"
#include "dkv/protocol/frame.hpp"

// So that "a huge count is refused before anything is reserved" is checked.
#define DKV_TEST_COUNT_ALLOCATIONS
#include "support/test_support.hpp"

namespace {

namespace c = dkv::cluster;
using c::member;
using c::member_state;
using c::membership;
using namespace dkv::test;

// ---- PROTOCOL.md §10.6, verbatim ---------------------------------------------------

namespace ex {
constexpr std::string_view gossip_req = "DB 01 40 00 | 00 00 00 12 | 00 00 00 46 | 00 00 00 02 | 00 00 00 02 | 6E 31 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 31 | 01 | 00 00 00 00 00 00 00 01 | 00 00 00 02 | 6E 32 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 32 | 01 | 00 00 00 00 00 00 00 02";
constexpr std::uint64_t gossip_epoch = 3;
constexpr std::uint64_t gossip_digest = 0x0F666D026BC3E2E4;
}  // namespace ex

// The membership body of the GOSSIP example (the frame minus its header).
std::string example_body() {
  return from_hex(ex::gossip_req).substr(dkv::protocol::header_size);
}

std::string encode(const membership& m) {
  std::string out;
  c::encode_membership(out, m);
  return out;
}

std::uint64_t sum_of_versions(const membership& m) {
  std::uint64_t s = 0;
  for (const auto& r : m.members()) s += r.version;
  return s;
}

// Invariants every membership keeps: ids strictly sorted, no version 0,
// epoch = sum of versions, digest = XXH3 of the encoding, find() agrees.
void check_invariants(const membership& m) {
  const auto& ms = m.members();
  for (std::size_t i = 1; i < ms.size(); ++i) BOOST_TEST((ms[i - 1].id < ms[i].id));
  for (const auto& r : ms) {
    BOOST_TEST(r.version >= 1u);
    BOOST_TEST(m.find(r.id) == &r);
  }
  BOOST_TEST(m.epoch() == sum_of_versions(m));
  const std::string body = encode(m);
  BOOST_TEST(m.digest() == XXH3_64bits(body.data(), body.size()));
}

// The merge rule written independently: per id, the maximum of
// (version, state, address).
std::vector<member> oracle(const std::vector<member>& records) {
  std::map<std::string, member> best;
  for (const auto& r : records) {
    if (r.version == 0) continue;
    auto [it, fresh] = best.emplace(r.id, r);
    if (!fresh && std::tie(r.version, r.state, r.address) >
                      std::tie(it->second.version, it->second.state, it->second.address))
      it->second = r;
  }
  std::vector<member> out;
  for (auto& [id, r] : best) out.push_back(r);
  return out;
}

// Random records over few ids, versions, states and addresses, so that
// records collide on id and on version all the time.
std::vector<member> random_records(std::mt19937_64& rng, std::size_t n) {
  static const char* const ids[] = {"a", "b", "n1", "n10", "n2", "\xff"};
  static const char* const addrs[] = {"127.0.0.1:8001", "127.0.0.1:8002", "10.0.0.1:9000"};
  std::vector<member> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(member{ids[rng() % 6], addrs[rng() % 3], static_cast<member_state>(1 + rng() % 3),
                         1 + rng() % 4});
  }
  return out;
}

membership from_records(const std::vector<member>& records) {
  membership m;
  for (const auto& r : records) m.merge(r);
  return m;
}

bool same(const membership& a, const membership& b) {
  return a.members() == b.members() && a.epoch() == b.epoch() && a.digest() == b.digest();
}

}  // namespace

static_assert(static_cast<int>(member_state::up) == 1 &&
              static_cast<int>(member_state::leaving) == 2 &&
              static_cast<int>(member_state::removed) == 3);

// ============================================================================
BOOST_AUTO_TEST_SUITE(merge_rules)

BOOST_AUTO_TEST_CASE(empty) {
  const membership m;
  BOOST_TEST(m.members().empty());
  BOOST_TEST(m.epoch() == 0u);
  BOOST_TEST(m.owners().empty());
  BOOST_TEST(m.find("n1") == nullptr);
  check_invariants(m);
}

BOOST_AUTO_TEST_CASE(higher_version_wins_lower_is_ignored) {
  membership m;
  BOOST_TEST(m.merge(member{"n1", "a:1", member_state::up, 2}));
  BOOST_TEST(!m.merge(member{"n1", "b:2", member_state::removed, 1}));  // older
  BOOST_TEST(m.find("n1")->address == "a:1");
  BOOST_TEST(m.merge(member{"n1", "b:2", member_state::leaving, 5}));  // newer
  const member* r = m.find("n1");
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST(r->address == "b:2");
  BOOST_TEST((r->state == member_state::leaving));
  BOOST_TEST(r->version == 5u);
  BOOST_TEST(m.epoch() == 5u);
  check_invariants(m);
}

BOOST_AUTO_TEST_CASE(same_record_again_changes_nothing) {
  membership m;
  const member r{"n1", "a:1", member_state::up, 3};
  BOOST_TEST(m.merge(r));
  const auto digest = m.digest();
  BOOST_TEST(!m.merge(r));
  BOOST_TEST(m.epoch() == 3u);
  BOOST_TEST(m.digest() == digest);
}

BOOST_AUTO_TEST_CASE(tie_break_on_equal_versions) {
  // State first: removed > leaving > up, whatever the address.
  for (auto [lo, hi] : {std::pair{member_state::up, member_state::leaving},
                        std::pair{member_state::leaving, member_state::removed},
                        std::pair{member_state::up, member_state::removed}}) {
    const member a{"n1", "z:9", lo, 4};
    const member b{"n1", "a:1", hi, 4};
    membership x, y;
    x.merge(a);
    BOOST_TEST(x.merge(b));
    y.merge(b);
    BOOST_TEST(!y.merge(a));
    BOOST_TEST(x.members() == y.members());
    BOOST_TEST((x.find("n1")->state == hi));
    BOOST_TEST(x.epoch() == 4u);  // a tie-break does not change the epoch...
  }
  // ...then the address, bytewise.
  const member a{"n1", "127.0.0.1:8001", member_state::up, 2};
  const member b{"n1", "127.0.0.1:8002", member_state::up, 2};
  membership x, y;
  x.merge(a);
  const auto before = x.digest();
  BOOST_TEST(x.merge(b));
  BOOST_TEST(x.digest() != before);  // ...but the digest tells the difference
  y.merge(b);
  BOOST_TEST(!y.merge(a));
  BOOST_TEST(x.find("n1")->address == "127.0.0.1:8002");
  BOOST_TEST(y.find("n1")->address == "127.0.0.1:8002");
}

BOOST_AUTO_TEST_CASE(version_zero_is_ignored) {
  membership m;
  BOOST_TEST(!m.merge(member{"n1", "a:1", member_state::up, 0}));
  BOOST_TEST(m.members().empty());
  BOOST_TEST(m.epoch() == 0u);
}

BOOST_AUTO_TEST_CASE(members_sorted_by_id_bytewise) {
  membership m;
  for (const char* id : {"n2", "\xff", "n10", "", "n1", "a"})
    m.merge(member{id, "x", member_state::up, 1});
  std::vector<std::string> ids;
  for (const auto& r : m.members()) ids.push_back(r.id);
  BOOST_TEST(ids == (std::vector<std::string>{"", "a", "n1", "n10", "n2", "\xff"}),
             boost::test_tools::per_element());
  check_invariants(m);
}

BOOST_AUTO_TEST_CASE(merge_membership_reports_change) {
  membership a, b;
  a.merge(member{"n1", "x", member_state::up, 1});
  b.merge(member{"n1", "x", member_state::up, 1});
  BOOST_TEST(!a.merge(b));
  BOOST_TEST(!a.merge(a));  // with itself
  b.merge(member{"n2", "y", member_state::up, 1});
  BOOST_TEST(a.merge(b));
  BOOST_TEST(same(a, b));
  BOOST_TEST(!a.merge(b));
}

BOOST_AUTO_TEST_CASE(matches_oracle_in_any_order) {
  std::mt19937_64 rng(1);
  for (int round = 0; round < 200; ++round) {
    auto records = random_records(rng, 1 + rng() % 30);
    const auto expected = oracle(records);
    for (int perm = 0; perm < 10; ++perm) {
      std::shuffle(records.begin(), records.end(), rng);
      const membership m = from_records(records);
      BOOST_TEST(m.members() == expected);
      check_invariants(m);
    }
  }
}

BOOST_AUTO_TEST_CASE(commutative_associative_idempotent) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 300; ++round) {
    auto records = random_records(rng, 3 + rng() % 30);
    std::shuffle(records.begin(), records.end(), rng);
    // Split into three random, possibly empty, sets.
    std::vector<member> ra, rb, rc;
    for (const auto& r : records) (rng() % 3 == 0 ? ra : rng() % 2 ? rb : rc).push_back(r);
    const membership a = from_records(ra), b = from_records(rb), cc = from_records(rc);

    membership ab = a, ba = b;
    ab.merge(b);
    ba.merge(a);
    BOOST_TEST(same(ab, ba));  // commutative

    membership ab_c = ab, b_c = b;
    ab_c.merge(cc);
    b_c.merge(cc);
    membership a_bc = a;
    a_bc.merge(b_c);
    BOOST_TEST(same(ab_c, a_bc));  // associative
    BOOST_TEST(ab_c.members() == oracle(records));

    membership again = ab_c;
    BOOST_TEST(!again.merge(ab_c));  // idempotent
    BOOST_TEST(!again.merge(a));
    BOOST_TEST(same(again, ab_c));
    check_invariants(ab_c);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(epoch_and_digest)

BOOST_AUTO_TEST_CASE(epoch_is_the_sum_of_versions) {
  membership m;
  m.merge(member{"n1", "x", member_state::up, 3});
  m.merge(member{"n2", "x", member_state::up, 7});
  BOOST_TEST(m.epoch() == 10u);
  m.merge(member{"n1", "x", member_state::up, 5});
  BOOST_TEST(m.epoch() == 12u);
  check_invariants(m);
}

BOOST_AUTO_TEST_CASE(epoch_grows_on_every_change) {
  std::mt19937_64 rng(3);
  membership m;
  for (int step = 0; step < 2000; ++step) {
    const auto epoch = m.epoch();
    const auto digest = m.digest();
    const std::string id = "n" + std::to_string(rng() % 8);
    if (rng() % 2) {
      m.update(id, "h:" + std::to_string(rng() % 3), static_cast<member_state>(1 + rng() % 3));
      BOOST_TEST(m.epoch() == epoch + 1);
      BOOST_TEST(m.digest() != digest);
    } else {
      const member* known = m.find(id);
      // Older, equal or newer than what is known (0 is ignored by merge).
      const std::uint64_t v = known ? known->version - 1 + rng() % 3 : rng() % 2;
      const auto state = static_cast<member_state>(1 + rng() % 3);
      const member r{id, "h:" + std::to_string(rng() % 3), state, v};
      const bool newer_version = v > (known ? known->version : 0);
      const bool changed = m.merge(r);
      if (newer_version) {
        BOOST_TEST(changed);
        BOOST_TEST(m.epoch() > epoch);
      } else {
        BOOST_TEST(m.epoch() == epoch);  // same version: tie-break only
      }
      BOOST_TEST((m.digest() != digest) == changed);
    }
    check_invariants(m);
  }
}

BOOST_AUTO_TEST_CASE(equal_epoch_different_content_different_digest) {
  // Two concurrent changes: n1 bumped on one side, n2 on the other.
  membership base;
  base.update("n1", "127.0.0.1:8001", member_state::up);
  base.update("n2", "127.0.0.1:8002", member_state::up);
  membership x = base, y = base;
  x.update("n1", "127.0.0.1:8001", member_state::leaving);
  y.update("n2", "127.0.0.1:8002", member_state::leaving);
  BOOST_TEST(x.epoch() == y.epoch());
  BOOST_TEST(x.digest() != y.digest());
  // Same version, different state or address.
  membership p, q, r;
  p.merge(member{"n1", "a:1", member_state::up, 1});
  q.merge(member{"n1", "a:1", member_state::leaving, 1});
  r.merge(member{"n1", "a:2", member_state::up, 1});
  BOOST_TEST(p.epoch() == q.epoch());
  BOOST_TEST(p.digest() != q.digest());
  BOOST_TEST(p.digest() != r.digest());
  BOOST_TEST(q.digest() != r.digest());
  // Converged after merging both ways.
  x.merge(y);
  y.merge(x);
  BOOST_TEST(same(x, y));
}

BOOST_AUTO_TEST_CASE(digest_is_xxh3_of_the_encoding) {
  const auto m = c::decode_membership(example_body());
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->epoch() == ex::gossip_epoch);
  BOOST_TEST(m->digest() == ex::gossip_digest);
  const std::string body = example_body();
  BOOST_TEST(XXH3_64bits(body.data(), body.size()) == ex::gossip_digest);
  BOOST_TEST(membership().digest() == XXH3_64bits("\0\0\0\0", 4));
  BOOST_TEST(allocations_during([&] { (void)m->digest(); }) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(local_changes)

BOOST_AUTO_TEST_CASE(update_versions) {
  membership m;
  m.update("n1", "127.0.0.1:8001", member_state::up);
  BOOST_TEST(m.find("n1")->version == 1u);
  BOOST_TEST(m.epoch() == 1u);
  m.update("n1", "127.0.0.1:8001", member_state::up);  // unchanged content still bumps
  BOOST_TEST(m.find("n1")->version == 2u);
  m.merge(member{"n1", "x", member_state::up, 10});
  m.update("n1", "127.0.0.1:9001", member_state::leaving);
  const member* r = m.find("n1");
  BOOST_TEST(r->version == 11u);
  BOOST_TEST(r->address == "127.0.0.1:9001");
  BOOST_TEST((r->state == member_state::leaving));
  BOOST_TEST(m.epoch() == 11u);
  check_invariants(m);
}

BOOST_AUTO_TEST_CASE(removed_member_cannot_come_back_from_stale_gossip) {
  membership m;
  m.update("n3", "127.0.0.1:8003", member_state::up);
  const membership stale = m;
  m.update("n3", "127.0.0.1:8003", member_state::removed);
  BOOST_TEST(!m.merge(stale));
  BOOST_TEST((m.find("n3")->state == member_state::removed));
  // A later join writes a newer record and wins everywhere.
  membership rejoined = m;
  rejoined.update("n3", "127.0.0.1:8003", member_state::up);
  membership other = stale;
  other.merge(m);
  other.merge(rejoined);
  BOOST_TEST((other.find("n3")->state == member_state::up));
  BOOST_TEST(same(other, rejoined));
}

BOOST_AUTO_TEST_CASE(owners_are_the_up_members_sorted) {
  membership m;
  m.update("n5", "h:5", member_state::up);
  m.update("n2", "h:2", member_state::leaving);
  m.update("n1", "h:1", member_state::up);
  m.update("n4", "h:4", member_state::removed);
  m.update("n3", "h:3", member_state::up);
  BOOST_TEST(m.owners() == (std::vector<std::string>{"n1", "n3", "n5"}),
             boost::test_tools::per_element());
  m.update("n3", "h:3", member_state::leaving);
  BOOST_TEST(m.owners() == (std::vector<std::string>{"n1", "n5"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(state_names) {
  BOOST_TEST(c::state_name(member_state::up) == "up");
  BOOST_TEST(c::state_name(member_state::leaving) == "leaving");
  BOOST_TEST(c::state_name(member_state::removed) == "removed");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(gossip_example_both_ways) {
  membership m;
  m.merge(member{"n1", "127.0.0.1:8001", member_state::up, 1});
  m.merge(member{"n2", "127.0.0.1:8002", member_state::up, 2});
  BOOST_TEST(to_hex(encode(m)) == to_hex(example_body()));

  const auto d = c::decode_membership(example_body());
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->members() == m.members());
  BOOST_TEST(d->epoch() == m.epoch());
}

BOOST_AUTO_TEST_CASE(encode_appends) {
  membership m;
  m.update("n1", "h:1", member_state::up);
  std::string out = "xy";
  c::encode_membership(out, m);
  BOOST_TEST(out.substr(0, 2) == "xy");
  BOOST_TEST(out.substr(2) == encode(m));
}

BOOST_AUTO_TEST_CASE(random_round_trips) {
  std::mt19937_64 rng(4);
  for (int round = 0; round < 300; ++round) {
    auto records = random_records(rng, rng() % 20);
    // Binary ids and addresses too.
    if (rng() % 2)
      records.push_back(member{std::string("\0id", 3), std::string("\0\xff", 2), member_state::up,
                               rng() % 1000 + 1});
    const membership m = from_records(records);
    const std::string body = encode(m);
    const auto d = c::decode_membership(body);
    BOOST_TEST_REQUIRE(d.has_value());
    BOOST_TEST(same(*d, m));
    BOOST_TEST(encode(*d) == body);
    check_invariants(*d);
  }
  const auto empty = c::decode_membership(from_hex("00 00 00 00"));
  BOOST_TEST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->members().empty());
}

BOOST_AUTO_TEST_CASE(truncated_at_every_length_and_trailing_bytes) {
  const std::string body = example_body();
  for (std::size_t n = 0; n < body.size(); ++n)
    BOOST_TEST(!c::decode_membership(body.substr(0, n)).has_value(), "cut at " << n);
  BOOST_TEST(!c::decode_membership(body + std::string(1, '\0')).has_value());
  BOOST_TEST(!c::decode_membership(body + "extra").has_value());
}

// Offsets in the example body: count 0..3; record n1: id length 4..7, id
// 8..9, address 10..27 (length and text), state 28, version 29..36; record
// n2: id length 37..40, id 41..42, address 43..60, state 61, version 62..69.
BOOST_AUTO_TEST_CASE(malformed_catalogue) {
  const std::string good = example_body();
  BOOST_TEST_REQUIRE(good.size() == 70u);
  auto with = [&](std::size_t at, std::string_view bytes) {
    std::string b = good;
    b.replace(at, bytes.size(), bytes);
    return b;
  };
  const std::string half("\x80\0\0\0\0\0\0\0", 8);  // 2^63
  struct bad {
    const char* why;
    std::string body;
  };
  const std::vector<bad> cases{
      {"unknown state 0", with(28, std::string(1, '\x00'))},
      {"unknown state 4", with(61, "\x04")},
      {"unknown state FF", with(28, "\xff")},
      {"version 0", with(29, std::string(8, '\0'))},
      {"duplicate ids", with(41, "n1")},
      {"unsorted ids", with(8, "n3")},
      {"count 3, two records", with(0, std::string("\0\0\0\x03", 4))},
      {"count 1, two records", with(0, std::string("\0\0\0\x01", 4))},
      {"id length past the end", with(4, std::string("\0\0\0\xff", 4))},
      {"versions overflow the epoch", with(29, half).replace(62, 8, half)},
  };
  for (const auto& k : cases) BOOST_TEST(!c::decode_membership(k.body).has_value(), k.why);
  // The largest versions that still fit are accepted.
  const std::string fits =
      with(29, half).replace(62, 8, std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
  const auto d = c::decode_membership(fits);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->epoch() == ~std::uint64_t{0});
}

BOOST_AUTO_TEST_CASE(huge_count_refused_without_reserving) {
  // count 0xFFFFFFFF with one record; count 2 with one record and 16 bytes
  // (less than a second record); count 2^28 with 32 bytes.
  const std::string record = "00 00 00 00 | 00 00 00 00 | 01 | 00 00 00 00 00 00 00 01";
  const std::string sixteen = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
  for (const std::string& hex : {std::string("FF FF FF FF"), "FF FF FF FF " + record,
                                 "00 00 00 02 " + record + " " + sixteen,
                                 "10 00 00 00 " + sixteen + " " + sixteen}) {
    const std::string body = from_hex(hex);
    std::optional<membership> d;
    BOOST_TEST(allocations_during([&] { d = c::decode_membership(body); }) == 0u, hex);
    BOOST_TEST(!d.has_value(), hex);
  }
}

BOOST_AUTO_TEST_SUITE_END()
