#include "dkv/disk/file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

namespace dkv::disk {
namespace {

std::error_code last_error() noexcept { return {errno, std::generic_category()}; }

std::error_code open_with(const std::string& path, int flags, file& out) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return last_error();
  out = file(fd);
  return {};
}

// Writes all of `data` through `write_some(bytes, size, done)` (a write(2)
// of `size` bytes at `bytes`, `done` written so far), retrying short writes
// and EINTR.
template <class WriteSome>
std::error_code write_fully(std::string_view data, WriteSome write_some) noexcept {
  std::uint64_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write_some(data.data() + done, data.size() - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    done += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace

file& file::operator=(file&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.release();
  }
  return *this;
}

std::error_code file::open_append(const std::string& path, file& out) {
  return open_with(path, O_WRONLY | O_CREAT | O_APPEND, out);
}

std::error_code file::open_overwrite(const std::string& path, file& out) {
  return open_with(path, O_WRONLY | O_CREAT, out);
}

std::error_code file::create_preallocated(const std::string& path, std::uint64_t bytes,
                                         file& out) {
  if (auto ec = open_with(path, O_WRONLY | O_CREAT | O_TRUNC, out)) return ec;
  // A partial allocation (out of space) would hold blocks the data dir's
  // other files need: give them back.
  if (::fallocate(out.fd(), FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) != 0)
    (void)out.truncate(0);
  return {};
}

std::error_code file::open_read(const std::string& path, file& out) {
  return open_with(path, O_RDONLY, out);
}

void file::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::error_code file::write_all(std::string_view data) noexcept {
  return write_fully(data, [fd = fd_](const char* p, std::size_t n, std::uint64_t) {
    return ::write(fd, p, n);
  });
}

std::error_code file::write_all_at(std::uint64_t offset, std::string_view data) noexcept {
  return write_fully(data, [fd = fd_, offset](const char* p, std::size_t n, std::uint64_t done) {
    return ::pwrite(fd, p, n, static_cast<off_t>(offset + done));
  });
}

std::error_code file::read_at(std::uint64_t offset, char* data, std::size_t size,
                              std::size_t& got) const noexcept {
  got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd_, data + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return {};
}

bool file::try_direct_io() noexcept {
  struct statx st {};
  if (::statx(fd_, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) != 0 ||
      !(st.stx_mask & STATX_DIOALIGN))
    return false;
  const auto divides_align = [](std::uint32_t a) { return a != 0 && direct_io_align % a == 0; };
  if (!divides_align(st.stx_dio_mem_align) || !divides_align(st.stx_dio_offset_align))
    return false;
  const int flags = ::fcntl(fd_, F_GETFL);
  return flags >= 0 && ::fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0;
}

std::error_code file::sync() noexcept {
  return ::fdatasync(fd_) == 0 ? std::error_code{} : last_error();
}

std::error_code file::truncate(std::uint64_t size) noexcept {
  return ::ftruncate(fd_, static_cast<off_t>(size)) == 0 ? std::error_code{} : last_error();
}

std::error_code file::size(std::uint64_t& out) const noexcept {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return last_error();
  out = static_cast<std::uint64_t>(st.st_size);
  return {};
}

void drop_cached(int fd, std::uint64_t offset, std::uint64_t length) noexcept {
  ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_DONTNEED);
}

std::optional<std::uint64_t> cached_bytes(const std::string& path) noexcept {
  file f;
  std::uint64_t size = 0;
  if (file::open_read(path, f) || f.size(size)) return std::nullopt;
  if (size == 0) return 0;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd(), 0);
  if (map == MAP_FAILED) return std::nullopt;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  const bool known = ::mincore(map, size, resident.data()) == 0;
  ::munmap(map, size);
  if (!known) return std::nullopt;
  return page * static_cast<std::uint64_t>(
                    std::count_if(resident.begin(), resident.end(), [](auto r) { return r & 1; }));
}

std::error_code read_file(const std::string& path, std::string& out) {
  file f;
  if (auto ec = file::open_read(path, f)) return ec;
  std::uint64_t size = 0;
  if (auto ec = f.size(size)) return ec;
  out.resize(size);
  std::size_t got = 0;
  const auto ec = f.read_at(0, out.data(), out.size(), got);
  out.resize(got);
  return ec;
}

std::error_code sync_dir(const std::string& dir) noexcept {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  const int r = ::fsync(fd);
  const std::error_code ec = r == 0 ? std::error_code{} : last_error();
  ::close(fd);
  return ec;
}

std::error_code write_file_atomic(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    file f;
    if (auto ec = open_with(tmp, O_WRONLY | O_CREAT | O_TRUNC, f)) return ec;
    if (auto ec = f.write_all(data)) return ec;
    if (auto ec = f.sync()) return ec;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return last_error();
  return sync_dir(std::filesystem::path(path).parent_path().string());
}

}  // namespace dkv::disk
