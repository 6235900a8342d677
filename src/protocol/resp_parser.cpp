#include "dkv/protocol/resp_parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

// Grammar accepted (RESP2 requests, as Redis' processMultibulkBuffer and
// processInlineBuffer accept them, but stricter about CRLF):
//
//   command   = multibulk | inline
//   multibulk = "*" count CRLF { "$" length CRLF <length bytes> CRLF }
//   count     = "-1" | "0" | [1-9][0-9]*         (-1 and 0: empty command)
//   length    = "0" | [1-9][0-9]*                (<= limits::max_bulk)
//   inline    = <bytes without "\n"> ["\r"] "\n" (first byte is not '*')
//
// Invariants of the implementation:
// - The parser keeps no state between calls. A caller that reparses a growing
//   buffer pays for each argument's length line only: payloads are skipped by
//   length and never scanned.
// - Every limit is checked before `args` grows and before `need_hint` is
//   reported, so a hostile length never makes the caller allocate.
// - Header lines and inline lines are searched within at most
//   `max_inline + 1` bytes, so one call costs O(max_inline) at worst.

namespace dkv::protocol::resp {
namespace {

constexpr std::string_view err_mbulk_len = "Protocol error: invalid multibulk length";
constexpr std::string_view err_bulk_len = "Protocol error: invalid bulk length";
constexpr std::string_view err_big_mbulk = "Protocol error: too big mbulk count string";
constexpr std::string_view err_big_bulk = "Protocol error: too big bulk count string";
constexpr std::string_view err_bulk_crlf = "Protocol error: expected CRLF after bulk data";
constexpr std::string_view err_big_inline = "Protocol error: too big inline request";
constexpr std::string_view err_unbalanced = "Protocol error: unbalanced quotes in request";

// "Protocol error: expected '$', got 'X'" for every byte X, so that `why` can
// stay a view into static storage. CR and LF are shown as a space, as Redis'
// addReplyErrorFormat does, so the reply cannot break the framing.
constexpr std::string_view expected_dollar_prefix = "Protocol error: expected '$', got '";
constexpr std::size_t expected_dollar_len = expected_dollar_prefix.size() + 2;

struct expected_dollar_table {
  std::array<std::array<char, expected_dollar_len>, 256> text{};
};

constexpr expected_dollar_table make_expected_dollar_table() {
  expected_dollar_table t{};
  for (std::size_t c = 0; c < 256; ++c) {
    auto& s = t.text[c];
    for (std::size_t i = 0; i < expected_dollar_prefix.size(); ++i) s[i] = expected_dollar_prefix[i];
    char shown = static_cast<char>(static_cast<unsigned char>(c));
    if (shown == '\r' || shown == '\n') shown = ' ';
    s[expected_dollar_len - 2] = shown;
    s[expected_dollar_len - 1] = '\'';
  }
  return t;
}

constexpr expected_dollar_table expected_dollar = make_expected_dollar_table();

std::string_view expected_dollar_why(char got) noexcept {
  return {expected_dollar.text[static_cast<unsigned char>(got)].data(), expected_dollar_len};
}

parse_result bad(std::string_view why) noexcept {
  parse_result r;
  r.state = parse_state::bad;
  r.why = why;
  return r;
}

parse_result need_more(std::size_t hint = 0) noexcept {
  parse_result r;
  r.need_hint = hint;
  return r;
}

parse_result complete(std::size_t consumed) noexcept {
  parse_result r;
  r.state = parse_state::complete;
  r.consumed = consumed;
  return r;
}

// Strict decimal, like Redis' string2ll: optional '-', no '+', no leading
// zeros ("0" alone is fine, "-0" and "007" are not), no blanks, fits int64.
bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
  if (s.empty()) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  const std::uint64_t max_magnitude =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const auto digit = static_cast<std::uint64_t>(s[i] - '0');
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, digit, &v) ||
        v > max_magnitude)
      return false;
  }
  // Modular conversion (well defined since C++20) also covers INT64_MIN.
  out = negative ? static_cast<std::int64_t>(~v + 1) : static_cast<std::int64_t>(v);
  return true;
}

enum class line_status { found, need_more, too_long };

struct line_search {
  line_status status;
  std::size_t end;  // index in buf of the terminator (found only)
};

