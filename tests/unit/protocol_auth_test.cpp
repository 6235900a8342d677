#define BOOST_TEST_MODULE protocol_auth
#include <boost/test/unit_test.hpp>

// Pins the authentication messages to protocol/PROTOCOL.md: the AUTH dumps
// of §8 and the handshake dumps of §10.7 are copied here verbatim (keep
// them identical by hand), encoded and decoded byte for byte; then round
// trips of binary fields and every malformed body (cut at every length,
// trailing bytes, has_secret other than 0/1). The macs in
// the dumps are checked against cluster::peer_proof by
// cluster_peer_auth_test.cpp.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

#define DKV_TEST_COUNT_ALLOCATIONS
#define DKV_TEST_FRAME_HELPERS
#include "support/test_support.hpp"

namespace {

namespace p = dkv::protocol;
using p::peer_opcode;
using p::status;
using namespace dkv::test;

// ---- the vectors of PROTOCOL.md §8 (AUTH) and §10.7, verbatim --------------------

namespace ex {
constexpr std::string_view auth_req = "DB 01 08 00 | 00 00 00 18 | 00 00 00 0A | 00 00 00 06 | 73 33 63 72 65 74";
constexpr std::string_view auth_reply = "DB 01 08 01 | 00 00 00 18 | 00 00 00 01 | 00";
constexpr std::string_view get_before_auth_req = "DB 01 03 00 | 00 00 00 19 | 00 00 00 06 | 00 00 00 02 | 6B 31";
constexpr std::string_view auth_required_reply = "DB 01 03 01 | 00 00 00 19 | 00 00 00 1C | 16 | 00 00 00 17 | 61 75 74 68 65 6E 74 69 63 61 74 69 6F 6E 20 72 65 71 75 69 72 65 64";
constexpr std::string_view auth_wrong_req = "DB 01 08 00 | 00 00 00 1A | 00 00 00 0B | 00 00 00 07 | 68 75 6E 74 65 72 32";
constexpr std::string_view auth_failed_reply = "DB 01 08 01 | 00 00 00 1A | 00 00 00 15 | 17 | 00 00 00 10 | 69 6E 76 61 6C 69 64 20 70 61 73 73 77 6F 72 64";
constexpr std::string_view peer_hello_req = "DB 01 44 00 | 00 00 00 00 | 00 00 00 2E | 00 00 00 02 | 6E 31 | 00 00 00 03 | 64 6B 76 | 01 | 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11";
constexpr std::string_view peer_hello_reply = "DB 01 44 01 | 00 00 00 00 | 00 00 00 4E | 00 | 00 00 00 02 | 6E 32 | 00 00 00 03 | 64 6B 76 | 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 | 8B 1B 82 84 86 E4 B2 CF 05 68 FF ED 6E E9 B9 0F B3 03 E3 EC 84 6B AE C4 92 67 30 C8 95 31 F9 7A";
constexpr std::string_view peer_proof_req = "DB 01 45 00 | 00 00 00 00 | 00 00 00 20 | 92 03 FB C8 64 DC 66 1A B4 E6 4B 73 14 B6 15 F0 9B 53 13 BC C6 1E 3F 7E 1B 28 98 03 2C D6 88 6C";
constexpr std::string_view peer_proof_reply = "DB 01 45 01 | 00 00 00 00 | 00 00 00 01 | 00";
constexpr std::string_view wrong_secret_reply = "DB 01 45 01 | 00 00 00 00 | 00 00 00 19 | 17 | 00 00 00 14 | 77 72 6F 6E 67 20 63 6C 75 73 74 65 72 20 73 65 63 72 65 74";
// The two proofs inside the dumps (secret "s3cret", see cluster_peer_auth_test.cpp).
constexpr std::string_view responder_proof = "8B 1B 82 84 86 E4 B2 CF 05 68 FF ED 6E E9 B9 0F B3 03 E3 EC 84 6B AE C4 92 67 30 C8 95 31 F9 7A";
constexpr std::string_view initiator_proof = "92 03 FB C8 64 DC 66 1A B4 E6 4B 73 14 B6 15 F0 9B 53 13 BC C6 1E 3F 7E 1B 28 98 03 2C D6 88 6C";
}  // namespace ex

constexpr std::uint8_t op(peer_opcode o) { return static_cast<std::uint8_t>(o); }
constexpr std::uint8_t auth_op = static_cast<std::uint8_t>(p::opcode::auth);
constexpr std::uint8_t get_op = static_cast<std::uint8_t>(p::opcode::get);

p::nonce filled(std::uint8_t byte) {
  p::nonce n;
  n.fill(byte);
  return n;
}

// 32 bytes given as a hex dump.
std::array<std::uint8_t, 32> array_from_hex(std::string_view hex) {
  const std::string raw = from_hex(hex);
  BOOST_TEST_REQUIRE(raw.size() == 32u);
  std::array<std::uint8_t, 32> a;
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(raw[i]);
  return a;
}

// Checks an AUTH request dump: it encodes from, and decodes back to, this password.
void check_auth_request(std::string_view hex, std::uint32_t rid, std::string_view password) {
  check_encodes_to(hex, [&](auto& o) { p::encode_auth(o, rid, password); });
  const std::string req = from_hex(hex);
  const auto d = p::decode_auth(parse_one(req, auth_op, rid, 0).body);
  BOOST_TEST_REQUIRE(d.value.has_value());
  BOOST_TEST(d.value->password == password);
}

// Checks an error reply dump: it encodes from, and decodes back to, these fields.
void check_error_reply(std::string_view hex, std::uint8_t opc, std::uint32_t rid, status code,
                       std::string_view message) {
  check_encodes_to(hex, [&](auto& o) { p::reply_error(o, opc, rid, code, message); });
  const std::string rep = from_hex(hex);
  const auto r = parse_reply(rep, opc, rid);
  BOOST_TEST((r.code == code));
  BOOST_TEST(p::is_error(r.code));
  BOOST_TEST(r.message == message);
}

// The reply body of a PEER_HELLO reply dump after its status byte.
std::string reply_rest_of(std::string_view hex) { return body_of(hex).substr(1); }

}  // namespace

