#define BOOST_TEST_MODULE protocol_frame
#include <boost/test/unit_test.hpp>

// Pins the binary codec to protocol/PROTOCOL.md: every hex dump of its
// "Examples" section is copied here verbatim (keep them identical by hand),
// encoded and decoded byte for byte; then the incremental parser at every
// split point, and a catalogue of malformed input.

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/protocol/body.hpp"
#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"

// Counts the allocations of this test binary, so that "nothing is allocated"
// can be checked, not just promised.
#define DKV_TEST_COUNT_ALLOCATIONS
#define DKV_TEST_FRAME_HELPERS
#include "support/test_support.hpp"

namespace {

namespace p = dkv::protocol;
using p::opcode;
using p::parse_state;
using p::status;
using namespace dkv::test;

// ---- the vectors of PROTOCOL.md §8, verbatim ------------------------------------

namespace ex {
constexpr std::string_view hello_client_req = "DB 01 01 00 | 00 00 00 01 | 00 00 00 09 | 01 | 00 00 00 00 | 00 00 00 00";
constexpr std::string_view hello_reply = "DB 01 01 01 | 00 00 00 01 | 00 00 00 12 | 00 | 01 | 00 00 00 05 | 6E 6F 64 65 31 | 00 00 00 03 | 64 6B 76";
constexpr std::string_view hello_node_id_req = "DB 01 01 00 | 00 00 00 01 | 00 00 00 11 | 01 | 00 00 00 05 | 6E 6F 64 65 32 | 00 00 00 03 | 64 6B 76";
constexpr std::string_view ping_req = "DB 01 02 00 | 00 00 00 02 | 00 00 00 00";
constexpr std::string_view ping_reply = "DB 01 02 01 | 00 00 00 02 | 00 00 00 05 | 00 | 00 00 00 00";
constexpr std::string_view ping_hi_req = "DB 01 02 00 | 00 00 00 03 | 00 00 00 06 | 00 00 00 02 | 68 69";
constexpr std::string_view ping_hi_reply = "DB 01 02 01 | 00 00 00 03 | 00 00 00 07 | 00 | 00 00 00 02 | 68 69";
constexpr std::string_view put_req = "DB 01 04 00 | 00 00 00 07 | 00 00 00 0C | 00 00 00 02 | 6B 31 | 00 00 00 02 | 76 31";
constexpr std::string_view put_reply = "DB 01 04 01 | 00 00 00 07 | 00 00 00 01 | 00";
constexpr std::string_view get_req = "DB 01 03 00 | 00 00 00 08 | 00 00 00 06 | 00 00 00 02 | 6B 31";
constexpr std::string_view get_reply = "DB 01 03 01 | 00 00 00 08 | 00 00 00 07 | 00 | 00 00 00 02 | 76 31";
constexpr std::string_view get_miss_req = "DB 01 03 00 | 00 00 00 0A | 00 00 00 06 | 00 00 00 02 | 6B 32";
constexpr std::string_view get_miss_reply = "DB 01 03 01 | 00 00 00 0A | 00 00 00 01 | 01";
constexpr std::string_view del_req = "DB 01 05 00 | 00 00 00 0B | 00 00 00 06 | 00 00 00 02 | 6B 31";
constexpr std::string_view del_reply = "DB 01 05 01 | 00 00 00 0B | 00 00 00 01 | 00";
constexpr std::string_view del_again_req = "DB 01 05 00 | 00 00 00 0C | 00 00 00 06 | 00 00 00 02 | 6B 31";
constexpr std::string_view del_again_reply = "DB 01 05 01 | 00 00 00 0C | 00 00 00 01 | 01";
constexpr std::string_view mget_req = "DB 01 06 00 | 00 00 00 0D | 00 00 00 0E | 00 00 00 02 | 00 00 00 01 | 61 | 00 00 00 01 | 62";
constexpr std::string_view mget_reply = "DB 01 06 01 | 00 00 00 0D | 00 00 00 0C | 00 | 00 00 00 02 | 01 | 00 00 00 01 | 31 | 00";
constexpr std::string_view stats_req = "DB 01 07 00 | 00 00 00 0E | 00 00 00 00";
constexpr std::string_view stats_reply = "DB 01 07 01 | 00 00 00 0E | 00 00 00 0D | 00 | 00 00 00 08 | 6B 65 79 73 3A 31 0D 0A";
constexpr std::string_view unknown_req = "DB 01 7F 00 | 00 00 00 09 | 00 00 00 00";
constexpr std::string_view unknown_reply = "DB 01 7F 01 | 00 00 00 09 | 00 00 00 13 | 11 | 00 00 00 0E | 75 6E 6B 6E 6F 77 6E 20 6F 70 63 6F 64 65";
constexpr std::string_view malformed_req = "DB 01 03 00 | 00 00 00 11 | 00 00 00 06 | 00 00 00 05 | 6B 31";
constexpr std::string_view malformed_reply = "DB 01 03 01 | 00 00 00 11 | 00 00 00 13 | 10 | 00 00 00 0E | 74 72 75 6E 63 61 74 65 64 20 62 6F 64 79";
constexpr std::string_view too_large_req = "DB 01 04 00 | 00 00 00 0F | FF FF FF FF";
constexpr std::string_view too_large_reply = "DB 01 04 01 | 00 00 00 0F | 00 00 00 21 | 12 | 00 00 00 1C | 66 72 61 6D 65 20 62 6F 64 79 20 65 78 63 65 65 64 73 20 6D 61 78 2D 66 72 61 6D 65";
constexpr std::string_view bad_version_req = "DB 02 03 00 | 00 00 00 10 | 00 00 00 06";
constexpr std::string_view bad_version_reply = "DB 01 03 01 | 00 00 00 10 | 00 00 00 21 | 13 | 00 00 00 1C | 75 6E 73 75 70 70 6F 72 74 65 64 20 70 72 6F 74 6F 63 6F 6C 20 76 65 72 73 69 6F 6E";
constexpr std::string_view bad_magic_req = "47 45 54 20";
constexpr std::string_view bad_magic_reply = "DB 01 00 01 | 00 00 00 00 | 00 00 00 13 | 14 | 00 00 00 0E | 62 61 64 20 6D 61 67 69 63 20 62 79 74 65";
}  // namespace ex

constexpr std::uint8_t op(opcode o) { return static_cast<std::uint8_t>(o); }

}  // namespace

