#pragma once
// Serves the RESP2 text front door on one connection (netcat, redis-cli,
// redis-benchmark): parses every complete command in the buffer and appends
// Redis-compatible replies. A protocol error is answered with
// "-ERR Protocol error: ..." and the connection is closed, as Redis does.

#include <string>
#include <string_view>
#include <vector>

#include "dkv/net/stream.hpp"
#include "dkv/node/context.hpp"
#include "dkv/protocol/resp_parser.hpp"

namespace dkv::node {

class resp_handler final : public net::stream_handler {
 public:
  explicit resp_handler(context& ctx);
  net::consume_result on_bytes(std::string_view in, std::string& out) override;

 private:
  // Executes args_; returns false when the connection must close (QUIT).
  bool execute(std::string& out);

  context& ctx_;
  protocol::resp::limits limits_;
  std::vector<std::string_view> args_;
  std::string scratch_;
};

}  // namespace dkv::node
