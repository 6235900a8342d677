#define BOOST_TEST_MODULE protocol_peer
#include <boost/test/unit_test.hpp>

// Pins the peer messages to protocol/PROTOCOL.md §10: every hex dump of
// "Peer examples" is copied here verbatim (keep them identical by hand),
// encoded and decoded byte for byte; then malformed bodies (cut at every
// length, trailing bytes, huge counts refused without allocating) and the
// order independence of the migration digest.

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dkv/common/bytes.hpp"
#include "dkv/common/key_hash.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

// Counts the allocations of this test binary, so that "nothing is reserved"
// can be checked, not just promised.
#define DKV_TEST_COUNT_ALLOCATIONS
#define DKV_TEST_FRAME_HELPERS
#include "support/test_support.hpp"

namespace {

namespace p = dkv::protocol;
using p::parse_state;
using p::peer_opcode;
using p::status;
using namespace dkv::test;

// ---- the vectors of PROTOCOL.md §10.6, verbatim ----------------------------------

namespace ex {
constexpr std::string_view gossip_req = "DB 01 40 00 | 00 00 00 12 | 00 00 00 46 | 00 00 00 02 | 00 00 00 02 | 6E 31 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 31 | 01 | 00 00 00 00 00 00 00 01 | 00 00 00 02 | 6E 32 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 32 | 01 | 00 00 00 00 00 00 00 02";
constexpr std::string_view gossip_reply = "DB 01 40 01 | 00 00 00 12 | 00 00 00 47 | 00 | 00 00 00 02 | 00 00 00 02 | 6E 31 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 31 | 01 | 00 00 00 00 00 00 00 01 | 00 00 00 02 | 6E 32 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 32 | 01 | 00 00 00 00 00 00 00 02";
constexpr std::string_view join_req = "DB 01 41 00 | 00 00 00 13 | 00 00 00 18 | 00 00 00 02 | 6E 33 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 33";
constexpr std::string_view migrate_req = "DB 01 42 00 | 00 00 00 14 | 00 00 00 25 | 00 00 00 05 | 00 00 00 01 | 00 00 00 19 | 01 00 01 00 00 00 00 00 02 00 00 00 07 00 00 00 02 6B 31 00 00 00 02 76 31";
constexpr std::string_view migrate_reply = "DB 01 42 01 | 00 00 00 14 | 00 00 00 01 | 00";
constexpr std::string_view migrate_done_req = "DB 01 43 00 | 00 00 00 15 | 00 00 00 14 | 00 00 00 05 | 00 00 00 00 00 00 00 01 | 6F F1 0C E9 73 9B 71 06";
constexpr std::string_view migrate_done_reply = "DB 01 43 01 | 00 00 00 15 | 00 00 00 01 | 00";
constexpr std::string_view digest_mismatch_reply = "DB 01 43 01 | 00 00 00 15 | 00 00 00 14 | 24 | 00 00 00 0F | 64 69 67 65 73 74 20 6D 69 73 6D 61 74 63 68";
constexpr std::string_view forwarded_get_req = "DB 01 03 02 | 00 00 00 16 | 00 00 00 06 | 00 00 00 02 | 6B 31";
constexpr std::string_view not_owner_reply = "DB 01 03 01 | 00 00 00 16 | 00 00 00 0E | 23 | 00 00 00 09 | 6E 6F 74 20 6F 77 6E 65 72";
constexpr std::string_view forwarded_mget_req = "DB 01 06 02 | 00 00 00 18 | 00 00 00 10 | 00 00 00 02 | 00 00 00 02 | 6B 31 | 00 00 00 02 | 6B 32";
constexpr std::string_view mget_too_large_reply = "DB 01 06 01 | 00 00 00 18 | 00 00 00 32 | 12 | 00 00 00 2D | 4D 47 45 54 20 72 65 70 6C 79 20 65 78 63 65 65 64 73 20 6D 61 78 2D 66 72 61 6D 65 20 28 31 36 37 37 37 32 31 36 20 62 79 74 65 73 29";
constexpr std::string_view local_only_get_req = "DB 01 03 04 | 00 00 00 17 | 00 00 00 06 | 00 00 00 02 | 6B 31";
// protocol/WAL.md §8 "PUT entry, as a payload", verbatim.
constexpr std::string_view wal_put_payload = "01 | 00 01 00 00 00 00 00 02 | 00 00 00 07 | 00 00 00 02 | 6B 31 | 00 00 00 02 | 76 31";
// The membership inside gossip_req (its body), field by field.
constexpr std::string_view membership_body = "00 00 00 02 | 00 00 00 02 | 6E 31 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 31 | 01 | 00 00 00 00 00 00 00 01 | 00 00 00 02 | 6E 32 | 00 00 00 0E | 31 32 37 2E 30 2E 30 2E 31 3A 38 30 30 32 | 01 | 00 00 00 00 00 00 00 02";
constexpr std::uint64_t example_digest = 0x6FF10CE9739B7106;
}  // namespace ex

constexpr std::uint8_t op(peer_opcode o) { return static_cast<std::uint8_t>(o); }
constexpr std::uint8_t get_op = static_cast<std::uint8_t>(p::opcode::get);

// A reply whose body is OK followed by a membership written in place
// (GOSSIP, JOIN), built as the node builds it.
void reply_membership(std::string& out, std::uint8_t opc, std::uint32_t rid,
                      std::string_view membership) {
  const auto at = p::begin_frame(out, opc, p::flag::reply, rid);
  p::put_u8(out, static_cast<std::uint8_t>(status::ok));
  out.append(membership);
  p::finish_frame(out, at);
}

// The entry digest computed the plain way: one XXH3 over the concatenation.
std::uint64_t reference_digest(std::string_view key, std::uint64_t hlc, std::uint32_t node) {
  std::string buf(key);
  dkv::common::append_u64_be(buf, hlc);
  dkv::common::append_u32_be(buf, node);
  return XXH3_64bits(buf.data(), buf.size());
}

}  // namespace

