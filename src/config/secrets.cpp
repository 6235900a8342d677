#include "dkv/config/secrets.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace dkv::config {

std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read secret file '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  std::string s;
  char chunk[1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    s.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (s.size() > max_secret_size + 2) break;  // room for a CRLF
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  if (s.empty()) {
    error = "secret file '" + path + "' is empty";
    return std::nullopt;
  }
  if (s.size() > max_secret_size) {
    error = "secret file '" + path + "' holds more than " + std::to_string(max_secret_size) +
            " bytes";
    return std::nullopt;
  }
  return s;
}

int scrub_argv(int argc, char** argv, std::span<const std::string_view> names) {
  int scrubbed = 0;
  const auto blank = [&](char* s) {
    for (; *s; ++s) *s = '*';
    ++scrubbed;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("--")) continue;
    const std::string_view rest = arg.substr(2);
    for (const auto name : names) {
      if (rest == name && i + 1 < argc) {
        blank(argv[++i]);
        break;
      }
      if (rest.size() > name.size() && rest.starts_with(name) && rest[name.size()] == '=') {
        blank(argv[i] + 2 + name.size() + 1);
        break;
      }
    }
  }
  return scrubbed;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // A dotted IPv4 literal in 127.0.0.0/8 (not a name that starts with "127.").
  return host.starts_with("127.") &&
         host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace dkv::config
