#pragma once
// The node's event loop: io_context::run(), but a busy loop naps before it
// waits.
//
// A loop that sleeps in epoll_wait is woken by whoever makes it ready: on
// loopback, the client's send() runs the node's receive path and wakes the
// node's thread, and on these virtual machines that wakeup (an IPI to an
// idle virtual CPU) costs the sender several microseconds. A node faster
// than its clients sleeps between most of their requests, so each of them
// pays that again: redis-benchmark at -P 1 with 50 connections spent 9-13%
// more CPU per request against dkv than against Redis, which is busier and
// sleeps less (11172 against 2427 sleeps per 200k GETs), and so did fewer
// requests per second although dkv needs less CPU for each.
//
// So when requests come fast (at least one handler per `nap` on average
// over the last 64), the loop stops waiting in epoll_wait: it runs what is
// ready, and when nothing is, it sleeps for `nap` off the sockets' wait
// queues (a timer wakes it, not a sender) and then takes everything that
// arrived meanwhile in one go. It goes back to waiting in epoll_wait after
// a nap that found nothing. At light load nothing changes: no nap, no added
// latency. At most one nap of latency is added to a request, and only while
// requests arrive at least that often.
//
// Whenever it finds nothing ready to run and background work waits at
// `idle` (net/idle_gate.hpp), it lets that work through instead of napping
// or waiting.

#include <chrono>
#include <cstdint>

namespace boost::asio {
class io_context;
}

namespace dkv::net {

class idle_gate;

struct loop_counters {
  std::uint64_t naps = 0;      // naps taken
  std::uint64_t nap_hits = 0;  // naps after which work was ready
};

// Runs `ioc` until it is stopped or runs out of work, as io_context::run()
// (which it is when `nap` is zero and there is no `idle`), counting naps into
// `counters`. Exceptions of handlers propagate, as from run().
void run_loop(boost::asio::io_context& ioc, std::chrono::microseconds nap,
              loop_counters& counters, idle_gate* idle = nullptr);

}  // namespace dkv::net
