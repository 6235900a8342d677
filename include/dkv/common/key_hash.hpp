#pragma once
// The one hash of a key used for partitioning and placement: XXH3_64bits.

#include <cstdint>
#include <string_view>

namespace dkv::common {

std::uint64_t key_hash(std::string_view key) noexcept;

// Fixed partition count: partition = top partition_bits bits of key_hash.
inline constexpr unsigned partition_bits = 12;
inline constexpr std::uint32_t partition_count = 1u << partition_bits;

inline std::uint32_t partition_of_hash(std::uint64_t h) noexcept {
  return static_cast<std::uint32_t>(h >> (64 - partition_bits));
}
inline std::uint32_t partition_of(std::string_view key) noexcept {
  return partition_of_hash(key_hash(key));
}

}  // namespace dkv::common
