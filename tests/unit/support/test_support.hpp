#pragma once
// Helpers shared by the unit tests (header-only; not a test of its own: the
// CMake glob only builds tests/unit/*_test.cpp). A test includes it once, as
// "support/test_support.hpp", after <boost/test/unit_test.hpp>.
//
// Always there: hex conversion of the byte dumps in protocol/PROTOCOL.md and
// protocol/WAL.md; scratch files and directories that remove themselves.
// Opt-in sections, chosen by defining the macro before the include (the
// header is #pragma once, so the first include decides):
//
//   DKV_TEST_COUNT_ALLOCATIONS  replaces the global operator new/delete of the
//                               test binary with a counting one, so that
//                               "nothing is allocated" can be checked, not
//                               just promised: allocations_during(f).
//                               Replacement allocation functions may not be
//                               inline, so exactly one translation unit per
//                               executable may define this macro (each
//                               *_test.cpp is its own executable).
//   DKV_TEST_FRAME_HELPERS      frame checks for the binary protocol:
//                               parse_one, parse_reply, check_encodes_to,
//                               body_of (needs dkv_protocol).

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace dkv::test {

// ---- hex helpers -------------------------------------------------------------

// Parses a PROTOCOL.md / WAL.md dump: space-separated two-digit hex bytes; "|"
// tokens separate fields and are skipped. Anything else is an error in the
// vector.
inline std::string from_hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\n') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(text.find_first_of(" \n", i), text.size());
    const std::string_view tok = text.substr(i, end - i);
    i = end;
    if (tok == "|") continue;
    if (tok.size() != 2 || nibble(tok[0]) < 0 || nibble(tok[1]) < 0)
      throw std::invalid_argument("bad hex token: " + std::string(tok));
    out.push_back(static_cast<char>(nibble(tok[0]) * 16 + nibble(tok[1])));
  }
  return out;
}

// Canonical "DB 01 ..." rendering, so that a mismatch prints readable bytes.
inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// ---- scratch files and directories --------------------------------------------

// A path of the test's own, `name`.<pid>.<n>, under `under`: the system's
// temp dir by default, or e.g. the working directory (the build tree) where
// a test needs a disk file system (/tmp may be a tmpfs). Whatever is there
// is removed when it is made and when it goes out of scope; it creates
// nothing itself (scratch_dir and scratch_file do).
class scratch {
 public:
  explicit scratch(std::string_view name,
                   const std::filesystem::path& under = std::filesystem::temp_directory_path()) {
    static int made = 0;
    path_ = (under / (std::string(name) + "." + std::to_string(::getpid()) + "." +
                      std::to_string(made++)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// A scratch path with an empty directory at it.
struct scratch_dir : scratch {
  explicit scratch_dir(std::string_view name,
                       const std::filesystem::path& under = std::filesystem::temp_directory_path())
      : scratch(name, under) {
    std::filesystem::create_directories(path());
  }
};

// A scratch path with a file holding `content` at it.
struct scratch_file : scratch {
  scratch_file(std::string_view name, std::string_view content) : scratch(name) {
    std::ofstream(path(), std::ios::binary).write(content.data(),
                                                  static_cast<std::streamsize>(content.size()));
  }
};

}  // namespace dkv::test

// ---- allocation counter (opt-in) ---------------------------------------------
#ifdef DKV_TEST_COUNT_ALLOCATIONS

#include <cstdlib>
#include <new>

// GCC cannot see that these deletes pair with the malloc-based news below.
// Deliberately not popped: it stays in force for the rest of the test file,
// as it did when each test defined the counter itself.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace dkv::test {

// Constant-initialized, so it is ready before any dynamic initializer allocates.
inline std::size_t allocations = 0;

// Counts the allocations made while `f` runs.
template <class F>
std::size_t allocations_during(F&& f) {
  const std::size_t before = allocations;
  f();
  return allocations - before;
}

}  // namespace dkv::test

void* operator new(std::size_t n) {
  ++dkv::test::allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#endif  // DKV_TEST_COUNT_ALLOCATIONS

// ---- binary protocol frames (opt-in) -----------------------------------------
#ifdef DKV_TEST_FRAME_HELPERS

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::test {

// Parses `bytes` as exactly one complete frame and checks its header.
inline dkv::protocol::frame_parse_result parse_one(const std::string& bytes, std::uint8_t opc,
                                                   std::uint32_t rid, std::uint8_t flags) {
  namespace p = dkv::protocol;
  const auto f = p::parse_frame(bytes, p::default_max_frame);
  BOOST_TEST_REQUIRE((f.state == p::parse_state::complete));
  BOOST_TEST(f.consumed == bytes.size());
  BOOST_TEST(f.header.version == p::wire_version);
  BOOST_TEST(f.header.opcode == opc);
  BOOST_TEST(f.header.flags == flags);
  BOOST_TEST(f.header.request_id == rid);
  BOOST_TEST(f.header.body_length == bytes.size() - p::header_size);
  BOOST_TEST(f.body.size() == f.header.body_length);
  return f;
}

// Parses a reply frame and its status byte.
inline dkv::protocol::reply_view parse_reply(const std::string& bytes, std::uint8_t opc,
                                             std::uint32_t rid) {
  const auto f = parse_one(bytes, opc, rid, dkv::protocol::flag::reply);
  const auto r = dkv::protocol::decode_reply(f.body);
  BOOST_TEST_REQUIRE(r.has_value());
  return *r;
}

// Checks that `encode(out)` writes exactly the bytes of the dump `hex`.
template <class Encode>
void check_encodes_to(std::string_view hex, Encode&& encode) {
  std::string out;
  encode(out);
  BOOST_TEST(to_hex(out) == to_hex(from_hex(hex)));
}

// The body of the frame dump `hex` (the frame minus its header).
inline std::string body_of(std::string_view hex) {
  return from_hex(hex).substr(dkv::protocol::header_size);
}

}  // namespace dkv::test

#endif  // DKV_TEST_FRAME_HELPERS
