#include "dkv/net/stream.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/net/drain_buffer.hpp"

namespace dkv::net {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t min_read = 16 * 1024;

// A deadline on one socket operation: when it passes, the socket is closed,
// which ends the pending read or write with an error. The timer's handler
// may already be queued when the operation completes, so it holds shared
// state and acts only if its arming is still the current one and the
// owning coroutine is still alive.
class deadline {
 public:
  explicit deadline(asio::ip::tcp::socket& sock)
      : timer_(sock.get_executor()), state_(std::make_shared<state>()) {
    state_->sock = &sock;
  }
  ~deadline() { state_->sock = nullptr; }
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

  void arm(clock::time_point at) {
    const std::uint64_t gen = ++state_->gen;
    timer_.expires_at(at);
    timer_.async_wait([st = state_, gen](boost::system::error_code ec) {
      if (ec || !st->sock || st->gen != gen) return;
      st->fired = true;
      boost::system::error_code ignored;
      st->sock->close(ignored);
    });
  }
  void disarm() {
    ++state_->gen;
    timer_.cancel();
  }
  bool fired() const { return state_->fired; }

 private:
  struct state {
    asio::ip::tcp::socket* sock = nullptr;
    std::uint64_t gen = 0;
    bool fired = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<state> state_;
};

// The stream's own resumable: the completion handler of its suspension is
// kept here, in the coroutine's frame, and resume() invokes it directly.
class parking final : public resumable {
  using handler_type =
      asio::async_result<std::decay_t<decltype(asio::use_awaitable)>, void()>::handler_type;

 public:
  // Suspends the calling coroutine until resume().
  asio::awaitable<void> wait() {
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](handler_type h) { handler_.emplace(std::move(h)); }, asio::use_awaitable);
  }
  void resume() override {
    handler_type h = std::move(*handler_);
    handler_.reset();
    std::move(h)();
  }

 private:
  std::optional<handler_type> handler_;
};

// Writes a connection's replies. Most fit in the socket's send buffer: they
// are written at once, with no asynchronous operation and no deadline. What
// the socket does not take (or an error) goes the asynchronous way,
// piecewise, so that the timeout measures progress, not the whole reply.
class reply_writer final : public flusher {
 public:
  reply_writer(asio::ip::tcp::socket& socket, deadline& dl, const stream_limits& limits)
      : socket_(socket), dl_(dl), limits_(limits) {}

  // Writes what the socket takes now. True when that was all of `out`,
  // which is then cleared; otherwise write_rest() must follow.
  bool try_write(std::string& out) {
    written_ = 0;
    if (!out.empty()) {
      boost::system::error_code ec;
      written_ = socket_.write_some(asio::buffer(out), ec);
    }
    if (written_ < out.size()) return false;
    out.clear();
    return true;
  }
  // The rest of `out` after try_write(). False when the connection failed.
  asio::awaitable<bool> write_rest(std::string& out) {
    while (written_ < out.size()) {
      dl_.arm(clock::now() + limits_.write_timeout);
      auto [ec, n] = co_await socket_.async_write_some(
          asio::buffer(out.data() + written_, out.size() - written_),
          asio::as_tuple(asio::use_awaitable));
      dl_.disarm();
      if (dl_.fired()) ended_ = stream_end::slow_writer;
      else if (ec) ended_ = stream_end::closed;
      if (ended_) co_return false;
      written_ += n;
    }
    out.clear();
    co_return true;
  }
  asio::awaitable<bool> flush(std::string& out) override {
    if (try_write(out)) co_return true;
    co_return co_await write_rest(out);
  }
  // Why the stream must end, once a write failed.
  std::optional<stream_end> ended() const { return ended_; }

 private:
  asio::ip::tcp::socket& socket_;
  deadline& dl_;
  const stream_limits& limits_;
  std::size_t written_ = 0;  // bytes of the current `out` written
  std::optional<stream_end> ended_;
};

}  // namespace

asio::awaitable<stream_end> run_stream(asio::ip::tcp::socket& socket, read_buffer& buf,
                                       stream_handler& handler, const stream_limits& limits) {
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  deadline dl(socket);
  // write_some then fails with would_block instead of waiting.
  boost::system::error_code nb_error;
  socket.non_blocking(true, nb_error);
  if (nb_error) co_return stream_end::closed;
  parking parked;
  reply_writer writer(socket, dl, limits);
  std::string out;
  std::size_t need = 0;
  // Since when the bytes at the front of `buf` have been an incomplete request.
  std::optional<clock::time_point> partial_since;
  for (;;) {
    if (!buf.data().empty()) {
      const consume_result r = handler.on_bytes(buf.data(), out);
      buf.consume(r.consumed);
      need = r.need;
      // A new partial request is timed from after the flush below, so a
      // slow (but progressing) reader does not eat into its sender's time.
      const bool new_partial = !buf.data().empty() && (r.consumed > 0 || !partial_since);
      if (buf.data().empty()) partial_since.reset();
      // (No co_await inside || or &&: GCC 12 miscompiles it.)
      bool keep_open = true;
      if (r.settle && !handler.try_settle()) {
        if (handler.park(parked)) co_await parked.wait();
        if (!handler.try_settle()) keep_open = co_await handler.settle(out, writer);
        if (writer.ended()) co_return *writer.ended();
      }
      if (out.size() > limits.max_output) {
        boost::system::error_code ignored;
        socket.close(ignored);
        co_return stream_end::output_limit;
      }
      if (!writer.try_write(out)) {
        const bool written = co_await writer.write_rest(out);
        if (!written) co_return *writer.ended();
      }
      if (new_partial) partial_since = clock::now();
      if (r.close || !keep_open) {
        boost::system::error_code ignored;
        socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        co_return stream_end::closed;
      }
      if (r.more) continue;  // complete requests are still buffered
    }
    const std::size_t have = buf.data().size();
    const auto space = buf.prepare(std::max(min_read, need > have ? need - have : 0));
    const bool idle_watch = !partial_since && limits.idle_timeout.count() > 0 &&
                            !handler.keep_when_idle();
    if (partial_since) dl.arm(*partial_since + limits.request_timeout);
    else if (idle_watch) dl.arm(clock::now() + limits.idle_timeout);
    auto [ec, n] = co_await socket.async_read_some(drain_buffer(space.data(), space.size()), token);
    if (partial_since || idle_watch) dl.disarm();
    if (dl.fired()) co_return partial_since ? stream_end::slow_sender : stream_end::idle;
    if (ec) co_return stream_end::closed;
    buf.commit(n);
  }
}

}  // namespace dkv::net
