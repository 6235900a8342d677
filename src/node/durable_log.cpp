#include "dkv/node/durable_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/disk/data_dir.hpp"
#include "dkv/disk/writeback.hpp"
#include "dkv/log/log.hpp"
#include "dkv/wal/log_format.hpp"

namespace dkv::node {

namespace asio = boost::asio;

namespace {

// Whether every page of the file at `path` is in the page cache: a write()
// into a page that is not would wait for it to be read from disk.
bool fully_cached(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  const auto cached = disk::cached_bytes(path);
  return !ec && cached && *cached >= size;
}

// Whether the file at `path` begins with a recyclable fragment: only such a
// file is written over. The reader goes by its first fragment, and would read
// an older version's 7-byte records as a new segment's own if none of the
// new ones had reached the disk.
bool recyclable_file(const std::string& path) {
  disk::file f;
  char header[wal::recyclable_header_size];
  std::size_t got = 0;
  if (disk::file::open_read(path, f) || f.read_at(0, header, sizeof header, got) ||
      got != sizeof header)
    return false;
  return wal::is_recyclable(static_cast<std::uint8_t>(header[6]));
}

}  // namespace

// Invariants: appended_ >= written_ >= synced_. pending_ holds exactly the
// records appended_ - written_, framed as if written at file offset
// file_size_, so a failed write can be retried byte for byte after the file
// is truncated back to file_size_.

durable_log::durable_log(asio::any_io_executor ex, asio::thread_pool& helper, std::string dir,
                         config::fsync_mode mode)
    : ex_(ex),
      helper_(helper),
      dir_(std::move(dir)),
      mode_(mode),
      progress_(ex, asio::steady_timer::time_point::max()),
      timer_(ex) {}

std::string durable_log::open(std::uint64_t seq) {
  if (auto err = create_segment(seq); !err.empty()) return err;
  // A plain new file, as every first segment: the same rule as for spares.
  keep_pages_ = cached_log_bytes(dir_) + segment_limit <= reuse_target_ * segment_limit;
  if (const auto ec = disk::sync_dir(dir_)) return "cannot sync data dir: " + ec.message();
  return {};
}

std::string durable_log::create_segment(std::uint64_t seq) {
  const std::string path = disk::segment_path(dir_, seq);
  // Without a ready spare (the helper is behind, or the spare was removed),
  // the segment is created here, as a plain file.
  if (spare_.is_open() && std::rename(disk::wal_spare_path(dir_).c_str(), path.c_str()) == 0) {
    segment_ = std::move(spare_);
    written_over_ += spare_reused_;
    keep_pages_ = spare_keeps_;
  } else if (const auto ec = disk::file::open_overwrite(path, segment_)) {
    return "cannot open WAL segment " + path + ": " + ec.message();
  } else {
    keep_pages_ = false;
  }
  spare_.close();
  prepare_spare();
  segment_seq_ = seq;
  ++segments_since_;
  // Recyclable records: the spare may be a retired segment's file, whose
  // records are told from this segment's by the number they carry.
  writer_ = wal::log_writer::for_segment(wal::segment_number(seq));
  file_size_ = writeback_from_ = 0;
  if (!timer_running_) start_timer();
  return {};
}

std::uint64_t durable_log::append(const wal::entry& e) {
  if (failed() || closed_) return 0;
  wal::add_entry_record(writer_, e, pending_);
  ++appended_;
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(ex_, [this] { commit(); });
  }
  return appended_;
}

bool durable_log::resume_after_flush(net::resumable& r) {
  if (!flush_posted_) return false;
  parked_.push_back(&r);
  return true;
}

void durable_log::commit() {
  flush_posted_ = false;
  flush();
  // A resumed stream may park again, for the next commit: it goes to the
  // emptied parked_, not to the list being walked.
  resuming_.swap(parked_);
  for (net::resumable* r : resuming_) r->resume();
  resuming_.clear();
}

void durable_log::flush() {
  if (pending_.empty() || !segment_.is_open()) return;
  if (const auto ec = segment_.write_all_at(file_size_, pending_)) {
    // Cut a partial write back off, so the retry appends whole records.
    segment_.truncate(file_size_);
    if (!failed()) {
      failure_ = "disk error on WAL write: " + ec.message();
      log::error() << failure_ << "; refusing writes, retrying every second";
    }
    notify();
    return;
  }
  file_size_ += pending_.size();
  if (file_size_ - writeback_from_ >= writeback_step) write_back_step();
  bytes_since_ += pending_.size();
  pending_.clear();
  written_ = appended_;
  if (failed() && synced_ok_) {
    log::info() << "WAL writes work again; accepting writes";
    failure_.clear();
  }
  if (mode_ == config::fsync_mode::always) request_sync();
  else notify();
  if (file_size_ >= segment_limit) roll();
}

