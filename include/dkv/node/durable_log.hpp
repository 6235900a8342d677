#pragma once
// The node's write-ahead log (protocol/WAL.md): every write is appended as
// one record; all records appended during one turn of the event loop go to
// the current segment in one write() (group commit). fsync follows
// --fsync: `always` syncs after every group and acknowledges only synced
// writes; `everysec` syncs once a second; `no` leaves it to the kernel.
// fdatasync runs on the node's helper thread and posts its result back, so
// the loop never waits for the disk.
//
// Every MiB written, the helper starts the segment's writeback
// (disk/writeback.hpp). A segment written over a retired one's file keeps
// its pages cached, to be written over again; one in a new file keeps them
// only while the log's cached pages stay within the reuse target (about a
// snapshot cycle's log), else drops what lies 8 MiB behind its end and the
// rest once full and synced: growing the page cache takes memory a virtual
// machine's host may have to back again, which made such writes 2.4x as
// costly (docs/PERFORMANCE.md), while dropped pages serve the next writes.
//
// The next segment is made ready ahead by the helper as wal.spare: if it
// can, a segment a snapshot retired (kept as wal-<seq>.reuse, see
// retire_segments) whose pages are all still cached, else an empty file with
// a segment's worth of disk blocks allocated (disk::file::
// create_preallocated). A new segment is that file renamed, and written from
// offset 0 in recyclable records (protocol/WAL.md), which the reader tells
// from the retired segment's left behind them. Writing over a retired
// segment's cached pages allocates neither pages nor blocks: the loop's
// write() then costs 40% less (SET 1 KiB -P 1, docs/PERFORMANCE.md), and a
// write() that allocates blocks waits for the writeback (an everysec
// fdatasync) that holds the file's block map lock (5-12 ms seen on ext4).
// Creating and allocating (which may read block bitmaps from disk: 40 ms
// seen) stay off the loop.
//
// A failed write() (disk full, I/O error) marks the log failed: waiting
// writers are told, new writes are refused with the reason, reads go on,
// and the unwritten records are retried every second until the disk takes
// them again.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "dkv/config/node_config.hpp"
#include "dkv/disk/file.hpp"
#include "dkv/net/stream.hpp"
#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_writer.hpp"

namespace dkv::node {

class durable_log {
 public:
  static constexpr std::uint64_t segment_limit = 64u << 20;
  // Bytes written between two page cache steps (see write_back_step).
  static constexpr std::uint64_t writeback_step = 1u << 20;

  // `helper` runs fdatasync and the writeback steps, closes full segments,
  // syncs the directory entries of new ones, prepares wal.spare and keeps or
  // deletes retired segments.
  durable_log(boost::asio::any_io_executor ex, boost::asio::thread_pool& helper,
              std::string dir, config::fsync_mode mode);
  durable_log(const durable_log&) = delete;
  durable_log& operator=(const durable_log&) = delete;

  // Opens a new segment with sequence `seq` and syncs the directory
  // (start-up only: blocks). Error message or empty.
  std::string open(std::uint64_t seq);

  // Appends a record; returns its log sequence number (> 0), or 0 when the
  // log has failed (see failure()).
  std::uint64_t append(const wal::entry& e);
  bool failed() const noexcept { return !failure_.empty(); }
  std::uint64_t last_appended() const noexcept { return appended_; }
  const std::string& failure() const noexcept { return failure_; }

  // Waits until record `lsn` is acknowledged durable under the fsync mode
  // (written for no/everysec, synced for always). False when the log failed
  // first: the write's fate is then unknown and must not be acknowledged.
  boost::asio::awaitable<bool> async_wait(std::uint64_t lsn);
  // Whether async_wait(lsn) would return true at once.
  bool acked(std::uint64_t lsn) const noexcept {
    return (mode_ == config::fsync_mode::always ? synced_ : written_) >= lsn;
  }

  // Resumes `r` right after the group commit already scheduled for this
  // loop turn has run, whatever its outcome; false (and `r` is not kept)
  // when none is scheduled.
  bool resume_after_flush(net::resumable& r);

  // Waits until record `lsn` is fsynced, whatever the fsync mode (asks for
  // a sync if needed). False when the log failed first.
  boost::asio::awaitable<bool> async_wait_synced(std::uint64_t lsn);
  bool synced(std::uint64_t lsn) const noexcept { return synced_ >= lsn; }

