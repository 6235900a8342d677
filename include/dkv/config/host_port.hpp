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
  std::string to_string() const { return host + ":" + std::to_string(port); }
  bool operator==(const host_port&) const = default;
};

// Parses "host:port" ("[::1]:8001" for IPv6). Returns nullopt when the host
// is empty, the port is missing, not a number, or outside 0..65535.
// With `port_optional`, a bare "host" parses with port 0.
std::optional<host_port> parse_host_port(std::string_view text, bool port_optional = false);

}  // namespace dkv::config
