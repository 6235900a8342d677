#pragma once
// Authentication messages of the binary protocol (protocol/PROTOCOL.md §4
// AUTH and §10.7 the peer handshake). Pure codecs in the style of
// messages.hpp: decoders return views into the body.
//
//   AUTH        (0x08) client password       body: bytes password
//   PEER_HELLO  (0x44) opens a peer link     body: bytes node_id, bytes cluster,
//                                                  u8 has_secret, nonce
//               reply OK + bytes node_id, bytes cluster, nonce, mac
//   PEER_PROOF  (0x45) initiator's proof     body: mac
//
// `nonce` and `mac` are 32 raw bytes (no length prefix).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkv/protocol/messages.hpp"

namespace dkv::protocol {

inline constexpr std::size_t nonce_size = 32;
inline constexpr std::size_t mac_size = 32;
using nonce = std::array<std::uint8_t, nonce_size>;
using mac = std::array<std::uint8_t, mac_size>;

struct auth_request {
  std::string_view password;
};
// Errors: MALFORMED (truncated, trailing bytes). No limit of its own: the
// frame limit bounds the password.
decoded<auth_request> decode_auth(std::string_view body);
void encode_auth(std::string& out, std::uint32_t rid, std::string_view password);

struct peer_hello {
  std::string_view node_id;
  std::string_view cluster;
  bool has_secret = false;  // the sender runs with a cluster secret
  nonce challenge{};        // the initiator's fresh nonce
};
// nullopt: truncated, trailing bytes, or has_secret not 0/1.
std::optional<peer_hello> decode_peer_hello(std::string_view body);
void encode_peer_hello(std::string& out, std::uint32_t rid, const peer_hello& h);

struct peer_hello_reply {
  std::string_view node_id;  // the responder's
  std::string_view cluster;
  nonce challenge{};  // the responder's fresh nonce
  mac proof{};        // the responder's proof (cluster/peer_auth.hpp)
};
// `rest`: the reply body after its status byte (reply_view::rest).
// nullopt: truncated or trailing bytes.
std::optional<peer_hello_reply> decode_peer_hello_reply(std::string_view rest);
void reply_peer_hello(std::string& out, std::uint32_t rid, const peer_hello_reply& r);

struct peer_proof_request {
  mac proof{};  // the initiator's proof
};
// nullopt: a body that is not exactly mac_size bytes.
std::optional<peer_proof_request> decode_peer_proof(std::string_view body);
void encode_peer_proof(std::string& out, std::uint32_t rid, const mac& proof);

}  // namespace dkv::protocol