// Wire values are part of the protocol (PROTOCOL.md §4, §5, §10.7).
static_assert(auth_op == 0x08);
static_assert(op(peer_opcode::peer_hello) == 0x44 && op(peer_opcode::peer_proof) == 0x45);
static_assert(static_cast<int>(status::auth_required) == 0x16 &&
              static_cast<int>(status::auth_failed) == 0x17);
static_assert(p::nonce_size == 32 && p::mac_size == 32);

// ============================================================================
BOOST_AUTO_TEST_SUITE(examples)

BOOST_AUTO_TEST_CASE(auth_and_ok) {
  check_auth_request(ex::auth_req, 24, "s3cret");

  check_encodes_to(ex::auth_reply, [](auto& o) { p::reply_status(o, auth_op, 24, status::ok); });
  const std::string rep = from_hex(ex::auth_reply);
  const auto r = parse_reply(rep, auth_op, 24);
  BOOST_TEST((r.code == status::ok));
  BOOST_TEST(r.rest.empty());
}

BOOST_AUTO_TEST_CASE(auth_required) {
  check_encodes_to(ex::get_before_auth_req, [](auto& o) { p::encode_get(o, 25, "k1"); });
  check_error_reply(ex::auth_required_reply, get_op, 25, status::auth_required,
                    "authentication required");
}

BOOST_AUTO_TEST_CASE(auth_failed) {
  check_auth_request(ex::auth_wrong_req, 26, "hunter2");

  check_error_reply(ex::auth_failed_reply, auth_op, 26, status::auth_failed, "invalid password");
}

