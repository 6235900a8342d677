#pragma once
// One stored key: the key and value bytes in a single heap block, the
// version, and whether the entry is a tombstone. 32 bytes plus the block,
// so a 16-byte key with a 100-byte value costs one 128-byte allocation.
// A default-constructed entry is vacant (no block): a free slot of the
// entry_table that holds entries, which also keeps 16 bits of each key's
// slot hash in it (tag) to pass other keys without reading their blocks.

#include <cstdint>
#include <string_view>

#include "dkv/store/version.hpp"

namespace dkv::store {

class entry {
 public:
  entry() noexcept = default;
  entry(std::string_view key, std::string_view value, const version& v, bool tombstone);
  entry(entry&& o) noexcept;
  entry& operator=(entry&& o) noexcept;
  entry(const entry&) = delete;
  entry& operator=(const entry&) = delete;
  ~entry();

  std::string_view key() const noexcept { return {blob_, key_len_}; }
  std::string_view value() const noexcept { return {blob_ + key_len_, value_len_}; }
  version ver() const noexcept { return {hlc_, node_}; }
  bool tombstone() const noexcept { return tombstone_; }
  bool occupied() const noexcept { return blob_ != nullptr; }
  std::uint16_t tag() const noexcept { return tag_; }
  void set_tag(std::uint16_t t) noexcept { tag_ = t; }

  // Asks the CPU to start loading the key and value bytes (a cache miss of
  // their own) while other work goes on.
  void prefetch() const noexcept {
    __builtin_prefetch(blob_);
    if (key_len_ + value_len_ > 64) __builtin_prefetch(blob_ + 64);
  }

  // Replaces value, version and tombstone flag; the key bytes stay the same
  // (which is what lets a hash set update an entry in place).
  void assign(std::string_view value, const version& v, bool tombstone);

 private:
  char* blob_ = nullptr;
  std::uint32_t key_len_ = 0;
  std::uint32_t value_len_ = 0;
  std::uint64_t hlc_ = 0;
  std::uint32_t node_ = 0;
  std::uint16_t tag_ = 0;
  bool tombstone_ = false;
};

static_assert(sizeof(entry) == 32);

}  // namespace dkv::store
