#include "dkv/cluster/peer_auth.hpp"

#include <span>
#include <string>

#include "dkv/protocol/body.hpp"

namespace dkv::cluster {
namespace {

constexpr std::string_view initiator_role = "dkv-peer-v1 initiator";
constexpr std::string_view responder_role = "dkv-peer-v1 responder";

void put_nonce(std::string& out, const protocol::nonce& n) { out.append(n.begin(), n.end()); }

}  // namespace

protocol::mac peer_proof(std::string_view secret, peer_role who, const handshake_view& h) noexcept {
  const std::string_view role = who == peer_role::initiator ? initiator_role : responder_role;
  std::string transcript;
  transcript.reserve(role.size() + 2 * protocol::nonce_size + 3 * 4 + h.initiator_id.size() +
                     h.responder_id.size() + h.cluster.size());
  transcript.append(role);
  put_nonce(transcript, h.initiator_nonce);
  put_nonce(transcript, h.responder_nonce);
  protocol::put_bytes(transcript, h.initiator_id);
  protocol::put_bytes(transcript, h.responder_id);
  protocol::put_bytes(transcript, h.cluster);
  return common::hmac_sha256(secret, transcript);
}

bool check_peer_proof(std::string_view secret, peer_role who, const handshake_view& h,
                      const protocol::mac& got) noexcept {
  // A node never peers with itself. Someone a node dials could otherwise
  // open a second connection to it claiming its id, pass it its own nonce,
  // and carry its answers back to it, each in its right role.
  if (h.initiator_id == h.responder_id) return false;
  const protocol::mac expected = peer_proof(secret, who, h);
  return common::equal_constant_time(std::span<const std::uint8_t>(expected),
                                     std::span<const std::uint8_t>(got));
}

}  // namespace dkv::cluster
