#pragma once
// Cluster membership as a mergeable set of member records (pure).
// Every record carries a version that only grows; merging keeps, per
// member, the record with the higher version (ties broken by content, so
// any two nodes that have seen the same records agree). Members are never
// erased: a removed member keeps a `removed` record, so a stale gossip
// cannot bring it back. The ring epoch is the sum of all record versions:
// it grows with every change and is the same on every node holding the same
// records; digest() tells apart two different sets of records that happen
// to have the same epoch (concurrent changes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::cluster {

// Wire/disk values: never reorder; zero is reserved.
enum class member_state : std::uint8_t {
  up = 1,       // owns partitions
  leaving = 2,  // handing its partitions off; owns none
  removed = 3,  // left or forgotten; owns none
};

std::string_view state_name(member_state s) noexcept;  // "up", "leaving", "removed"

struct member {
  std::string id;
  std::string address;  // host:port advertised by the member
  member_state state = member_state::up;
  std::uint64_t version = 0;
  bool operator==(const member&) const = default;
};

class membership {
 public:
  // Applies one record; true when it changed this membership. A record
  // replaces the known one for its id when its version is higher, or when
  // the versions are equal and its (state, address) is larger (so `removed`
  // beats `leaving` beats `up` on a tie). Merging is therefore commutative,
  // associative and idempotent. A version-0 record carries no information
  // and is ignored (update() never makes one).
  bool merge(const member& m);
  // Applies every record of `other`; true when anything changed.
  bool merge(const membership& other);
  // A local change: sets the member's address and state with a version one
  // above what is known for it (1 for a member not known yet). The version
  // grows even when address and state are unchanged.
  void update(std::string_view id, std::string_view address, member_state state);

  // Sum of all record versions (0 when empty), kept up to date by merge and
  // update. Arithmetic is modulo 2^64; versions never come near that.
  std::uint64_t epoch() const noexcept { return epoch_; }
  // XXH3_64bits of encode_membership's bytes, computed without allocating.
  std::uint64_t digest() const noexcept;
  const std::vector<member>& members() const noexcept { return members_; }  // sorted by id
  const member* find(std::string_view id) const noexcept;
  // Ids of the members that own partitions (state up), sorted.
  std::vector<std::string> owners() const;

 private:
  // Builds directly from records already checked sorted and unique.
  friend std::optional<membership> decode_membership(std::string_view body);

  std::vector<member> members_;
  std::uint64_t epoch_ = 0;
};

// Wire encoding (protocol/PROTOCOL.md):
//   u32 count, then per member: bytes id | bytes address | u8 state | u64 version
// Members appear sorted by id (bytewise), so equal memberships encode alike.
void encode_membership(std::string& out, const membership& m);
// nullopt unless `body` is exactly one encoding: not truncated, no trailing
// bytes, a count the body can hold (checked before anything is reserved),
// known states, versions >= 1 whose sum fits in 64 bits, and ids strictly
// increasing (no duplicates).
std::optional<membership> decode_membership(std::string_view body);

}  // namespace dkv::cluster