// Wire values are part of the protocol (PROTOCOL.md §2, §5, §10).
static_assert(op(peer_opcode::gossip) == 0x40 && op(peer_opcode::join) == 0x41 &&
              op(peer_opcode::migrate) == 0x42 && op(peer_opcode::migrate_done) == 0x43);
static_assert(p::flag::forwarded == 0x02 && p::flag::local_only == 0x04);
static_assert((p::flag::reply & p::flag::forwarded) == 0 &&
              (p::flag::reply & p::flag::local_only) == 0 &&
              (p::flag::forwarded & p::flag::local_only) == 0);
static_assert(static_cast<int>(status::not_owner) == 0x23 &&
              static_cast<int>(status::digest_mismatch) == 0x24);

// ============================================================================
BOOST_AUTO_TEST_SUITE(examples)

BOOST_AUTO_TEST_CASE(gossip_and_reply) {
  const std::string membership = from_hex(ex::membership_body);
  check_encodes_to(ex::gossip_req, [&](auto& o) { p::encode_gossip(o, 18, membership); });
  const std::string req = from_hex(ex::gossip_req);
  BOOST_TEST(to_hex(parse_one(req, 0x40, 18, 0).body) == to_hex(membership));

  check_encodes_to(ex::gossip_reply, [&](auto& o) { reply_membership(o, 0x40, 18, membership); });
  const std::string rep = from_hex(ex::gossip_reply);
  const auto r = parse_reply(rep, 0x40, 18);
  BOOST_TEST((r.code == status::ok));
  BOOST_TEST(to_hex(r.rest) == to_hex(membership));
}

BOOST_AUTO_TEST_CASE(join) {
  check_encodes_to(ex::join_req, [](auto& o) { p::encode_join(o, 19, "n3", "127.0.0.1:8003"); });
  const std::string req = from_hex(ex::join_req);
  const auto d = p::decode_join(parse_one(req, 0x41, 19, 0).body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->id == "n3");
  BOOST_TEST(d->address == "127.0.0.1:8003");
}

BOOST_AUTO_TEST_CASE(migrate_one_put_entry) {
  const std::string entry = from_hex(ex::wal_put_payload);
  BOOST_TEST(entry.size() == 25u);
  check_encodes_to(ex::migrate_req, [&](auto& o) {
    const auto at = p::begin_migrate(o, 20, 5);
    p::put_migrate_entry(o, entry);
    p::finish_migrate(o, at, 1);
  });
  const std::string req = from_hex(ex::migrate_req);
  const auto d = p::decode_migrate(parse_one(req, 0x42, 20, 0).body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->partition == 5u);
  BOOST_TEST_REQUIRE(d->entries.size() == 1u);
  BOOST_TEST(to_hex(d->entries[0]) == to_hex(entry));

  check_encodes_to(ex::migrate_reply, [](auto& o) { p::reply_status(o, 0x42, 20, status::ok); });
  const std::string rep = from_hex(ex::migrate_reply);
  const auto r = parse_reply(rep, 0x42, 20);
  BOOST_TEST((r.code == status::ok));
  BOOST_TEST(r.rest.empty());
}

