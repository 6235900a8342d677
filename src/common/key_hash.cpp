#include "dkv/common/key_hash.hpp"

// Inlined: keys are short, and a call through the shared library's
// dispatch costs as much as hashing them.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dkv::common {

std::uint64_t key_hash(std::string_view key) noexcept {
  return XXH3_64bits(key.data(), key.size());
}

}  // namespace dkv::common
