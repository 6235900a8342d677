#include "huge_pages.hpp"

#include <limits.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

namespace dkv::app {
namespace {

constexpr std::string_view tunable = "glibc.malloc.hugetlb";
constexpr const char* thp_mode_file = "/sys/kernel/mm/transparent_hugepage/enabled";

// The file reads e.g. "always [madvise] never": glibc's madvise works in
// the first two modes.
bool kernel_has_thp() {
  std::ifstream f(thp_mode_file);
  std::string mode;
  if (!std::getline(f, mode)) return false;
  return mode.find("[never]") == std::string::npos;
}

// This program's file. Executing its path rather than /proc/self/exe keeps
// the process name "kv-node" (ps, pidof, pkill); a binary replaced since it
// started reads "... (deleted)" and is reached through /proc/self/exe.
std::string own_path() {
  constexpr const char* fallback = "/proc/self/exe";
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink(fallback, buf.data(), buf.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buf.size()) return fallback;
  const std::string path(buf.data(), static_cast<std::size_t>(n));
  return path.ends_with(" (deleted)") ? fallback : path;
}

}  // namespace

heap_choice use_huge_pages(bool wanted, char** argv) {
  if (!wanted) return {heap_pages::off};
  if (!kernel_has_thp()) return {heap_pages::unavailable};
  // (Re-executing would find the tunable erased, and re-execute forever.)
  if (::getauxval(AT_SECURE) != 0) return {heap_pages::privileged};
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::string value = current ? current : "";
  const std::string on = std::string(tunable) + "=1";
  if (value.find(tunable) != std::string::npos) {
    return {value.find(on) != std::string::npos ? heap_pages::huge : heap_pages::preset};
  }
  if (!value.empty()) value += ':';
  value += on;
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) == 0) ::execv(own_path().c_str(), argv);
  return {heap_pages::failed, errno};
}

std::string describe(const heap_choice& c) {
  switch (c.pages) {
    case heap_pages::huge:
      return "heap on transparent huge pages (glibc.malloc.hugetlb=1)";
    case heap_pages::preset:
      return "heap pages as GLIBC_TUNABLES sets glibc.malloc.hugetlb";
    case heap_pages::off:
      return "heap on normal pages (--huge-pages off)";
    case heap_pages::unavailable:
      return std::string("heap on normal pages: transparent huge pages are off in ") +
             thp_mode_file;
    case heap_pages::privileged:
      return "heap on normal pages: glibc ignores GLIBC_TUNABLES in a process with setuid "
             "or file capabilities";
    case heap_pages::failed:
      return std::string("heap on normal pages: re-executing with huge pages failed: ") +
             std::strerror(c.error);
  }
  return {};
}

}  // namespace dkv::app
