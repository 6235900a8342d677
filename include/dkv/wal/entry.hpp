#pragma once
// Logical WAL/snapshot entries: one key write or delete with its version.
//   op u8 (1 PUT, 2 DEL, 3 DROP) | hlc u64 | node u32 | key bytes | [value bytes (PUT)]
// (bytes = u32 big-endian length + data). Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkv/wal/log_writer.hpp"

namespace dkv::wal {

enum class op : std::uint8_t {
  put = 1,
  del = 2,
  drop = 3,  // a whole partition handed off: key = u32 BE partition, no value
};

struct entry {
  op kind = op::put;
  std::uint64_t hlc = 0;
  std::uint32_t node = 0;
  std::string_view key;
  std::string_view value;  // empty for DEL
};

// Appends the encoding of `e` to `out` (a DEL's `value` is not written).
void encode_entry(std::string& out, const entry& e);
// The number of bytes encode_entry appends.
std::size_t encoded_size(const entry& e) noexcept;
// Appends `e` to `out` as one record framed by `writer`, encoded in place.
void add_entry_record(log_writer& writer, const entry& e, std::string& out);
// nullopt when the payload is not exactly one well-formed entry (unknown
// op, a length running past the end, or bytes left over). The views point
// into `payload`.
std::optional<entry> decode_entry(std::string_view payload);

}  // namespace dkv::wal
