#include "dkv/disk/writeback.hpp"

#include <fcntl.h>

#include <cerrno>

namespace dkv::disk {
namespace {

constexpr std::uint64_t page_size = 4096;

std::error_code sync_range(int fd, std::uint64_t offset, std::uint64_t length,
                           unsigned flags) noexcept {
  return ::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), flags) == 0
             ? std::error_code{}
             : std::error_code{errno, std::generic_category()};
}

}  // namespace

std::uint64_t drop_target(std::uint64_t dropped, std::uint64_t end) noexcept {
  if (end < dropped + 2 * drop_lag) return dropped;
  return (end - drop_lag) & ~(page_size - 1);
}

std::error_code write_back_behind(int fd, std::uint64_t start, std::uint64_t end,
                                  std::uint64_t dropped, std::uint64_t upto) noexcept {
  if (end > start) {
    if (auto ec = sync_range(fd, start, end - start, SYNC_FILE_RANGE_WRITE)) return ec;
  }
  if (upto <= dropped) return {};
  if (auto ec = sync_range(fd, dropped, upto - dropped,
                           SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                               SYNC_FILE_RANGE_WAIT_AFTER))
    return ec;
  ::posix_fadvise(fd, static_cast<off_t>(dropped), static_cast<off_t>(upto - dropped),
                  POSIX_FADV_DONTNEED);
  return {};
}

}  // namespace dkv::disk
