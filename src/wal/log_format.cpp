#include "dkv/wal/log_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace dkv::wal {
namespace {

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 (0x1EDC6F41 bit
// reversed), initial value and final xor 0xFFFFFFFF. Slicing-by-8: table[0]
// is the classic byte-at-a-time table; table[k][b] is the CRC of byte b
// followed by k zero bytes, so eight input bytes are folded per step.
constexpr std::uint32_t reflected_poly = 0x82F63B78u;

// Plain arrays rather than std::array: unoptimised (Debug) builds would
// otherwise call operator[] for every table lookup.
struct crc_tables {
  std::uint32_t t[8][256];
};

constexpr crc_tables make_tables() {
  crc_tables tables{};
  auto& t = tables.t;
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ reflected_poly : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  return tables;
}

constexpr crc_tables tables = make_tables();

// Little-endian load of four bytes, independent of the host's byte order
// (the reflected CRC consumes the lowest-addressed byte first).
inline std::uint32_t load_u32_le(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

constexpr std::uint32_t mask_delta = 0xA282EAD8u;

// Both kernels take and return the CRC register without the initial and
// final xor.
std::uint32_t crc32c_tables(const unsigned char* p, std::size_t n, std::uint32_t c) noexcept {
  const auto& t = tables.t;
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint32_t lo = load_u32_le(p) ^ c;
    const std::uint32_t hi = load_u32_le(p + 4);
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) c = (c >> 8) ^ t[0][(c ^ *p) & 0xFFu];
  return c;
}

#if defined(__x86_64__)
// The crc32 instruction (crc32c_sse42 below) has a latency of three cycles
// but can start one per cycle: three independent blocks of `stripe` bytes
// are run side by side, then joined by moving a CRC register over `stripe`
// zero bytes, which is linear over GF(2) and so tabulated a byte of the
// register at a time (shift[k][b] moves b << 8k).
constexpr std::size_t stripe = 128;

constexpr std::uint32_t over_zeros(std::uint32_t c, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c = (c >> 8) ^ tables.t[0][c & 0xFFu];
  return c;
}

struct shift_tables {
  std::uint32_t t[4][256];
};

constexpr shift_tables make_shift_tables() {
  std::uint32_t bit[32] = {};
  for (std::size_t i = 0; i < 32; ++i) bit[i] = over_zeros(std::uint32_t{1} << i, stripe);
  shift_tables s{};
  for (std::size_t k = 0; k < 4; ++k)
    for (std::uint32_t b = 0; b < 256; ++b)
      for (std::size_t i = 0; i < 8; ++i)
        if (b & (1u << i)) s.t[k][b] ^= bit[8 * k + i];
  return s;
}

constexpr shift_tables shift = make_shift_tables();

std::uint64_t over_stripe(std::uint64_t c) noexcept {
  const auto& t = shift.t;
  return t[0][c & 0xFFu] ^ t[1][(c >> 8) & 0xFFu] ^ t[2][(c >> 16) & 0xFFu] ^ t[3][(c >> 24) & 0xFFu];
}

__attribute__((target("sse4.2"))) inline std::uint64_t crc_u64(std::uint64_t c,
                                                                const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian, as the instruction reads memory
  return _mm_crc32_u64(c, v);
}

// SSE4.2's crc32 instruction computes this very CRC (same polynomial,
// reflected), eight bytes per instruction.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const unsigned char* p,
                                                              std::size_t n,
                                                              std::uint32_t c) noexcept {
  std::uint64_t wide = c;
  for (; n >= 3 * stripe; p += 3 * stripe, n -= 3 * stripe) {
    std::uint64_t second = 0, third = 0;
    for (std::size_t i = 0; i < stripe; i += 8) {
      wide = crc_u64(wide, p + i);
      second = crc_u64(second, p + stripe + i);
      third = crc_u64(third, p + 2 * stripe + i);
    }
    wide = over_stripe(over_stripe(wide) ^ second) ^ third;
  }
  for (; n >= 8; p += 8, n -= 8) wide = crc_u64(wide, p);
  c = static_cast<std::uint32_t>(wide);
  for (; n > 0; ++p, --n) c = _mm_crc32_u8(c, *p);
  return c;
}
#endif

const unsigned char* bytes_of(std::string_view data) noexcept {
  return reinterpret_cast<const unsigned char*>(data.data());
}

}  // namespace

// ~crc undoes the final xor of the CRC being continued.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) return ~crc32c_sse42(bytes_of(data), data.size(), ~crc);
#endif
  return ~crc32c_tables(bytes_of(data), data.size(), ~crc);
}

std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc) noexcept {
  return ~crc32c_tables(bytes_of(data), data.size(), ~crc);
}

std::uint32_t mask_crc(std::uint32_t crc) noexcept {
  // Rotate right by 15 bits, then add a constant (LevelDB's masking).
  return ((crc >> 15) | (crc << 17)) + mask_delta;
}

std::uint32_t unmask_crc(std::uint32_t masked) noexcept {
  const std::uint32_t rot = masked - mask_delta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace dkv::wal