// Finds `terminator` in the line that starts at `pos`. The line, terminator
// excluded, may hold up to `max_line` bytes; a longer line is too_long as soon
// as max_line + 1 bytes have arrived without the terminator.
line_search find_line_end(std::string_view buf, std::size_t pos, char terminator,
                          std::uint32_t max_line) noexcept {
  const std::size_t remaining = buf.size() - pos;
  const std::size_t window = std::min<std::size_t>(remaining, std::size_t{max_line} + 1);
  // Header lines ("*3", "$16") are a few bytes: look at those directly,
  // and leave longer lines to memchr.
  constexpr std::size_t short_line = 16;
  const std::size_t near = std::min(window, short_line);
  for (std::size_t i = pos; i < pos + near; ++i)
    if (buf[i] == terminator) return {line_status::found, i};
  const void* hit = std::memchr(buf.data() + pos + near, terminator, window - near);
  if (hit == nullptr) {
    return {remaining > max_line ? line_status::too_long : line_status::need_more, 0};
  }
  return {line_status::found, static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data())};
}

enum class header_status { ok, need_more, too_long, bad_number };

// read_header for any line: finds the line end, then parses the number.
header_status read_any_header(std::string_view buf, std::size_t pos, std::uint32_t max_line,
                              std::int64_t& value, std::size_t& next) noexcept {
  const line_search line = find_line_end(buf, pos, '\r', max_line);
  if (line.status == line_status::too_long) return header_status::too_long;
  if (line.status == line_status::need_more || line.end + 1 == buf.size())
    return header_status::need_more;
  if (buf[line.end + 1] != '\n' || !parse_i64(buf.substr(pos + 1, line.end - pos - 1), value))
    return header_status::bad_number;
  next = line.end + 2;
  return header_status::ok;
}

// Reads the number of the header line ("*<n>\r\n" or "$<len>\r\n") whose
// type byte is at `pos`; on ok, `next` is the index after its "\r\n".
inline header_status read_header(std::string_view buf, std::size_t pos, std::uint32_t max_line,
                                 std::int64_t& value, std::size_t& next) noexcept {
  // The usual line, up to 18 digits (no overflow) without a sign or a
  // leading zero, complete in `buf`, is read here in one pass; anything
  // else goes to read_any_header, which gives the same answer for it.
  constexpr std::size_t quick_digits = 18;
  std::size_t i = pos + 1;
  const std::size_t digits_end = std::min({buf.size(), i + quick_digits, pos + max_line});
  std::int64_t v = 0;
  for (; i < digits_end && buf[i] >= '0' && buf[i] <= '9'; ++i) v = v * 10 + (buf[i] - '0');
  const std::size_t digits = i - pos - 1;
  if (digits > 0 && (digits == 1 || buf[pos + 1] != '0') && i + 1 < buf.size() &&
      buf[i] == '\r' && buf[i + 1] == '\n') {
    value = v;
    next = i + 2;
    return header_status::ok;
  }
  return read_any_header(buf, pos, max_line, value, next);
}

parse_result parse_multibulk(std::string_view buf, std::vector<std::string_view>& args,
                             const limits& lim) {
  // Count line: "*<n>\r\n".
  std::int64_t count = 0;
  std::size_t pos = 0;
  switch (read_header(buf, 0, lim.max_inline, count, pos)) {
    case header_status::ok: break;
    case header_status::need_more: return need_more();
    case header_status::too_long: return bad(err_big_mbulk);
    case header_status::bad_number: return bad(err_mbulk_len);
  }
  if (count < -1 || count > static_cast<std::int64_t>(lim.max_args)) return bad(err_mbulk_len);
  if (count <= 0) return complete(pos);  // "*0" and "*-1": nothing to run

  const auto n = static_cast<std::size_t>(count);
  for (std::size_t i = 0; i < n; ++i) {
    // Length line: "$<len>\r\n". The '$' is checked as soon as it arrives.
    if (pos == buf.size()) return need_more();
    if (buf[pos] != '$') return bad(expected_dollar_why(buf[pos]));
    std::int64_t len = 0;
    std::size_t data = 0;
    switch (read_header(buf, pos, lim.max_inline, len, data)) {
      case header_status::ok: break;
      case header_status::need_more: return need_more();
      case header_status::too_long: return bad(err_big_bulk);
      case header_status::bad_number: return bad(err_bulk_len);
    }
    if (len < 0 || len > static_cast<std::int64_t>(lim.max_bulk)) return bad(err_bulk_len);

    // Payload, skipped by length, then "\r\n".
    const std::size_t data_end = data + static_cast<std::size_t>(len);
    if (buf.size() < data_end + 2) {
      if (buf.size() > data_end && buf[data_end] != '\r') return bad(err_bulk_crlf);
      return need_more(data_end + 2);
    }
    if (buf[data_end] != '\r' || buf[data_end + 1] != '\n') return bad(err_bulk_crlf);
    // Reserved only once an argument is known good, and never more than 1024
    // ahead: the count alone is a claim, not bytes received.
    if (i == 0) args.reserve(std::min<std::size_t>(n, 1024));
    args.push_back(buf.substr(data, static_cast<std::size_t>(len)));
    pos = data_end + 2;
  }
  return complete(pos);
}

