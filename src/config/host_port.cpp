#include "dkv/config/host_port.hpp"

#include <algorithm>
#include <charconv>

// Accepted forms:
//   name:port        name   = [A-Za-z0-9._-]+  (DNS name or IPv4 literal)
//   [v6]:port        v6     = [0-9A-Fa-f:.]+ with at least one ':',
//                             optionally followed by %zone ([A-Za-z0-9._-]+)
//   name | [v6] | v6 only with port_optional (port 0); a bare v6 needs at
//                    least two ':' so that "host:80" is never read as a host.
// port = 1 to 5 decimal digits, value 0..65535; no sign, no spaces.
// The host is stored without brackets; host_port::to_string adds them back.

namespace dkv::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

bool is_hex_or_sep(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
         c == ':' || c == '.';
}

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

bool valid_v6(std::string_view s) {
  const auto pct = s.find('%');
  const auto addr = s.substr(0, pct);
  if (addr.empty() || addr.find(':') == std::string_view::npos) return false;
  if (!std::all_of(addr.begin(), addr.end(), is_hex_or_sep)) return false;
  return pct == std::string_view::npos || valid_name(s.substr(pct + 1));
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<host_port> parse_host_port(std::string_view text, bool port_optional) {
  std::string_view host;
  std::string_view rest;  // what follows the host: "" or ":port"

  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!valid_v6(host)) return std::nullopt;
  } else {
    const auto first = text.find(':');
    if (first != std::string_view::npos && text.find(':', first + 1) != std::string_view::npos) {
      // Two or more ':' without brackets: only a bare IPv6 host is possible.
      if (!port_optional || !valid_v6(text)) return std::nullopt;
      return host_port{std::string(text), 0};
    }
    host = text.substr(0, first);
    rest = first == std::string_view::npos ? std::string_view{} : text.substr(first);
    if (!valid_name(host)) return std::nullopt;
  }

  if (rest.empty()) {
    if (!port_optional) return std::nullopt;
    return host_port{std::string(host), 0};
  }
  if (rest.front() != ':') return std::nullopt;
  const auto port = parse_port(rest.substr(1));
  if (!port) return std::nullopt;
  return host_port{std::string(host), *port};
}

}  // namespace dkv::config