BOOST_AUTO_TEST_CASE(peer_hello) {
  const p::peer_hello hello{"n1", "dkv", true, filled(0x11)};
  check_encodes_to(ex::peer_hello_req, [&](auto& o) { p::encode_peer_hello(o, 0, hello); });
  const std::string req = from_hex(ex::peer_hello_req);
  const auto d = p::decode_peer_hello(parse_one(req, op(peer_opcode::peer_hello), 0, 0).body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->node_id == "n1");
  BOOST_TEST(d->cluster == "dkv");
  BOOST_TEST(d->has_secret);
  BOOST_TEST((d->challenge == filled(0x11)));
}

BOOST_AUTO_TEST_CASE(peer_hello_ok_reply) {
  const p::peer_hello_reply reply{"n2", "dkv", filled(0x22), array_from_hex(ex::responder_proof)};
  check_encodes_to(ex::peer_hello_reply, [&](auto& o) { p::reply_peer_hello(o, 0, reply); });
  const std::string rep = from_hex(ex::peer_hello_reply);
  const auto r = parse_reply(rep, op(peer_opcode::peer_hello), 0);
  BOOST_TEST((r.code == status::ok));
  const auto d = p::decode_peer_hello_reply(r.rest);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->node_id == "n2");
  BOOST_TEST(d->cluster == "dkv");
  BOOST_TEST((d->challenge == filled(0x22)));
  BOOST_TEST((d->proof == array_from_hex(ex::responder_proof)));
}

BOOST_AUTO_TEST_CASE(peer_proof_and_replies) {
  const p::mac proof = array_from_hex(ex::initiator_proof);
  check_encodes_to(ex::peer_proof_req, [&](auto& o) { p::encode_peer_proof(o, 0, proof); });
  const std::string req = from_hex(ex::peer_proof_req);
  const auto d = p::decode_peer_proof(parse_one(req, op(peer_opcode::peer_proof), 0, 0).body);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST((d->proof == proof));

  check_encodes_to(ex::peer_proof_reply, [](auto& o) {
    p::reply_status(o, op(peer_opcode::peer_proof), 0, status::ok);
  });
  const std::string ok = from_hex(ex::peer_proof_reply);
  BOOST_TEST((parse_reply(ok, op(peer_opcode::peer_proof), 0).code == status::ok));

  check_error_reply(ex::wrong_secret_reply, op(peer_opcode::peer_proof), 0, status::auth_failed,
                    "wrong cluster secret");
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(opcode_and_status_names) {
  BOOST_TEST(p::opcode_name(auth_op) == "AUTH");
  BOOST_TEST(p::opcode_name(op(peer_opcode::peer_hello)) == "PEER_HELLO");
  BOOST_TEST(p::opcode_name(op(peer_opcode::peer_proof)) == "PEER_PROOF");
  BOOST_TEST(p::opcode_name(0x46) == "UNKNOWN");
  BOOST_TEST(p::is_known_opcode(auth_op));
  BOOST_TEST(!p::is_known_opcode(0x09));
  // The handshake is accepted on any binary connection: not a peer-only opcode.
  BOOST_TEST(!p::is_peer_opcode(op(peer_opcode::peer_hello)));
  BOOST_TEST(!p::is_peer_opcode(op(peer_opcode::peer_proof)));
  BOOST_TEST(p::status_name(status::auth_required) == "AUTH_REQUIRED");
  BOOST_TEST(p::status_name(status::auth_failed) == "AUTH_FAILED");
  BOOST_TEST(p::is_error(status::auth_required));
  BOOST_TEST(p::is_error(status::auth_failed));
}

BOOST_AUTO_TEST_CASE(binary_fields_round_trip) {
  // Passwords and ids are binary-safe; nonces and macs are raw bytes, 0x00
  // and 0xFF included; an empty password and cluster are valid.
  p::nonce every_byte;
  for (std::size_t i = 0; i < every_byte.size(); ++i)
    every_byte[i] = static_cast<std::uint8_t>(i * 8 + 7);
  every_byte[0] = 0x00;
  every_byte[31] = 0xFF;
  const std::string password("\0p\xff", 3);
  const std::string id("\0\x01", 2);

  for (std::string_view pw : {std::string_view(), std::string_view(password)}) {
    std::string out;
    p::encode_auth(out, 1, pw);
    const std::string body = out.substr(p::header_size);  // the views point into it
    const auto a = p::decode_auth(body);
    BOOST_TEST_REQUIRE(a.value.has_value());
    BOOST_TEST(a.value->password == pw);
  }

  for (bool has_secret : {false, true}) {
    std::string out;
    p::encode_peer_hello(out, 2, p::peer_hello{id, "", has_secret, every_byte});
    const std::string body = out.substr(p::header_size);
    const auto h = p::decode_peer_hello(body);
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->node_id == id);
    BOOST_TEST(h->cluster.empty());
    BOOST_TEST(h->has_secret == has_secret);
    BOOST_TEST((h->challenge == every_byte));
  }

  p::mac reversed;
  for (std::size_t i = 0; i < reversed.size(); ++i) reversed[i] = every_byte[31 - i];
  std::string out;
  p::reply_peer_hello(out, 3, p::peer_hello_reply{id, "c", every_byte, reversed});
  const std::string reply_body = out.substr(p::header_size);
  const auto r = p::decode_reply(reply_body);
  BOOST_TEST_REQUIRE(r.has_value());
  const auto d = p::decode_peer_hello_reply(r->rest);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->node_id == id);
  BOOST_TEST(d->cluster == "c");
  BOOST_TEST((d->challenge == every_byte));
  BOOST_TEST((d->proof == reversed));

  out.clear();
  p::encode_peer_proof(out, 4, reversed);
  const auto pr = p::decode_peer_proof(out.substr(p::header_size));
  BOOST_TEST_REQUIRE(pr.has_value());
  BOOST_TEST((pr->proof == reversed));
}

