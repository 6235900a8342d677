#include "dkv/cluster/membership.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: digest() must not allocate
#include <xxhash.h>

#include "dkv/common/bytes.hpp"
#include "dkv/protocol/body.hpp"

namespace dkv::cluster {
namespace {

// Smallest encoding of one record: two empty `bytes`, a state, a version.
constexpr std::size_t min_record_size = 4 + 4 + 1 + 8;

bool known_state(std::uint8_t raw) noexcept {
  return raw >= static_cast<std::uint8_t>(member_state::up) &&
         raw <= static_cast<std::uint8_t>(member_state::removed);
}

// The total order that decides which of two records for one id is kept:
// version first, then (state, address). Records equal under it are equal.
bool newer(const member& a, const member& b) noexcept {
  return std::tie(a.version, a.state, a.address) > std::tie(b.version, b.state, b.address);
}

auto by_id(std::string_view id) {
  return [id](const member& m) { return std::string_view(m.id) < id; };
}

// The canonical encoding, written to any sink with the body-field calls, so
// that encode_membership and digest() cannot drift apart.
template <class Sink>
void write_records(Sink& sink, const std::vector<member>& members) {
  sink.u32(static_cast<std::uint32_t>(members.size()));
  for (const auto& m : members) {
    sink.bytes(m.id);
    sink.bytes(m.address);
    sink.u8(static_cast<std::uint8_t>(m.state));
    sink.u64(m.version);
  }
}

struct string_sink {
  std::string& out;
  void u8(std::uint8_t v) { protocol::put_u8(out, v); }
  void u32(std::uint32_t v) { protocol::put_u32(out, v); }
  void u64(std::uint64_t v) { protocol::put_u64(out, v); }
  void bytes(std::string_view v) { protocol::put_bytes(out, v); }
};

struct hash_sink {
  XXH3_state_t state;
  hash_sink() noexcept { XXH3_64bits_reset(&state); }
  void raw(const void* p, std::size_t n) noexcept { XXH3_64bits_update(&state, p, n); }
  void u8(std::uint8_t v) noexcept { raw(&v, 1); }
  void u32(std::uint32_t v) noexcept {
    char b[4];
    common::store_u32_be(b, v);
    raw(b, 4);
  }
  void u64(std::uint64_t v) noexcept {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(std::string_view v) noexcept {
    u32(static_cast<std::uint32_t>(v.size()));
    raw(v.data(), v.size());
  }
};

}  // namespace

std::string_view state_name(member_state s) noexcept {
  switch (s) {
    case member_state::up: return "up";
    case member_state::leaving: return "leaving";
    case member_state::removed: return "removed";
  }
  return "unknown";
}

bool membership::merge(const member& m) {
  if (m.version == 0) return false;
  const auto it = std::partition_point(members_.begin(), members_.end(), by_id(m.id));
  if (it == members_.end() || it->id != m.id) {
    members_.insert(it, m);
    epoch_ += m.version;
    return true;
  }
  if (!newer(m, *it)) return false;
  // epoch = sum of versions: swap this record's share (unsigned wrap cancels).
  epoch_ = epoch_ - it->version + m.version;
  *it = m;
  return true;
}

bool membership::merge(const membership& other) {
  if (&other == this) return false;
  bool changed = false;
  for (const auto& m : other.members_) changed |= merge(m);
  return changed;
}

void membership::update(std::string_view id, std::string_view address, member_state state) {
  const auto it = std::partition_point(members_.begin(), members_.end(), by_id(id));
  if (it == members_.end() || it->id != id) {
    members_.insert(it, member{std::string(id), std::string(address), state, 1});
  } else {
    it->address = address;
    it->state = state;
    ++it->version;
  }
  ++epoch_;  // exactly one version went up by one
}

std::uint64_t membership::digest() const noexcept {
  hash_sink h;
  write_records(h, members_);
  return XXH3_64bits_digest(&h.state);
}

const member* membership::find(std::string_view id) const noexcept {
  const auto it = std::partition_point(members_.begin(), members_.end(), by_id(id));
  return it != members_.end() && it->id == id ? &*it : nullptr;
}

std::vector<std::string> membership::owners() const {
  std::vector<std::string> ids;
  for (const auto& m : members_)
    if (m.state == member_state::up) ids.push_back(m.id);
  return ids;  // sorted: members_ is
}

void encode_membership(std::string& out, const membership& m) {
  string_sink s{out};
  write_records(s, m.members());
}

std::optional<membership> decode_membership(std::string_view body) {
  protocol::body_reader r(body);
  const auto count = r.u32();
  if (!count) return std::nullopt;
  // Bound the count by what the body can hold before reserving anything.
  if (*count > r.remaining() / min_record_size) return std::nullopt;
  membership ms;
  ms.members_.reserve(*count);
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto id = r.bytes();
    const auto address = r.bytes();
    const auto state = r.u8();
    const auto version = r.u64();
    if (!id || !address || !state || !version) return std::nullopt;
    if (!known_state(*state) || *version == 0) return std::nullopt;
    // Strictly increasing ids: sorted and no duplicates.
    if (!ms.members_.empty() && !(std::string_view(ms.members_.back().id) < *id))
      return std::nullopt;
    if (*version > std::numeric_limits<std::uint64_t>::max() - ms.epoch_) return std::nullopt;
    ms.members_.push_back(member{std::string(*id), std::string(*address),
                                 static_cast<member_state>(*state), *version});
    ms.epoch_ += *version;
  }
  if (!r.at_end()) return std::nullopt;
  return ms;
}

}  // namespace dkv::cluster