void durable_log::write_back_step() {
  // Whole pages only: the next write() goes on in the page that holds the
  // end, and a write() into a page whose writeback is being started waits
  // for that page's lock (0.25-0.5 ms of the loop, docs/PERFORMANCE.md).
  const std::uint64_t start = writeback_from_, end = file_size_ & ~(disk::page_bytes - 1);
  writeback_from_ = end;
  // Before any close of this segment on the FIFO helper: the descriptor is
  // still open when this runs. Small steps keep each of the helper's kernel
  // calls short (8 MiB steps took about a millisecond each, during which
  // the loop could wait for its CPU). Writeback errors reach the next
  // fdatasync.
  asio::post(helper_, [fd = segment_.fd(), start, end, keep = keep_pages_] {
    (void)(keep ? disk::start_writeback(fd, start, end) : disk::write_back_step(fd, start, end));
  });
}

void durable_log::request_sync() {
  if (sync_in_flight_) {
    sync_again_ = true;
    return;
  }
  sync_in_flight_ = true;
  const int fd = segment_.fd();
  const std::uint64_t lsn = written_;
  asio::post(helper_, [this, fd, lsn, ex = ex_] {
    // Helper thread: touches nothing but the descriptor.
    const int err = ::fdatasync(fd) == 0 ? 0 : errno;
    asio::post(ex, [this, lsn, err] {
      sync_in_flight_ = false;
      on_synced(lsn, err);
    });
  });
}

void durable_log::on_synced(std::uint64_t lsn, int err) {
  // After a failed fsync (of a segment or of the directory) the kernel may
  // have dropped the dirty pages: nothing after the last good sync can be
  // trusted to be on disk, whatever a later sync reports.
  if (!synced_ok_) return;
  if (err != 0) {
    synced_ok_ = false;
    failure_ = std::string("disk error on WAL fsync: ") + std::strerror(err);
    log::error() << failure_ << "; refusing writes until restart";
    notify();
    return;
  }
  if (lsn > synced_) synced_ = lsn;
  notify();
  if (sync_in_flight_) return;
  if (sync_again_ || (mode_ == config::fsync_mode::always && written_ > synced_)) {
    sync_again_ = false;
    request_sync();
  }
}

std::uint64_t durable_log::roll() {
  flush();
  // Unwritten records are framed for the current segment: never roll past them.
  if (failed()) return 0;
  const int old = segment_.release();
  const bool drop = !keep_pages_;
  const std::uint64_t lsn = written_;
  const std::uint64_t seq = segment_seq_ + 1;
  if (const auto err = create_segment(seq); !err.empty()) {
    failure_ = err;
    log::error() << failure_;
    notify();
  }
  // The retired segment's sync and the new one's directory entry go to the
  // helper: a directory fsync can wait for a journal commit of everything
  // dirty, far too long for the loop. The helper is FIFO: any sync already
  // posted for `old` runs before this close, and this runs before any sync
  // of the new segment, so no record of it is reported synced before the
  // file itself is in the directory for good.
  asio::post(helper_, [this, old, drop, lsn, dir = dir_, ex = ex_] {
    int err = ::fdatasync(old) == 0 ? 0 : errno;
    // Synced and full: read again only if the node restarts before the
    // next snapshot retires it. Kept pages wait for a later segment to be
    // written over them (retire_segments); others serve the next writes.
    if (err == 0 && drop) disk::drop_cached(old);
    ::close(old);
    if (err == 0) err = disk::sync_dir(dir).value();
    asio::post(ex, [this, lsn, err] { on_synced(lsn, err); });
  });
  return seq;
}

void durable_log::prepare_spare() {
  if (spare_pending_ || spare_.is_open() || closed_) return;
  spare_pending_ = true;
  asio::post(helper_, [this, dir = dir_, ex = ex_, target = reuse_target_ * segment_limit] {
    // Helper thread: touches nothing but the files. A spare that cannot be
    // created is no error: segments are then created on the loop.
    disk::file f;
    const bool reused = reuse_retired(dir, f);
    if (!reused) (void)disk::file::create_preallocated(disk::wal_spare_path(dir), segment_limit, f);
    const bool keeps = reused || cached_log_bytes(dir) + segment_limit <= target;
    asio::post(ex, [this, f = std::move(f), reused, keeps]() mutable {
      spare_pending_ = false;
      spare_reused_ = reused;
      spare_keeps_ = keeps;
      if (!closed_) spare_ = std::move(f);
    });
  });
}

