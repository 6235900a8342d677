#pragma once
// Serves the binary protocol (protocol/PROTOCOL.md) on one connection:
// parses every complete frame in the buffer and appends each reply.
// Framing errors (bad magic, version, oversized length) get an error reply
// and close the connection; a bad body or unknown opcode gets an error reply
// and the connection stays open.

#include "dkv/net/stream.hpp"
#include "dkv/node/context.hpp"

namespace dkv::node {

class binary_handler final : public net::stream_handler {
 public:
  explicit binary_handler(context& ctx) : ctx_(ctx) {}
  net::consume_result on_bytes(std::string_view in, std::string& out) override;

 private:
  // Serves one frame; false when the connection must close after the reply.
  bool dispatch(std::uint8_t op, std::uint32_t rid, std::string_view body, std::string& out);

  context& ctx_;
};

}  // namespace dkv::node
