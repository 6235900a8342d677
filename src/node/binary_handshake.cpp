// The responder's side of the peer handshake (protocol/PROTOCOL.md §10.7):
// a binary connection becomes a peer connection only after the node at the
// other end proved it knows the cluster secret, with a proof bound to the
// nonce this node chose for this connection. Every refusal closes the
// connection; nothing of the cluster (membership, keys) is sent before.

#include "dkv/cluster/peer_auth.hpp"
#include "dkv/common/names.hpp"
#include "dkv/log/log.hpp"
#include "dkv/net/random.hpp"
#include "dkv/node/binary_handler.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::node {

namespace proto = dkv::protocol;
using proto::status;

namespace {
constexpr auto hello_op = static_cast<std::uint8_t>(proto::peer_opcode::peer_hello);
constexpr auto proof_op = static_cast<std::uint8_t>(proto::peer_opcode::peer_proof);
}  // namespace

bool binary_handler::refuse_peer(std::uint8_t op, std::uint32_t rid, status code,
                                 std::string_view why, std::string& out) {
  ++ctx_.net.peer_auth_failures;
  log::warn() << "refused a peer handshake"
              << (handshake_.initiator.empty() ? "" : " from node " + handshake_.initiator) << ": "
              << why;
  proto::reply_error(out, op, rid, code, why);
  return false;
}

bool binary_handler::on_peer_hello(std::uint32_t rid, std::string_view body, std::string& out) {
  if (handshake_.started || !peer_.empty())
    return refuse_peer(hello_op, rid, status::not_allowed, "handshake already started", out);
  const auto hello = proto::decode_peer_hello(body);
  if (!hello) return refuse_peer(hello_op, rid, status::malformed, "bad PEER_HELLO body", out);
  if (!common::is_valid_name(hello->node_id))
    return refuse_peer(hello_op, rid, status::malformed, "invalid node id", out);
  handshake_.initiator = std::string(hello->node_id);
  // Our own id would let a relay reflect our proofs back to us (§10.7).
  if (hello->node_id == ctx_.me.id)
    return refuse_peer(hello_op, rid, status::not_allowed, "node id is this node's own", out);
  if (hello->cluster != ctx_.me.cluster)
    return refuse_peer(hello_op, rid, status::not_allowed, "node belongs to another cluster", out);
  const bool have_secret = !ctx_.sec.peer_secret.empty();
  if (hello->has_secret != have_secret) {
    return refuse_peer(hello_op, rid, status::auth_failed,
                       have_secret ? "this node requires a cluster secret"
                                   : "this node has no cluster secret",
                       out);
  }
  handshake_.started = true;
  handshake_.initiator_nonce = hello->challenge;
  net::fill_random(handshake_.responder_nonce);
  proto::peer_hello_reply reply{ctx_.me.id, ctx_.me.cluster, handshake_.responder_nonce, {}};
  reply.proof = cluster::peer_proof(ctx_.sec.peer_secret, cluster::peer_role::responder,
                                    {handshake_.initiator_nonce, handshake_.responder_nonce,
                                     handshake_.initiator, ctx_.me.id, ctx_.me.cluster});
  proto::reply_peer_hello(out, rid, reply);
  return true;
}

bool binary_handler::on_peer_proof(std::uint32_t rid, std::string_view body, std::string& out) {
  if (!handshake_.started)
    return refuse_peer(proof_op, rid, status::not_allowed, "PEER_PROOF without PEER_HELLO", out);
  handshake_.started = false;  // one proof per handshake
  const auto proof = proto::decode_peer_proof(body);
  if (!proof) return refuse_peer(proof_op, rid, status::malformed, "bad PEER_PROOF body", out);
  const bool right = cluster::check_peer_proof(
      ctx_.sec.peer_secret, cluster::peer_role::initiator,
      {handshake_.initiator_nonce, handshake_.responder_nonce, handshake_.initiator, ctx_.me.id,
       ctx_.me.cluster},
      proof->proof);
  if (!right) return refuse_peer(proof_op, rid, status::auth_failed, "wrong cluster secret", out);
  peer_ = handshake_.initiator;
  peer_authenticated();
  ++ctx_.net.peers_authenticated;
  proto::reply_status(out, proof_op, rid, status::ok);
  return true;
}

}  // namespace dkv::node
