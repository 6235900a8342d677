#pragma once
// The generic request/reply loop of one connection. It knows bytes, not
// message meanings: it reads whatever is available, hands every buffered
// byte to a protocol handler that parses all complete requests and appends
// their replies, then flushes those replies with one write, and repeats.
// Reading waits while a write is in flight. A handler stops once its replies
// reach reply_budget bytes (a few small GETs of a large value must not build
// gigabytes of replies), so the replies in memory stay under reply_budget
// plus one reply.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dkv/net/read_buffer.hpp"

namespace dkv::net {

// A handler stops handling requests once `out` holds this many bytes, and
// sets consume_result::more.
inline constexpr std::size_t reply_budget = 1 << 20;

struct consume_result {
  std::size_t consumed = 0;  // bytes of `in` fully handled
  bool close = false;        // flush `out`, then close the connection
  std::size_t need = 0;      // total bytes the next message needs, when known
  bool more = false;         // stopped at reply_budget: flush `out`, then call again
  bool settle = false;       // `out` may have to wait: see stream_handler::try_settle
};

// A suspended stream that whoever it waits for wakes by calling resume(),
// once, on the loop's thread. The stream runs on inside that call until it
// suspends again.
class resumable {
 public:
  virtual void resume() = 0;

 protected:
  ~resumable() = default;
};

// Writes replies before the handler has finished settling them (a long
// group's replies, as they come).
class flusher {
 public:
  // Writes all of `out` and clears it. False when the connection failed: the
  // stream ends once settle() returns.
  virtual boost::asio::awaitable<bool> flush(std::string& out) = 0;

 protected:
  ~flusher() = default;
};

class stream_handler {
 public:
  virtual ~stream_handler() = default;
  // Handles every complete request at the front of `in`, appending replies
  // to `out`, up to reply_budget bytes of them. Must not keep views into `in`
  // past the call.
  virtual consume_result on_bytes(std::string_view in, std::string& out) = 0;
  // Called before `out` is written when on_bytes asked for it: true when
  // the replies may be sent now (e.g. their writes are durable), and they
  // are then settled. When false, the stream parks (see park), asks again
  // once resumed, and if still false awaits settle().
  virtual bool try_settle() = 0;
  // Arranges for `r` to be resumed once what the replies wait for has
  // probably happened (the log's group commit of this loop turn): a wait
  // with neither allocation nor a trip through the scheduler. False when
  // nothing is scheduled that could settle them.
  virtual bool park(resumable& r) = 0;
  // Waits until the replies may be sent. It may replace `out`, or write a
  // front part of it through `early`; false closes the connection after
  // writing it.
  virtual boost::asio::awaitable<bool> settle(std::string& out, flusher& early) = 0;
  // True for connections that stream_limits::idle_timeout must not close
  // (a peer's link, which the other node keeps open on purpose).
  virtual bool keep_when_idle() const noexcept { return false; }
};

// Per-connection limits against clients that hold the node's resources.
struct stream_limits {
  // Replies larger than this in one flush close the connection instead of
  // being written (with reply_budget, only one huge reply can get there).
  std::size_t max_output = std::size_t{64} << 20;
  // A write that makes no progress for this long closes the connection: a
  // client that never reads must not keep its replies (and socket) forever.
  std::chrono::milliseconds write_timeout{30000};
  // A request that stays incomplete in the buffer this long closes the
  // connection (slowloris). An idle connection with an empty buffer is fine.
  std::chrono::milliseconds request_timeout{30000};
  // A connection with nothing buffered for this long is closed; zero = never
  // (the default, as Redis's `timeout 0`).
  std::chrono::milliseconds idle_timeout{0};
};

// Why run_stream returned.
enum class stream_end {
  closed,        // peer closed, I/O error, or the handler asked to close
  slow_writer,   // write_timeout passed without write progress
  output_limit,  // replies exceeded max_output
  slow_sender,   // a request stayed incomplete past request_timeout
  idle,          // nothing arrived for idle_timeout
};

// Runs until the peer closes, an I/O error, the handler asks to close, or a
// limit is hit (the socket is then closed without a reply).
// `buf` may already hold bytes (the ones read to pick the protocol).
boost::asio::awaitable<stream_end> run_stream(boost::asio::ip::tcp::socket& socket,
                                              read_buffer& buf, stream_handler& handler,
                                              const stream_limits& limits);

}  // namespace dkv::net
