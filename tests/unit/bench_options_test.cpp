#define BOOST_TEST_MODULE bench_options
#include <boost/test/unit_test.hpp>

// kv-bench's command line: defaults, every option, and refusals.

#include <string_view>
#include <vector>

#include "dkv/bench/options.hpp"

using dkv::bench::parse_options;

namespace {
dkv::bench::parse_result parse(std::vector<std::string_view> args) { return parse_options(args); }
}  // namespace

BOOST_AUTO_TEST_CASE(defaults) {
  const auto r = parse({});
  BOOST_REQUIRE(r.value);
  const auto& o = *r.value;
  BOOST_TEST(o.addresses.empty());
  BOOST_TEST(o.connections == 50u);
  BOOST_TEST(o.pipeline == 1u);
  BOOST_TEST(*o.requests == 100'000u);
  BOOST_TEST(!o.duration);
  BOOST_TEST(o.keyspace == 1'000'000u);
  BOOST_TEST(o.value_size == 16u);
  BOOST_TEST(o.get_weight == 1u);
  BOOST_TEST(o.set_weight == 1u);
  BOOST_TEST(!o.json);
  BOOST_TEST(!o.allow_remote);
  BOOST_TEST(o.hard_cap_seconds() == 600.0);
}

BOOST_AUTO_TEST_CASE(every_option) {
  const auto r = parse({"-a", "127.0.0.1:1", "-a", "[::1]:2", "-c", "8", "-P", "16",
                        "--duration", "2.5", "-r", "1000", "-d", "1024", "--ratio", "9:1",
                        "--warmup", "1", "--json", "--seed", "99", "--key-pattern",
                        "sequential", "--allow-remote"});
  BOOST_REQUIRE(r.value);
  const auto& o = *r.value;
  BOOST_TEST(o.addresses.size() == 2u);
  BOOST_TEST(o.addresses[1] == "[::1]:2");
  BOOST_TEST(o.connections == 8u);
  BOOST_TEST(o.pipeline == 16u);
  BOOST_TEST(!o.requests);
  BOOST_TEST(*o.duration == 2.5);
  BOOST_TEST(o.keyspace == 1000u);
  BOOST_TEST(o.value_size == 1024u);
  BOOST_TEST(o.get_weight == 9u);
  BOOST_TEST(o.set_weight == 1u);
  BOOST_TEST(o.warmup == 1.0);
  BOOST_TEST(o.json);
  BOOST_TEST(o.seed == 99u);
  BOOST_TEST((o.pattern == dkv::bench::key_pattern::sequential));
  BOOST_TEST(o.allow_remote);
  BOOST_TEST(o.hard_cap_seconds() == 33.5);  // warmup + duration + 30
}

BOOST_AUTO_TEST_CASE(timeout_overrides_the_hard_cap) {
  const auto r = parse({"-n", "10", "--timeout", "5"});
  BOOST_REQUIRE(r.value);
  BOOST_TEST(r.value->hard_cap_seconds() == 5.0);
}

BOOST_AUTO_TEST_CASE(help) {
  const auto r = parse({"--help"});
  BOOST_REQUIRE(r.value);
  BOOST_TEST(r.value->help);
  BOOST_TEST(!dkv::bench::usage_text().empty());
}

BOOST_AUTO_TEST_CASE(refusals) {
  const std::vector<std::vector<std::string_view>> bad = {
      {"-n", "10", "--duration", "1"},  // both
      {"-n", "0"},
      {"-n", "abc"},
      {"-c", "0"},
      {"-c", "10001"},
      {"-P", "0"},
      {"-P", "1025"},
      {"--duration", "0"},
      {"--duration", "3601"},
      {"--duration", "nan"},
      {"-r", "0"},
      {"-r", "1000000000001"},
      {"-d", "-1"},
      {"--ratio", "1"},
      {"--ratio", "0:0"},
      {"--ratio", "a:1"},
      {"--warmup", "-1"},
      {"--key-pattern", "zipf"},
      {"--timeout", "0"},
      {"-c"},  // missing value
      {"--bogus"},
  };
  for (const auto& args : bad) {
    const auto r = parse(args);
    BOOST_TEST_INFO("args starting " << args.front());
    BOOST_TEST(!r.value);
    BOOST_TEST(!r.error.empty());
  }
}
