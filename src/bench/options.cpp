#include "dkv/bench/options.hpp"

#include <charconv>
#include <cmath>

namespace dkv::bench {
namespace {

constexpr std::string_view usage =
    "usage: kv-bench [-a host:port]... [-c CONNS] [-P PIPELINE] (-n REQUESTS | --duration S)\n"
    "                [-r KEYSPACE] [-d VALUE_SIZE] [--ratio GET:SET] [--warmup S]\n"
    "                [--key-pattern random|sequential] [--seed N] [--json]\n"
    "                [--timeout S] [--allow-remote]\n"
    "Load generator for the dkv binary protocol (single thread, one coroutine per\n"
    "connection, PIPELINE requests in flight on each).\n"
    "  -a host:port        node to load; repeat to spread connections round-robin\n"
    "                      (default $DKV_ADDR, else 127.0.0.1:8001)\n"
    "  -c CONNS            connections (default 50)\n"
    "  -P PIPELINE         requests in flight per connection (default 1)\n"
    "  -n REQUESTS         measured requests, then stop (default 100000)\n"
    "  --duration S        measure for S seconds instead of -n\n"
    "  -r KEYSPACE         keys key:000000000000 .. KEYSPACE-1 (default 1000000)\n"
    "  -d VALUE_SIZE       SET value bytes (default 16)\n"
    "  --ratio GET:SET     operation mix, e.g. 0:1 SET only, 9:1 (default 1:1)\n"
    "  --key-pattern P     random (uniform, default) or sequential (0, 1, 2, ...)\n"
    "  --warmup S          unmeasured load for S seconds first (default 0)\n"
    "  --seed N            PRNG seed (default 1)\n"
    "  --json              print one JSON object instead of the report\n"
    "  --timeout S         hard cap on the run (default duration+warmup+30, or 600)\n"
    "  --allow-remote      allow addresses outside 127.0.0.0/8 and ::1\n"
    "Exit status: 0 all requests succeeded, 1 some failed or the run was cut, 2 usage.\n";

template <class T>
std::optional<T> integer(std::string_view text) {
  T v{};
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || p != end || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> seconds(std::string_view text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || p != end || text.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

parse_result failure(std::string why) { return parse_result{std::nullopt, std::move(why)}; }

}  // namespace

double options::hard_cap_seconds() const noexcept {
  if (timeout) return *timeout;
  if (duration) return warmup + *duration + 30;
  return 600;
}

std::string_view usage_text() noexcept { return usage; }

parse_result parse_options(std::span<const std::string_view> args) {
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      o.help = true;
      return parse_result{o, {}};
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--allow-remote") {
      o.allow_remote = true;
      continue;
    }
    if (i + 1 >= args.size()) return failure("option " + std::string(a) + " needs a value");
    const std::string_view v = args[++i];
    const std::string bad = "invalid value '" + std::string(v) + "' for " + std::string(a);
    if (a == "-a") {
      o.addresses.emplace_back(v);
    } else if (a == "-c") {
      const auto n = integer<std::uint32_t>(v);
      if (!n || *n < 1 || *n > max_connections) return failure(bad + " (1..10000)");
      o.connections = *n;
    } else if (a == "-P") {
      const auto n = integer<std::uint32_t>(v);
      if (!n || *n < 1 || *n > max_pipeline) return failure(bad + " (1..1024)");
      o.pipeline = *n;
    } else if (a == "-n") {
      const auto n = integer<std::uint64_t>(v);
      if (!n || *n < 1 || *n > max_requests) return failure(bad + " (1..10^10)");
      o.requests = *n;
    } else if (a == "--duration") {
      const auto s = seconds(v);
      if (!s || *s <= 0 || *s > max_duration) return failure(bad + " (0 < S <= 3600)");
      o.duration = *s;
    } else if (a == "-r") {
      const auto n = integer<std::uint64_t>(v);
      if (!n || *n < 1 || *n > max_keyspace) return failure(bad + " (1..10^12)");
      o.keyspace = *n;
    } else if (a == "-d") {
      const auto n = integer<std::uint32_t>(v);
      if (!n || *n > max_value_size) return failure(bad + " (0..4194304)");
      o.value_size = *n;
    } else if (a == "--ratio") {
      const auto colon = v.find(':');
      if (colon == std::string_view::npos) return failure(bad + " (GET:SET, e.g. 1:1)");
      const auto g = integer<std::uint32_t>(v.substr(0, colon));
      const auto s = integer<std::uint32_t>(v.substr(colon + 1));
      if (!g || !s || (*g == 0 && *s == 0) || *g > 1'000'000 || *s > 1'000'000)
        return failure(bad + " (GET:SET, e.g. 1:1)");
      o.get_weight = *g;
      o.set_weight = *s;
    } else if (a == "--key-pattern") {
      if (v == "random") o.pattern = key_pattern::random;
      else if (v == "sequential") o.pattern = key_pattern::sequential;
      else return failure(bad + " (random or sequential)");
    } else if (a == "--warmup") {
      const auto s = seconds(v);
      if (!s || *s < 0 || *s > max_warmup) return failure(bad + " (0..600)");
      o.warmup = *s;
    } else if (a == "--seed") {
      const auto n = integer<std::uint64_t>(v);
      if (!n) return failure(bad);
      o.seed = *n;
    } else if (a == "--timeout") {
      const auto s = seconds(v);
      if (!s || *s <= 0 || *s > max_timeout) return failure(bad + " (0 < S <= 7200)");
      o.timeout = *s;
    } else {
      return failure("unknown option " + std::string(a));
    }
  }
  if (o.requests && o.duration) return failure("-n and --duration exclude each other");
  if (!o.requests && !o.duration) o.requests = 100'000;
  return parse_result{o, {}};
}

}  // namespace dkv::bench
