#include "dkv/store/hlc.hpp"

#include <algorithm>

#include "dkv/common/key_hash.hpp"

namespace dkv::store {

version hlc::tick(std::uint64_t physical_ms) noexcept {
  last_ = std::max(last_ + 1, physical_ms << 16);
  return version{last_, node_};
}

void hlc::observe(const version& seen) noexcept { last_ = std::max(last_, seen.hlc); }

std::uint32_t node_tiebreak(std::string_view node_id) noexcept {
  const auto t = static_cast<std::uint32_t>(common::key_hash(node_id));
  return t == 0 ? 1 : t;
}

}  // namespace dkv::store
