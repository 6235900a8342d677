#pragma once
// The version every stored value carries (DESIGN §6): a hybrid logical clock
// timestamp and a node tiebreak. Versions order totally; the larger wins
// (last-writer-wins). {0, 0} is the lowest version, given to seed keys.

#include <compare>
#include <cstdint>

namespace dkv::store {

struct version {
  std::uint64_t hlc = 0;   // (physical milliseconds << 16) | logical counter
  std::uint32_t node = 0;  // tiebreak: hash of the writing node's id
  auto operator<=>(const version&) const = default;
};

inline constexpr version seed_version{0, 0};

}  // namespace dkv::store
