// kv-bench: a load generator for the dkv binary protocol, in the manner of
// redis-benchmark and memtier_benchmark. See `kv-bench --help`.
//
// It loads loopback addresses only unless told --allow-remote, and it always
// stops by itself: after -n requests or --duration seconds, and in any case
// at the hard cap (--timeout).

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dkv/bench/options.hpp"
#include "dkv/config/host_port.hpp"
#include "load.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr int exit_ok = 0, exit_failed = 1, exit_usage = 2;

int usage_error(const std::string& msg) {
  std::cerr << "kv-bench: " << msg << " (see kv-bench --help)\n";
  return exit_usage;
}

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();  // 127.0.0.0/8
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();  // ::1
}

// Resolves one -a address. Without --allow-remote only IP literals and
// "localhost" are looked up, and every address they give must be loopback.
std::optional<kv_bench::target> resolve(asio::io_context& ioc, const std::string& text,
                                        bool allow_remote, std::string& why) {
  const auto hp = dkv::config::parse_host_port(text);
  if (!hp || hp->port == 0) {
    why = "invalid address '" + text + "': expected host:port";
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(hp->host, ec);
  if (ec && hp->host != "localhost" && !allow_remote) {
    why = "refusing '" + text + "': only loopback addresses (127.0.0.0/8, ::1, localhost) " +
          "without --allow-remote";
    return std::nullopt;
  }
  kv_bench::target t{text, {}};
  if (!ec) {
    t.endpoints.emplace_back(literal, hp->port);
  } else {
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(hp->host, std::to_string(hp->port), ec);
    if (ec) {
      why = "cannot resolve '" + text + "': " + ec.message();
      return std::nullopt;
    }
    for (const auto& r : results) t.endpoints.push_back(r.endpoint());
  }
  for (const auto& ep : t.endpoints) {
    if (!allow_remote && !is_loopback(ep.address())) {
      why = "refusing '" + text + "' (" + ep.address().to_string() +
            "): not a loopback address; pass --allow-remote to load another machine";
      return std::nullopt;
    }
  }
  if (t.endpoints.empty()) {
    why = "'" + text + "' resolves to no address";
    return std::nullopt;
  }
  return t;
}

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

void print_json(const kv_bench::results& r) {
  const auto& h = r.latency;
  const double ops = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0.0;
  std::printf(
      "{\"ops_per_sec\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
      "\"max_us\": %.1f, \"mean_us\": %.1f, \"requests\": %llu, \"errors\": %llu, "
      "\"seconds\": %.6f, \"gets\": %llu, \"sets\": %llu, \"get_hits\": %llu, "
      "\"get_misses\": %llu, \"cut\": %s}\n",
      ops, us(h.value_at_percentile(50)), us(h.value_at_percentile(99)),
      us(h.value_at_percentile(99.9)), us(h.max()), h.mean() / 1000.0,
      static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.errors()),
      r.seconds, static_cast<unsigned long long>(r.gets), static_cast<unsigned long long>(r.sets),
      static_cast<unsigned long long>(r.hits), static_cast<unsigned long long>(r.misses),
      r.cut ? "true" : "false");
}

void print_report(const dkv::bench::options& o, const std::vector<kv_bench::target>& targets,
                  const kv_bench::results& r) {
  const auto& h = r.latency;
  std::string where;
  for (const auto& t : targets) where += (where.empty() ? "" : ", ") + t.name;
  std::printf("kv-bench: %u connections over %zu node%s (%s), pipeline %u, GET:SET %u:%u,\n"
              "          %u-byte values, key space %llu (%s), seed %llu, warmup %g s\n",
              o.connections, targets.size(), targets.size() == 1 ? "" : "s", where.c_str(),
              o.pipeline, o.get_weight, o.set_weight, o.value_size,
              static_cast<unsigned long long>(o.keyspace),
              o.pattern == dkv::bench::key_pattern::random ? "uniform" : "sequential",
              static_cast<unsigned long long>(o.seed), o.warmup);
  const double ops = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0.0;
  std::printf("requests:   %llu in %.3f s (GET %llu: %llu hits, %llu misses; SET %llu)\n",
              static_cast<unsigned long long>(r.requests), r.seconds,
              static_cast<unsigned long long>(r.gets), static_cast<unsigned long long>(r.hits),
              static_cast<unsigned long long>(r.misses), static_cast<unsigned long long>(r.sets));
  std::printf("throughput: %.0f ops/s\n", ops);
  std::printf("latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (mean %.1f)\n",
              us(h.value_at_percentile(50)), us(h.value_at_percentile(99)),
              us(h.value_at_percentile(99.9)), us(h.max()), h.mean() / 1000.0);
  std::printf("errors:     %llu\n", static_cast<unsigned long long>(r.errors()));
}

void print_problems(const kv_bench::results& r) {
  for (const auto& [why, n] : r.error_kinds)
    std::fprintf(stderr, "kv-bench: %llu x %s\n", static_cast<unsigned long long>(n), why.c_str());
  if (r.cut)
    std::fprintf(stderr, "kv-bench: run cut short: %s (%llu requests unanswered)\n",
                 r.cut_reason.c_str(), static_cast<unsigned long long>(r.unanswered));
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = dkv::bench::parse_options(args);
  if (!parsed.value) return usage_error(parsed.error);
  auto& opts = *parsed.value;
  if (opts.help) {
    std::cout << dkv::bench::usage_text();
    return exit_ok;
  }
  if (opts.addresses.empty()) {
    const char* env = std::getenv("DKV_ADDR");
    opts.addresses.emplace_back(env ? env : "127.0.0.1:8001");
  }

  asio::io_context ioc{1};
  std::vector<kv_bench::target> targets;
  for (const auto& a : opts.addresses) {
    std::string why;
    auto t = resolve(ioc, a, opts.allow_remote, why);
    if (!t) return usage_error(why);
    targets.push_back(std::move(*t));
  }

  kv_bench::load run(ioc, opts, std::move(targets));
  run.start();
  ioc.run();

  const auto& r = run.result();
  if (opts.json) print_json(r);
  else print_report(opts, run.targets(), r);
  print_problems(r);
  return r.errors() == 0 && !r.cut ? exit_ok : exit_failed;
}
