#include "dkv/client/link.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "dkv/cluster/peer_auth.hpp"
#include "dkv/log/log.hpp"
#include "dkv/net/drain_buffer.hpp"
#include "dkv/net/random.hpp"
#include "dkv/net/read_buffer.hpp"
#include "dkv/net/spawn.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::client {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto token = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds max_backoff{2000};
constexpr std::chrono::seconds handshake_timeout{5};
}  // namespace

link::link(asio::any_io_executor ex, config::host_port addr, peer_credentials creds,
           std::uint32_t max_frame)
    : ex_(ex),
      addr_(std::move(addr)),
      creds_(std::move(creds)),
      max_frame_(max_frame),
      socket_(ex),
      write_signal_(ex, asio::steady_timer::time_point::max()),
      // A new link counts as heard from now: a peer just learned of is not
      // "down" before its first heartbeat had a chance to reach it.
      last_heard_(clock::now()) {}

std::uint32_t link::next_rid() noexcept {
  if (++next_rid_ == 0) ++next_rid_;
  return next_rid_;
}

void link::set_address(config::host_port addr) {
  if (addr == addr_) return;
  addr_ = std::move(addr);
  close();
}

asio::awaitable<boost::system::result<reply>> link::call(std::uint32_t rid, std::string frame,
                                                        std::chrono::milliseconds timeout) {
  std::vector<std::uint32_t> rids(1, rid);
  auto replies = co_await call_many(std::move(rids), std::move(frame), timeout);
  co_return std::move(replies.front());
}

asio::awaitable<std::vector<boost::system::result<reply>>> link::call_many(
    std::vector<std::uint32_t> rids, std::string frames, std::chrono::milliseconds timeout) {
  if (rids.empty()) co_return std::vector<boost::system::result<reply>>();
  if (state_ == state::idle) {
    if (clock::now() < retry_at_)
      co_return std::vector<boost::system::result<reply>>(
          rids.size(), error_code(asio::error::connection_refused));
    state_ = state::connecting;
    asio::co_spawn(ex_, [self = shared_from_this()] { return self->run(); },
                   net::log_exception{"peer link"});
  }
  asio::steady_timer timer(ex_, timeout);
  std::vector<boost::system::result<reply>> slots(rids.size(),
                                                  error_code(asio::error::timed_out));
  std::size_t left = rids.size();
  for (std::size_t i = 0; i < rids.size(); ++i)
    pending_[rids[i]] = waiter{&timer, &slots[i], &left};
  out_ += frames;
  write_signal_.cancel();
  co_await timer.async_wait(token);
  for (const std::uint32_t rid : rids) pending_.erase(rid);  // still there on timeout
  co_return slots;
}

void link::close() {
  error_code ignored;
  socket_.close(ignored);
  fail_all(asio::error::operation_aborted);
}

void link::fail_all(error_code ec) {
  for (auto& [rid, w] : pending_) {
    *w.slot = ec;
    w.timer->cancel();
  }
  pending_.clear();
  out_.clear();
}

asio::awaitable<void> link::run() {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  tcp::resolver resolver(ex_);
  auto [rec, endpoints] = co_await resolver.async_resolve(addr_.host, std::to_string(addr_.port), token);
  error_code ec = rec;
  if (!ec) {
    socket_ = tcp::socket(ex_);
    auto [cec, ep] = co_await asio::async_connect(socket_, endpoints, token);
    ec = cec;
  }
  net::read_buffer buf;
  if (!ec) {
    socket_.set_option(tcp::no_delay(true), ec);
    if (auto why = co_await handshake(buf); !why.empty()) {
      last_error_ = std::move(why);
      log::warn() << "peer " << addr_.to_string() << ": " << last_error_;
      ec = asio::error::connection_refused;
    }
  }
  if (!ec) {
    state_ = state::up;
    last_heard_ = clock::now();
    backoff_ = std::chrono::milliseconds(100);
    last_error_.clear();
    co_await (run_reader(buf) || run_writer());
    ec = asio::error::connection_reset;
  }
  if (last_error_.empty()) last_error_ = ec.message();
  error_code ignored;
  socket_.close(ignored);
  state_ = state::idle;
  retry_at_ = clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, max_backoff);
  fail_all(ec);
}

