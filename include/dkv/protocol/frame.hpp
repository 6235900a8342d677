#pragma once
// Binary frame layer of the dkv wire protocol (protocol/PROTOCOL.md is the
// source of truth). A frame is a 12-byte big-endian header followed by a body:
//
//   magic u8 (0xDB) | version u8 | opcode u8 | flags u8 |
//   request_id u32  | body_length u32 | body[body_length]
//
// The parser is incremental: it reports complete / need_more / bad and the
// number of bytes consumed. It never allocates; the caller owns the buffer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::protocol {

inline constexpr std::uint8_t magic = 0xDB;
inline constexpr std::uint8_t wire_version = 1;
inline constexpr std::size_t header_size = 12;
inline constexpr std::uint32_t default_max_frame = 16u << 20;  // 16 MiB of body
inline constexpr std::uint32_t default_max_key = 64u << 10;    // 64 KiB

// Opcodes. Values are wire values: never reorder, zero is reserved.
enum class opcode : std::uint8_t {
  hello = 0x01,
  ping = 0x02,
  get = 0x03,
  put = 0x04,
  del = 0x05,
  mget = 0x06,
  stats = 0x07,
  auth = 0x08,  // client password (auth_messages.hpp)
};

// True for the opcodes this build knows.
bool is_known_opcode(std::uint8_t raw) noexcept;
// "GET", "PUT", ... or "UNKNOWN".
std::string_view opcode_name(std::uint8_t raw) noexcept;

// Header flag bits.
namespace flag {
inline constexpr std::uint8_t reply = 0x01;  // set on every reply frame
}

// Status byte that opens every reply body. Wire values: never reorder.
enum class status : std::uint8_t {
  ok = 0x00,
  not_found = 0x01,
  // Errors: the reply body continues with a message (length-prefixed bytes).
  malformed = 0x10,        // body does not decode for this opcode
  unknown_opcode = 0x11,   // opcode not known by this node
  too_large = 0x12,        // frame, key or value over the node's limit
  bad_version = 0x13,      // header version not supported
  bad_magic = 0x14,        // first byte of a frame is not 0xDB
  not_allowed = 0x15,      // opcode not allowed on this connection
  auth_required = 0x16,    // the node has a password and this connection has not sent it (AUTH)
  auth_failed = 0x17,      // wrong password or peer proof; a peer handshake then closes
  unavailable = 0x20,      // owner of the key is down or unreachable
  internal = 0x21,         // unexpected failure inside the node
  io_error = 0x22,         // the node could not store the write
  not_owner = 0x23,        // forwarded request for a key this node does not own (epoch changed)
  digest_mismatch = 0x24,  // MIGRATE_DONE: what arrived differs from what was sent
};

std::string_view status_name(status s) noexcept;  // "OK", "NOT_FOUND", ...
inline bool is_error(status s) noexcept { return static_cast<std::uint8_t>(s) >= 0x10; }

struct frame_header {
  std::uint8_t version = wire_version;
  std::uint8_t opcode = 0;  // raw: may be unknown
  std::uint8_t flags = 0;
  std::uint32_t request_id = 0;
  std::uint32_t body_length = 0;
};

enum class parse_state { complete, need_more, bad };

struct frame_parse_result {
  parse_state state = parse_state::need_more;
  std::size_t consumed = 0;   // bytes of the buffer this frame occupies (complete only)
  frame_header header;        // valid when complete; header fields when bad (if read)
  std::string_view body;      // view into the caller's buffer (complete only)
  status error = status::ok;  // why, when bad
  std::string_view why;       // static text, when bad
};

// Parses one frame from the front of `buf`. Checks magic, version and the
// body length against `max_body` as soon as the header is there, before the
// body arrives, so a huge length prefix is refused without waiting or
// allocating. An unknown opcode is not a framing error: it parses as
// complete and the dispatcher answers unknown_opcode.
frame_parse_result parse_frame(std::string_view buf, std::uint32_t max_body) noexcept;

// Appends a 12-byte header to `out` with body_length 0 and returns the offset
// of the header, to be passed to finish_frame once the body is appended.
std::size_t begin_frame(std::string& out, std::uint8_t opcode, std::uint8_t flags,
                        std::uint32_t request_id);
// Patches the body length of the frame that begins at `header_offset`.
void finish_frame(std::string& out, std::size_t header_offset);

}  // namespace dkv::protocol
