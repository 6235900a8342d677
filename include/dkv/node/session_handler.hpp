#pragma once
// What the binary and RESP front ends share: a connection's writes are
// acknowledged only once the write-ahead log says they are durable. The
// replies of one batch wait in settle() for the batch's last write; if the
// log fails first, the batch's replies are replaced by one error and the
// connection closes, so nothing unstored is ever acknowledged.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/net/stream.hpp"
#include "dkv/node/context.hpp"

namespace dkv::node {

class session_handler : public net::stream_handler {
 public:
  explicit session_handler(context& ctx) : ctx_(ctx) {}

  net::consume_result on_bytes(std::string_view in, std::string& out) final;
  boost::asio::awaitable<bool> settle(std::string& out) final;

 protected:
  // Parses and serves requests (the on_bytes contract).
  virtual net::consume_result handle(std::string_view in, std::string& out) = 0;
  // Appends the protocol's error reply for a batch whose writes may be lost.
  virtual void write_lost(std::string& out, std::string_view why) = 0;
  // Remembers a write whose reply must wait for the log.
  void track(std::uint64_t lsn) noexcept { pending_lsn_ = std::max(pending_lsn_, lsn); }

  context& ctx_;

 private:
  std::uint64_t pending_lsn_ = 0;
};

}  // namespace dkv::node