// Wire values are part of the protocol (PROTOCOL.md §2, §4, §5, §6).
static_assert(p::magic == 0xDB && p::wire_version == 1 && p::header_size == 12);
static_assert(p::flag::reply == 0x01);
static_assert(p::default_max_frame == 16u * 1024 * 1024 && p::default_max_key == 64u * 1024);
static_assert(op(opcode::hello) == 0x01 && op(opcode::ping) == 0x02 && op(opcode::get) == 0x03 &&
              op(opcode::put) == 0x04 && op(opcode::del) == 0x05 && op(opcode::mget) == 0x06 &&
              op(opcode::stats) == 0x07);
static_assert(static_cast<int>(status::ok) == 0x00 && static_cast<int>(status::not_found) == 0x01 &&
              static_cast<int>(status::malformed) == 0x10 &&
              static_cast<int>(status::unknown_opcode) == 0x11 &&
              static_cast<int>(status::too_large) == 0x12 &&
              static_cast<int>(status::bad_version) == 0x13 &&
              static_cast<int>(status::bad_magic) == 0x14 &&
              static_cast<int>(status::not_allowed) == 0x15 &&
              static_cast<int>(status::unavailable) == 0x20 &&
              static_cast<int>(status::internal) == 0x21 &&
              static_cast<int>(status::io_error) == 0x22);

// ============================================================================
BOOST_AUTO_TEST_SUITE(examples)

BOOST_AUTO_TEST_CASE(hex_helper_is_strict) {
  BOOST_TEST(to_hex(from_hex("DB 01 | 0a ff")) == "DB 01 0A FF");
  BOOST_CHECK_THROW(from_hex("DB1"), std::invalid_argument);
  BOOST_CHECK_THROW(from_hex("DB 0G"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(hello_client_and_reply) {
  check_encodes_to(ex::hello_client_req, [](auto& o) { p::encode_hello(o, 1, "", ""); });
  const std::string req = from_hex(ex::hello_client_req);
  const auto d = p::decode_hello(parse_one(req, 0x01, 1, 0).body);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->version == 1);
  BOOST_TEST(d.value->node_id.empty());
  BOOST_TEST(d.value->cluster.empty());

  check_encodes_to(ex::hello_reply, [](auto& o) { p::reply_hello(o, 1, "node1", "dkv"); });
  const std::string rep = from_hex(ex::hello_reply);
  const auto r = parse_reply(rep, 0x01, 1);
  BOOST_TEST((r.code == status::ok));
  p::body_reader br(r.rest);
  BOOST_TEST((br.u8() == std::optional<std::uint8_t>(1)));
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("node1")));
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("dkv")));
  BOOST_TEST(br.at_end());
}

BOOST_AUTO_TEST_CASE(hello_with_node_id) {
  check_encodes_to(ex::hello_node_id_req, [](auto& o) { p::encode_hello(o, 1, "node2", "dkv"); });
  const std::string req = from_hex(ex::hello_node_id_req);
  const auto d = p::decode_hello(parse_one(req, 0x01, 1, 0).body);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->version == 1);
  BOOST_TEST(d.value->node_id == "node2");
  BOOST_TEST(d.value->cluster == "dkv");
}