BOOST_AUTO_TEST_CASE(migrate_done_and_replies) {
  // The digest of the example is the entry digest of its one entry.
  BOOST_TEST(p::entry_digest("k1", 0x0001000000000002, 7) == ex::example_digest);
  BOOST_TEST(reference_digest("k1", 0x0001000000000002, 7) == ex::example_digest);
  BOOST_TEST(XXH3_64bits(from_hex("6B 31 00 01 00 00 00 00 00 02 00 00 00 07").data(), 14) ==
             ex::example_digest);

  check_encodes_to(ex::migrate_done_req, [](auto& o) {
    p::encode_migrate_done(o, 21, p::migrate_done{5, 1, ex::example_digest});
  });
  const std::string req = from_hex(ex::migrate_done_req);
  const auto d = p::decode_migrate_done(parse_one(req, 0x43, 21, 0).body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->partition == 5u);
  BOOST_TEST(d->count == 1u);
  BOOST_TEST(d->digest == ex::example_digest);

  check_encodes_to(ex::migrate_done_reply,
                   [](auto& o) { p::reply_status(o, 0x43, 21, status::ok); });
  const std::string ok = from_hex(ex::migrate_done_reply);
  BOOST_TEST((parse_reply(ok, 0x43, 21).code == status::ok));

  check_encodes_to(ex::digest_mismatch_reply, [](auto& o) {
    p::reply_error(o, 0x43, 21, status::digest_mismatch, "digest mismatch");
  });
  const std::string bad = from_hex(ex::digest_mismatch_reply);
  const auto r = parse_reply(bad, 0x43, 21);
  BOOST_TEST((r.code == status::digest_mismatch));
  BOOST_TEST(r.message == "digest mismatch");
}

BOOST_AUTO_TEST_CASE(forwarded_get_not_owner) {
  check_encodes_to(ex::forwarded_get_req, [](auto& o) {
    const auto at = p::begin_frame(o, get_op, p::flag::forwarded, 22);
    p::put_bytes(o, "k1");
    p::finish_frame(o, at);
  });
  const std::string req = from_hex(ex::forwarded_get_req);
  const auto f = parse_one(req, get_op, 22, p::flag::forwarded);
  const auto d = p::decode_key(f.body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == "k1");

  check_encodes_to(ex::not_owner_reply, [](auto& o) {
    p::reply_error(o, get_op, 22, status::not_owner, "not owner");
  });
  const std::string rep = from_hex(ex::not_owner_reply);
  const auto r = parse_reply(rep, get_op, 22);
  BOOST_TEST((r.code == status::not_owner));
  BOOST_TEST(p::is_error(r.code));
  BOOST_TEST(r.message == "not owner");
}

BOOST_AUTO_TEST_CASE(forwarded_mget_too_large) {
  const std::vector<std::string_view> keys{"k1", "k2"};
  check_encodes_to(ex::forwarded_mget_req,
                   [&](auto& o) { p::encode_mget(o, 24, keys, p::flag::forwarded); });
  const std::string req = from_hex(ex::forwarded_mget_req);
  const auto f = parse_one(req, 0x06, 24, p::flag::forwarded);
  const auto d = p::decode_mget(f.body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->keys == keys);

  check_encodes_to(ex::mget_too_large_reply, [](auto& o) {
    p::reply_error(o, 0x06, 24, status::too_large, "MGET reply exceeds max-frame (16777216 bytes)");
  });
  const std::string rep = from_hex(ex::mget_too_large_reply);
  const auto r = parse_reply(rep, 0x06, 24);
  BOOST_TEST((r.code == status::too_large));
  BOOST_TEST(r.message == "MGET reply exceeds max-frame (16777216 bytes)");
}

