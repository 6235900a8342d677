#include "dkv/node/server.hpp"

#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
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

namespace {
constexpr std::string_view too_many = "-ERR max number of clients reached\r\n";
}

server::server(asio::any_io_executor ex, context& ctx, router& route, cluster_manager& cluster,
               connection_limits limits)
    : acceptor_(ex), ctx_(ctx), router_(route), cluster_(cluster), limits_(limits) {}

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
    if (ctx_.net.connections_current >= limits_.max_connections) {
      // The error fits in any fresh socket's send buffer: no need to wait.
      ++ctx_.net.rejected_connections;
      log::warn() << "refused a connection: " << limits_.max_connections
                  << " connections are open (--max-connections)";
      boost::system::error_code ignored;
      sock.non_blocking(true, ignored);
      sock.write_some(asio::buffer(too_many.data(), too_many.size()), ignored);
      sock.close(ignored);
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
  const net::stream_end end = co_await serve(sock);
  switch (end) {
    case net::stream_end::closed:
      break;
    case net::stream_end::slow_writer:
      ++ctx_.net.closed_slow_writers;
      log::warn() << "closed connection " << id << ": no write progress for "
                  << limits_.stream.write_timeout.count() << " ms (--client-write-timeout-ms)";
      break;
    case net::stream_end::output_limit:
      ++ctx_.net.closed_slow_writers;
      log::warn() << "closed connection " << id << ": replies exceed "
                  << limits_.stream.max_output << " bytes (--max-output-bytes)";
      break;
    case net::stream_end::idle:
      ++ctx_.net.closed_idle;
      log::info() << "closed connection " << id << ": idle for "
                  << limits_.stream.idle_timeout.count() << " ms (--idle-timeout-ms)";
      break;
    case net::stream_end::slow_sender:
      ++ctx_.net.closed_slow_senders;
      log::warn() << "closed connection " << id << ": request incomplete for "
                  << limits_.stream.request_timeout.count() << " ms (--request-timeout-ms)";
      break;
  }
}

asio::awaitable<net::stream_end> server::serve(tcp::socket& sock) {
  using namespace asio::experimental::awaitable_operators;
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  // The first byte picks the protocol; the idle timeout covers the wait for it.
  net::read_buffer buf;
  const auto space = buf.prepare(1);
  auto read = sock.async_read_some(asio::buffer(space.data(), space.size()), token);
  std::tuple<boost::system::error_code, std::size_t> got;
  if (limits_.stream.idle_timeout.count() > 0) {
    asio::steady_timer idle(sock.get_executor(), limits_.stream.idle_timeout);
    auto first = co_await (std::move(read) || idle.async_wait(token));
    if (first.index() == 1) co_return net::stream_end::idle;
    got = std::get<0>(first);
  } else {
    got = co_await std::move(read);
  }
  if (std::get<0>(got)) co_return net::stream_end::closed;
  buf.commit(std::get<1>(got));
  if (static_cast<std::uint8_t>(buf.data()[0]) == protocol::magic) {
    binary_handler h(ctx_, router_, cluster_);
    co_return co_await net::run_stream(sock, buf, h, limits_.stream);
  }
  resp_handler h(ctx_, router_);
  co_return co_await net::run_stream(sock, buf, h, limits_.stream);
}

}  // namespace dkv::node