BOOST_AUTO_TEST_CASE(ping_without_payload) {
  check_encodes_to(ex::ping_req, [](auto& o) { p::encode_ping(o, 2, ""); });
  const std::string req = from_hex(ex::ping_req);
  const auto d = p::decode_ping(parse_one(req, 0x02, 2, 0).body);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->payload.empty());

  check_encodes_to(ex::ping_reply, [](auto& o) { p::reply_bytes(o, 0x02, 2, ""); });
  const std::string rep = from_hex(ex::ping_reply);
  const auto r = parse_reply(rep, 0x02, 2);
  BOOST_TEST((r.code == status::ok));
  p::body_reader br(r.rest);
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("")));
  BOOST_TEST(br.at_end());
}

BOOST_AUTO_TEST_CASE(ping_with_payload) {
  check_encodes_to(ex::ping_hi_req, [](auto& o) { p::encode_ping(o, 3, "hi"); });
  const std::string req = from_hex(ex::ping_hi_req);
  const auto d = p::decode_ping(parse_one(req, 0x02, 3, 0).body);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->payload == "hi");

  check_encodes_to(ex::ping_hi_reply, [](auto& o) { p::reply_bytes(o, 0x02, 3, "hi"); });
  const std::string rep = from_hex(ex::ping_hi_reply);
  const auto r = parse_reply(rep, 0x02, 3);
  p::body_reader br(r.rest);
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("hi")));
  BOOST_TEST(br.at_end());
  // An explicitly empty payload means the same as an empty body.
  const auto e = p::decode_ping(from_hex("00 00 00 00"));
  BOOST_TEST_REQUIRE(e.value.has_value());
  BOOST_TEST(e.value->payload.empty());
}

BOOST_AUTO_TEST_CASE(put_and_ok) {
  check_encodes_to(ex::put_req, [](auto& o) { p::encode_put(o, 7, "k1", "v1"); });
  const std::string req = from_hex(ex::put_req);
  const auto d = p::decode_put(parse_one(req, 0x04, 7, 0).body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == "k1");
  BOOST_TEST(d.value->value == "v1");

  check_encodes_to(ex::put_reply, [](auto& o) { p::reply_status(o, 0x04, 7, status::ok); });
  const std::string rep = from_hex(ex::put_reply);
  const auto r = parse_reply(rep, 0x04, 7);
  BOOST_TEST((r.code == status::ok));
  BOOST_TEST(r.rest.empty());
}

BOOST_AUTO_TEST_CASE(get_hit) {
  check_encodes_to(ex::get_req, [](auto& o) { p::encode_get(o, 8, "k1"); });
  const std::string req = from_hex(ex::get_req);
  const auto d = p::decode_key(parse_one(req, 0x03, 8, 0).body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == "k1");

  check_encodes_to(ex::get_reply, [](auto& o) { p::reply_bytes(o, 0x03, 8, "v1"); });
  const std::string rep = from_hex(ex::get_reply);
  const auto r = parse_reply(rep, 0x03, 8);
  BOOST_TEST((r.code == status::ok));
  p::body_reader br(r.rest);
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("v1")));
  BOOST_TEST(br.at_end());
}

BOOST_AUTO_TEST_CASE(get_miss) {
  check_encodes_to(ex::get_miss_req, [](auto& o) { p::encode_get(o, 10, "k2"); });
  const std::string req = from_hex(ex::get_miss_req);
  const auto d = p::decode_key(parse_one(req, 0x03, 10, 0).body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == "k2");

  check_encodes_to(ex::get_miss_reply,
                   [](auto& o) { p::reply_status(o, 0x03, 10, status::not_found); });
  const std::string rep = from_hex(ex::get_miss_reply);
  const auto r = parse_reply(rep, 0x03, 10);
  BOOST_TEST((r.code == status::not_found));
  BOOST_TEST(r.rest.empty());
}

BOOST_AUTO_TEST_CASE(del_existing_then_missing) {
  check_encodes_to(ex::del_req, [](auto& o) { p::encode_del(o, 11, "k1"); });
  check_encodes_to(ex::del_again_req, [](auto& o) { p::encode_del(o, 12, "k1"); });
  for (auto [hex, rid] : {std::pair{ex::del_req, 11u}, std::pair{ex::del_again_req, 12u}}) {
    const std::string req = from_hex(hex);
    const auto d = p::decode_key(parse_one(req, 0x05, rid, 0).body, p::default_max_key);
    BOOST_TEST_REQUIRE(d.value.has_value());
    BOOST_TEST(d.value->key == "k1");
  }
  check_encodes_to(ex::del_reply, [](auto& o) { p::reply_status(o, 0x05, 11, status::ok); });
  check_encodes_to(ex::del_again_reply,
                   [](auto& o) { p::reply_status(o, 0x05, 12, status::not_found); });
  const std::string rep1 = from_hex(ex::del_reply);
  const std::string rep2 = from_hex(ex::del_again_reply);
  BOOST_TEST((parse_reply(rep1, 0x05, 11).code == status::ok));
  BOOST_TEST((parse_reply(rep2, 0x05, 12).code == status::not_found));
}

