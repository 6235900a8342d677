#pragma once
// Peer-only messages of the binary protocol (protocol/PROTOCOL.md §peer).
// A connection becomes a peer connection only through the PEER_HELLO /
// PEER_PROOF handshake (auth_messages.hpp, cluster/peer_auth.hpp); the
// opcodes 0x40-0x43 are refused (NOT_ALLOWED) on any other connection.
// Pure codecs: decoders return views into the body. A decoder returns
// nullopt when the body is not exactly its layout
// (truncated, trailing bytes, a count the body cannot hold, checked before
// anything is reserved, or a partition >= common::partition_count); the
// node answers MALFORMED.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::protocol {

// Peer opcodes (wire values; never reorder).
enum class peer_opcode : std::uint8_t {
  gossip = 0x40,         // body: membership; reply: OK + the receiver's merged membership
  join = 0x41,           // body: bytes id, bytes address; reply: OK + membership
  migrate = 0x42,        // body: u32 partition, u32 count, count × bytes entry (WAL entry encoding)
  migrate_done = 0x43,   // body: u32 partition, u64 count, u64 digest; reply OK or DIGEST_MISMATCH
  // The handshake that makes a connection a peer connection (auth_messages.hpp);
  // accepted on any binary connection.
  peer_hello = 0x44,
  peer_proof = 0x45,
};

// True for the opcodes that need an authenticated peer connection (0x40-0x43).
bool is_peer_opcode(std::uint8_t raw) noexcept;

// Request flags used on peer connections with GET/PUT/DEL/MGET.
namespace flag {
inline constexpr std::uint8_t forwarded = 0x02;   // sender believes the receiver owns the key
inline constexpr std::uint8_t local_only = 0x04;  // answer from local data, no ownership check
inline constexpr std::uint8_t if_absent = 0x08;   // PUT only if the key does not exist (SET NX)
inline constexpr std::uint8_t if_present = 0x10;  // PUT only if the key exists (SET XX)
}  // namespace flag

struct join_request {
  std::string_view id;
  std::string_view address;
};
std::optional<join_request> decode_join(std::string_view body);
void encode_join(std::string& out, std::uint32_t rid, std::string_view id,
                 std::string_view address);

struct migrate_batch {
  std::uint32_t partition = 0;
  std::vector<std::string_view> entries;  // each a WAL entry payload, not checked here
};
std::optional<migrate_batch> decode_migrate(std::string_view body);
// Begins a MIGRATE frame; append entries with put_migrate_entry, then
// finish_migrate (which patches the count and the frame length).
std::size_t begin_migrate(std::string& out, std::uint32_t rid, std::uint32_t partition);
void put_migrate_entry(std::string& out, std::string_view entry_payload);
void finish_migrate(std::string& out, std::size_t frame_offset, std::uint32_t count);

struct migrate_done {
  std::uint32_t partition = 0;
  std::uint64_t count = 0;
  std::uint64_t digest = 0;
};
std::optional<migrate_done> decode_migrate_done(std::string_view body);
void encode_migrate_done(std::string& out, std::uint32_t rid, const migrate_done& d);

// Gossip carries a membership encoding (cluster/membership.hpp) as its body.
void encode_gossip(std::string& out, std::uint32_t rid, std::string_view membership_body);

// Order-independent digest of migrated entries: the sum of XXH3 over
// (key ‖ hlc ‖ node) of each entry, so sender and receiver can compare what
// was sent with what was applied.
std::uint64_t entry_digest(std::string_view key, std::uint64_t hlc, std::uint32_t node) noexcept;

}  // namespace dkv::protocol
