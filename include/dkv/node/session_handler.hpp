#pragma once
// What the binary and RESP front ends share:
// - a connection's writes are acknowledged only once the write-ahead log
//   says they are durable: the replies of one batch wait in settle() for
//   the batch's last write; if the log fails first, the batch's replies are
//   replaced by one error and the connection closes, so nothing unstored is
//   ever acknowledged;
// - a request that needs another node (a key owned elsewhere, a partition
//   still arriving) is deferred: parsing stops after it, the replies so far
//   wait, settle() runs it (run_deferred) and appends its reply, then the
//   rest of the buffer is parsed. Replies stay in request order.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/net/stream.hpp"
#include "dkv/node/context.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

class session_handler : public net::stream_handler {
 public:
  session_handler(context& ctx, router& route) : ctx_(ctx), router_(route) {}

  net::consume_result on_bytes(std::string_view in, std::string& out) final;
  bool try_settle() final;
  bool park(net::resumable& r) final;
  boost::asio::awaitable<bool> settle(std::string& out) final;

 protected:
  // Parses and serves requests (the on_bytes contract). After defer(), it
  // must return at once, having consumed the deferred request.
  virtual net::consume_result handle(std::string_view in, std::string& out) = 0;
  // Runs the deferred request and appends its reply.
  virtual boost::asio::awaitable<void> run_deferred(std::string& out) = 0;
  // Appends the protocol's error reply for a batch whose writes may be lost.
  virtual void write_lost(std::string& out, std::string_view why) = 0;

  // Remembers a write whose reply must wait for the log.
  void track(std::uint64_t lsn) noexcept { pending_lsn_ = std::max(pending_lsn_, lsn); }
  // Like track, but the reply waits for an fsync whatever --fsync says.
  void track_synced(std::uint64_t lsn) noexcept {
    track(lsn);
    synced_lsn_ = std::max(synced_lsn_, lsn);
  }
  void defer() noexcept { deferred_ = true; }
  bool deferred() const noexcept { return deferred_; }

  context& ctx_;
  router& router_;

 private:
  std::uint64_t pending_lsn_ = 0;
  std::uint64_t synced_lsn_ = 0;
  bool deferred_ = false;
};

}  // namespace dkv::node