BOOST_AUTO_TEST_CASE(mget_present_and_missing) {
  const std::vector<std::string_view> keys{"a", "b"};
  check_encodes_to(ex::mget_req, [&](auto& o) { p::encode_mget(o, 13, keys); });
  const std::string req = from_hex(ex::mget_req);
  const auto d = p::decode_mget(parse_one(req, 0x06, 13, 0).body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->keys == keys);

  check_encodes_to(ex::mget_reply, [](auto& o) {
    const std::string_view one = "1";
    const auto at = p::begin_mget_reply(o, 13, 2);
    p::put_mget_value(o, &one);
    p::put_mget_value(o, nullptr);
    p::finish_reply(o, at);
  });
  const std::string rep = from_hex(ex::mget_reply);
  const auto r = parse_reply(rep, 0x06, 13);
  BOOST_TEST((r.code == status::ok));
  const auto values = p::decode_mget_values(r.rest);
  BOOST_TEST_REQUIRE(values.has_value());
  BOOST_TEST_REQUIRE(values->size() == 2u);
  BOOST_TEST(((*values)[0] == std::optional<std::string_view>("1")));
  BOOST_TEST(!(*values)[1].has_value());
}

BOOST_AUTO_TEST_CASE(mget_reply_fields_that_do_not_decode) {
  const auto fields = [](std::string_view hex) { return p::decode_mget_values(from_hex(hex)); };
  BOOST_TEST(fields("00 00 00 00").has_value());                    // no keys
  BOOST_TEST(!fields("00 00 00").has_value());                      // count cut short
  BOOST_TEST(!fields("FF FF FF FF | 00").has_value());              // count past the body
  BOOST_TEST(!fields("00 00 00 01 | 02").has_value());              // presence neither 0 nor 1
  BOOST_TEST(!fields("00 00 00 01 | 01 | 00 00 00 05 | 61").has_value());  // value cut short
  BOOST_TEST(!fields("00 00 00 01 | 00 | 00").has_value());         // trailing byte
}

BOOST_AUTO_TEST_CASE(stats) {
  check_encodes_to(ex::stats_req, [](auto& o) { p::encode_stats(o, 14); });
  const std::string req = from_hex(ex::stats_req);
  BOOST_TEST(parse_one(req, 0x07, 14, 0).body.empty());

  check_encodes_to(ex::stats_reply, [](auto& o) { p::reply_bytes(o, 0x07, 14, "keys:1\r\n"); });
  const std::string rep = from_hex(ex::stats_reply);
  p::body_reader br(parse_reply(rep, 0x07, 14).rest);
  BOOST_TEST((br.bytes() == std::optional<std::string_view>("keys:1\r\n")));
  BOOST_TEST(br.at_end());
}

BOOST_AUTO_TEST_CASE(unknown_opcode_answered) {
  const std::string req = from_hex(ex::unknown_req);
  const auto f = parse_one(req, 0x7F, 9, 0);
  BOOST_TEST(!p::is_known_opcode(f.header.opcode));
  check_encodes_to(ex::unknown_reply, [&](auto& o) {
    p::reply_error(o, f.header.opcode, f.header.request_id, status::unknown_opcode,
                   "unknown opcode");
  });
  const std::string rep = from_hex(ex::unknown_reply);
  const auto r = parse_reply(rep, 0x7F, 9);
  BOOST_TEST((r.code == status::unknown_opcode));
  BOOST_TEST(r.message == "unknown opcode");
}

BOOST_AUTO_TEST_CASE(malformed_body_answered) {
  const std::string req = from_hex(ex::malformed_req);
  const auto f = parse_one(req, 0x03, 17, 0);
  const auto d = p::decode_key(f.body, p::default_max_key);
  BOOST_TEST_REQUIRE(!d.value.has_value());
  BOOST_TEST((d.error.code == status::malformed));
  check_encodes_to(ex::malformed_reply, [&](auto& o) {
    p::reply_error(o, f.header.opcode, f.header.request_id, d.error.code, d.error.why);
  });
  const std::string rep = from_hex(ex::malformed_reply);
  const auto r = parse_reply(rep, 0x03, 17);
  BOOST_TEST((r.code == status::malformed));
  BOOST_TEST(r.message == "truncated body");
}

