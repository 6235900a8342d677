#pragma once
// Command line of kv-bench (see usage_text()). Pure parsing and range checks:
// addresses stay text here and are resolved and vetted by the app.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::bench {

enum class key_pattern { random, sequential };

struct options {
  std::vector<std::string> addresses;  // "host:port"; empty = the app's default
  std::uint32_t connections = 50;
  std::uint32_t pipeline = 1;
  std::optional<std::uint64_t> requests;  // -n: stop after this many measured requests
  std::optional<double> duration;         // --duration: stop issuing after this many seconds
  std::uint64_t keyspace = 1'000'000;     // keys key:000000000000 .. key:<keyspace-1>
  std::uint32_t value_size = 16;
  std::uint32_t get_weight = 1;  // --ratio GET:SET
  std::uint32_t set_weight = 1;
  key_pattern pattern = key_pattern::random;
  double warmup = 0;  // seconds of unmeasured load before measuring
  bool json = false;
  std::uint64_t seed = 1;
  bool allow_remote = false;
  std::optional<double> timeout;  // hard cap on the whole run, seconds
  bool help = false;

  // The hard cap in force: --timeout, else warmup + duration + 30 s, else 600 s.
  double hard_cap_seconds() const noexcept;
};

inline constexpr std::uint32_t max_connections = 10'000;
inline constexpr std::uint32_t max_pipeline = 1024;
inline constexpr std::uint64_t max_requests = 10'000'000'000;
inline constexpr double max_duration = 3600;
inline constexpr double max_warmup = 600;
inline constexpr double max_timeout = 7200;
inline constexpr std::uint64_t max_keyspace = 1'000'000'000'000;  // 12 digits
inline constexpr std::uint32_t max_value_size = 4u << 20;

struct parse_result {
  std::optional<options> value;  // set on success (also with --help)
  std::string error;             // why not, on failure
};

// Parses the arguments after the program name. Without -n and --duration,
// -n 100000. Both together are an error.
parse_result parse_options(std::span<const std::string_view> args);

std::string_view usage_text() noexcept;

}  // namespace dkv::bench
