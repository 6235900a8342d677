#include "dkv/node/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/log/log.hpp"
#include "dkv/net/read_buffer.hpp"
#include "dkv/net/spawn.hpp"
#include "dkv/node/binary_handler.hpp"
#include "dkv/node/resp_handler.hpp"
#include "dkv/protocol/frame.hpp"

namespace dkv::node {

namespace asio = boost::asio;
using asio::ip::tcp;

server::server(asio::any_io_executor ex, context& ctx, router& route, cluster_manager& cluster)
    : acceptor_(ex), ctx_(ctx), router_(route), cluster_(cluster) {}

tcp::endpoint server::listen(const tcp::endpoint& ep) {
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint();
}

void server::start() {
  asio::co_spawn(acceptor_.get_executor(), run_accept(), net::log_exception{"accept loop"});
}

void server::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, sock] : live_) sock->close(ignored);
}

asio::awaitable<void> server::run_accept() {
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  while (acceptor_.is_open()) {
    auto [ec, sock] = co_await acceptor_.async_accept(token);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and the like: say so and keep accepting.
      log::warn() << "accept failed: " << ec.message();
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), run_connection(std::move(sock)),
                   net::log_exception{"connection"});
  }
}

asio::awaitable<void> server::run_connection(tcp::socket sock) {
  const std::uint64_t id = next_id_++;
  live_.emplace(id, &sock);
  ++ctx_.net.connections_total;
  ++ctx_.net.connections_current;
  struct unregister {
    server& s;
    std::uint64_t id;
    ~unregister() {
      s.live_.erase(id);
      --s.ctx_.net.connections_current;
    }
  } guard{*this, id};

  boost::system::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  net::read_buffer buf;
  const auto space = buf.prepare(1);
  auto [rec, n] = co_await sock.async_read_some(asio::buffer(space.data(), space.size()),
                                                asio::as_tuple(asio::use_awaitable));
  if (rec) co_return;
  buf.commit(n);
  if (static_cast<std::uint8_t>(buf.data()[0]) == protocol::magic) {
    binary_handler h(ctx_, router_, cluster_);
    co_await net::run_stream(sock, buf, h);
  } else {
    resp_handler h(ctx_, router_);
    co_await net::run_stream(sock, buf, h);
  }
}

}  // namespace dkv::node
