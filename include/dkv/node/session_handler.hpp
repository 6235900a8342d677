#pragma once
// What the binary and RESP front ends share:
// - a connection's writes are acknowledged only once the write-ahead log
//   says they are durable: the replies of one batch wait in settle() for
//   the batch's last write; if the log fails first, the batch's replies are
//   replaced by one error and the connection closes, so nothing unstored is
//   ever acknowledged;
// - a request that needs another node (a key owned elsewhere, a partition
//   still arriving) is deferred: the replies so far wait, settle() runs it
//   (run_deferred) and appends its reply, then the rest of the buffer is
//   parsed. A front end may defer the requests that follow it too, to run
//   them together (the binary door's groups). Replies stay in request order.
// - client authentication: with --requirepass a connection starts
//   unauthenticated; the front end admits only its pre-auth commands until
//   authenticate() (AUTH) or a peer handshake succeeds;
// - on a connection that pipelines, a batch's keys are prefetched
//   (store::prefetch) before its requests are served, so that their
//   lookups' cache misses overlap.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/net/stream.hpp"
#include "dkv/node/context.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

class session_handler : public net::stream_handler {
 public:
  session_handler(context& ctx, router& route)
      : ctx_(ctx), router_(route), authenticated_(ctx.sec.requirepass.empty()) {}

  net::consume_result on_bytes(std::string_view in, std::string& out) final;
  bool try_settle() final;
  bool park(net::resumable& r) final;
  boost::asio::awaitable<bool> settle(std::string& out, net::flusher& early) final;

 protected:
  // Parses and serves requests (the on_bytes contract). After defer(), it
  // may consume more requests only by deferring them as well; it returns
  // having consumed every request it deferred.
  virtual net::consume_result handle(std::string_view in, std::string& out) = 0;
  // Runs the deferred request and appends its reply; it may write `out`
  // through `early` meanwhile, and stops early if that fails.
  virtual boost::asio::awaitable<void> run_deferred(std::string& out, net::flusher& early) = 0;
  // Appends the protocol's error reply for a batch whose writes may be lost.
  virtual void write_lost(std::string& out, std::string_view why) = 0;
  // Appends to `keys` the (first) key of each complete data request at the
  // front of `in`, up to `max` keys, without serving anything.
  virtual void collect_keys(std::string_view in, std::vector<std::string_view>& keys,
                            std::size_t max) = 0;

  // Remembers a write whose reply must wait for the log.
  void track(std::uint64_t lsn) noexcept { pending_lsn_ = std::max(pending_lsn_, lsn); }
  // Like track, but the reply waits for an fsync whatever --fsync says.
  void track_synced(std::uint64_t lsn) noexcept {
    track(lsn);
    synced_lsn_ = std::max(synced_lsn_, lsn);
  }
  enum class auth_outcome { ok, no_password, wrong };
  // Checks a client password (AUTH) in constant time; counts a wrong one and
  // logs the first of the connection. `known_user` false (a RESP user other
  // than "default") fails like a wrong password.
  auth_outcome authenticate(std::string_view password, bool known_user = true);
  bool authenticated() const noexcept { return authenticated_; }
  // A peer that proved the cluster secret may do what an authenticated client may.
  void peer_authenticated() noexcept { authenticated_ = true; }
  // Counts a request refused before authentication; logs the first of the connection.
  void refuse_preauth(std::string_view why);
  // The largest request a connection may send now.
  std::uint32_t request_limit() const noexcept {
    return authenticated_ ? ctx_.lim.max_frame : ctx_.sec.max_preauth_bytes;
  }

  void defer() noexcept { deferred_ = true; }
  bool deferred() const noexcept { return deferred_; }

  // The open group of deferred requests (each front end keeps its own list)
  // takes at most max_group, never the same key twice, and only as long as
  // its replies, at their cost at most, fit under --max-output-bytes with
  // the replies already in `out`.
  static constexpr std::size_t max_group = 64;
  // What a request may add to its group's replies: `bytes` of its own, and
  // for a GET that another node serves, a share of the group's one
  // router::run_group read of such keys, whose values --max-frame bounds
  // together: --max-frame for the group's first such GET, nothing for the
  // others. (A GET whose read failed is run again alone, its reply written
  // out before the next one: net::flusher.)
  struct group_cost {
    std::uint64_t bytes = 0;
    bool remote_read = false;
  };
  // The cost of a GET of `key` with `overhead` bytes of reply besides the value.
  group_cost get_cost(std::string_view key, std::uint64_t overhead) const;
  // Starts the group's reply bytes with its first request's cost.
  void open_group(group_cost cost) noexcept;
  // Whether a request joins a group of `size` (and counts its cost if so).
  bool admit_to_group(std::size_t size, bool key_in_group, group_cost cost,
                      std::size_t out_size) noexcept;

  context& ctx_;
  router& router_;

 private:
  void prefetch_batch(std::string_view in);
  // What `cost` adds to the open group's reply bytes, and counting it in.
  std::uint64_t added_bytes(group_cost cost) const noexcept;
  void count_in(group_cost cost) noexcept;

  std::vector<std::string_view> batch_keys_;
  bool pipelining_ = false;  // the last batch held more than one request
  std::uint64_t pending_lsn_ = 0;
  std::uint64_t synced_lsn_ = 0;
  std::uint64_t group_bytes_ = 0;     // the open group's replies at most
  bool group_reads_remote_ = false;  // it holds a GET another node serves
  bool deferred_ = false;
  bool authenticated_;
  bool auth_logged_ = false;  // a failed AUTH or pre-auth refusal was logged
};

}  // namespace dkv::node