BOOST_AUTO_TEST_CASE(local_only_get) {
  check_encodes_to(ex::local_only_get_req, [](auto& o) {
    const auto at = p::begin_frame(o, get_op, p::flag::local_only, 23);
    p::put_bytes(o, "k1");
    p::finish_frame(o, at);
  });
  const std::string req = from_hex(ex::local_only_get_req);
  const auto f = parse_one(req, get_op, 23, p::flag::local_only);
  const auto d = p::decode_key(f.body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == "k1");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(peer_opcodes) {
  for (int o = 0; o < 256; ++o) {
    const bool peer = o >= 0x40 && o <= 0x43;
    BOOST_TEST(p::is_peer_opcode(static_cast<std::uint8_t>(o)) == peer, "opcode " << o);
  }
}

BOOST_AUTO_TEST_CASE(peer_status_names) {
  BOOST_TEST(p::status_name(status::not_owner) == "NOT_OWNER");
  BOOST_TEST(p::status_name(status::digest_mismatch) == "DIGEST_MISMATCH");
  BOOST_TEST(p::is_error(status::not_owner));
  BOOST_TEST(p::is_error(status::digest_mismatch));
}

BOOST_AUTO_TEST_CASE(migrate_many_entries_appended_to_existing_output) {
  std::string out = "prefix";
  std::vector<std::string> entries;
  for (int i = 0; i < 50; ++i)
    entries.push_back(std::string(static_cast<std::size_t>(i), static_cast<char>('a' + i % 26)));
  const auto at = p::begin_migrate(out, 77, 4095);
  BOOST_TEST(at == 6u);
  for (const auto& e : entries) p::put_migrate_entry(out, e);
  p::finish_migrate(out, at, static_cast<std::uint32_t>(entries.size()));
  BOOST_TEST(out.substr(0, 6) == "prefix");

  const std::string frame = out.substr(6);
  const auto f = parse_one(frame, 0x42, 77, 0);
  const auto d = p::decode_migrate(f.body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->partition == 4095u);
  BOOST_TEST_REQUIRE(d->entries.size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) BOOST_TEST(d->entries[i] == entries[i]);
}

BOOST_AUTO_TEST_CASE(empty_batch_and_binary_fields) {
  std::string out;
  p::finish_migrate(out, p::begin_migrate(out, 1, 0), 0);
  const std::string batch_body = out.substr(p::header_size);
  const auto d = p::decode_migrate(batch_body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->entries.empty());

  const std::string id("\0\xff", 2);
  out.clear();
  p::encode_join(out, 2, id, "");
  const std::string join_body = out.substr(p::header_size);  // the views point into it
  const auto j = p::decode_join(join_body);
  BOOST_TEST_REQUIRE(j.has_value());
  BOOST_TEST(j->id == id);
  BOOST_TEST(j->address.empty());

  out.clear();
  const p::migrate_done md{4095, ~std::uint64_t{0}, 0x8000000000000001};
  p::encode_migrate_done(out, 3, md);
  const auto m = p::decode_migrate_done(out.substr(p::header_size));
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->partition == md.partition);
  BOOST_TEST(m->count == md.count);
  BOOST_TEST(m->digest == md.digest);
}

BOOST_AUTO_TEST_CASE(join_and_migrate_done_decoders_do_not_allocate) {
  const std::string join = body_of(ex::join_req);
  const std::string done = body_of(ex::migrate_done_req);
  bool ok = false;
  BOOST_TEST(allocations_during([&] { ok = p::decode_join(join).has_value(); }) == 0u);
  BOOST_TEST(ok);
  BOOST_TEST(allocations_during([&] { ok = p::decode_migrate_done(done).has_value(); }) == 0u);
  BOOST_TEST(ok);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(truncated_at_every_length) {
  const std::string join = body_of(ex::join_req);
  const std::string migrate = body_of(ex::migrate_req);
  const std::string done = body_of(ex::migrate_done_req);
  for (std::size_t n = 0; n < join.size(); ++n)
    BOOST_TEST(!p::decode_join(join.substr(0, n)).has_value(), "join cut at " << n);
  for (std::size_t n = 0; n < migrate.size(); ++n)
    BOOST_TEST(!p::decode_migrate(migrate.substr(0, n)).has_value(), "migrate cut at " << n);
  for (std::size_t n = 0; n < done.size(); ++n)
    BOOST_TEST(!p::decode_migrate_done(done.substr(0, n)).has_value(), "done cut at " << n);
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
  for (std::string_view extra : {std::string_view("\0", 1), std::string_view("xyz")}) {
    const std::string x(extra);
    BOOST_TEST(!p::decode_join(body_of(ex::join_req) + x).has_value());
    BOOST_TEST(!p::decode_migrate(body_of(ex::migrate_req) + x).has_value());
    BOOST_TEST(!p::decode_migrate_done(body_of(ex::migrate_done_req) + x).has_value());
  }
}

BOOST_AUTO_TEST_CASE(count_disagreeing_with_entries) {
  // The example batch with its count set to 0 (an entry left over) and to 2
  // (an entry missing).
  std::string body = body_of(ex::migrate_req);
  dkv::common::store_u32_be(body.data() + 4, 0);
  BOOST_TEST(!p::decode_migrate(body).has_value());
  dkv::common::store_u32_be(body.data() + 4, 2);
  BOOST_TEST(!p::decode_migrate(body).has_value());
  // An entry length running past the end of the body.
  body = body_of(ex::migrate_req);
  dkv::common::store_u32_be(body.data() + 8, 26);
  BOOST_TEST(!p::decode_migrate(body).has_value());
}

BOOST_AUTO_TEST_CASE(huge_migrate_count_refused_without_reserving) {
  // count 0xFFFFFFFF with room for at most a few entries: refused from the
  // count alone, before any list is reserved.
  for (std::string_view hex : {"00 00 00 05 | FF FF FF FF",
                               "00 00 00 05 | FF FF FF FF | 00 00 00 00",
                               "00 00 00 05 | 00 00 00 03 | 00 00 00 00 | 00 00 00 00",
                               "00 00 00 05 | 40 00 00 00 | 00 00 00 00 00 00 00 00 00 00 00 00"}) {
    const std::string body = from_hex(hex);
    std::optional<p::migrate_batch> d;
    BOOST_TEST(allocations_during([&] { d = p::decode_migrate(body); }) == 0u, hex);
    BOOST_TEST(!d.has_value(), hex);
  }
  // At the bound itself the count is honoured: 3 empty entries in 12 bytes.
  const auto ok = p::decode_migrate(
      from_hex("00 00 00 05 | 00 00 00 03 | 00 00 00 00 | 00 00 00 00 | 00 00 00 00"));
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->entries.size() == 3u);
}

