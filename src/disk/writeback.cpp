#include "dkv/disk/writeback.hpp"

#include <fcntl.h>

#include <cerrno>

#include "dkv/disk/file.hpp"

namespace dkv::disk {

std::uint64_t drop_point(std::uint64_t end) noexcept {
  return end < drop_lag ? 0 : (end - drop_lag) & ~(page_bytes - 1);
}

std::error_code start_writeback(int fd, std::uint64_t from, std::uint64_t end) noexcept {
  if (::sync_file_range(fd, static_cast<off_t>(from), static_cast<off_t>(end - from),
                        SYNC_FILE_RANGE_WRITE) != 0)
    return {errno, std::generic_category()};
  return {};
}

std::error_code write_back_step(int fd, std::uint64_t from, std::uint64_t end) noexcept {
  if (auto ec = start_writeback(fd, from, end)) return ec;
  const std::uint64_t dropped = drop_point(from), upto = drop_point(end);
  if (upto > dropped) drop_cached(fd, dropped, upto - dropped);
  return {};
}

}  // namespace dkv::disk
