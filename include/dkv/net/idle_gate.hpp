#pragma once
// Where background work on the event loop waits for the loop to be idle.
//
// A coroutine that has a step of background work to do (a snapshot encodes
// its next 32 KiB) waits at the gate; the event loop (run_loop) opens it
// when it finds nothing ready to run, and the step then runs in time the
// loop would have slept. So the work takes no share of a busy loop's
// serving, only the slack between requests: a request that arrives during a
// step waits for that step only. A loop that is never idle (saturated)
// still lets a waiter through after `at_most`, so the work keeps going at a
// bounded pace.

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace dkv::net {

class idle_gate {
 public:
  explicit idle_gate(boost::asio::any_io_executor ex);

  // Waits until the loop is idle, or `at_most` has passed. One waiter at a
  // time.
  boost::asio::awaitable<void> wait(std::chrono::microseconds at_most);
  bool waiting() const noexcept { return waiting_; }
  // Lets the waiter through (its step is then ready to run).
  void open();

 private:
  boost::asio::steady_timer timer_;
  bool waiting_ = false;
};

}  // namespace dkv::net