BOOST_AUTO_TEST_CASE(partition_out_of_range) {
  using dkv::common::partition_count;
  std::string out;
  p::finish_migrate(out, p::begin_migrate(out, 1, partition_count), 0);
  BOOST_TEST(!p::decode_migrate(out.substr(p::header_size)).has_value());
  out.clear();
  p::encode_migrate_done(out, 1, p::migrate_done{0xFFFFFFFF, 0, 0});
  BOOST_TEST(!p::decode_migrate_done(out.substr(p::header_size)).has_value());
  out.clear();
  p::encode_migrate_done(out, 1, p::migrate_done{partition_count - 1, 0, 0});
  BOOST_TEST(p::decode_migrate_done(out.substr(p::header_size)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(digest)

BOOST_AUTO_TEST_CASE(equals_xxh3_of_the_concatenation_for_every_key_length) {
  // Short keys go through a stack copy, long ones through the streaming API.
  std::mt19937_64 rng(7);
  for (std::size_t len : {0u, 1u, 2u, 100u, 243u, 244u, 245u, 256u, 1000u, 65536u}) {
    std::string key(len, '\0');
    for (auto& c : key) c = static_cast<char>(rng());
    const std::uint64_t hlc = rng();
    const auto node = static_cast<std::uint32_t>(rng());
    BOOST_TEST(p::entry_digest(key, hlc, node) == reference_digest(key, hlc, node), "len " << len);
  }
}

BOOST_AUTO_TEST_CASE(sum_is_order_independent) {
  struct e {
    std::string key;
    std::uint64_t hlc;
    std::uint32_t node;
  };
  std::mt19937_64 rng(42);
  std::vector<e> entries;
  for (int i = 0; i < 500; ++i)
    entries.push_back(
        {"key-" + std::to_string(rng() % 100000), rng(), static_cast<std::uint32_t>(rng() % 8)});
  auto sum = [](const std::vector<e>& v) {
    std::uint64_t s = 0;
    for (const auto& x : v) s += p::entry_digest(x.key, x.hlc, x.node);  // modulo 2^64
    return s;
  };
  const std::uint64_t expected = sum(entries);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(entries.begin(), entries.end(), rng);
    BOOST_TEST(sum(entries) == expected);
  }
  // Any change of key, hlc or node shows.
  auto changed = entries;
  changed[3].hlc += 1;
  BOOST_TEST(sum(changed) != expected);
  changed = entries;
  changed[3].node ^= 1;
  BOOST_TEST(sum(changed) != expected);
  changed = entries;
  changed[3].key += "x";
  BOOST_TEST(sum(changed) != expected);
  // A missing entry shows.
  changed = entries;
  changed.pop_back();
  BOOST_TEST(sum(changed) != expected);
}

BOOST_AUTO_TEST_CASE(every_field_counts) {
  BOOST_TEST(p::entry_digest("k1", 1, 7) != p::entry_digest("k1", 1, 8));
  BOOST_TEST(p::entry_digest("k1", 1, 7) != p::entry_digest("k1", 2, 7));
  BOOST_TEST(p::entry_digest("k1", 1, 7) != p::entry_digest("k2", 1, 7));
  BOOST_TEST(p::entry_digest("", 0, 0) == reference_digest("", 0, 0));
}

BOOST_AUTO_TEST_SUITE_END()
