#include "dkv/protocol/auth_messages.hpp"

#include <algorithm>
#include <limits>
#include <span>

#include "dkv/protocol/body.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::protocol {
namespace {

constexpr std::uint8_t raw(peer_opcode op) noexcept { return static_cast<std::uint8_t>(op); }

// The fixed-size fields (nonce, mac) close their bodies, with no length in
// front: they are whatever the reader has left of the body.
std::string_view rest_of(std::string_view body, const body_reader& r) noexcept {
  return body.substr(body.size() - r.remaining());
}

// `field` holds at least N bytes.
template <std::size_t N>
std::array<std::uint8_t, N> array_of(std::string_view field) noexcept {
  std::array<std::uint8_t, N> a;
  std::copy_n(field.begin(), N, a.begin());
  return a;
}

void put_array(std::string& out, std::span<const std::uint8_t> a) {
  out.append(a.begin(), a.end());
}

}  // namespace

decoded<auth_request> decode_auth(std::string_view body) {
  // AUTH has the layout of a GET (one bytes field) and no size limit of its
  // own beyond the frame's.
  const auto field = decode_key(body, std::numeric_limits<std::uint32_t>::max());
  if (!field) return {std::nullopt, field.error};
  return {auth_request{field.value->key}, {}};
}

void encode_auth(std::string& out, std::uint32_t rid, std::string_view password) {
  const auto at = begin_frame(out, static_cast<std::uint8_t>(opcode::auth), 0, rid);
  put_bytes(out, password);
  finish_frame(out, at);
}

std::optional<peer_hello> decode_peer_hello(std::string_view body) {
  body_reader r(body);
  const auto node_id = r.bytes();
  const auto cluster = r.bytes();
  const auto has_secret = r.u8();
  if (!node_id || !cluster || !has_secret || *has_secret > 1) return std::nullopt;
  const auto rest = rest_of(body, r);
  if (rest.size() != nonce_size) return std::nullopt;
  return peer_hello{*node_id, *cluster, *has_secret == 1, array_of<nonce_size>(rest)};
}

void encode_peer_hello(std::string& out, std::uint32_t rid, const peer_hello& h) {
  const auto at = begin_frame(out, raw(peer_opcode::peer_hello), 0, rid);
  put_bytes(out, h.node_id);
  put_bytes(out, h.cluster);
  put_u8(out, h.has_secret ? 1 : 0);
  put_array(out, h.challenge);
  finish_frame(out, at);
}

std::optional<peer_hello_reply> decode_peer_hello_reply(std::string_view rest) {
  body_reader r(rest);
  const auto node_id = r.bytes();
  const auto cluster = r.bytes();
  if (!node_id || !cluster) return std::nullopt;
  const auto fixed = rest_of(rest, r);
  if (fixed.size() != nonce_size + mac_size) return std::nullopt;
  return peer_hello_reply{*node_id, *cluster, array_of<nonce_size>(fixed),
                          array_of<mac_size>(fixed.substr(nonce_size))};
}

void reply_peer_hello(std::string& out, std::uint32_t rid, const peer_hello_reply& r) {
  const auto at = begin_frame(out, raw(peer_opcode::peer_hello), flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(status::ok));
  put_bytes(out, r.node_id);
  put_bytes(out, r.cluster);
  put_array(out, r.challenge);
  put_array(out, r.proof);
  finish_frame(out, at);
}

std::optional<peer_proof_request> decode_peer_proof(std::string_view body) {
  if (body.size() != mac_size) return std::nullopt;
  return peer_proof_request{array_of<mac_size>(body)};
}

void encode_peer_proof(std::string& out, std::uint32_t rid, const mac& proof) {
  const auto at = begin_frame(out, raw(peer_opcode::peer_proof), 0, rid);
  put_array(out, proof);
  finish_frame(out, at);
}

}  // namespace dkv::protocol