BOOST_AUTO_TEST_CASE(long_password_has_no_limit_of_its_own) {
  const std::string pw(100000, 'x');
  std::string out;
  p::encode_auth(out, 5, pw);
  const std::string body = out.substr(p::header_size);
  const auto a = p::decode_auth(body);
  BOOST_TEST_REQUIRE(a.value.has_value());
  BOOST_TEST(a.value->password.size() == pw.size());
}

BOOST_AUTO_TEST_CASE(encoders_append_to_existing_output) {
  std::string out = "prefix";
  p::encode_peer_hello(out, 0, p::peer_hello{"n1", "dkv", true, filled(0x11)});
  p::reply_peer_hello(out, 0, p::peer_hello_reply{"n2", "dkv", filled(0x22),
                                                  array_from_hex(ex::responder_proof)});
  p::encode_peer_proof(out, 0, array_from_hex(ex::initiator_proof));
  p::encode_auth(out, 24, "s3cret");
  BOOST_TEST(to_hex(out) == to_hex("prefix" + from_hex(ex::peer_hello_req) +
                                   from_hex(ex::peer_hello_reply) + from_hex(ex::peer_proof_req) +
                                   from_hex(ex::auth_req)));
}

BOOST_AUTO_TEST_CASE(decoders_do_not_allocate) {
  const std::string auth = body_of(ex::auth_req);
  const std::string hello = body_of(ex::peer_hello_req);
  const std::string reply = reply_rest_of(ex::peer_hello_reply);
  const std::string proof = body_of(ex::peer_proof_req);
  bool ok = false;
  BOOST_TEST(allocations_during([&] { ok = p::decode_auth(auth).value.has_value(); }) == 0u);
  BOOST_TEST(ok);
  BOOST_TEST(allocations_during([&] { ok = p::decode_peer_hello(hello).has_value(); }) == 0u);
  BOOST_TEST(ok);
  BOOST_TEST(allocations_during([&] { ok = p::decode_peer_hello_reply(reply).has_value(); }) == 0u);
  BOOST_TEST(ok);
  BOOST_TEST(allocations_during([&] { ok = p::decode_peer_proof(proof).has_value(); }) == 0u);
  BOOST_TEST(ok);
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(truncated_at_every_length) {
  const std::string auth = body_of(ex::auth_req);
  for (std::size_t n = 0; n < auth.size(); ++n) {
    const auto a = p::decode_auth(auth.substr(0, n));
    BOOST_TEST(!a.value.has_value(), "auth cut at " << n);
    BOOST_TEST((a.error.code == status::malformed));
    BOOST_TEST(a.error.why == "truncated body");
  }
  const std::string hello = body_of(ex::peer_hello_req);
  for (std::size_t n = 0; n < hello.size(); ++n)
    BOOST_TEST(!p::decode_peer_hello(hello.substr(0, n)).has_value(), "hello cut at " << n);
  const std::string reply = reply_rest_of(ex::peer_hello_reply);
  for (std::size_t n = 0; n < reply.size(); ++n)
    BOOST_TEST(!p::decode_peer_hello_reply(reply.substr(0, n)).has_value(), "reply cut at " << n);
  const std::string proof = body_of(ex::peer_proof_req);
  for (std::size_t n = 0; n < proof.size(); ++n)
    BOOST_TEST(!p::decode_peer_proof(proof.substr(0, n)).has_value(), "proof cut at " << n);
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
  for (std::string_view extra : {std::string_view("\0", 1), std::string_view("xyz")}) {
    const std::string x(extra);
    const auto a = p::decode_auth(body_of(ex::auth_req) + x);
    BOOST_TEST(!a.value.has_value());
    BOOST_TEST((a.error.code == status::malformed));
    BOOST_TEST(a.error.why == "trailing bytes after body");
    BOOST_TEST(!p::decode_peer_hello(body_of(ex::peer_hello_req) + x).has_value());
    BOOST_TEST(!p::decode_peer_hello_reply(reply_rest_of(ex::peer_hello_reply) + x).has_value());
    BOOST_TEST(!p::decode_peer_proof(body_of(ex::peer_proof_req) + x).has_value());
  }
}

BOOST_AUTO_TEST_CASE(length_prefix_beyond_the_body) {
  // The password claims one byte more than the body holds.
  std::string auth = body_of(ex::auth_req);
  auth[3] = 7;
  const auto a = p::decode_auth(auth);
  BOOST_TEST(!a.value.has_value());
  BOOST_TEST(a.error.why == "truncated body");
  // A node id running into the nonce: the fields no longer line up.
  std::string hello = body_of(ex::peer_hello_req);
  hello[3] = 3;
  BOOST_TEST(!p::decode_peer_hello(hello).has_value());
  hello[3] = static_cast<char>(0xFF);
  BOOST_TEST(!p::decode_peer_hello(hello).has_value());
  std::string reply = reply_rest_of(ex::peer_hello_reply);
  reply[0] = static_cast<char>(0xFF);
  BOOST_TEST(!p::decode_peer_hello_reply(reply).has_value());
}

BOOST_AUTO_TEST_CASE(has_secret_only_zero_or_one) {
  std::string hello = body_of(ex::peer_hello_req);
  constexpr std::size_t at = 4 + 2 + 4 + 3;  // after node_id and cluster
  BOOST_TEST_REQUIRE(hello[at] == '\x01');
  hello[at] = 0;
  const auto zero = p::decode_peer_hello(hello);
  BOOST_TEST_REQUIRE(zero.has_value());
  BOOST_TEST(!zero->has_secret);
  for (int v : {2, 0x80, 0xFF}) {
    hello[at] = static_cast<char>(v);
    BOOST_TEST(!p::decode_peer_hello(hello).has_value(), "has_secret " << v);
  }
}

BOOST_AUTO_TEST_CASE(proof_is_exactly_32_bytes) {
  for (std::size_t n : {0u, 1u, 31u, 33u, 64u})
    BOOST_TEST(!p::decode_peer_proof(std::string(n, '\x5A')).has_value(), n << " bytes");
  BOOST_TEST(p::decode_peer_proof(std::string(32, '\x5A')).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
