#include "dkv/protocol/peer_messages.hpp"

#include <cstring>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack for long keys
#include <xxhash.h>

#include "dkv/common/bytes.hpp"
#include "dkv/common/key_hash.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/frame.hpp"

namespace dkv::protocol {
namespace {

constexpr std::uint8_t raw(peer_opcode op) noexcept { return static_cast<std::uint8_t>(op); }

// MIGRATE body: partition u32 | count u32 | entries. The count sits after
// the partition and is patched by finish_migrate.
constexpr std::size_t migrate_count_offset = header_size + 4;

void request_frame(std::string& out, peer_opcode op, std::uint32_t rid, auto&& fill) {
  const auto at = begin_frame(out, raw(op), 0, rid);
  fill();
  finish_frame(out, at);
}

bool valid_partition(std::uint32_t p) noexcept { return p < common::partition_count; }

}  // namespace

bool is_peer_opcode(std::uint8_t op) noexcept {
  return op >= raw(peer_opcode::gossip) && op <= raw(peer_opcode::migrate_done);
}

std::optional<join_request> decode_join(std::string_view body) {
  body_reader r(body);
  const auto id = r.bytes();
  const auto address = r.bytes();
  if (!id || !address || !r.at_end()) return std::nullopt;
  return join_request{*id, *address};
}

void encode_join(std::string& out, std::uint32_t rid, std::string_view id,
                 std::string_view address) {
  request_frame(out, peer_opcode::join, rid, [&] {
    put_bytes(out, id);
    put_bytes(out, address);
  });
}

std::optional<migrate_batch> decode_migrate(std::string_view body) {
  body_reader r(body);
  const auto partition = r.u32();
  const auto count = r.u32();
  if (!partition || !count || !valid_partition(*partition)) return std::nullopt;
  // Every entry needs at least its 4-byte length: check before reserving.
  if (*count > r.remaining() / 4) return std::nullopt;
  migrate_batch b;
  b.partition = *partition;
  b.entries.reserve(*count);
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto e = r.bytes();
    if (!e) return std::nullopt;
    b.entries.push_back(*e);
  }
  if (!r.at_end()) return std::nullopt;
  return b;
}

std::size_t begin_migrate(std::string& out, std::uint32_t rid, std::uint32_t partition) {
  const auto at = begin_frame(out, raw(peer_opcode::migrate), 0, rid);
  put_u32(out, partition);
  put_u32(out, 0);  // count, patched by finish_migrate
  return at;
}

void put_migrate_entry(std::string& out, std::string_view entry_payload) {
  put_bytes(out, entry_payload);
}

void finish_migrate(std::string& out, std::size_t frame_offset, std::uint32_t count) {
  common::store_u32_be(out.data() + frame_offset + migrate_count_offset, count);
  finish_frame(out, frame_offset);
}

std::optional<migrate_done> decode_migrate_done(std::string_view body) {
  body_reader r(body);
  const auto partition = r.u32();
  const auto count = r.u64();
  const auto digest = r.u64();
  if (!partition || !count || !digest || !r.at_end()) return std::nullopt;
  if (!valid_partition(*partition)) return std::nullopt;
  return migrate_done{*partition, *count, *digest};
}

void encode_migrate_done(std::string& out, std::uint32_t rid, const migrate_done& d) {
  request_frame(out, peer_opcode::migrate_done, rid, [&] {
    put_u32(out, d.partition);
    put_u64(out, d.count);
    put_u64(out, d.digest);
  });
}

void encode_gossip(std::string& out, std::uint32_t rid, std::string_view membership_body) {
  request_frame(out, peer_opcode::gossip, rid, [&] { out.append(membership_body); });
}

std::uint64_t entry_digest(std::string_view key, std::uint64_t hlc, std::uint32_t node) noexcept {
  // XXH3_64bits(key ‖ hlc u64 BE ‖ node u32 BE). Short keys: one shot over a
  // stack copy; long keys: the streaming API, which gives the same value.
  constexpr std::size_t tail = 8 + 4;
  char version[tail];
  common::store_u32_be(version, static_cast<std::uint32_t>(hlc >> 32));
  common::store_u32_be(version + 4, static_cast<std::uint32_t>(hlc));
  common::store_u32_be(version + 8, node);
  constexpr std::size_t short_key = 244;
  if (key.size() <= short_key) {
    char buf[short_key + tail];
    if (!key.empty()) std::memcpy(buf, key.data(), key.size());
    std::memcpy(buf + key.size(), version, tail);
    return XXH3_64bits(buf, key.size() + tail);
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, key.data(), key.size());
  XXH3_64bits_update(&state, version, tail);
  return XXH3_64bits_digest(&state);
}

}  // namespace dkv::protocol
