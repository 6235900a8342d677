#pragma once
// A receive buffer whose reads tell Asio's reactor when they drained the
// socket, so that the next read waits for readiness instead of trying first.
//
// Asio 1.26 (Boost 1.81) starts every read with a speculative recv() and
// stops speculating on a socket only after a read of 0 bytes (end of
// stream). On a request/reply connection (the next request comes only after
// the reply) that is one recv() failing with EAGAIN per request: a third of
// the syscalls of a GET at pipeline depth 1. A stream read that returns
// fewer bytes than it had room for has emptied the socket's receive queue;
// reads into a drain_buffer then report the socket exhausted, and the next
// read waits for the reactor's edge-triggered event, which comes for any
// byte that arrives after that recv(). A read that fills the buffer keeps
// the speculation (more may be queued). Redis reads the same way: once per
// readiness event.
//
// Asio's read operation takes this behaviour from the buffer type: below is
// its operation for drain_buffer, the same as Asio's own except for the
// test of a short read. It relies on Asio's internal reactor interface,
// hence the version check.

#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/reactive_socket_recv_op.hpp>
#include <boost/asio/version.hpp>

static_assert(BOOST_ASIO_VERSION == 102600,
              "drain_buffer specializes Asio 1.26's reactive_socket_recv_op_base: "
              "check it against this Asio version");

namespace dkv::net {

// One contiguous buffer (a MutableBufferSequence of one element).
class drain_buffer {
 public:
  drain_buffer(char* data, std::size_t size) noexcept : buffer_(data, size) {}
  const boost::asio::mutable_buffer* begin() const noexcept { return &buffer_; }
  const boost::asio::mutable_buffer* end() const noexcept { return &buffer_ + 1; }

 private:
  boost::asio::mutable_buffer buffer_;
};

}  // namespace dkv::net

namespace boost::asio::detail {

template <>
class reactive_socket_recv_op_base<dkv::net::drain_buffer> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type state, const dkv::net::drain_buffer& buffers,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        state_(state),
        buffer_(*buffers.begin()),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    const bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    if (!socket_ops::non_blocking_recv1(o->socket_, o->buffer_.data(), o->buffer_.size(),
                                        o->flags_, stream, o->ec_, o->bytes_transferred_))
      return not_done;
    // Asio's own test is `== 0` (end of stream or error); a short read
    // drained the socket as well.
    const std::size_t n = o->bytes_transferred_;
    return stream && (n == 0 || n < o->buffer_.size()) ? done_and_exhausted : done;
  }

 private:
  socket_type socket_;
  socket_ops::state_type state_;
  mutable_buffer buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
