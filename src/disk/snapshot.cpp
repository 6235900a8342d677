#include "dkv/disk/snapshot.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "dkv/common/bytes.hpp"
#include "dkv/disk/writeback.hpp"

namespace dkv::disk {
namespace {

std::optional<std::string_view> take(std::string_view& s, std::size_t n) {
  if (s.size() < n) return std::nullopt;
  const auto v = s.substr(0, n);
  s.remove_prefix(n);
  return v;
}

}  // namespace

std::string encode_snapshot_header(const snapshot_header& h) {
  std::string out(snapshot_magic);
  common::append_u64_be(out, h.first_wal_segment);
  common::append_u32_be(out, static_cast<std::uint32_t>(h.node_id.size()));
  out.append(h.node_id);
  return out;
}

std::optional<snapshot_header> decode_snapshot_header(std::string_view p) {
  const auto magic = take(p, snapshot_magic.size());
  const auto seg = take(p, 8);
  const auto len = take(p, 4);
  if (!magic || *magic != snapshot_magic || !seg || !len) return std::nullopt;
  const auto id = take(p, common::load_u32_be(len->data()));
  if (!id || !p.empty()) return std::nullopt;
  return snapshot_header{common::load_u64_be(seg->data()), *id};
}

std::string encode_snapshot_trailer(std::uint64_t entry_count) {
  std::string out(snapshot_end_magic);
  common::append_u64_be(out, entry_count);
  return out;
}

std::optional<std::uint64_t> decode_snapshot_trailer(std::string_view p) {
  const auto magic = take(p, snapshot_end_magic.size());
  const auto count = take(p, 8);
  if (!magic || *magic != snapshot_end_magic || !count || !p.empty()) return std::nullopt;
  return common::load_u64_be(count->data());
}

std::error_code snapshot_writer::begin(const std::string& final_path, const snapshot_header& h,
                                       const std::string& spare_path) {
  final_path_ = final_path;
  tmp_path_ = final_path + ".tmp";
  std::error_code ignored;
  std::filesystem::remove(tmp_path_, ignored);
  std::filesystem::rename(spare_path, tmp_path_, ignored);  // no spare: a new file
  if (auto ec = file::open_overwrite(tmp_path_, file_)) return ec;
  writer_ = wal::log_writer(0);
  buffer_.clear();
  entries_ = 0;
  sealed_ = false;
  staged_ = 0;
  staging_.reset();
  if (file_.try_direct_io()) {
    staging_.reset(static_cast<char*>(std::aligned_alloc(direct_io_align, direct_chunk)));
    if (!staging_) return std::make_error_code(std::errc::not_enough_memory);
  }
  writer_.add_record(encode_snapshot_header(h), buffer_);
  return {};
}

void snapshot_writer::add(const wal::entry& e) {
  wal::add_entry_record(writer_, e, buffer_);
  ++entries_;
}

void snapshot_writer::add(const store::entry& e) {
  add(wal::entry{e.tombstone() ? wal::op::del : wal::op::put, e.ver().hlc, e.ver().node, e.key(),
                 e.value()});
}

void snapshot_writer::seal() {
  writer_.add_record(encode_snapshot_trailer(entries_), buffer_);
  sealed_ = true;
}

std::error_code snapshot_writer::write_buffered() {
  std::string_view rest = buffer_;
  std::error_code ec;
  if (direct()) {
    while (!rest.empty() && !ec) {
      const std::size_t n = std::min(rest.size(), direct_chunk - staged_);
      std::memcpy(staging_.get() + staged_, rest.data(), n);
      staged_ += n;
      rest.remove_prefix(n);
      if (staged_ == direct_chunk) ec = write_staged();
    }
    if (!ec && sealed_ && staged_ > 0) {
      const std::size_t padded = (staged_ + direct_io_align - 1) & ~(direct_io_align - 1);
      std::memset(staging_.get() + staged_, 0, padded - staged_);
      staged_ = padded;
      ec = write_staged();
    }
  } else if (!rest.empty()) {
    ec = file_.write_all(rest);
    const std::uint64_t end = writer_.offset();
    if (!ec) ec = write_back_step(file_.fd(), end - rest.size(), end);
  }
  buffer_.clear();
  return ec;
}

std::error_code snapshot_writer::write_staged() {
  const std::size_t n = std::exchange(staged_, 0);
  return file_.write_all({staging_.get(), n});
}

std::error_code snapshot_writer::publish(int fd, std::uint64_t size, const std::string& tmp_path,
                                         const std::string& final_path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return {errno, std::generic_category()};
  if (::fdatasync(fd) != 0) return {errno, std::generic_category()};
  drop_cached(fd);
  if (std::rename(tmp_path.c_str(), final_path.c_str()) != 0)
    return {errno, std::generic_category()};
  return sync_dir(std::filesystem::path(final_path).parent_path().string());
}

void snapshot_writer::abort() {
  file_.close();
  std::error_code ignored;
  std::filesystem::remove(tmp_path_, ignored);
}

}  // namespace dkv::disk
