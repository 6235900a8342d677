#include "dkv/disk/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <string_view>

namespace dkv::disk {
namespace {

constexpr std::string_view segment_prefix = "wal-", segment_suffix = ".log";
constexpr std::string_view reusable_suffix = ".reuse";
constexpr std::string_view snapshot_prefix = "snapshot-", snapshot_suffix = ".dat";
constexpr std::string_view node_state_name = "node.json";
constexpr std::string_view snapshot_spare_name = "snapshot.spare";
constexpr std::string_view wal_spare_name = "wal.spare";

bool parse_seq(std::string_view name, std::string_view prefix, std::string_view suffix,
               std::uint64_t& seq) {
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return false;
  const auto digits = name.substr(prefix.size(), 20);
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  return r.ec == std::errc() && r.ptr == digits.data() + digits.size();
}

std::string numbered(const std::string& dir, std::string_view prefix, std::uint64_t seq,
                     std::string_view suffix) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
  return dir + "/" + std::string(prefix) + digits + std::string(suffix);
}

}  // namespace

std::error_code list_data_dir(const std::string& dir, dir_listing& out) {
  out = {};
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    if (!de.is_regular_file()) continue;
    const std::string name = de.path().filename().string();
    std::uint64_t seq = 0;
    if (parse_seq(name, segment_prefix, segment_suffix, seq)) out.segments.push_back(seq);
    else if (parse_seq(name, snapshot_prefix, snapshot_suffix, seq)) out.snapshots.push_back(seq);
    else if (parse_seq(name, segment_prefix, reusable_suffix, seq)) out.reusable.push_back(seq);
    else if (name.ends_with(".json") && name != node_state_name) out.seed_files.push_back(name);
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.snapshots.begin(), out.snapshots.end());
  std::sort(out.reusable.begin(), out.reusable.end());
  std::sort(out.seed_files.begin(), out.seed_files.end());
  return ec;
}

std::string segment_path(const std::string& dir, std::uint64_t seq) {
  return numbered(dir, segment_prefix, seq, segment_suffix);
}

std::string snapshot_path(const std::string& dir, std::uint64_t seq) {
  return numbered(dir, snapshot_prefix, seq, snapshot_suffix);
}

std::string reusable_path(const std::string& dir, std::uint64_t seq) {
  return numbered(dir, segment_prefix, seq, reusable_suffix);
}

std::string node_state_path(const std::string& dir) {
  return dir + "/" + std::string(node_state_name);
}

std::string snapshot_spare_path(const std::string& dir) {
  return dir + "/" + std::string(snapshot_spare_name);
}

std::string wal_spare_path(const std::string& dir) {
  return dir + "/" + std::string(wal_spare_name);
}

bool room_to_keep(const std::string& dir, const std::string& path) {
  std::error_code size_ec, room_ec;
  const auto size = std::filesystem::file_size(path, size_ec);
  const auto room = std::filesystem::space(dir, room_ec);
  return !size_ec && !room_ec && room.available >= size;
}

std::error_code lock_data_dir(const std::string& dir, int& lock_fd) {
  const std::string path = dir + "/LOCK";
  lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return {errno, std::generic_category()};
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const std::error_code ec{errno, std::generic_category()};
    ::close(lock_fd);
    lock_fd = -1;
    return ec;
  }
  return {};
}

}  // namespace dkv::disk
