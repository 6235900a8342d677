#pragma once
// The node's single TCP port. Each accepted connection is one coroutine that
// owns its socket; the first byte picks the protocol (0xDB: binary frames,
// anything else: RESP). stop() closes the acceptor, then every connection.
//
// Limits: at most max_connections are open at once (peers count too); one
// more is sent the RESP error "-ERR max number of clients reached" without
// reading anything (the node cannot know its protocol before it sends a
// byte; binary clients see a bad magic byte and fail) and closed. Each
// connection runs under net::stream_limits; every limit hit is logged once
// and counted in the INFO/STATS counters.

#include <cstdint>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dkv/net/stream.hpp"
#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

struct connection_limits {
  std::uint64_t max_connections = 10000;
  net::stream_limits stream;
};

class server {
 public:
  server(boost::asio::any_io_executor ex, context& ctx, router& route, cluster_manager& cluster,
         connection_limits limits = {});

  // Binds and listens; throws boost::system::system_error on failure.
  boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& ep);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> run_accept();
  boost::asio::awaitable<void> run_connection(boost::asio::ip::tcp::socket sock);
  // Picks the protocol from the first byte and serves the connection.
  boost::asio::awaitable<net::stream_end> serve(boost::asio::ip::tcp::socket& sock);

  boost::asio::ip::tcp::acceptor acceptor_;
  context& ctx_;
  router& router_;
  cluster_manager& cluster_;
  connection_limits limits_;
  // Open connections, so stop() can close them. The coroutine frame owns
  // the socket and removes its entry when it ends.
  std::unordered_map<std::uint64_t, boost::asio::ip::tcp::socket*> live_;
  std::uint64_t next_id_ = 0;
};

}  // namespace dkv::node
