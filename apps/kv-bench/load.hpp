#pragma once
// The load engine of kv-bench: one coroutine per connection on one
// io_context, each keeping `pipeline` requests in flight. Replies are matched
// to requests by request id (a slot number in the low bits), so a node may
// answer out of order. The coroutine reads; writes go out from a callback as
// soon as the previous one is done, so reading never waits for writing (no
// deadlock with large values however deep the pipeline).
//
// Latency of a request = from when it was encoded (its send, or its queueing
// behind a write in progress) to when the read that brought its reply
// returned. Only requests sent in the measure phase are counted; the time
// base is the first measured send to the last measured reply.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dkv/bench/histogram.hpp"
#include "dkv/bench/options.hpp"
#include "dkv/protocol/frame.hpp"

namespace kv_bench {

// One -a address, resolved (and vetted) by main.
struct target {
  std::string name;  // as given
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

struct results {
  dkv::bench::histogram latency;  // ns, measured requests only
  std::uint64_t requests = 0;     // measured replies received (any status)
  std::uint64_t gets = 0, sets = 0, hits = 0, misses = 0;
  double seconds = 0;             // first measured send .. last measured reply
  // Failures, warmup included. Each counts toward errors().
  std::uint64_t error_replies = 0;     // error statuses
  std::uint64_t bad_replies = 0;       // unexpected id/opcode, undecodable body
  std::uint64_t lost = 0;              // in flight on a connection that broke
  std::uint64_t connect_failures = 0;  // connections never established
  std::map<std::string, std::uint64_t> error_kinds;  // why -> how often
  // The run was cut short (hard cap or signal): requests still in flight then
  // are `unanswered`, not errors; the exit status is non-zero anyway.
  bool cut = false;
  std::string cut_reason;
  std::uint64_t unanswered = 0;

  std::uint64_t errors() const noexcept {
    return error_replies + bad_replies + lost + connect_failures;
  }
};

class load {
 public:
  load(boost::asio::io_context& ioc, const dkv::bench::options& opts, std::vector<target> targets);
  ~load();
  load(const load&) = delete;
  load& operator=(const load&) = delete;

  // Spawns the connections and timers; the caller then runs the io_context,
  // which returns once every connection has finished.
  void start();
  const results& result() const noexcept { return results_; }
  const std::vector<target>& targets() const noexcept { return targets_; }

 private:
  struct connection;
  enum class phase { connecting, warmup, measure, drain, stopped };
  using clock = std::chrono::steady_clock;

  boost::asio::awaitable<void> run_connection(connection& c);
  void connection_done();
  void begin();            // every connection is connected (or failed)
  void begin_measuring();  // warmup over
  void stop(std::string reason);
  bool may_issue() const noexcept;
  void fill(connection& c);
  void flush(connection& c);
  void on_reply(connection& c, const dkv::protocol::frame_header& h, std::string_view body,
                clock::time_point now);
  boost::asio::awaitable<void> run_clock();
  void note(std::string why, std::uint64_t count = 1);

  boost::asio::io_context& ioc_;
  dkv::bench::options opts_;
  std::vector<target> targets_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::string value_;
  unsigned slot_bits_ = 0;

  phase phase_ = phase::connecting;
  std::uint32_t live_ = 0;      // connection coroutines not finished
  std::uint32_t pending_ = 0;   // connections still connecting
  std::uint64_t issued_ = 0;    // measured requests issued (-n)
  std::uint64_t sequential_ = 0;  // next key for --key-pattern sequential
  clock::time_point measure_start_{};
  clock::time_point last_reply_{};
  boost::asio::steady_timer gate_;      // cancelled when the run begins
  boost::asio::steady_timer phase_timer_;  // end of warmup, end of duration
  boost::asio::steady_timer cap_timer_;    // hard cap
  boost::asio::signal_set signals_;
  results results_;
};

}  // namespace kv_bench
