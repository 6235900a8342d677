#include "dkv/net/stream.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace dkv::net {

namespace asio = boost::asio;

namespace {
constexpr std::size_t min_read = 16 * 1024;
}

asio::awaitable<void> run_stream(asio::ip::tcp::socket& socket, read_buffer& buf,
                                 stream_handler& handler) {
  constexpr auto token = asio::as_tuple(asio::use_awaitable);
  std::string out;
  std::size_t need = 0;
  for (;;) {
    if (!buf.data().empty()) {
      const consume_result r = handler.on_bytes(buf.data(), out);
      buf.consume(r.consumed);
      need = r.need;
      // (No co_await inside || or &&: GCC 12 miscompiles it.)
      bool keep_open = true;
      if (r.settle) keep_open = co_await handler.settle(out);
      if (!out.empty()) {
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), token);
        if (ec) co_return;
        out.clear();
      }
      if (r.close || !keep_open) {
        boost::system::error_code ignored;
        socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (r.more) continue;  // complete requests are still buffered
    }
    const std::size_t have = buf.data().size();
    const auto space = buf.prepare(std::max(min_read, need > have ? need - have : 0));
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(space.data(), space.size()), token);
    if (ec) co_return;
    buf.commit(n);
  }
}

}  // namespace dkv::net
