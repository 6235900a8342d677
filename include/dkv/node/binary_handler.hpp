#pragma once
// Serves the binary protocol (protocol/PROTOCOL.md) on one connection:
// parses every complete frame in the buffer and appends each reply.
// Framing errors (bad magic, version, oversized length) get an error reply
// and close the connection; a bad body or unknown opcode gets an error reply
// and the connection stays open.

#include "dkv/node/session_handler.hpp"

namespace dkv::node {

class binary_handler final : public session_handler {
 public:
  using session_handler::session_handler;

 private:
  net::consume_result handle(std::string_view in, std::string& out) override;
  void write_lost(std::string& out, std::string_view why) override;
  // Serves one frame; false when the connection must close after the reply.
  bool dispatch(std::uint8_t op, std::uint32_t rid, std::string_view body, std::string& out);
};

}  // namespace dkv::node
