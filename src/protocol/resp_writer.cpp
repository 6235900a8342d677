#include "dkv/protocol/resp_writer.hpp"

#include <charconv>

namespace dkv::protocol::resp {
namespace {

constexpr std::string_view crlf = "\r\n";

// Appends `type` + `v` + CRLF, formatted on the stack.
template <typename Int>
void append_number_line(std::string& out, char type, Int v) {
  char buf[1 + 20 + 2];  // type, up to 20 characters of int64/uint64, CRLF
  buf[0] = type;
  const auto res = std::to_chars(buf + 1, buf + sizeof buf - 2, v);
  char* end = res.ptr;
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// Appends `type` + `s` + CRLF with any CR or LF of `s` shown as a space: a
// one-line reply must not be able to end early or inject another reply.
void append_line(std::string& out, char type, std::string_view s) {
  out.reserve(out.size() + 1 + s.size() + crlf.size());
  out.push_back(type);
  const std::size_t first = out.size();
  out.append(s);
  for (std::size_t i = first; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out.append(crlf);
}

}  // namespace

void simple_string(std::string& out, std::string_view s) { append_line(out, '+', s); }

void ok(std::string& out) { out.append("+OK\r\n"); }

void error(std::string& out, std::string_view msg) { append_line(out, '-', msg); }

void integer(std::string& out, std::int64_t v) { append_number_line(out, ':', v); }

void bulk(std::string& out, std::string_view s) {
  out.reserve(out.size() + 1 + 20 + 2 + s.size() + 2);
  append_number_line(out, '$', s.size());
  out.append(s);
  out.append(crlf);
}

void null_bulk(std::string& out) { out.append("$-1\r\n"); }

void array_header(std::string& out, std::size_t n) { append_number_line(out, '*', n); }

void null_array(std::string& out) { out.append("*-1\r\n"); }

}  // namespace dkv::protocol::resp
