#include "dkv/net/idle_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dkv::net {

namespace asio = boost::asio;

idle_gate::idle_gate(asio::any_io_executor ex) : timer_(std::move(ex)) {}

asio::awaitable<void> idle_gate::wait(std::chrono::microseconds at_most) {
  waiting_ = true;
  timer_.expires_after(at_most);
  // Cancelled by open(), or expired: either way the wait is over.
  (void)co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  waiting_ = false;
}

void idle_gate::open() {
  if (!waiting_) return;
  waiting_ = false;
  timer_.cancel();
}

}  // namespace dkv::net
