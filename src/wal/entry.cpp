#include "dkv/wal/entry.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dkv/common/bytes.hpp"

namespace dkv::wal {
namespace {

constexpr std::size_t fixed_size = 1 + 8 + 4;  // op | hlc | node
constexpr std::size_t length_size = 4;

// Stores one `bytes` field at `p`; returns the position after it.
char* store_bytes(char* p, std::string_view b) noexcept {
  common::store_u32_be(p, static_cast<std::uint32_t>(b.size()));
  if (!b.empty()) std::memcpy(p + length_size, b.data(), b.size());
  return p + length_size + b.size();
}

// Takes one `bytes` field off the front of `in`; false if it is cut short.
bool take_bytes(std::string_view& in, std::string_view& field) noexcept {
  if (in.size() < length_size) return false;
  const std::uint32_t n = common::load_u32_be(in.data());
  in.remove_prefix(length_size);
  if (n > in.size()) return false;
  field = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

}  // namespace

void encode_entry(std::string& out, const entry& e) {
  // Everything up to the value's bytes is sized once and filled in place;
  // the value is appended (not zero-filled first).
  const bool put = e.kind == op::put;  // a DEL has no value field
  const std::size_t at = out.size();
  out.resize(at + fixed_size + length_size + e.key.size() + (put ? length_size : 0));
  char* p = out.data() + at;
  p[0] = static_cast<char>(e.kind);
  common::store_u32_be(p + 1, static_cast<std::uint32_t>(e.hlc >> 32));
  common::store_u32_be(p + 5, static_cast<std::uint32_t>(e.hlc));
  common::store_u32_be(p + 9, e.node);
  p = store_bytes(p + fixed_size, e.key);
  if (!put) return;
  common::store_u32_be(p, static_cast<std::uint32_t>(e.value.size()));
  out.append(e.value);
}

std::size_t encoded_size(const entry& e) noexcept {
  const std::size_t value = e.kind == op::put ? length_size + e.value.size() : 0;
  return fixed_size + length_size + e.key.size() + value;
}

void add_entry_record(log_writer& writer, const entry& e, std::string& out) {
  writer.add_record(encoded_size(e), [&e](std::string& payload) { encode_entry(payload, e); },
                    out);
}

std::optional<entry> decode_entry(std::string_view payload) {
  if (payload.size() < fixed_size) return std::nullopt;
  entry e;
  const auto kind = static_cast<std::uint8_t>(payload[0]);
  if (kind < static_cast<std::uint8_t>(op::put) || kind > static_cast<std::uint8_t>(op::drop))
    return std::nullopt;
  e.kind = static_cast<op>(kind);
  e.hlc = common::load_u64_be(payload.data() + 1);
  e.node = common::load_u32_be(payload.data() + 9);
  payload.remove_prefix(fixed_size);
  if (!take_bytes(payload, e.key)) return std::nullopt;
  if (e.kind == op::put && !take_bytes(payload, e.value)) return std::nullopt;
  if (!payload.empty()) return std::nullopt;  // trailing bytes
  if (e.kind == op::drop && e.key.size() != 4) return std::nullopt;
  return e;
}

}  // namespace dkv::wal
