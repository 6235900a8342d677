#pragma once
// Precompiled header of the network-facing targets (Asio + coroutines).
// Included only by the build, never by a source file.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
