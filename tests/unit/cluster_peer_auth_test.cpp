#define BOOST_TEST_MODULE cluster_peer_auth
#include <boost/test/unit_test.hpp>

// The peer handshake proofs (cluster/peer_auth.hpp, PROTOCOL.md §10.7):
// known answers computed independently with Python's hmac module (the macs
// of the §10.7 dumps), the transcript layout, that every input changes the
// proof, that a check refuses any flipped bit, the other role's proof, a
// replayed proof and a node's own proofs relayed back to it, and a whole
// handshake run through the codecs.
//
// The known answers, for the example of §10.7 (initiator "n1", responder
// "n2", cluster "dkv", nonce_i = 32 × 0x11, nonce_r = 32 × 0x22):
//
//   python3 -c 'import hmac,hashlib,struct
//   b=lambda x: struct.pack(">I",len(x))+x
//   for s in (b"s3cret", b""):
//    for r in (b"initiator", b"responder"):
//     print(hmac.new(s, b"dkv-peer-v1 "+r+b"\x11"*32+b"\x22"*32+b(b"n1")+b(b"n2")+b(b"dkv"),
//                    hashlib.sha256).hexdigest())'

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "dkv/cluster/peer_auth.hpp"
#include "dkv/common/sha256.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"
#include "support/test_support.hpp"

