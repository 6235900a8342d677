#pragma once
// RESP2 reply encoders: each appends one reply to an output buffer (never
// clears it), so several replies can be batched before one write.
// simple_string and error are one-line replies: a CR or LF inside the text is
// written as a space, so a message quoting client bytes cannot break framing.

#include <cstdint>
#include <string>
#include <string_view>

namespace dkv::protocol::resp {

void simple_string(std::string& out, std::string_view s);  // +OK\r\n
void ok(std::string& out);                                  // +OK\r\n, the common case
void error(std::string& out, std::string_view msg);         // -ERR msg\r\n (msg given whole, e.g. "ERR ...")
void integer(std::string& out, std::int64_t v);             // :1\r\n
void bulk(std::string& out, std::string_view s);            // $3\r\nabc\r\n
void null_bulk(std::string& out);                           // $-1\r\n
void array_header(std::string& out, std::size_t n);         // *n\r\n
void null_array(std::string& out);                          // *-1\r\n

}  // namespace dkv::protocol::resp
