#pragma once
// "host:port" addresses as given on the command line and in the REPL.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dkv::config {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
  // "host:port", or "[v6]:port" when the host is an IPv6 literal, so that
  // parse_host_port(to_string()) gives the same value back.
  std::string to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  bool operator==(const host_port&) const = default;
};

// Parses "host:port" ("[::1]:8001" for IPv6; the host is kept without the
// brackets). Returns nullopt when the host is empty or has characters outside
// [A-Za-z0-9._-] (IPv6: hex digits, ':' and '.', optional %zone), or the port
// is missing, not a number, or outside 0..65535.
// With `port_optional`, a bare "host" (or "[v6]", or "v6") parses with port 0.
std::optional<host_port> parse_host_port(std::string_view text, bool port_optional = false);

}  // namespace dkv::config
