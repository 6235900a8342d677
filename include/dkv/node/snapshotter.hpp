#pragma once
// Takes snapshots so that recovery time and disk use stay bounded: once the WAL
// written since the last snapshot exceeds both a floor and the size of the data
// itself (disk/snapshot_policy.hpp), the log rolls to a new segment S, every
// stored entry (tombstones included) is encoded 32 KiB per loop turn
// (store_scan: a large partition spans turns), each turn when the loop is idle
// (net/idle_gate.hpp), and written to snapshot-S by the helper thread (the loop
// keeps serving; writes during the snapshot land in S and later segments, and
// replaying them over the snapshot is correct because entries merge
// last-writer-wins), the file is synced and renamed on the helper thread, and
// then segments and snapshots older than S are deleted (also on the helper:
// unlinking a large file is slow), but for the newest such snapshot, kept as
// the spare file the next snapshot overwrites (disk/snapshot.hpp) while the
// file system has room for it.

#include <cstdint>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "dkv/net/idle_gate.hpp"
#include "dkv/node/context.hpp"

namespace dkv::node {

class snapshotter {
 public:
  static constexpr std::uint64_t default_min_bytes = 64u << 20;

  // `idle`: the event loop's idle gate, where each turn of encoding waits.
  snapshotter(boost::asio::any_io_executor ex, context& ctx, boost::asio::thread_pool& helper,
              net::idle_gate& idle, std::uint64_t min_bytes);

  // Checks every 100 ms whether a snapshot is due or asked for
  // (context::snapshots.requested, BGSAVE); ends when stop() is called.
  boost::asio::awaitable<void> run();
  void stop();
  // Takes one snapshot now.
  boost::asio::awaitable<void> take();

 private:
  context& ctx_;
  boost::asio::thread_pool& helper_;
  net::idle_gate& idle_;
  std::uint64_t min_bytes_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace dkv::node
