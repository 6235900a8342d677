#pragma once
// Serves the RESP2 text front door on one connection (netcat, redis-cli,
// redis-benchmark): parses every complete command in the buffer and appends
// Redis-compatible replies. A protocol error is answered with
// "-ERR Protocol error: ..." and the connection is closed, as Redis does.

#include <string>
#include <string_view>
#include <vector>

#include "dkv/node/session_handler.hpp"
#include "dkv/protocol/resp_parser.hpp"

namespace dkv::node {

class resp_handler final : public session_handler {
 public:
  explicit resp_handler(context& ctx);

 private:
  net::consume_result handle(std::string_view in, std::string& out) override;
  void write_lost(std::string& out, std::string_view why) override;
  // Executes args_; returns false when the connection must close (QUIT).
  bool execute(std::string& out);

  protocol::resp::limits limits_;
  std::vector<std::string_view> args_;
  std::string scratch_;
};

}  // namespace dkv::node
