#pragma once
// One binary-protocol exchange with a node over a fresh connection:
// resolve, connect, send the request frames, read the reply to the last one.
// Used by kvctl and by the REPL's `query`. Every step is bounded by a timeout.

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "dkv/config/host_port.hpp"
#include "dkv/protocol/frame.hpp"

namespace dkv::client {

struct reply {
  protocol::frame_header header;
  std::string body;  // starts with the status byte
};

// Sends `request` (one or more complete frames) and returns the reply whose
// request id is `reply_to`. Replies to earlier frames are read and dropped.
// Errors: resolve/connect/I-O failures, timed_out, message_size (a reply
// whose body passes `max_frame` bytes), invalid_argument (a malformed reply).
boost::asio::awaitable<boost::system::result<reply>> async_call(
    const config::host_port& addr, std::string request, std::uint32_t reply_to,
    std::chrono::milliseconds timeout, std::uint32_t max_frame);

}  // namespace dkv::client
