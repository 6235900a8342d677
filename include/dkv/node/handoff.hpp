#pragma once
// The handoff worker (DESIGN §7): moves every partition this node holds but
// no longer owns to its owner. A partition goes in acknowledged batches of
// at most 1 MiB (one batch in flight, so the loop stays responsive), then a
// MIGRATE_DONE with the count and an order-independent digest of what was
// sent. Only when the owner confirms, and nothing newer arrived meanwhile,
// does this node drop the partition (logged in its WAL).

#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dkv/node/cluster_manager.hpp"

namespace dkv::node {

class handoff {
 public:
  static constexpr std::size_t max_batch_bytes = 1u << 20;

  handoff(boost::asio::any_io_executor ex, context& ctx, cluster_manager& cluster);

  boost::asio::awaitable<void> run();
  void stop();

 private:
  // Sends partition `p` to `owner`; true when it was confirmed and dropped.
  boost::asio::awaitable<bool> send_partition(std::uint32_t p, std::string owner);

  context& ctx_;
  cluster_manager& cluster_;
  boost::asio::steady_timer wakeup_;
  bool stopped_ = false;
};

}  // namespace dkv::node
