#include "dkv/disk/record_stream.hpp"

#include <algorithm>

#include "dkv/wal/log_format.hpp"

namespace dkv::disk {

std::error_code record_stream::open(const std::string& path) {
  if (auto ec = file::open_read(path, file_)) return ec;
  if (auto ec = file_.size(size_)) return ec;
  base_ = good_end_ = 0;
  buffer_.clear();
  return fill();
}

std::error_code record_stream::fill() {
  const std::uint64_t base = good_end_ / wal::block_size * wal::block_size;
  const std::uint64_t length = std::min(window_, size_ - base);
  if (base > base_) drop_cached(file_.fd(), base_, base - base_);  // read and done with
  buffer_.resize(static_cast<std::size_t>(length));
  std::size_t got = 0;
  if (auto ec = file_.read_at(base, buffer_.data(), buffer_.size(), got)) return ec;
  buffer_.resize(got);  // shorter than it was: read as such
  base_ = base;
  reader_.emplace(buffer_, good_end_ - base);
  return {};
}

wal::read_status record_stream::next(std::string_view& record) {
  if (read_error_) return wal::read_status::corrupt;
  for (;;) {
    const wal::read_status st = reader_->next(record);
    if (st == wal::read_status::record) {
      good_end_ = base_ + reader_->good_end();
      return st;
    }
    // Ending or cut short at the window's end, short of the file's: the
    // record may go on. Read on from its block, with a window twice as
    // large if this one started there already (the record is larger).
    const bool window_ends_early = base_ + buffer_.size() < size_;
    if (st == wal::read_status::corrupt || !window_ends_early) {
      drop_cached(file_.fd(), base_, 0);
      return st;
    }
    if (good_end_ / wal::block_size * wal::block_size == base_) window_ *= 2;
    if ((read_error_ = fill())) return wal::read_status::corrupt;
  }
}

}  // namespace dkv::disk
