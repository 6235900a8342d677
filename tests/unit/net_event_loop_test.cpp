#define BOOST_TEST_MODULE net_event_loop
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dkv/net/event_loop.hpp"
#include "dkv/net/idle_gate.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Bytes written from another thread into a socket that the loop reads. The
// reader notes the loop's counters when it reads an 'F' and when it reads
// the byte 'S' (the first after a pause), and reads until the writer closes.
struct feed {
  asio::io_context ctx{1};
  asio::local::stream_protocol::socket reader{ctx};
  int writer = -1;
  dkv::net::loop_counters counters;
  std::array<char, 4096> buf{};
  std::size_t bytes = 0;
  dkv::net::loop_counters at_last_f;
  std::optional<dkv::net::loop_counters> at_s;

  feed() {
    int fds[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    reader.assign(asio::local::stream_protocol(), fds[0]);
    writer = fds[1];
    read_more();
  }
  ~feed() {
    if (writer >= 0) ::close(writer);
  }

  void read_more() {
    reader.async_read_some(asio::buffer(buf), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;  // the writer closed
      for (std::size_t i = 0; i < n; ++i) {
        if (buf[i] == 'F') at_last_f = counters;
        if (buf[i] == 'S') at_s = counters;
      }
      bytes += n;
      read_more();
    });
  }

  // Writes `count` bytes of `c`, one every `gap` (a busy wait, for gaps of
  // microseconds), from the calling thread.
  void write_paced(char c, int count, std::chrono::nanoseconds gap) const {
    for (int i = 0; i < count; ++i) {
      BOOST_REQUIRE(::write(writer, &c, 1) == 1);
      const auto until = clock_type::now() + gap;
      while (clock_type::now() < until) {
      }
    }
  }
  void close_writer() {
    ::close(writer);
    writer = -1;
  }
};

// Starts a coroutine that waits at `idle` for at most `at_most` and then
// notes how long it waited.
void wait_at(asio::io_context& ctx, dkv::net::idle_gate& idle, std::chrono::microseconds at_most,
             std::optional<clock_type::duration>& waited) {
  const auto start = clock_type::now();
  asio::co_spawn(
      ctx,
      [&idle, at_most, &waited, start]() -> asio::awaitable<void> {
        co_await idle.wait(at_most);
        waited = clock_type::now() - start;
      },
      asio::detached);
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_a_nap_it_is_run) {
  asio::io_context ctx{1};
  int ran = 0;
  std::function<void()> next = [&] {
    if (++ran < 1000) asio::post(ctx, next);
  };
  asio::post(ctx, next);
  dkv::net::loop_counters counters;
  dkv::net::run_loop(ctx, 0us, counters);
  BOOST_TEST(ran == 1000);
  BOOST_TEST(ctx.stopped());
  BOOST_TEST(counters.naps == 0u);
}

BOOST_AUTO_TEST_CASE(fast_arrivals_are_taken_after_naps_and_a_pause_ends_the_naps) {
  feed f;
  std::thread writer([&] {
    // ~100k bytes a second for 100 ms: well over one handler per 50 us.
    f.write_paced('F', 10000, 10us);
    std::this_thread::sleep_for(100ms);  // nothing arrives
    f.write_paced('S', 1, 0ns);
    f.close_writer();
  });
  dkv::net::run_loop(f.ctx, 50us, f.counters);
  writer.join();
  BOOST_TEST(f.bytes == 10001u);  // nothing lost, and it ended
  BOOST_TEST(f.counters.naps > 0u);
  BOOST_TEST(f.counters.nap_hits > 0u);
  // A nap that found nothing sent the loop back to waiting in epoll_wait:
  // the pause (2000 naps' worth) cost a nap or two, not thousands.
  BOOST_REQUIRE(f.at_s.has_value());
  BOOST_TEST(f.at_s->naps - f.at_last_f.naps <= 2u);
  BOOST_TEST(f.counters.naps - f.at_s->naps <= 1u);
}

BOOST_AUTO_TEST_CASE(slow_arrivals_never_nap) {
  feed f;
  std::thread writer([&] {
    // 1000 bytes a second: a handler per millisecond, far below one per 50 us.
    f.write_paced('F', 200, 1ms);
    f.close_writer();
  });
  dkv::net::run_loop(f.ctx, 50us, f.counters);
  writer.join();
  BOOST_TEST(f.bytes == 200u);
  BOOST_TEST(f.counters.naps == 0u);
}

BOOST_AUTO_TEST_CASE(stop_ends_it_while_work_remains) {
  for (const auto nap : {0us, 50us}) {
    feed f;  // its read stays pending: the loop never runs out of work
    asio::steady_timer timer(f.ctx, 20ms);
    timer.async_wait([&](boost::system::error_code) { f.ctx.stop(); });
    dkv::net::run_loop(f.ctx, nap, f.counters);
    BOOST_TEST(f.ctx.stopped());
  }
}

// Background work waiting at the idle gate goes through as soon as the
// loop finds nothing to run, long before its at_most, naps or not.
BOOST_AUTO_TEST_CASE(an_idle_loop_lets_the_waiter_through_at_once) {
  for (const auto nap : {0us, 50us}) {
    asio::io_context ctx{1};
    dkv::net::idle_gate idle(ctx.get_executor());
    std::optional<clock_type::duration> waited;
    wait_at(ctx, idle, 10s, waited);
    dkv::net::loop_counters counters;
    dkv::net::run_loop(ctx, nap, counters, &idle);
    BOOST_REQUIRE(waited.has_value());
    BOOST_TEST(*waited < 1s, "nap " << nap.count() << " us");
    BOOST_TEST(!idle.waiting());
  }
}

// While handlers are always ready the gate stays shut: the waiter goes
// through when they stop coming, or at its at_most, whichever is first.
BOOST_AUTO_TEST_CASE(a_busy_loop_holds_the_waiter_until_idle_or_at_most) {
  using std::chrono::microseconds;
  for (const auto nap : {0us, 50us}) {
    for (const microseconds at_most : {microseconds(10s), microseconds(20ms)}) {
      asio::io_context ctx{1};
      dkv::net::idle_gate idle(ctx.get_executor());
      const auto busy_until = clock_type::now() + 200ms;
      std::function<void()> spin = [&] {
        if (clock_type::now() < busy_until) asio::post(ctx, spin);
      };
      asio::post(ctx, spin);
      std::optional<clock_type::duration> waited;
      wait_at(ctx, idle, at_most, waited);
      dkv::net::loop_counters counters;
      dkv::net::run_loop(ctx, nap, counters, &idle);
      BOOST_REQUIRE(waited.has_value());
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*waited).count();
      BOOST_TEST_INFO("nap " << nap.count() << " us, at most " << at_most.count() << " us");
      if (at_most == microseconds(10s)) {
        BOOST_TEST(ms >= 200);  // not while busy
        BOOST_TEST(ms < 1000);  // but once idle
      } else {
        BOOST_TEST(ms >= 20);
        BOOST_TEST(ms < 150);  // while still busy
      }
    }
  }
}
