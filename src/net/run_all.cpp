#include "dkv/net/run_all.hpp"

#include <exception>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/net/spawn.hpp"

namespace dkv::net {

namespace asio = boost::asio;

boost::asio::awaitable<void> run_all(std::vector<asio::awaitable<void>> tasks) {
  // Shared with the tasks: `done` is cancelled when the last one finishes.
  struct countdown {
    std::size_t left;
    asio::steady_timer done;
  };
  const auto ex = co_await asio::this_coro::executor;
  const auto c = std::make_shared<countdown>(
      countdown{tasks.size(), asio::steady_timer(ex, asio::steady_timer::time_point::max())});
  for (auto& task : tasks)
    asio::co_spawn(ex, std::move(task), [c](std::exception_ptr e) {
      if (e) log_exception{"grouped request"}(e);
      if (--c->left == 0) c->done.cancel();
    });
  // A task may finish inside co_spawn; cancel() only wakes a wait in
  // progress: count, then wait.
  while (c->left > 0) co_await c->done.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace dkv::net