// isspace() in the "C" locale, as sdssplitargs uses to skip blanks.
constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Splits an inline line the way Redis' sdssplitargs does, except that the
// line has a length instead of ending at the first NUL (a NUL is an ordinary
// byte here). Arguments without quotes are views into `line`; arguments with
// quotes are unescaped into `scratch`, whose capacity must be at least
// line.size() so that it never reallocates under the views already taken
// (each unescaped byte consumes at least one byte of the line).
// Returns false on unbalanced quotes.
bool split_inline(std::string_view line, std::vector<std::string_view>& args,
                  std::string& scratch) {
  const std::size_t n = line.size();
  std::size_t i = 0;
  for (;;) {
    while (i < n && is_blank(line[i])) ++i;
    if (i == n) return true;

    const std::size_t start = i;
    std::size_t scratch_start = 0;
    bool plain = true;  // no quote seen yet: the token is line[start, i)
    bool in_double = false;
    bool in_single = false;
    auto enter_quotes = [&] {
      if (plain) {
        plain = false;
        scratch_start = scratch.size();
        scratch.append(line.substr(start, i - start));
      }
    };

    for (bool done = false; !done;) {
      if (in_double) {
        if (i == n) return false;
        const char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && is_hex_digit(line[i + 2]) &&
            is_hex_digit(line[i + 3])) {
          scratch.push_back(static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          switch (e) {
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            case 'b': e = '\b'; break;
            case 'a': e = '\a'; break;
            default: break;  // \\ \" and any other: the byte itself
          }
          scratch.push_back(e);
          i += 2;
        } else if (c == '"') {
          // A closing quote must be followed by a blank or the end.
          if (i + 1 < n && !is_blank(line[i + 1])) return false;
          ++i;
          done = true;
        } else {
          scratch.push_back(c);
          ++i;
        }
      } else if (in_single) {
        if (i == n) return false;
        const char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          scratch.push_back('\'');
          i += 2;
        } else if (c == '\'') {
          if (i + 1 < n && !is_blank(line[i + 1])) return false;
          ++i;
          done = true;
        } else {
          scratch.push_back(c);
          ++i;
        }
      } else {
        if (i == n) break;
        const char c = line[i];
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
            done = true;
            break;
          case '"':
            enter_quotes();
            in_double = true;
            ++i;
            break;
          case '\'':
            enter_quotes();
            in_single = true;
            ++i;
            break;
          default:
            if (!plain) scratch.push_back(c);
            ++i;
            break;
        }
      }
    }
    if (plain) {
      args.push_back(line.substr(start, i - start));
    } else {
      args.emplace_back(scratch.data() + scratch_start, scratch.size() - scratch_start);
    }
  }
}

parse_result parse_inline(std::string_view buf, std::vector<std::string_view>& args,
                          std::string& scratch, const limits& lim) {
  const line_search nl = find_line_end(buf, 0, '\n', lim.max_inline);
  if (nl.status == line_status::too_long) return bad(err_big_inline);
  if (nl.status == line_status::need_more) return need_more();

  std::size_t line_end = nl.end;
  if (line_end > 0 && buf[line_end - 1] == '\r') --line_end;
  const std::string_view line = buf.substr(0, line_end);

  scratch.clear();
  scratch.reserve(line.size());
  if (!split_inline(line, args, scratch)) return bad(err_unbalanced);
  return complete(nl.end + 1);
}

}  // namespace

parse_result parse_command(std::string_view buf, std::vector<std::string_view>& args,
                           std::string& scratch, const limits& lim) {
  args.clear();
  if (buf.empty()) return need_more();
  parse_result r = buf[0] == '*' ? parse_multibulk(buf, args, lim)
                                 : parse_inline(buf, args, scratch, lim);
  if (r.state != parse_state::complete) args.clear();
  return r;
}

}  // namespace dkv::protocol::resp