// The three framing errors: the reply is built from what parse_frame reports.
BOOST_AUTO_TEST_CASE(framing_errors_answered) {
  struct vec {
    std::string_view req, reply;
    status code;
    std::uint8_t reply_opcode;
    std::uint32_t reply_rid;
  };
  for (const auto& v : {vec{ex::too_large_req, ex::too_large_reply, status::too_large, 0x04, 15},
                        vec{ex::bad_version_req, ex::bad_version_reply, status::bad_version, 0x03, 16},
                        vec{ex::bad_magic_req, ex::bad_magic_reply, status::bad_magic, 0x00, 0}}) {
    const std::string req = from_hex(v.req);
    const auto f = p::parse_frame(req, p::default_max_frame);
    BOOST_TEST_REQUIRE((f.state == parse_state::bad));
    BOOST_TEST((f.error == v.code));
    BOOST_TEST(f.header.opcode == v.reply_opcode);
    BOOST_TEST(f.header.request_id == v.reply_rid);
    check_encodes_to(v.reply, [&](auto& o) {
      p::reply_error(o, f.header.opcode, f.header.request_id, f.error, f.why);
    });
    const std::string rep = from_hex(v.reply);
    const auto r = parse_reply(rep, v.reply_opcode, v.reply_rid);
    BOOST_TEST((r.code == v.code));
    BOOST_TEST(r.message == f.why);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(incremental)

std::string pipelined() {
  return from_hex(ex::put_req) + from_hex(ex::get_req) + from_hex(ex::mget_req) +
         from_hex(ex::unknown_req) + from_hex(ex::ping_req) + from_hex(ex::ping_hi_req);
}
const std::vector<std::uint32_t> pipelined_rids{7, 8, 13, 9, 2, 3};

BOOST_AUTO_TEST_CASE(every_prefix_of_first_frame_needs_more) {
  const std::string buf = pipelined();
  const std::size_t first = from_hex(ex::put_req).size();
  for (std::size_t k = 0; k < first; ++k) {
    const auto f = p::parse_frame(std::string_view(buf).substr(0, k), p::default_max_frame);
    BOOST_TEST((f.state == parse_state::need_more), "prefix " << k);
    BOOST_TEST(f.consumed == 0u);
  }
  for (std::size_t k = first; k <= buf.size(); ++k) {
    const auto f = p::parse_frame(std::string_view(buf).substr(0, k), p::default_max_frame);
    BOOST_TEST_REQUIRE((f.state == parse_state::complete), "prefix " << k);
    BOOST_TEST(f.consumed == first);
    BOOST_TEST(f.header.request_id == 7u);
  }
}

// A reader that receives the stream in two chunks, split at every offset,
// parses every complete frame it has after each chunk.
BOOST_AUTO_TEST_CASE(every_split_point_of_a_pipeline) {
  const std::string stream = pipelined();
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    std::string buf;
    std::vector<std::uint32_t> rids;
    for (std::string_view chunk : {std::string_view(stream).substr(0, split),
                                   std::string_view(stream).substr(split)}) {
      buf.append(chunk);
      for (;;) {
        const auto f = p::parse_frame(buf, p::default_max_frame);
        BOOST_TEST_REQUIRE((f.state != parse_state::bad));
        if (f.state == parse_state::need_more) break;
        rids.push_back(f.header.request_id);
        buf.erase(0, f.consumed);
      }
    }
    BOOST_TEST(rids == pipelined_rids, "split " << split);
    BOOST_TEST(buf.empty());
  }
}

BOOST_AUTO_TEST_CASE(one_byte_at_a_time) {
  const std::string stream = pipelined();
  std::string buf;
  std::vector<std::uint32_t> rids;
  for (char c : stream) {
    buf.push_back(c);
    const auto f = p::parse_frame(buf, p::default_max_frame);
    BOOST_TEST_REQUIRE((f.state != parse_state::bad));
    if (f.state == parse_state::complete) {
      rids.push_back(f.header.request_id);
      buf.erase(0, f.consumed);
    }
  }
  BOOST_TEST(rids == pipelined_rids);
  BOOST_TEST(buf.empty());
}

BOOST_AUTO_TEST_CASE(encoders_append_to_existing_output) {
  std::string out = "xyz";
  p::encode_put(out, 7, "k1", "v1");
  p::reply_status(out, 0x04, 7, status::ok);
  BOOST_TEST(to_hex(out) == to_hex("xyz" + from_hex(ex::put_req) + from_hex(ex::put_reply)));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(empty_buffer_needs_more) {
  BOOST_TEST((p::parse_frame("", p::default_max_frame).state == parse_state::need_more));
}

BOOST_AUTO_TEST_CASE(bad_magic_from_the_first_byte) {
  for (char first : {'G', '\0', '*', '\xDA', '\xDC', '\xFF'}) {
    const std::string one(1, first);
    const std::string full = one + from_hex("01 03 00 | 00 00 00 08 | 00 00 00 00");
    for (const std::string& buf : {one, full}) {
      const auto f = p::parse_frame(buf, p::default_max_frame);
      BOOST_TEST_REQUIRE((f.state == parse_state::bad));
      BOOST_TEST((f.error == status::bad_magic));
      BOOST_TEST(f.header.opcode == 0);
      BOOST_TEST(f.header.request_id == 0u);
      BOOST_TEST(f.consumed == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_version_once_the_header_is_there) {
  for (std::uint8_t v : {0x00, 0x02, 0xFF}) {
    std::string hdr = from_hex("DB 01 03 00 | 00 00 00 10 | 00 00 00 00");
    hdr[1] = static_cast<char>(v);
    for (std::size_t k = 1; k < p::header_size; ++k)
      BOOST_TEST((p::parse_frame(hdr.substr(0, k), p::default_max_frame).state ==
                  parse_state::need_more));
    const auto f = p::parse_frame(hdr, p::default_max_frame);
    BOOST_TEST_REQUIRE((f.state == parse_state::bad));
    BOOST_TEST((f.error == status::bad_version));
    BOOST_TEST(f.header.version == v);
    BOOST_TEST(f.header.opcode == 0x03);
    BOOST_TEST(f.header.request_id == 0x10u);
  }
  // Version is checked before the length.
  const auto f = p::parse_frame(from_hex("DB 02 03 00 | 00 00 00 10 | FF FF FF FF"), 16);
  BOOST_TEST((f.error == status::bad_version));
}

BOOST_AUTO_TEST_CASE(body_length_limit_checked_from_the_header) {
  const std::uint32_t max = 16;
  std::string hdr = from_hex("DB 01 04 00 | 00 00 00 05 | 00 00 00 10");  // exactly max
  BOOST_TEST((p::parse_frame(hdr, max).state == parse_state::need_more));
  BOOST_TEST((p::parse_frame(hdr + std::string(16, 'x'), max).state == parse_state::complete));
  hdr[11] = 0x11;  // max + 1: refused from the header alone
  const auto f = p::parse_frame(hdr, max);
  BOOST_TEST_REQUIRE((f.state == parse_state::bad));
  BOOST_TEST((f.error == status::too_large));
  BOOST_TEST(f.header.opcode == 0x04);
  BOOST_TEST(f.header.request_id == 5u);
  BOOST_TEST(f.header.body_length == 17u);
  BOOST_TEST(f.body.empty());

  // Default limit: 16 MiB is accepted (waits for it), 16 MiB + 1 is not.
  std::string big = from_hex("DB 01 04 00 | 00 00 00 05 | 01 00 00 00");
  BOOST_TEST((p::parse_frame(big, p::default_max_frame).state == parse_state::need_more));
  big[11] = 0x01;
  BOOST_TEST((p::parse_frame(big, p::default_max_frame).error == status::too_large));
}

BOOST_AUTO_TEST_CASE(huge_length_refused_without_allocating) {
  const std::string hdr = from_hex(ex::too_large_req);
  p::frame_parse_result f;
  BOOST_TEST(allocations_during([&] { f = p::parse_frame(hdr, p::default_max_frame); }) == 0u);
  BOOST_TEST((f.state == parse_state::bad));
  BOOST_TEST((f.error == status::too_large));
  BOOST_TEST(f.header.body_length == 0xFFFFFFFFu);
  // Even with the largest limit the parser only waits: it reserves nothing.
  BOOST_TEST(allocations_during([&] { f = p::parse_frame(hdr, 0xFFFFFFFF); }) == 0u);
  BOOST_TEST((f.state == parse_state::need_more));
}

BOOST_AUTO_TEST_CASE(unknown_opcode_is_complete) {
  for (std::uint8_t o : {0x00, 0x09, 0x7F, 0xFF}) {
    std::string req = from_hex("DB 01 00 00 | 00 00 00 09 | 00 00 00 02 | AA BB");
    req[2] = static_cast<char>(o);
    const auto f = p::parse_frame(req, p::default_max_frame);
    BOOST_TEST_REQUIRE((f.state == parse_state::complete));
    BOOST_TEST(f.consumed == req.size());
    BOOST_TEST(f.header.opcode == o);
    BOOST_TEST(!p::is_known_opcode(o));
  }
  for (std::uint8_t o = 0x01; o <= 0x08; ++o) BOOST_TEST(p::is_known_opcode(o));
  // Reserved flag bits are carried, not refused.
  const auto f = p::parse_frame(from_hex("DB 01 02 80 | 00 00 00 01 | 00 00 00 00"), 16);
  BOOST_TEST((f.state == parse_state::complete));
  BOOST_TEST(f.header.flags == 0x80);
}

// Request bodies of the examples, decoded by their decoder.
struct body_case {
  const char* name;
  std::string_view frame_hex;
  p::decode_error (*decode)(std::string_view);
};
template <class T>
p::decode_error error_of(const p::decoded<T>& d) {
  return d ? p::decode_error{status::ok, ""} : d.error;
}
const body_case body_cases[] = {
    {"hello", ex::hello_node_id_req,
     [](std::string_view b) { return error_of(p::decode_hello(b)); }},
    {"ping", ex::ping_hi_req, [](std::string_view b) { return error_of(p::decode_ping(b)); }},
    {"get", ex::get_req,
     [](std::string_view b) { return error_of(p::decode_key(b, p::default_max_key)); }},
    {"put", ex::put_req,
     [](std::string_view b) { return error_of(p::decode_put(b, p::default_max_key)); }},
    {"mget", ex::mget_req,
     [](std::string_view b) { return error_of(p::decode_mget(b, p::default_max_key)); }},
};

BOOST_AUTO_TEST_CASE(truncated_bodies) {
  for (const auto& c : body_cases) {
    const std::string body = from_hex(c.frame_hex).substr(p::header_size);
    BOOST_TEST((c.decode(body).code == status::ok), c.name);
    for (std::size_t k = 0; k < body.size(); ++k) {
      if (std::string_view(c.name) == "ping" && k == 0) continue;  // empty body: no payload
      const auto e = c.decode(std::string_view(body).substr(0, k));
      BOOST_TEST((e.code == status::malformed), c.name << " prefix " << k);
      BOOST_TEST(e.why == "truncated body", c.name << " prefix " << k);
    }
  }
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
  for (const auto& c : body_cases) {
    const std::string body = from_hex(c.frame_hex).substr(p::header_size) + '\0';
    const auto e = c.decode(body);
    BOOST_TEST((e.code == status::malformed), c.name);
    BOOST_TEST(e.why == "trailing bytes after body", c.name);
  }
}

BOOST_AUTO_TEST_CASE(key_over_max_key_is_too_large) {
  const std::string at_max(p::default_max_key, 'k');
  const std::string over(p::default_max_key + 1, 'k');
  std::string out;
  p::encode_get(out, 1, at_max);
  BOOST_TEST(p::decode_key(std::string_view(out).substr(12), p::default_max_key).value.has_value());
  out.clear();
  p::encode_get(out, 1, over);
  const auto f = p::parse_frame(out, p::default_max_frame);
  BOOST_TEST_REQUIRE((f.state == parse_state::complete));
  const auto d = p::decode_key(f.body, p::default_max_key);
  BOOST_TEST((d.error.code == status::too_large));
  BOOST_TEST(d.error.why == "key exceeds max key size");

  // Small limit, every decoder that takes keys.
  const std::string put_body = from_hex("00 00 00 03 | 61 62 63 | 00 00 00 01 | 76");
  BOOST_TEST((p::decode_put(put_body, 2).error.code == status::too_large));
  BOOST_TEST(p::decode_put(put_body, 3).value.has_value());
  const std::string mget_body = from_hex("00 00 00 02 | 00 00 00 01 | 61 | 00 00 00 03 | 61 62 63");
  BOOST_TEST((p::decode_mget(mget_body, 2).error.code == status::too_large));
  BOOST_TEST(p::decode_mget(mget_body, 3).value.has_value());
  // Values have no limit of their own.
  const std::string big_value = from_hex("00 00 00 01 | 61 | 00 00 00 05 | 31 32 33 34 35");
  BOOST_TEST(p::decode_put(big_value, 1).value.has_value());
}

BOOST_AUTO_TEST_CASE(mget_huge_count_is_malformed_without_reserving) {
  for (std::string_view hex : {"FF FF FF FF", "FF FF FF FF | 00 00 00 00",
                               "00 00 00 03 | 00 00 00 00 | 00 00 00 00"}) {
    const std::string body = from_hex(hex);
    p::decoded<p::mget_request> d;
    BOOST_TEST(allocations_during([&] { d = p::decode_mget(body, p::default_max_key); }) == 0u);
    BOOST_TEST((d.error.code == status::malformed), hex);
  }
  // Count exactly fits (two empty keys), and zero keys.
  const auto two = p::decode_mget(from_hex("00 00 00 02 | 00 00 00 00 | 00 00 00 00"), 8);
  BOOST_TEST_REQUIRE(two.value.has_value());
  BOOST_TEST(two.value->keys == (std::vector<std::string_view>{"", ""}));
  const auto zero = p::decode_mget(from_hex("00 00 00 00"), 8);
  BOOST_TEST_REQUIRE(zero.value.has_value());
  BOOST_TEST(zero.value->keys.empty());
}

BOOST_AUTO_TEST_CASE(decoders_do_not_allocate) {
  for (const auto& c : body_cases) {
    if (std::string_view(c.name) == "mget") continue;  // owns its key list
    const std::string frame = from_hex(c.frame_hex);
    p::decode_error e;
    BOOST_TEST(allocations_during([&] {
                 e = c.decode(p::parse_frame(frame, p::default_max_frame).body);
               }) == 0u,
               c.name);
    BOOST_TEST((e.code == status::ok), c.name);
  }
}

BOOST_AUTO_TEST_CASE(empty_and_binary_keys) {
  check_encodes_to("DB 01 03 00 | 00 00 00 05 | 00 00 00 04 | 00 00 00 00",
                   [](auto& o) { p::encode_get(o, 5, ""); });
  const auto k = p::decode_key(from_hex("00 00 00 00"), p::default_max_key);
  BOOST_TEST_REQUIRE(k.value.has_value());
  BOOST_TEST(k.value->key.empty());
  const std::string key("\0\xDB\r\n", 4);
  const std::string value("\xFF\0", 2);
  std::string out;
  p::encode_put(out, 6, key, value);
  const auto f = p::parse_frame(out, p::default_max_frame);
  const auto d = p::decode_put(f.body, p::default_max_key);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->key == key);
  BOOST_TEST(d.value->value == value);
}

BOOST_AUTO_TEST_CASE(broken_replies) {
  BOOST_TEST(!p::decode_reply("").has_value());
  BOOST_TEST(!p::decode_reply(from_hex("10")).has_value());                 // no message
  BOOST_TEST(!p::decode_reply(from_hex("12 00 00 00 05 | 61")).has_value());  // truncated message
  const auto nf = p::decode_reply(from_hex("01"));
  BOOST_TEST_REQUIRE(nf.has_value());
  BOOST_TEST((nf->code == status::not_found));
  // An error value this build does not know still carries a readable message.
  const std::string future_body = from_hex("3A 00 00 00 01 | 21");  // views point into it
  const auto future = p::decode_reply(future_body);
  BOOST_TEST_REQUIRE(future.has_value());
  BOOST_TEST(p::is_error(future->code));
  BOOST_TEST(future->message == "!");
}

BOOST_AUTO_TEST_CASE(body_reader_fields) {
  std::string b;
  p::put_u8(b, 0xAB);
  p::put_u32(b, 0x01020304);
  p::put_u64(b, 0x1122334455667788ULL);
  p::put_bytes(b, "xy");
  BOOST_TEST(to_hex(b) == "AB 01 02 03 04 11 22 33 44 55 66 77 88 00 00 00 02 78 79");
  p::body_reader r(b);
  BOOST_TEST((r.u8() == std::optional<std::uint8_t>(0xAB)));
  BOOST_TEST((r.u32() == std::optional<std::uint32_t>(0x01020304)));
  BOOST_TEST((r.u64() == std::optional<std::uint64_t>(0x1122334455667788ULL)));
  BOOST_TEST((r.bytes() == std::optional<std::string_view>("xy")));
  BOOST_TEST(r.at_end());
  BOOST_TEST(!r.u8().has_value());
  p::body_reader short_r(std::string_view(b).substr(0, 3));
  BOOST_TEST(!short_r.u32().has_value());
  BOOST_TEST(!p::body_reader(std::string_view(b).substr(0, 7)).u64().has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(opcode_names) {
  BOOST_TEST(p::opcode_name(0x01) == "HELLO");
  BOOST_TEST(p::opcode_name(0x02) == "PING");
  BOOST_TEST(p::opcode_name(0x03) == "GET");
  BOOST_TEST(p::opcode_name(0x04) == "PUT");
  BOOST_TEST(p::opcode_name(0x05) == "DEL");
  BOOST_TEST(p::opcode_name(0x06) == "MGET");
  BOOST_TEST(p::opcode_name(0x07) == "STATS");
  BOOST_TEST(p::opcode_name(0x08) == "AUTH");
  for (std::uint8_t o : {0x00, 0x09, 0x7F, 0xFF}) BOOST_TEST(p::opcode_name(o) == "UNKNOWN");
}

BOOST_AUTO_TEST_CASE(status_names) {
  const std::pair<std::uint8_t, std::string_view> table[] = {
      {0x00, "OK"},          {0x01, "NOT_FOUND"},   {0x10, "MALFORMED"},
      {0x11, "UNKNOWN_OPCODE"}, {0x12, "TOO_LARGE"}, {0x13, "BAD_VERSION"},
      {0x14, "BAD_MAGIC"},   {0x15, "NOT_ALLOWED"}, {0x16, "AUTH_REQUIRED"},
      {0x17, "AUTH_FAILED"}, {0x20, "UNAVAILABLE"},
      {0x21, "INTERNAL"},    {0x22, "IO_ERROR"},
  };
  for (auto [value, name] : table) {
    const auto s = static_cast<status>(value);
    BOOST_TEST(p::status_name(s) == name);
    BOOST_TEST(p::is_error(s) == (value >= 0x10), name);
  }
  BOOST_TEST(p::status_name(static_cast<status>(0x02)) == "UNKNOWN_STATUS");
  BOOST_TEST(p::status_name(static_cast<status>(0xFF)) == "UNKNOWN_STATUS");
}

BOOST_AUTO_TEST_SUITE_END()
