#pragma once
// The node's single TCP port. Each accepted connection is one coroutine that
// owns its socket; the first byte picks the protocol (0xDB: binary frames,
// anything else: RESP). stop() closes the acceptor, then every connection.

#include <cstdint>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

class server {
 public:
  server(boost::asio::any_io_executor ex, context& ctx, router& route, cluster_manager& cluster);

  // Binds and listens; throws boost::system::system_error on failure.
  boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& ep);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> run_accept();
  boost::asio::awaitable<void> run_connection(boost::asio::ip::tcp::socket sock);

  boost::asio::ip::tcp::acceptor acceptor_;
  context& ctx_;
  router& router_;
  cluster_manager& cluster_;
  // Open connections, so stop() can close them. The coroutine frame owns
  // the socket and removes its entry when it ends.
  std::unordered_map<std::uint64_t, boost::asio::ip::tcp::socket*> live_;
  std::uint64_t next_id_ = 0;
};

}  // namespace dkv::node
