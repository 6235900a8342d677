#include "dkv/disk/writeback.hpp"

#include <fcntl.h>

#include <cerrno>

#include "dkv/disk/file.hpp"

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

std::uint64_t drop_point(std::uint64_t end) noexcept {
  return end < drop_lag ? 0 : (end - drop_lag) & ~(page_size - 1);
}

std::uint64_t drop_target(std::uint64_t dropped, std::uint64_t end) noexcept {
  return end < dropped + 2 * drop_lag ? dropped : drop_point(end);
}

std::error_code start_writeback(int fd, std::uint64_t offset, std::uint64_t length) noexcept {
  return sync_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

std::error_code write_back_and_drop(int fd, std::uint64_t offset, std::uint64_t length) noexcept {
  if (auto ec = sync_range(fd, offset, length,
                           SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                               SYNC_FILE_RANGE_WAIT_AFTER))
    return ec;
  drop_cached(fd, offset, length);
  return {};
}

}  // namespace dkv::disk
