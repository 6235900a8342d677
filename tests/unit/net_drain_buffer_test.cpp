#define BOOST_TEST_MODULE net_drain_buffer
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "dkv/net/drain_buffer.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Every recv() of this program is counted: Asio reads a single buffer with it.
namespace {
int recv_calls = 0;
}

extern "C" ssize_t recv(int fd, void* buf, size_t n, int flags) {
  using recv_fn = ssize_t (*)(int, void*, size_t, int);
  static const auto next = reinterpret_cast<recv_fn>(dlsym(RTLD_NEXT, "recv"));
  ++recv_calls;
  return next(fd, buf, n, flags);
}

namespace {

// A connected loopback pair: `server` is read asynchronously, `client`
// written synchronously.
struct loopback_pair {
  asio::io_context ctx{1};
  tcp::socket server{ctx};
  tcp::socket client{ctx};

  loopback_pair() {
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    server.non_blocking(true);
  }

  void send(const std::string& bytes) { asio::write(client, asio::buffer(bytes)); }

  struct result {
    boost::system::error_code ec;
    std::string bytes;
  };

  // Reads once into a buffer of `room` bytes, as the node does; the
  // buffer type decides whether the read starts with a speculative recv().
  template <typename Buffer>
  result read(std::size_t room) {
    std::string space(room, '\0');
    std::optional<result> r;
    server.async_read_some(Buffer(space.data(), space.size()),
                           [&](boost::system::error_code ec, std::size_t n) {
                             r = result{ec, space.substr(0, n)};
                           });
    ctx.restart();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!r && std::chrono::steady_clock::now() < until)
      ctx.run_one_for(std::chrono::milliseconds(100));
    BOOST_REQUIRE_MESSAGE(r.has_value(), "the read never completed");
    return *r;
  }

  // Request/reply rounds: the read starts before its bytes are sent (a
  // reply went out, the next request has not come yet). recv() calls made.
  template <typename Buffer>
  int rounds(int n) {
    const int before = recv_calls;
    for (int i = 0; i < n; ++i) {
      const std::string request = "request " + std::to_string(i);
      std::string space(4096, '\0');
      std::optional<std::string> got;
      server.async_read_some(Buffer(space.data(), space.size()),
                             [&](boost::system::error_code ec, std::size_t k) {
                               BOOST_TEST(!ec);
                               got = space.substr(0, k);
                             });
      ctx.restart();
      ctx.poll();  // starts the read: a speculative recv() happens here
      send(request);
      while (!got) ctx.run_one_for(std::chrono::milliseconds(100));
      BOOST_TEST(*got == request);
    }
    return recv_calls - before;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(request_reply_costs_one_recv_per_request) {
  loopback_pair p;
  p.rounds<dkv::net::drain_buffer>(1);  // the first read of a socket speculates
  BOOST_TEST(p.rounds<dkv::net::drain_buffer>(50) == 50);
}

BOOST_AUTO_TEST_CASE(asio_own_buffers_cost_two) {
  // What drain_buffer saves: Asio 1.26 speculates before every read, and on
  // a request/reply connection that recv() finds nothing.
  loopback_pair p;
  p.rounds<asio::mutable_buffer>(1);
  BOOST_TEST(p.rounds<asio::mutable_buffer>(50) == 100);
}

BOOST_AUTO_TEST_CASE(bytes_sent_between_reads_are_not_lost) {
  // After a short read the next read does not try first: bytes that came in
  // meanwhile must still wake it.
  loopback_pair p;
  p.send("one");
  BOOST_TEST(p.read<dkv::net::drain_buffer>(64).bytes == "one");
  p.send("two");
  BOOST_TEST(p.read<dkv::net::drain_buffer>(64).bytes == "two");
}

BOOST_AUTO_TEST_CASE(a_full_read_keeps_trying_first) {
  loopback_pair p;
  p.send("0123456789abcdefXYZ");
  BOOST_TEST(p.read<dkv::net::drain_buffer>(16).bytes == "0123456789abcdef");
  const int before = recv_calls;
  BOOST_TEST(p.read<dkv::net::drain_buffer>(16).bytes == "XYZ");
  BOOST_TEST(recv_calls - before == 1);  // the rest, read at once
  p.send("more");
  BOOST_TEST(p.read<dkv::net::drain_buffer>(16).bytes == "more");
}

BOOST_AUTO_TEST_CASE(end_of_stream_and_errors_complete_the_read) {
  loopback_pair p;
  p.send("last");
  BOOST_TEST(p.read<dkv::net::drain_buffer>(64).bytes == "last");
  p.client.close();
  const auto r = p.read<dkv::net::drain_buffer>(64);
  BOOST_TEST((r.ec == asio::error::eof));
  BOOST_TEST(r.bytes.empty());
}
