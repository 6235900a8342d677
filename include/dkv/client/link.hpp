#pragma once
// A long-lived, multiplexed binary-protocol connection to one node (DESIGN
// §2: one pooled connection per peer). Any number of calls may be in flight;
// replies are matched to callers by request id. The link connects on first
// use, runs the peer handshake (protocol/PROTOCOL.md §10.7: both nodes prove
// they know the cluster secret) before it sends any queued frame, and after
// a failure waits (backoff) before connecting again; calls made meanwhile
// fail at once.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include "dkv/client/call.hpp"
#include "dkv/config/host_port.hpp"
#include "dkv/net/read_buffer.hpp"

namespace dkv::client {

// Who the local node is in the peer handshake. `secret` may be empty (a
// cluster without a secret); never log it.
struct peer_credentials {
  std::string id;
  std::string cluster;
  std::string secret;
};

class link : public std::enable_shared_from_this<link> {
 public:
  using clock = std::chrono::steady_clock;

  // Replies whose body passes `max_frame` bytes break the connection: give
  // it the node's --max-frame, which bounds what a peer with the same
  // setting answers (a value, an MGET's values).
  link(boost::asio::any_io_executor ex, config::host_port addr, peer_credentials creds,
       std::uint32_t max_frame);
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // A fresh request id for a frame to send on this link (never 0: HELLO's).
  std::uint32_t next_rid() noexcept;
  // Sends `frame` (its request id is `rid`) and waits for the reply.
  boost::asio::awaitable<boost::system::result<reply>> call(std::uint32_t rid, std::string frame,
                                                           std::chrono::milliseconds timeout);
  // Sends `frames` (one frame per id of `rids`, in one write) and waits,
  // once, until every reply is in or `timeout` passes; the replies (or
  // errors) in the order of `rids`.
  boost::asio::awaitable<std::vector<boost::system::result<reply>>> call_many(
      std::vector<std::uint32_t> rids, std::string frames, std::chrono::milliseconds timeout);
  // Closes the connection; pending calls fail. The link may be used again.
  void close();

  bool connected() const noexcept { return state_ == state::up; }
  clock::time_point last_heard() const noexcept { return last_heard_; }
  const config::host_port& address() const noexcept { return addr_; }
  void set_address(config::host_port addr);
  // Why the last connection attempt or connection failed (empty if none).
  const std::string& last_error() const noexcept { return last_error_; }

 private:
  enum class state { idle, connecting, up };
  // One call_many's wait: its timer is cancelled once `left` replies are in.
  struct waiter {
    boost::asio::steady_timer* timer;
    boost::system::result<reply>* slot;
    std::size_t* left;
  };

  boost::asio::awaitable<void> run();
  // The initiator's side of the handshake; empty on success, else why not.
  boost::asio::awaitable<std::string> handshake(net::read_buffer& buf);
  boost::asio::awaitable<std::string> handshake_steps(net::read_buffer& buf);
  // Reads the next frame (a handshake reply): empty and its fields after the
  // status byte in `rest` when it is OK, else why not.
  boost::asio::awaitable<std::string> read_ok(net::read_buffer& buf, std::string& rest);
  boost::asio::awaitable<void> run_reader(net::read_buffer& buf);
  boost::asio::awaitable<void> run_writer();
  void fail_all(boost::system::error_code ec);

  boost::asio::any_io_executor ex_;
  config::host_port addr_;
  peer_credentials creds_;
  std::uint32_t max_frame_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer write_signal_;
  std::string out_;
  std::unordered_map<std::uint32_t, waiter> pending_;
  std::uint32_t next_rid_ = 0;
  state state_ = state::idle;
  clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{100};
  clock::time_point last_heard_{};
  std::string last_error_;
};

}  // namespace dkv::client
