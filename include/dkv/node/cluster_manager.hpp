#pragma once
// The node's view of its cluster (DESIGN §5-7): membership (versioned
// records, ring epoch), the partition ring computed from it, one pooled
// link per peer, failure detection by heartbeats, gossip, and the
// bookkeeping of partitions moving in and out. Routing asks it where a key
// lives; the handoff worker (handoff.hpp) moves partitions.
//
// All state lives on the node's thread. Coroutines re-read it after every
// co_await (the ring may have changed) and never hold references into it.

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include "dkv/client/link.hpp"
#include "dkv/cluster/membership.hpp"
#include "dkv/config/node_config.hpp"
#include "dkv/disk/node_state.hpp"
#include "dkv/node/context.hpp"
#include "dkv/ring/ring.hpp"

namespace dkv::node {

// Where a key's requests go.
struct route {
  enum class kind { local, remote, unavailable } where = kind::local;
  // remote: the owner; unavailable: the owner that is down, or empty while
  // this node has not joined the cluster of its --join-addr yet.
  std::string node;
};

struct migration_counters {
  std::uint64_t partitions_sent = 0;
  std::uint64_t keys_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t partitions_received = 0;
  std::uint64_t keys_received = 0;
  std::uint64_t digest_mismatches = 0;
};

class cluster_manager {
 public:
  static constexpr auto call_timeout = std::chrono::seconds(5);
  static constexpr auto down_after = std::chrono::seconds(3);

  cluster_manager(boost::asio::any_io_executor ex, context& ctx, disk::node_state state);

  // Takes this node's identity from the context (its address is final by
  // now), starts gossip and heartbeats, and rejoins the persisted
  // membership, or joins through `join_addr` (retrying with backoff) when
  // there is none.
  void start(const std::optional<config::host_port>& join_addr);
  void stop();

  // ---- routing -----------------------------------------------------------
  route route_key(std::string_view key) const;
  bool owns(std::uint32_t partition) const noexcept;
  // The node a partition is still arriving from (reads that miss ask it),
  // or nullptr.
  const std::string* incoming_from(std::uint32_t partition) const;
  // Sends a request to a member over its link. `build` appends the frame
  // for the given request id.
  // Fails with connection_refused when the node is not a member.
  boost::asio::awaitable<boost::system::result<client::reply>> call(
      const std::string& node, const std::function<void(std::string&, std::uint32_t)>& build);
  // Sends `count` requests to a member at once (link::call_many): `build`
  // appends the i-th frame for the given request id. Replies in order.
  boost::asio::awaitable<std::vector<boost::system::result<client::reply>>> call_many(
      const std::string& node, std::size_t count,
      const std::function<void(std::string&, std::size_t, std::uint32_t)>& build);

  // Exchanges membership with `node` now (after it answered NOT_OWNER).
  boost::asio::awaitable<void> refresh(std::string node) { return exchange(std::move(node)); }

  // ---- membership changes ------------------------------------------------
  // Joins the cluster of the node at `addr`; error text or empty.
  boost::asio::awaitable<std::string> join(config::host_port addr);
  // Hands every partition off and leaves; `progress` gets one line at a
  // time. Error text or empty.
  boost::asio::awaitable<std::string> leave(std::function<void(const std::string&)> progress);
  // Removes a dead member for good; error text or empty.
  std::string forget(std::string_view id);
  bool leaving() const noexcept { return leaving_; }
  // Started with --join-addr and not a member yet: it owns no key (its
  // empty store must not answer "not found" for the cluster's keys).
  bool joining() const noexcept { return join_pending_ && peers() == 0; }
  bool in_cluster() const noexcept { return peers() > 0; }

  // ---- peer requests (binary_handler, peer connections) ------------------
  // Merges a gossiped membership; returns ours, encoded.
  std::string on_gossip(const dkv::cluster::membership& theirs);
  std::string on_join(std::string_view id, std::string_view address);
  // Accounts a batch of `count` entries received for `partition` from
  // `peer`, whose proto::entry_digest values add up to `digest`.
  void on_migrated(std::string_view peer, std::uint32_t partition, std::uint64_t count,
                   std::uint64_t digest);
  // Checks a finished partition against what arrived; true when it matches.
  bool on_migrate_done(std::string_view peer, std::uint32_t partition, std::uint64_t count,
                       std::uint64_t digest);

  // ---- for the handoff worker and the REPL -------------------------------
  const dkv::cluster::membership& members() const noexcept { return members_; }
  const ring::ring& current_ring() const noexcept { return ring_; }
  std::uint64_t epoch() const noexcept { return members_.epoch(); }
  bool is_down(std::string_view id) const;
  std::set<std::uint32_t>& outgoing() noexcept { return outgoing_; }
  const std::map<std::uint32_t, std::string>& incoming() const noexcept { return incoming_; }
  migration_counters& counters() noexcept { return counters_; }
  // Wakes the handoff worker (set by it).
  void set_handoff_wakeup(boost::asio::steady_timer* t) noexcept { handoff_wakeup_ = t; }
  std::size_t peers() const noexcept;

  std::string peers_text() const;
  std::string ring_text() const;
  std::string info_text() const;  // "# Cluster" section of INFO

 private:
  void apply_membership();
  void save_state();
  void broadcast();
  // Who this node is in the peer handshake of its links.
  client::peer_credentials credentials() const;
  client::link& link_to(const dkv::cluster::member& m);
  boost::asio::awaitable<void> run_gossip();
  boost::asio::awaitable<void> run_heartbeats();
  // Joins through addrs[0], addrs[1], ... in turn, retrying until joined.
  boost::asio::awaitable<void> run_join(std::vector<config::host_port> addrs);
  boost::asio::awaitable<void> exchange(std::string node);

  boost::asio::any_io_executor ex_;
  context& ctx_;
  disk::node_state state_;
  dkv::cluster::membership members_;
  ring::ring ring_;
  std::map<std::string, std::shared_ptr<client::link>, std::less<>> links_;
  std::map<std::uint32_t, std::string> incoming_;  // partition -> node it arrives from
  std::set<std::uint32_t> outgoing_;               // partitions to hand off
  struct received {
    std::uint64_t count = 0;
    std::uint64_t digest = 0;
  };
  std::map<std::pair<std::string, std::uint32_t>, received> received_;
  migration_counters counters_;
  boost::asio::steady_timer* handoff_wakeup_ = nullptr;
  std::minstd_rand rng_{std::random_device{}()};  // gossip partner choice
  bool stopped_ = false;
  bool leaving_ = false;
  bool join_pending_ = false;
};

}  // namespace dkv::node