bool durable_log::reuse_retired(const std::string& dir, disk::file& out) {
  disk::dir_listing listing;
  if (disk::list_data_dir(dir, listing)) return false;
  // The most recently written first: the likeliest to be still cached.
  std::error_code ignored;
  for (auto it = listing.reusable.rbegin(); it != listing.reusable.rend(); ++it) {
    const std::string path = disk::reusable_path(dir, *it);
    if (fully_cached(path) && !disk::file::open_overwrite(path, out) &&
        std::rename(path.c_str(), disk::wal_spare_path(dir).c_str()) == 0)
      return true;
    out.close();
    std::filesystem::remove(path, ignored);
  }
  return false;
}

std::uint64_t durable_log::cached_log_bytes(const std::string& dir) {
  disk::dir_listing listing;
  if (disk::list_data_dir(dir, listing)) return 0;
  std::uint64_t bytes = 0;
  for (const auto seq : listing.segments)
    bytes += disk::cached_bytes(disk::segment_path(dir, seq)).value_or(0);
  for (const auto seq : listing.reusable)
    bytes += disk::cached_bytes(disk::reusable_path(dir, seq)).value_or(0);
  return bytes;
}

void durable_log::retire_segments(std::uint64_t below) {
  asio::post(helper_, [dir = dir_, below, keep = reuse_target_] {
    // Helper thread: unlinking a 64 MiB file takes the file system
    // milliseconds. The newest files are kept (their pages are the
    // likeliest to be cached): at least as many as this snapshot retires,
    // what the log took since the last one (it went on while the snapshot
    // was written).
    disk::dir_listing listing;
    if (disk::list_data_dir(dir, listing)) return;
    std::error_code ignored;
    const auto retired = static_cast<std::uint64_t>(
        std::lower_bound(listing.segments.begin(), listing.segments.end(), below) -
        listing.segments.begin());
    const std::uint64_t keep_at_most = std::max(keep, retired);
    std::uint64_t kept = 0;
    const auto keep_or_remove = [&](const std::string& path, const std::string& reusable) {
      if (kept < keep_at_most && fully_cached(path) && recyclable_file(path) &&
          disk::room_to_keep(dir, path)) {
        ++kept;
        if (path != reusable) std::filesystem::rename(path, reusable, ignored);
      } else {
        std::filesystem::remove(path, ignored);
      }
    };
    for (auto it = listing.segments.rbegin(); it != listing.segments.rend(); ++it)
      if (*it < below) keep_or_remove(disk::segment_path(dir, *it), disk::reusable_path(dir, *it));
    for (auto it = listing.reusable.rbegin(); it != listing.reusable.rend(); ++it)
      keep_or_remove(disk::reusable_path(dir, *it), disk::reusable_path(dir, *it));
  });
}

void durable_log::notify() { progress_.cancel(); }

asio::awaitable<bool> durable_log::async_wait(std::uint64_t lsn) {
  while (!acked(lsn)) {
    if (failed()) co_return false;
    co_await progress_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

asio::awaitable<bool> durable_log::async_wait_synced(std::uint64_t lsn) {
  while (synced_ < lsn) {
    if (failed()) co_return false;
    if (written_ >= lsn) request_sync();
    co_await progress_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

void durable_log::start_timer() {
  timer_running_ = true;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || closed_) {
      timer_running_ = false;
      return;
    }
    if (failed() && synced_ok_) flush();  // retry the unwritten records
    else if (!failed() && written_ > synced_ && mode_ != config::fsync_mode::no) request_sync();
    start_timer();
  });
}

std::string durable_log::sync_now() {
  flush();
  if (failed()) return failure_;
  if (const auto ec = segment_.sync()) return "WAL fsync failed: " + ec.message();
  synced_ = written_;
  return {};
}

void durable_log::close() {
  if (closed_) return;
  if (const auto err = sync_now(); !err.empty())
    log::error() << "shutting down with " << (appended_ - synced_)
                 << " WAL records possibly not on disk: " << err;
  closed_ = true;
  spare_.close();
  timer_.cancel();
  notify();
}

}  // namespace dkv::node
