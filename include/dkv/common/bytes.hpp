#pragma once
// Big-endian integer load/store helpers for the wire and disk formats.
// Callers guarantee the buffer holds enough bytes.

#include <cstdint>
#include <cstring>
#include <string>

namespace dkv::common {

inline std::uint32_t load_u32_be(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) |
         (std::uint32_t{u[2]} << 8) | std::uint32_t{u[3]};
}

inline std::uint64_t load_u64_be(const char* p) noexcept {
  return (std::uint64_t{load_u32_be(p)} << 32) | load_u32_be(p + 4);
}

inline void store_u32_be(char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

inline void append_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

inline void append_u32_be(std::string& out, std::uint32_t v) {
  char b[4];
  store_u32_be(b, v);
  out.append(b, 4);
}

inline void append_u64_be(std::string& out, std::uint64_t v) {
  append_u32_be(out, static_cast<std::uint32_t>(v >> 32));
  append_u32_be(out, static_cast<std::uint32_t>(v));
}

}  // namespace dkv::common
