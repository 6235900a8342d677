#pragma once
// The operator's REPL: a coroutine reading lines from stdin through an Asio
// stream (a dup of fd 0), answering on stdout. When stdin is not pollable
// (a regular file, /dev/null) or reaches EOF, the REPL ends and the node
// keeps serving.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

class repl {
 public:
  // `request_exit` is called for `exit`: the node shuts down gracefully.
  repl(boost::asio::any_io_executor ex, context& ctx, cluster_manager& cluster,
       std::function<void()> request_exit);

  // Starts reading stdin; returns false (and logs why) when it cannot.
  bool start();
  void stop();
  // True while the REPL coroutine has not ended.
  bool running() const noexcept { return running_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> execute(std::string_view line);
  boost::asio::awaitable<void> query(std::string_view addr, std::string_view key);
  // Prints the error of a failed outcome; false when it did not fail.
  static bool failed(const key_outcome& o);

  boost::asio::any_io_executor ex_;
  context& ctx_;
  cluster_manager& cluster_;
  router route_;  // get/put/del go where the key lives, as a client's would
  std::function<void()> request_exit_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> in_;
  bool prompt_ = false;
  bool running_ = false;
};

}  // namespace dkv::node
