#pragma once
// Physical record format shared by WAL segments and snapshot files
// (protocol/WAL.md is the source of truth), after LevelDB's log format:
// a file is a sequence of 32 KiB blocks; a logical record is stored as one
// or more fragments, each with a 7-byte header
//
//   crc32c u32 (big-endian, masked; over type byte + payload) |
//   length u16 (big-endian) | type u8 (1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST)
//
// or, in a WAL segment written by this version, an 11-byte *recyclable*
// header (after RocksDB's recyclable log format)
//
//   crc32c u32 (over type byte + segment + payload) | length u16 |
//   type u8 (5 FULL, 6 FIRST, 7 MIDDLE, 8 LAST) | segment u32 (big-endian)
//
// whose segment number tells the segment's records from those of an older
// segment whose file it was written over. A file holds one kind of header,
// which its first fragment's type says. A fragment never crosses a block
// boundary; a block tail shorter than a header is zero-filled. Records span
// blocks but never files.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::wal {

inline constexpr std::size_t block_size = 32 * 1024;
inline constexpr std::size_t fragment_header_size = 7;
inline constexpr std::size_t recyclable_header_size = 11;

// Wire values: never reorder; zero is reserved (it is what padding reads as).
// The recyclable types are the plain ones plus 4, in the same order.
enum class fragment_type : std::uint8_t {
  full = 1,
  first = 2,
  middle = 3,
  last = 4,
  recyclable_full = 5,
  recyclable_first = 6,
  recyclable_middle = 7,
  recyclable_last = 8,
};

// Whether a fragment type byte is a recyclable one's; that of a file's first
// fragment says which kind of header the whole file holds.
constexpr bool is_recyclable(std::uint8_t type) noexcept {
  return type >= static_cast<std::uint8_t>(fragment_type::recyclable_full) &&
         type <= static_cast<std::uint8_t>(fragment_type::recyclable_last);
}

// The segment number recyclable fragments carry: the low 32 bits of the
// segment's sequence (segments 2^32 apart would not be told apart).
constexpr std::uint32_t segment_number(std::uint64_t seq) noexcept {
  return static_cast<std::uint32_t>(seq);
}

// CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start). Uses
// the CPU's CRC instruction when it has one (x86-64 with SSE4.2).
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept;
// The same CRC from tables, which crc32c() falls back to on other CPUs
// (exposed so that tests check both).
std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc = 0) noexcept;
// Masked form stored on disk (as LevelDB: a CRC of data containing CRCs is
// otherwise weak).
std::uint32_t mask_crc(std::uint32_t crc) noexcept;
std::uint32_t unmask_crc(std::uint32_t masked) noexcept;

}  // namespace dkv::wal