namespace {

namespace p = dkv::protocol;
using dkv::cluster::check_peer_proof;
using dkv::cluster::handshake_view;
using dkv::cluster::peer_proof;
using dkv::cluster::peer_role;
using dkv::test::to_hex;

// Pinned here and in PROTOCOL.md §10.7 (the PEER_HELLO reply and PEER_PROOF dumps).
constexpr std::string_view kat_initiator = "92 03 FB C8 64 DC 66 1A B4 E6 4B 73 14 B6 15 F0 9B 53 13 BC C6 1E 3F 7E 1B 28 98 03 2C D6 88 6C";
constexpr std::string_view kat_responder = "8B 1B 82 84 86 E4 B2 CF 05 68 FF ED 6E E9 B9 0F B3 03 E3 EC 84 6B AE C4 92 67 30 C8 95 31 F9 7A";
// The same transcript under the empty secret (a cluster without a secret).
constexpr std::string_view kat_initiator_no_secret = "9E 7D 69 04 19 33 40 52 33 9A 75 CE FC C4 53 4E FD E1 0E 7E 5E 19 BE 35 30 A5 05 FC A6 7F E0 B8";
constexpr std::string_view kat_responder_no_secret = "1D 7C 57 6B 26 51 49 FF 10 BD AE 0D 95 F4 E5 AC 85 4B 98 DD E4 7E 9C 68 AD 9B E7 A2 F7 FC 1B 44";

p::nonce filled(std::uint8_t byte) {
  p::nonce n;
  n.fill(byte);
  return n;
}

std::string_view chars(const std::array<std::uint8_t, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

// The example handshake of PROTOCOL.md §10.7.
struct example {
  p::nonce nonce_i = filled(0x11);
  p::nonce nonce_r = filled(0x22);
  handshake_view view() const { return {nonce_i, nonce_r, "n1", "n2", "dkv"}; }
};

}  // namespace

// ============================================================================
BOOST_AUTO_TEST_SUITE(known_answers)

BOOST_AUTO_TEST_CASE(python_hmac_vectors) {
  const example ex;
  BOOST_TEST(to_hex(chars(peer_proof("s3cret", peer_role::initiator, ex.view()))) == kat_initiator);
  BOOST_TEST(to_hex(chars(peer_proof("s3cret", peer_role::responder, ex.view()))) == kat_responder);
  BOOST_TEST(to_hex(chars(peer_proof("", peer_role::initiator, ex.view()))) ==
             kat_initiator_no_secret);
  BOOST_TEST(to_hex(chars(peer_proof("", peer_role::responder, ex.view()))) ==
             kat_responder_no_secret);
}

BOOST_AUTO_TEST_CASE(transcript_layout) {
  // role ‖ nonce_i ‖ nonce_r ‖ bytes(initiator_id) ‖ bytes(responder_id) ‖ bytes(cluster),
  // built here from the wire field writers.
  const example ex;
  for (const auto& [who, role] : {std::pair{peer_role::initiator, "dkv-peer-v1 initiator"},
                                  std::pair{peer_role::responder, "dkv-peer-v1 responder"}}) {
    std::string t(role);
    t.append(chars(ex.nonce_i));
    t.append(chars(ex.nonce_r));
    p::put_bytes(t, "n1");
    p::put_bytes(t, "n2");
    p::put_bytes(t, "dkv");
    BOOST_TEST(t.size() == 21u + 64u + 6u + 6u + 7u);
    BOOST_TEST((peer_proof("s3cret", who, ex.view()) == dkv::common::hmac_sha256("s3cret", t)));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(proofs)

BOOST_AUTO_TEST_CASE(deterministic) {
  const example ex;
  for (auto who : {peer_role::initiator, peer_role::responder})
    BOOST_TEST((peer_proof("s3cret", who, ex.view()) == peer_proof("s3cret", who, ex.view())));
}

BOOST_AUTO_TEST_CASE(every_input_changes_the_proof) {
  const example ex;
  const auto nonce_x = filled(0x33);
  p::nonce nonce_i_bit = ex.nonce_i;
  nonce_i_bit[31] ^= 0x01;
  for (auto who : {peer_role::initiator, peer_role::responder}) {
    const auto base = peer_proof("s3cret", who, ex.view());
    const handshake_view variants[] = {
        {nonce_x, ex.nonce_r, "n1", "n2", "dkv"},      // initiator nonce
        {nonce_i_bit, ex.nonce_r, "n1", "n2", "dkv"},  // one bit of it
        {ex.nonce_i, nonce_x, "n1", "n2", "dkv"},      // responder nonce
        {ex.nonce_r, ex.nonce_i, "n1", "n2", "dkv"},   // nonces swapped
        {ex.nonce_i, ex.nonce_r, "n3", "n2", "dkv"},   // initiator id
        {ex.nonce_i, ex.nonce_r, "n1", "n3", "dkv"},   // responder id
        {ex.nonce_i, ex.nonce_r, "n2", "n1", "dkv"},   // ids swapped
        {ex.nonce_i, ex.nonce_r, "n1", "n2", "dkw"},   // cluster
        {ex.nonce_i, ex.nonce_r, "n1", "n2", ""},      // no cluster
        // The length prefixes keep the field boundaries in the transcript.
        {ex.nonce_i, ex.nonce_r, "n1n", "2", "dkv"},
        {ex.nonce_i, ex.nonce_r, "n1", "n2d", "kv"},
    };
    for (std::size_t i = 0; i < std::size(variants); ++i)
      BOOST_TEST((peer_proof("s3cret", who, variants[i]) != base), "variant " << i);
    BOOST_TEST((peer_proof("s3creT", who, ex.view()) != base));
    BOOST_TEST((peer_proof("", who, ex.view()) != base));
    BOOST_TEST((peer_proof("s3cret\n", who, ex.view()) != base));  // a newline is part of it
  }
}

BOOST_AUTO_TEST_CASE(roles_give_different_proofs) {
  const example ex;
  for (std::string_view secret : {"s3cret", ""})
    BOOST_TEST((peer_proof(secret, peer_role::initiator, ex.view()) !=
                peer_proof(secret, peer_role::responder, ex.view())));
}

BOOST_AUTO_TEST_CASE(check_accepts_the_right_proof_only) {
  const example ex;
  for (auto who : {peer_role::initiator, peer_role::responder}) {
    const auto proof = peer_proof("s3cret", who, ex.view());
    BOOST_TEST(check_peer_proof("s3cret", who, ex.view(), proof));
    for (std::size_t bit = 0; bit < proof.size() * 8; ++bit) {
      auto flipped = proof;
      flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      BOOST_TEST(!check_peer_proof("s3cret", who, ex.view(), flipped), "bit " << bit);
    }
    BOOST_TEST(!check_peer_proof("other", who, ex.view(), proof));
    BOOST_TEST(!check_peer_proof("s3cret", who, ex.view(), p::mac{}));
  }
}

BOOST_AUTO_TEST_CASE(a_proof_reflected_back_is_refused) {
  // The responder's proof, sent back as the initiator's (and the other way
  // round), does not pass: the role is part of the transcript.
  const example ex;
  const auto responder = peer_proof("s3cret", peer_role::responder, ex.view());
  const auto initiator = peer_proof("s3cret", peer_role::initiator, ex.view());
  BOOST_TEST(!check_peer_proof("s3cret", peer_role::initiator, ex.view(), responder));
  BOOST_TEST(!check_peer_proof("s3cret", peer_role::responder, ex.view(), initiator));
}

BOOST_AUTO_TEST_CASE(a_nodes_own_proofs_relayed_back_are_refused) {
  // n1 dials an attacker (connection 1) with nonce_i. The attacker, who has
  // no secret, opens connection 2 to n1 with the same nonce, claiming to be
  // n1; n1 answers there, as responder, with nonce_r and its proof.
  const example ex;
  const handshake_view conn2{ex.nonce_i, ex.nonce_r, "n1", "n1", "dkv"};
  const auto relayed = peer_proof("s3cret", peer_role::responder, conn2);
  // Back on connection 1 the attacker answers with id n1, nonce_r and that
  // proof: the very proof n1 expects, refused only because the ids are equal.
  const handshake_view conn1{ex.nonce_i, ex.nonce_r, "n1", "n1", "dkv"};
  BOOST_TEST((relayed == peer_proof("s3cret", peer_role::responder, conn1)));
  BOOST_TEST(!check_peer_proof("s3cret", peer_role::responder, conn1, relayed));
  // Had n1 accepted, its initiator proof would have completed connection 2.
  BOOST_TEST(!check_peer_proof("s3cret", peer_role::initiator, conn2,
                               peer_proof("s3cret", peer_role::initiator, conn1)));
  // Claiming any other id on connection 2 gives a proof over other ids,
  // which matches nothing n1 checks on connection 1.
  for (std::string_view claimed : {"n2", "n9"}) {
    const auto other = peer_proof("s3cret", peer_role::responder,
                                  {ex.nonce_i, ex.nonce_r, claimed, "n1", "dkv"});
    for (std::string_view reply_id : {std::string_view("n1"), claimed, std::string_view("n9")})
      BOOST_TEST(!check_peer_proof("s3cret", peer_role::responder,
                                   {ex.nonce_i, ex.nonce_r, "n1", reply_id, "dkv"}, other),
                 claimed << " / " << reply_id);
  }
}

BOOST_AUTO_TEST_CASE(a_proof_replayed_on_another_connection_is_refused) {
  // A recorded initiator proof, offered on a connection where the responder
  // picked another nonce.
  const example recorded;
  const auto proof = peer_proof("s3cret", peer_role::initiator, recorded.view());
  const auto fresh = filled(0x44);
  const handshake_view replay{recorded.nonce_i, fresh, "n1", "n2", "dkv"};
  BOOST_TEST(!check_peer_proof("s3cret", peer_role::initiator, replay, proof));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(handshake)

// Both sides of §10.7 through the codecs: PEER_HELLO, its OK reply, PEER_PROOF.
// Returns whether each side accepted the other.
struct outcome {
  bool initiator_accepts = false;
  bool responder_accepts = false;
};
outcome run_handshake(std::string_view initiator_secret, std::string_view responder_secret) {
  const auto nonce_i = filled(0xA1);
  const auto nonce_r = filled(0xB2);
  outcome o;

  std::string wire;
  p::encode_peer_hello(wire, 0, {"n1", "dkv", true, nonce_i});
  const std::string hello_body = wire.substr(p::header_size);
  const auto hello = p::decode_peer_hello(hello_body);
  BOOST_TEST_REQUIRE(hello.has_value());

  // Responder: its own nonce and proof.
  const handshake_view at_responder{hello->challenge, nonce_r, hello->node_id, "n2", "dkv"};
  wire.clear();
  p::reply_peer_hello(wire, 0, {"n2", "dkv", nonce_r,
                                peer_proof(responder_secret, peer_role::responder, at_responder)});
  const auto reply = p::decode_reply(std::string_view(wire).substr(p::header_size));
  BOOST_TEST_REQUIRE(reply.has_value());
  const std::string reply_rest(reply->rest);
  const auto answer = p::decode_peer_hello_reply(reply_rest);
  BOOST_TEST_REQUIRE(answer.has_value());

  // Initiator: checks the responder, then proves itself.
  const handshake_view at_initiator{nonce_i, answer->challenge, "n1", answer->node_id,
                                    answer->cluster};
  o.initiator_accepts =
      check_peer_proof(initiator_secret, peer_role::responder, at_initiator, answer->proof);
  wire.clear();
  p::encode_peer_proof(wire, 0, peer_proof(initiator_secret, peer_role::initiator, at_initiator));
  const std::string proof_body = wire.substr(p::header_size);
  const auto proof = p::decode_peer_proof(proof_body);
  BOOST_TEST_REQUIRE(proof.has_value());
  o.responder_accepts =
      check_peer_proof(responder_secret, peer_role::initiator, at_responder, proof->proof);
  return o;
}

BOOST_AUTO_TEST_CASE(same_secret_both_accept) {
  for (std::string_view secret : {"s3cret", ""}) {
    const auto o = run_handshake(secret, secret);
    BOOST_TEST(o.initiator_accepts);
    BOOST_TEST(o.responder_accepts);
  }
}

BOOST_AUTO_TEST_CASE(different_secrets_neither_accepts) {
  const auto o = run_handshake("s3cret", "s3cret2");
  BOOST_TEST(!o.initiator_accepts);
  BOOST_TEST(!o.responder_accepts);
}

BOOST_AUTO_TEST_SUITE_END()
