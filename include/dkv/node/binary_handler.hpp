#pragma once
// Serves the binary protocol (protocol/PROTOCOL.md) on one connection:
// parses every complete frame in the buffer and appends each reply.
// Framing errors (bad magic, version, oversized length) get an error reply
// and close the connection; a bad body or unknown opcode gets an error reply
// and the connection stays open. The peer handshake (PEER_HELLO, PEER_PROOF;
// binary_handshake.cpp) makes it a peer connection, which also serves the
// peer opcodes (binary_peer.cpp) and the FORWARDED / LOCAL_ONLY flags.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dkv/protocol/auth_messages.hpp"

#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/session_handler.hpp"

namespace dkv::node {

class binary_handler final : public session_handler {
 public:
  binary_handler(context& ctx, router& route, cluster_manager& cluster)
      : session_handler(ctx, route), cluster_(cluster) {}

  // A peer's link stays open however long it is quiet.
  bool keep_when_idle() const noexcept override { return !peer_.empty(); }

 private:
  net::consume_result handle(std::string_view in, std::string& out) override;
  boost::asio::awaitable<void> run_deferred(std::string& out, net::flusher& early) override;
  void write_lost(std::string& out, std::string_view why) override;
  void collect_keys(std::string_view in, std::vector<std::string_view>& keys,
                    std::size_t max) override;

  // Serves one frame; false when the connection must close after the reply.
  bool dispatch(std::uint8_t op, std::uint8_t flags, std::uint32_t rid, std::string_view body,
                std::string& out);
  bool dispatch_keyed(std::uint8_t op, std::uint8_t flags, std::uint32_t rid,
                      std::string_view body, std::string& out);
  // Peer opcodes (binary_peer.cpp).
  void dispatch_peer(std::uint8_t op, std::uint32_t rid, std::string_view body,
                     std::string& out);
  // The responder's side of the peer handshake (binary_handshake.cpp); false
  // when the connection must close after the reply.
  bool on_peer_hello(std::uint32_t rid, std::string_view body, std::string& out);
  bool on_peer_proof(std::uint32_t rid, std::string_view body, std::string& out);
  // Refuses a handshake: counts it, logs it, replies; the connection closes.
  bool refuse_peer(std::uint8_t op, std::uint32_t rid, protocol::status code,
                   std::string_view why, std::string& out);

  cluster_manager& cluster_;
  std::string peer_;  // node id once the peer handshake succeeded

  struct handshake {
    bool started = false;     // PEER_HELLO answered, PEER_PROOF awaited
    std::string initiator;    // the node id its PEER_HELLO claimed
    protocol::nonce initiator_nonce{};
    protocol::nonce responder_nonce{};
  } handshake_;

  // Requests that wait for another node (binary_deferred.cpp). The first
  // deferred request opens a group; while it is open, later client GET, PUT
  // and DEL requests on keys not yet in it join it (local ones too, to keep
  // the replies in order) and the group runs at once, its forwarded
  // requests sent to each owner as one batch (router::run_group, one write
  // and one wait per owner, its GETs as one MGET): a pipelining client pays
  // one round trip to the owners per group, not one per request. Distinct
  // keys keep per-key order whatever order the owners answer in. An MGET
  // runs alone. A group's replies stay under --max-output-bytes however
  // large the values its remote GETs find (session_handler::group_cost).
  struct deferred_request {
    std::uint8_t op = 0;
    std::uint8_t flags = 0;
    std::uint32_t rid = 0;
    std::string key;  // GET, PUT, DEL
    std::string value;
    std::vector<std::string> keys;  // MGET
  };
  // Opens the group with a request handle() could not serve here.
  void defer_request(deferred_request d);
  // Adds a later request to the open group; false when it must wait for
  // the next one (it stays buffered).
  bool join_group(std::uint8_t op, std::uint8_t flags, std::uint32_t rid, std::string_view body,
                  std::size_t out_size);
  // The most reply bytes (and copied value bytes) `d` can add while grouped.
  group_cost cost_of(const deferred_request& d) const;
  static router::op key_op(std::uint8_t op) noexcept;
  // Runs a group of GET, PUT and DEL requests (one alone too) and appends
  // their replies in order.
  boost::asio::awaitable<void> run_group(std::vector<deferred_request>& group, std::string& out,
                                         net::flusher& early);
  boost::asio::awaitable<void> run_mget(deferred_request& d, std::string& out);

  std::vector<deferred_request> deferred_;
};

}  // namespace dkv::node
