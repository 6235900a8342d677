#pragma once
// Runs several coroutines at once on the caller's executor and waits until
// every one has finished: how a connection serves a group of requests that
// wait for other nodes, their forwards in flight together.

#include <vector>

#include <boost/asio/awaitable.hpp>

namespace dkv::net {

// Each task reports its result through what it captured; a task that throws
// is logged and counts as finished.
boost::asio::awaitable<void> run_all(std::vector<boost::asio::awaitable<void>> tasks);

}  // namespace dkv::net
