#pragma once
// Mutual challenge-response between two nodes (protocol/PROTOCOL.md §10.7).
// The initiator (the node that opens the connection) sends a fresh nonce;
// the responder answers with its own fresh nonce and its proof; the
// initiator checks that proof, then sends its own. A proof is
//
//   HMAC-SHA256(secret, role ‖ initiator_nonce ‖ responder_nonce ‖
//               bytes(initiator_id) ‖ bytes(responder_id) ‖ bytes(cluster))
//
// where role is the ASCII text "dkv-peer-v1 initiator" or
// "dkv-peer-v1 responder" and bytes(x) is x with its u32 big-endian length
// in front (the wire's `bytes` field). Each side's proof covers the nonce
// the other side just chose, so a recorded proof is useless on another
// connection (replay), and the role text keeps one side's proof from being
// reflected back as the other's. A transcript whose two node ids are equal
// is never accepted: that is what a node's own proofs relayed back to it
// over a second connection look like (reflection; PROTOCOL.md §10.7).

#include <string_view>

#include "dkv/common/sha256.hpp"
#include "dkv/protocol/auth_messages.hpp"

namespace dkv::cluster {

enum class peer_role { initiator, responder };

struct handshake_view {
  const protocol::nonce& initiator_nonce;
  const protocol::nonce& responder_nonce;
  std::string_view initiator_id;
  std::string_view responder_id;
  std::string_view cluster;
};

protocol::mac peer_proof(std::string_view secret, peer_role who, const handshake_view& h) noexcept;

// Recomputes the proof `who` should have sent and compares in constant time.
// False whatever the proof when h.initiator_id == h.responder_id.
bool check_peer_proof(std::string_view secret, peer_role who, const handshake_view& h,
                      const protocol::mac& got) noexcept;

}  // namespace dkv::cluster
