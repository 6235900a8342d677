#include "dkv/store/entry.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace dkv::store {
namespace {

// The bytes a block for a key and value asks for (at least one: malloc(0)
// may return null).
std::size_t blob_bytes(std::size_t key_len, std::size_t value_len) noexcept {
  return key_len + value_len + 1;
}

char* make_blob(std::string_view key, std::string_view value) {
  auto* blob = static_cast<char*>(std::malloc(blob_bytes(key.size(), value.size())));
  if (!blob) throw std::bad_alloc();
  std::memcpy(blob, key.data(), key.size());
  if (!value.empty()) std::memcpy(blob + key.size(), value.data(), value.size());
  return blob;
}

// A block of `have` usable bytes serves `need` bytes without wasting more
// than it saves: a value that changes size a little (a counter, a JSON
// document) is rewritten in place, with no allocation.
bool fits(std::size_t need, std::size_t have) noexcept {
  return need <= have && have <= 2 * need + 32;
}

}  // namespace

entry::entry(std::string_view key, std::string_view value, const version& v, bool tombstone)
    : blob_(make_blob(key, value)),
      key_len_(static_cast<std::uint32_t>(key.size())),
      value_len_(static_cast<std::uint32_t>(value.size())),
      hlc_(v.hlc),
      node_(v.node),
      tombstone_(tombstone) {}

entry::entry(entry&& o) noexcept
    : blob_(std::exchange(o.blob_, nullptr)),
      key_len_(o.key_len_),
      value_len_(o.value_len_),
      hlc_(o.hlc_),
      node_(o.node_),
      tag_(o.tag_),
      tombstone_(o.tombstone_) {}

entry& entry::operator=(entry&& o) noexcept {
  if (this != &o) {
    std::free(blob_);
    blob_ = std::exchange(o.blob_, nullptr);
    key_len_ = o.key_len_;
    value_len_ = o.value_len_;
    hlc_ = o.hlc_;
    node_ = o.node_;
    tag_ = o.tag_;
    tombstone_ = o.tombstone_;
  }
  return *this;
}

entry::~entry() { std::free(blob_); }

void entry::assign(std::string_view value, const version& v, bool tombstone) {
  if (value.size() != value_len_ &&
      !fits(blob_bytes(key_len_, value.size()), malloc_usable_size(blob_))) {
    char* blob = make_blob(key(), value);
    std::free(blob_);
    blob_ = blob;
  } else if (!value.empty()) {
    std::memcpy(blob_ + key_len_, value.data(), value.size());
  }
  value_len_ = static_cast<std::uint32_t>(value.size());
  hlc_ = v.hlc;
  node_ = v.node;
  tombstone_ = tombstone;
}

}  // namespace dkv::store