asio::awaitable<void> link::run_writer() {
  std::string sending;
  for (;;) {
    if (out_.empty()) {
      co_await write_signal_.async_wait(token);
      continue;
    }
    sending.swap(out_);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(sending), token);
    if (ec) co_return;
    sending.clear();
  }
}

asio::awaitable<std::string> link::handshake(net::read_buffer& buf) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(ex_, handshake_timeout);
  auto done = co_await (handshake_steps(buf) || deadline.async_wait(token));
  if (done.index() == 1) co_return "no answer to the peer handshake within 5 s";
  co_return std::get<0>(std::move(done));
}

asio::awaitable<std::string> link::handshake_steps(net::read_buffer& buf) {
  namespace proto = dkv::protocol;
  proto::peer_hello hello{creds_.id, creds_.cluster, !creds_.secret.empty(), {}};
  net::fill_random(hello.challenge);
  std::string frame;
  proto::encode_peer_hello(frame, 0, hello);
  if (auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(frame), token); ec)
    co_return "handshake: " + ec.message();
  std::string rest;
  if (auto why = co_await read_ok(buf, rest); !why.empty()) co_return why;
  const auto theirs = proto::decode_peer_hello_reply(rest);
  if (!theirs) co_return "handshake: malformed PEER_HELLO reply";
  if (theirs->node_id == creds_.id) co_return "handshake: the node answers with this node's own id";
  const cluster::handshake_view transcript{hello.challenge, theirs->challenge, creds_.id,
                                           theirs->node_id, creds_.cluster};
  if (!cluster::check_peer_proof(creds_.secret, cluster::peer_role::responder, transcript,
                                 theirs->proof))
    co_return "cluster secret mismatch: the node could not prove it knows this node's secret";
  frame.clear();
  proto::encode_peer_proof(
      frame, 0, cluster::peer_proof(creds_.secret, cluster::peer_role::initiator, transcript));
  if (auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(frame), token); ec)
    co_return "handshake: " + ec.message();
  co_return co_await read_ok(buf, rest);
}

asio::awaitable<std::string> link::read_ok(net::read_buffer& buf, std::string& rest) {
  for (;;) {
    const auto f = protocol::parse_frame(buf.data(), max_frame_);
    if (f.state == protocol::parse_state::bad) co_return "handshake: " + std::string(f.why);
    if (f.state == protocol::parse_state::complete) {
      const auto r = protocol::decode_reply(f.body);
      std::string why;
      if (!r) why = "handshake: malformed reply";
      else if (protocol::is_error(r->code))
        why = "handshake refused: " + std::string(protocol::status_name(r->code)) + ": " +
              std::string(r->message);
      else rest.assign(r->rest);
      buf.consume(f.consumed);
      co_return why;
    }
    auto space = buf.prepare(4096);
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), token);
    if (ec) co_return "handshake: " + ec.message();
    buf.commit(n);
  }
}

asio::awaitable<void> link::run_reader(net::read_buffer& buf) {
  // `buf` may hold bytes that arrived with the end of the handshake.
  for (;;) {
    for (;;) {
      const auto f = protocol::parse_frame(buf.data(), max_frame_);
      if (f.state == protocol::parse_state::need_more) break;
      if (f.state == protocol::parse_state::bad) {
        last_error_ = "bad frame from peer: " + std::string(f.why);
        co_return;
      }
      if (const auto it = pending_.find(f.header.request_id); it != pending_.end()) {
        *it->second.slot = reply{f.header, std::string(f.body)};
        if (--*it->second.left == 0) it->second.timer->cancel();
        pending_.erase(it);
      }
      buf.consume(f.consumed);
    }
    auto space = buf.prepare(16 * 1024);
    auto [ec, n] =
        co_await socket_.async_read_some(net::drain_buffer(space.data(), space.size()), token);
    if (ec) co_return;
    buf.commit(n);
    last_heard_ = clock::now();
  }
}

}  // namespace dkv::client
