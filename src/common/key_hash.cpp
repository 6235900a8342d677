#include "dkv/common/key_hash.hpp"

#include <xxhash.h>

namespace dkv::common {

std::uint64_t key_hash(std::string_view key) noexcept {
  return XXH3_64bits(key.data(), key.size());
}

}  // namespace dkv::common
