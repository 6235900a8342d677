#pragma once
// Serves the RESP2 text front door on one connection (netcat, redis-cli,
// redis-benchmark): parses every complete command in the buffer and appends
// Redis-compatible replies. A protocol error is answered with
// "-ERR Protocol error: ..." and the connection is closed, as Redis does.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/node/session_handler.hpp"
#include "dkv/protocol/resp_parser.hpp"

namespace dkv::node {

class resp_handler final : public session_handler {
 public:
  resp_handler(context& ctx, router& route);

 private:
  net::consume_result handle(std::string_view in, std::string& out) override;
  void write_lost(std::string& out, std::string_view why) override;
  void collect_keys(std::string_view in, std::vector<std::string_view>& keys,
                    std::size_t max) override;
  boost::asio::awaitable<void> run_deferred(std::string& out, net::flusher& early) override;
  // Executes args_; returns false when the connection must close (QUIT).
  bool execute(std::string& out);
  // AUTH and HELLO (the commands a client may send before authenticating).
  void auth(std::string& out);
  void hello(std::string& out);
  // The parser's limits: small ones until the connection is authenticated.
  void set_limits();
  // Defers the command when a key among args_[first], args_[first + step],
  // ... (before args_[end]) lives on another node (or its partition is
  // still arriving).
  bool defer_unless_local(std::size_t first, std::size_t end, std::size_t step, bool write);
  void defer_command();

  // Commands that wait for other nodes (resp_deferred.cpp), validated. As
  // on the binary door (binary_handler.hpp): the first deferred command
  // opens a group; while it is open, later plain `GET key` and `SET key
  // value` commands on keys not yet in it join it, and the group runs at
  // once, its forwards sent to each owner as one batch (its GETs as one
  // MGET, router::run_group). A command on several keys runs alone. Replies
  // stay in order and under --max-output-bytes.
  // Adds args_ to the open group; false when it must wait for the next one.
  bool join_group(std::size_t out_size);
  // The most reply (and copied value) bytes args_ can add to a group.
  group_cost cost_of_args() const;
  // Runs one deferred command through the router and appends its reply.
  boost::asio::awaitable<void> run_command(std::vector<std::string> a, std::string& out);
  // Sets the outcome of each GET in `gets` (ok: the key exists) and keeps
  // no value: keys this node serves are looked up in place, the others read
  // with router::run_group (one MGET bounded by --max-frame), and those it
  // leaves alone one at a time, each value dropped before the next.
  boost::asio::awaitable<void> look_up(std::vector<router::request>& gets);

  protocol::resp::limits limits_;
  std::vector<std::string_view> args_;
  std::string scratch_;
  std::vector<std::string_view> ahead_args_;  // collect_keys' parses
  std::string ahead_scratch_;
  std::vector<std::vector<std::string>> deferred_;
};

}  // namespace dkv::node
