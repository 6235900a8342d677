#pragma once
// Incremental RESP2 request parser: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
// what redis-cli and redis-benchmark send) and inline commands (`GET k\r\n`,
// what netcat users type; `\n` alone also ends a line). It reports complete /
// need_more / bad and the bytes consumed; the caller owns the buffer.
// No allocation on the hot path: arguments are views into the caller's
// buffer, or into `scratch` for inline arguments that needed unescaping.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/protocol/frame.hpp"

namespace dkv::protocol::resp {

struct limits {
  std::uint32_t max_bulk = default_max_frame;  // longest single argument
  std::uint32_t max_args = 1024 * 1024;        // most arguments in one command
  std::uint32_t max_inline = 64 * 1024;        // longest inline line
};

struct parse_result {
  parse_state state = parse_state::need_more;
  std::size_t consumed = 0;  // complete: bytes of this command (args may be empty: skip it)
  // need_more: a lower bound of the total bytes the command needs, when known
  // (lets the caller grow its buffer once for a large bulk), else 0.
  std::size_t need_hint = 0;
  // bad: the Redis error text without the leading "-ERR " and the CRLF, e.g.
  // "Protocol error: invalid multibulk length".
  std::string_view why;
};

// Parses one command from the front of `buf` into `args` (cleared first;
// filled only when complete). `scratch` is reused storage for unescaped
// inline arguments. The views in `args` stay valid until `buf`'s bytes or
// `scratch` change.
//
// Multibulk: `*<n>\r\n` then n times `$<len>\r\n<len bytes>\r\n`, binary safe.
// n of 0 or -1 is a complete, empty command. Every length is checked against
// `lim` before anything is reserved, so `$4294967296` costs nothing.
// Inline: the line up to `\n` (a `\r` before it is dropped), split as Redis'
// sdssplitargs does: blanks separate arguments; "double quotes" take the
// escapes \n \r \t \b \a \\ \" \xHH, 'single quotes' take \'; a closing
// quote must be followed by a blank or the end of the line. Unlike Redis, a
// NUL byte in an inline line is an ordinary byte.
//
// `why` texts when bad (static storage), as Redis words them:
//   "Protocol error: invalid multibulk length"    bad count, or n > max_args
//   "Protocol error: too big mbulk count string"  line over max_inline bytes
//   "Protocol error: expected '$', got 'X'"       (CR and LF shown as ' ')
//   "Protocol error: invalid bulk length"         bad length, or > max_bulk
//   "Protocol error: too big bulk count string"   line over max_inline bytes
//   "Protocol error: expected CRLF after bulk data"
//   "Protocol error: unbalanced quotes in request"
//   "Protocol error: too big inline request"      line over max_inline bytes
// Reparsing a growing buffer costs O(arguments): payloads are skipped by
// length, never scanned.
parse_result parse_command(std::string_view buf, std::vector<std::string_view>& args,
                           std::string& scratch, const limits& lim);

// Whether the argument `arg` is the name `upper` (upper-case ASCII) in any
// ASCII case, as Redis matches command names and options.
inline bool iequals(std::string_view arg, std::string_view upper) noexcept {
  if (arg.size() != upper.size()) return false;
  for (std::size_t i = 0; i < arg.size(); ++i) {
    const char c = arg[i];
    if ((c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c) != upper[i]) return false;
  }
  return true;
}

}  // namespace dkv::protocol::resp
