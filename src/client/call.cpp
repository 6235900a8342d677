#include "dkv/client/call.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace dkv::client {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto token = asio::as_tuple(asio::use_awaitable);

asio::awaitable<boost::system::result<reply>> exchange(tcp::socket& sock,
                                                       const config::host_port& addr,
                                                       const std::string& request,
                                                       std::uint32_t reply_to,
                                                       std::uint32_t max_frame) {
  tcp::resolver resolver(sock.get_executor());
  auto [rec, endpoints] =
      co_await resolver.async_resolve(addr.host, std::to_string(addr.port), token);
  if (rec) co_return rec;
  auto [cec, ep] = co_await asio::async_connect(sock, endpoints, token);
  if (cec) co_return cec;
  sock.set_option(tcp::no_delay(true));
  auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(request), token);
  if (wec) co_return wec;
  for (;;) {
    char head[protocol::header_size];
    auto [hec, hn] = co_await asio::async_read(sock, asio::buffer(head), token);
    if (hec) co_return hec;
    const auto f = protocol::parse_frame({head, sizeof head}, max_frame);
    if (f.state == protocol::parse_state::bad)
      co_return error_code(f.error == protocol::status::too_large ? asio::error::message_size
                                                                  : asio::error::invalid_argument);
    reply r{f.header, std::string(f.header.body_length, '\0')};
    auto [bec, bn] = co_await asio::async_read(sock, asio::buffer(r.body), token);
    if (bec) co_return bec;
    if (r.header.request_id == reply_to) co_return r;
  }
}

}  // namespace

asio::awaitable<boost::system::result<reply>> async_call(const config::host_port& addr,
                                                         std::string request,
                                                         std::uint32_t reply_to,
                                                         std::chrono::milliseconds timeout,
                                                         std::uint32_t max_frame) {
  using namespace asio::experimental::awaitable_operators;
  const auto ex = co_await asio::this_coro::executor;
  tcp::socket sock(ex);
  asio::steady_timer timer(ex, timeout);
  auto outcome =
      co_await (exchange(sock, addr, request, reply_to, max_frame) ||
                timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) co_return error_code(asio::error::timed_out);
  co_return std::get<0>(std::move(outcome));
}

}  // namespace dkv::client