  // Starts a new segment now (for a snapshot) and returns its sequence, or
  // 0 when the log has failed (it does not roll then).
  std::uint64_t roll();
  // A snapshot made the segments below `below` redundant: the helper keeps
  // the newest of them whose pages are all cached, and of those kept
  // before, as many as it retires and at least the reuse target, as
  // wal-<seq>.reuse (while the file system has as much room free besides),
  // for later segments to be written over, and deletes the rest.
  void retire_segments(std::uint64_t below);
  // The reuse target, in segments: about as many as the log fills between
  // two snapshots (the snapshotter keeps it up to date).
  void set_reuse_target(std::uint64_t segments) noexcept { reuse_target_ = segments; }
  std::uint64_t segment_seq() const noexcept { return segment_seq_; }
  // Segments begun since the start over a retired segment's file.
  std::uint64_t segments_written_over() const noexcept { return written_over_; }
  // WAL bytes and segments a snapshot would retire: counted since the last
  // reset_since(), plus what add_since() gives back (what recovery replayed,
  // or what a failed snapshot did not retire after all).
  std::uint64_t bytes_since() const noexcept { return bytes_since_; }
  std::uint64_t segments_since() const noexcept { return segments_since_; }
  void reset_since() noexcept { bytes_since_ = 0; segments_since_ = 0; }
  void add_since(std::uint64_t bytes, std::uint64_t segments) noexcept {
    bytes_since_ += bytes;
    segments_since_ += segments;
  }

  // Writes and syncs everything appended so far, blocking (start-up only).
  std::string sync_now();
  // Flushes and syncs everything, blocking (for shutdown).
  void close();

 private:
  // Creates segment `seq` and makes it the current one; its directory entry
  // is not synced yet. Error message or empty.
  std::string create_segment(std::uint64_t seq);
  // Has the helper make wal.spare ready, unless it is ready or on its way.
  void prepare_spare();
  // Helper thread: opens the newest wal-<seq>.reuse whose pages are all
  // cached as `out` and renames it wal.spare, deleting those tried before
  // that are not; false when there is none.
  static bool reuse_retired(const std::string& dir, disk::file& out);
  // Helper thread: bytes of the segments and kept files in the page cache.
  static std::uint64_t cached_log_bytes(const std::string& dir);
  void flush();
  // The scheduled group commit: flush, then resume the parked streams.
  void commit();
  // Hands what was written since the last step to the helper's writeback,
  // once that is writeback_step or more.
  void write_back_step();
  void request_sync();
  void on_synced(std::uint64_t lsn, int err);
  void notify();
  void start_timer();

  boost::asio::any_io_executor ex_;
  boost::asio::thread_pool& helper_;
  std::string dir_;
  config::fsync_mode mode_;

  disk::file segment_;
  disk::file spare_;  // wal.spare, open once ready
  bool spare_pending_ = false;
  bool spare_reused_ = false;  // spare_ is a retired segment's file
  bool spare_keeps_ = false;   // the segment spare_ becomes keeps its pages cached
  bool keep_pages_ = false;    // the current segment keeps its pages cached
  std::uint64_t reuse_target_ = 2;
  std::uint64_t written_over_ = 0;
  std::uint64_t segment_seq_ = 0;
  std::uint64_t file_size_ = 0;  // bytes of the segment known written
  std::uint64_t writeback_from_ = 0;  // bytes of the segment not yet handed to writeback
  wal::log_writer writer_;
  std::string pending_;      // records not yet written
  bool flush_posted_ = false;
  std::vector<net::resumable*> parked_;    // to resume after the posted flush
  std::vector<net::resumable*> resuming_;  // parked_ while they are resumed

  std::uint64_t appended_ = 0;  // last lsn appended
  std::uint64_t written_ = 0;   // last lsn written to the file
  std::uint64_t synced_ = 0;    // last lsn known synced
  bool sync_in_flight_ = false;
  bool sync_again_ = false;
  std::uint64_t bytes_since_ = 0;
  std::uint64_t segments_since_ = 0;
  std::string failure_;
  bool synced_ok_ = true;  // false after a failed fsync: no retry can help

  boost::asio::steady_timer progress_;  // waiters park here; cancel() wakes them
  boost::asio::steady_timer timer_;     // everysec sync and failed-write retry
  bool timer_running_ = false;
  bool closed_ = false;
};

}  // namespace dkv::node
