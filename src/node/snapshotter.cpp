#include "dkv/node/snapshotter.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/snapshot.hpp"
#include "dkv/disk/snapshot_policy.hpp"
#include "dkv/log/log.hpp"
#include "dkv/store/store_scan.hpp"

namespace dkv::node {

namespace asio = boost::asio;

namespace {

// Snapshot bytes encoded per loop turn, then written by the helper while the
// loop serves. Requests that arrive during a turn wait for it: 32 KiB is
// 10-20 us of work (1 KiB values; more entries a turn with smaller ones),
// and turns of 256 KiB made the p99 of SET 1 KiB at -P 1 1.07-1.52x that of
// turns of 32 KiB during a snapshot (docs/PERFORMANCE.md); 16 KiB turns
// cost more in hand-offs to the helper than they saved.
constexpr std::uint64_t bytes_per_turn = 32u << 10;
// How long a turn waits at most for the loop to be idle: on a loop that is
// never idle and a log that does not grow, a snapshot still goes on at a
// turn per 250 us (128 MB/s, some 5% of the loop).
constexpr std::chrono::microseconds idle_wait_at_most{250};
// How often the snapshotter looks whether a snapshot is due or asked for.
constexpr std::chrono::milliseconds check_every{100};

// Deletes the snapshots below `keep_from`, but for the newest such
// snapshot: that file becomes the spare the next snapshot overwrites
// (snapshot_writer), if the file system keeps at least as much room free
// again (a spare never takes the space that writes need).
void retire_older_snapshots(const std::string& dir, std::uint64_t keep_from) {
  disk::dir_listing listing;
  if (disk::list_data_dir(dir, listing)) return;
  std::error_code ignored;
  std::uint64_t spare = 0;
  for (const auto seq : listing.snapshots)
    if (seq < keep_from) spare = seq;
  for (const auto seq : listing.snapshots) {
    if (seq >= keep_from) continue;
    const std::string path = disk::snapshot_path(dir, seq);
    if (seq == spare && disk::room_to_keep(dir, path))
      std::filesystem::rename(path, disk::snapshot_spare_path(dir), ignored);
    else std::filesystem::remove(path, ignored);
  }
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

snapshotter::snapshotter(asio::any_io_executor ex, context& ctx, asio::thread_pool& helper,
                         net::idle_gate& idle, std::uint64_t min_bytes)
    : ctx_(ctx), helper_(helper), idle_(idle), min_bytes_(min_bytes), timer_(std::move(ex)) {
  ctx_.snapshots.last_save_unix = unix_seconds();
}

void snapshotter::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> snapshotter::run() {
  while (!stopped_) {
    timer_.expires_after(check_every);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopped_) co_return;
    auto& log = ctx_.eng.log();
    // The log until the next snapshot, and the segment being written.
    log.set_reuse_target(
        std::max(ctx_.eng.data().payload_bytes(), min_bytes_) / durable_log::segment_limit + 2);
    const bool due = disk::snapshot_due(log.bytes_since(), log.segments_since(),
                                        ctx_.eng.data().payload_bytes(), min_bytes_,
                                        durable_log::segment_limit);
    const bool asked = std::exchange(ctx_.snapshots.requested, false);
    if (!log.failed() && (asked || due)) co_await take();
  }
}

asio::awaitable<void> snapshotter::take() {
  const auto started = std::chrono::steady_clock::now();
  ctx_.snapshots.in_progress = true;
  auto& log = ctx_.eng.log();
  const std::uint64_t seq = log.roll();
  if (seq == 0) {
    ctx_.snapshots.in_progress = false;
    ctx_.snapshots.last_error = "WAL failed: " + log.failure();
    co_return;
  }
  // Writes from now on go to the next snapshot; if this one fails, the log
  // it was to retire counts again (so the next try comes as soon as due).
  const std::uint64_t bytes_before = log.bytes_since(), segments_before = log.segments_since();
  log.reset_since();
  const std::string& dir = ctx_.me.data_dir;

  disk::snapshot_writer w;
  auto fail = [&](const std::string& what, std::error_code ec) {
    log.add_since(bytes_before, segments_before);
    ctx_.snapshots.last_error = what + ": " + ec.message();
    ctx_.snapshots.in_progress = false;
    log::error() << "snapshot " << seq << " failed: " << ctx_.snapshots.last_error;
    w.abort();
  };
  if (auto ec = w.begin(disk::snapshot_path(dir, seq), {seq, ctx_.me.id},
                        disk::snapshot_spare_path(dir)))
    co_return fail("cannot create snapshot file", ec);

  // The loop encodes; the helper writes each chunk into the file while the
  // loop serves (see snapshot_writer).
  const auto write_out = [this, &w]() {
    return asio::co_spawn(
        helper_, [&w]() -> asio::awaitable<std::error_code> { co_return w.write_buffered(); },
        asio::use_awaitable);
  };
  // A turn encodes entries until bytes_per_turn are buffered, even from
  // the middle of a partition (store_scan).
  store::store_scan scan(ctx_.eng.data());
  const auto add_until_turn_full = [&w](const store::entry& e) {
    w.add(e);
    return w.buffered() < bytes_per_turn;
  };
  std::uint64_t logged_at_turn = 0;  // log.bytes_since() when this turn began
  while (!scan.step(add_until_turn_full)) {
    const std::error_code ec = co_await write_out();
    if (ec) co_return fail("cannot write snapshot", ec);
    // The next turn waits for a moment the loop has nothing else to do,
    // unless the log grew by a turn's worth meanwhile: then it keeps pace
    // with the writes (and the log left to replay after it stays near the
    // data's size).
    if (log.bytes_since() - logged_at_turn < bytes_per_turn)
      co_await idle_.wait(idle_wait_at_most);
    if (stopped_) co_return w.abort();
    logged_at_turn = log.bytes_since();
  }
  w.seal();
  const std::error_code written = co_await write_out();
  if (written) co_return fail("cannot write snapshot", written);

  // fdatasync + rename on the helper thread: it touches only the file.
  disk::file f = w.release_file();
  const std::string tmp = w.tmp_path(), final_path = w.final_path();
  const std::uint64_t size = w.bytes();
  const std::error_code ec = co_await asio::co_spawn(
      helper_,
      [&f, size, &tmp, &final_path]() -> asio::awaitable<std::error_code> {
        co_return disk::snapshot_writer::publish(f.fd(), size, tmp, final_path);
      },
      asio::use_awaitable);
  f.close();
  if (ec) co_return fail("cannot publish snapshot", ec);

  // Unlinking a 64 MiB file takes the file system tens of milliseconds:
  // the helper does it, off the loop. Retired segments are kept to be
  // written over (durable_log).
  asio::post(helper_, [dir, seq] { retire_older_snapshots(dir, seq); });
  log.retire_segments(seq);
  ctx_.snapshots.taken++;
  ctx_.snapshots.last_seq = seq;
  ctx_.snapshots.last_entries = w.entries();
  ctx_.snapshots.last_bytes = w.bytes();
  ctx_.snapshots.last_direct_io = w.direct();
  ctx_.snapshots.last_save_unix = unix_seconds();
  ctx_.snapshots.last_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                            started)
          .count());
  ctx_.snapshots.last_error.clear();
  ctx_.snapshots.in_progress = false;
  log::info() << "snapshot " << seq << ": " << ctx_.snapshots.last_entries << " entries, "
              << ctx_.snapshots.last_bytes << " bytes in " << ctx_.snapshots.last_ms << " ms"
              << (w.direct() ? " (direct I/O)" : " (through the page cache)")
              << (scan.restarts() ? "; partitions written again after their table was rebuilt: " +
                                        std::to_string(scan.restarts())
                                  : std::string());
}

}  // namespace dkv::node
