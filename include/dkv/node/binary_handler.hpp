#pragma once
// Serves the binary protocol (protocol/PROTOCOL.md) on one connection:
// parses every complete frame in the buffer and appends each reply.
// Framing errors (bad magic, version, oversized length) get an error reply
// and close the connection; a bad body or unknown opcode gets an error reply
// and the connection stays open. A HELLO with a node id and the right
// cluster name makes it a peer connection, which also serves the peer
// opcodes (peer_handler) and the FORWARDED / LOCAL_ONLY request flags.

#include <string>
#include <vector>

#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/session_handler.hpp"

namespace dkv::node {

class binary_handler final : public session_handler {
 public:
  binary_handler(context& ctx, router& route, cluster_manager& cluster)
      : session_handler(ctx, route), cluster_(cluster) {}

 private:
  net::consume_result handle(std::string_view in, std::string& out) override;
  boost::asio::awaitable<void> run_deferred(std::string& out) override;
  void write_lost(std::string& out, std::string_view why) override;

  // Serves one frame; false when the connection must close after the reply.
  bool dispatch(std::uint8_t op, std::uint8_t flags, std::uint32_t rid, std::string_view body,
                std::string& out);
  bool dispatch_keyed(std::uint8_t op, std::uint8_t flags, std::uint32_t rid,
                      std::string_view body, std::string& out);
  // Peer opcodes (binary_peer.cpp).
  void dispatch_peer(std::uint8_t op, std::uint32_t rid, std::string_view body,
                     std::string& out);

  cluster_manager& cluster_;
  std::string peer_;  // node id after a peer HELLO

  struct deferred_request {
    std::uint8_t op = 0;
    std::uint8_t flags = 0;
    std::uint32_t rid = 0;
    std::vector<std::string> keys;  // one for GET/PUT/DEL
    std::string value;
  } deferred_;
};

}  // namespace dkv::node
