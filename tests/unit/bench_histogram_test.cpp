#define BOOST_TEST_MODULE bench_histogram
#include <boost/test/unit_test.hpp>

// The latency histogram of kv-bench: exact below 2^bits, within 1/2^bits
// above, percentiles by rank, and the key/PRNG helpers it is used with.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dkv/bench/histogram.hpp"
#include "dkv/bench/workload.hpp"

using dkv::bench::histogram;

namespace {

// The exact percentile of a sorted sample, with the histogram's definition:
// the smallest value with at least p% of the samples at or below it.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

bool within(std::uint64_t got, std::uint64_t want, double rel) {
  const double diff = got > want ? double(got - want) : double(want - got);
  return diff <= rel * double(want);
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_histogram_reads_zero) {
  histogram h;
  BOOST_TEST(h.count() == 0u);
  BOOST_TEST(h.min() == 0u);
  BOOST_TEST(h.max() == 0u);
  BOOST_TEST(h.mean() == 0.0);
  BOOST_TEST(h.value_at_percentile(50) == 0u);
  BOOST_TEST(h.value_at_percentile(100) == 0u);
}

BOOST_AUTO_TEST_CASE(small_values_are_exact) {
  histogram h;
  for (std::uint64_t v = 0; v < 128; ++v) h.record(v);
  BOOST_TEST(h.count() == 128u);
  BOOST_TEST(h.min() == 0u);
  BOOST_TEST(h.max() == 127u);
  BOOST_TEST(h.value_at_percentile(50) == 63u);  // rank 64
  BOOST_TEST(h.value_at_percentile(0) == 0u);
  BOOST_TEST(h.value_at_percentile(100) == 127u);
  BOOST_TEST(h.mean() == 63.5);
}

BOOST_AUTO_TEST_CASE(relative_error_is_below_one_percent_from_1us_to_60s) {
  histogram h;
  BOOST_TEST(h.max_relative_error() < 0.01);
  // ~1.7% geometric steps over the whole range, plus the edges of every
  // power of two (where a bucket row starts and ends).
  std::vector<std::uint64_t> values;
  for (double v = 1000; v <= 60e9; v *= 1.017) values.push_back(static_cast<std::uint64_t>(v));
  for (unsigned k = 10; k < 36; ++k) {
    values.push_back((std::uint64_t{1} << k) - 1);
    values.push_back(std::uint64_t{1} << k);
    values.push_back((std::uint64_t{1} << k) + 1);
  }
  values.push_back(histogram::default_highest);
  for (const auto v : values) {
    histogram one;
    one.record(v);
    one.record(1);  // so that clamping to max() does not hide the bucket bound
    const auto got = one.value_at_percentile(100);
    BOOST_TEST(got == v);  // max is exact
    histogram two;
    two.record(v);
    two.record(v + v / 2);  // p50 comes from the bucket of v, not from max()
    two.record(0);
    const auto p = two.value_at_percentile(60);
    BOOST_TEST_INFO("value " << v << " read back as " << p);
    BOOST_TEST(p >= v);
    BOOST_TEST(within(p, v, two.max_relative_error()));
  }
}

BOOST_AUTO_TEST_CASE(percentiles_match_the_sorted_sample) {
  histogram h;
  std::vector<std::uint64_t> sample;
  dkv::bench::splitmix64 rng(42);
  for (int i = 0; i < 200'000; ++i) {
    // Log-uniform over 1 us .. 100 ms, like a latency distribution's spread.
    const double exp = 3.0 + 5.0 * double(rng.below(1'000'000)) / 1e6;
    const auto v = static_cast<std::uint64_t>(std::pow(10.0, exp));
    sample.push_back(v);
    h.record(v);
  }
  std::sort(sample.begin(), sample.end());
  for (const double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    const auto want = exact_percentile(sample, p);
    const auto got = h.value_at_percentile(p);
    BOOST_TEST_INFO("p" << p << ": exact " << want << ", histogram " << got);
    BOOST_TEST(within(got, want, 0.01));
  }
  BOOST_TEST(h.value_at_percentile(100) == sample.back());
  BOOST_TEST(h.min() == sample.front());
  BOOST_TEST(h.count() == sample.size());
}

BOOST_AUTO_TEST_CASE(values_over_the_top_are_counted_and_max_stays_exact) {
  histogram h(1'000'000);
  h.record(10);
  h.record(5'000'000);
  BOOST_TEST(h.overflow() == 1u);
  BOOST_TEST(h.count() == 2u);
  BOOST_TEST(h.max() == 5'000'000u);
  BOOST_TEST(h.value_at_percentile(100) == 5'000'000u);
  BOOST_TEST(h.value_at_percentile(50) == 10u);
}

BOOST_AUTO_TEST_CASE(merge_adds_and_reset_clears) {
  histogram a, b;
  for (std::uint64_t v = 1; v <= 1000; ++v) a.record(v * 1000);
  for (std::uint64_t v = 1001; v <= 2000; ++v) b.record(v * 1000);
  a.merge(b);
  BOOST_TEST(a.count() == 2000u);
  BOOST_TEST(a.min() == 1000u);
  BOOST_TEST(a.max() == 2'000'000u);
  BOOST_TEST(within(a.value_at_percentile(50), 1'000'000, 0.01));
  BOOST_CHECK_THROW(a.merge(histogram(1000)), std::invalid_argument);
  a.reset();
  BOOST_TEST(a.count() == 0u);
  BOOST_TEST(a.max() == 0u);
  BOOST_TEST(a.value_at_percentile(99) == 0u);
  a.record(7);
  BOOST_TEST(a.min() == 7u);
}

BOOST_AUTO_TEST_CASE(memory_is_small_and_fixed) {
  histogram h;  // 1 ns resolution up to 60 s
  BOOST_TEST(h.bucket_count() < 4096u);
  BOOST_CHECK_THROW(histogram(1000, 0), std::invalid_argument);
  BOOST_CHECK_THROW(histogram(0), std::invalid_argument);
}

// ---- workload helpers ------------------------------------------------------

BOOST_AUTO_TEST_CASE(splitmix64_reference_sequence) {
  // First outputs for seed 0 of the reference implementation (Vigna's
  // splitmix64.c).
  dkv::bench::splitmix64 g(0);
  BOOST_TEST(g.next() == 0xE220A8397B1DCDAFull);
  BOOST_TEST(g.next() == 0x6E789E6AA1B965F4ull);
  BOOST_TEST(g.next() == 0x06C45D188009454Full);
}

BOOST_AUTO_TEST_CASE(below_stays_in_range_and_covers_it) {
  dkv::bench::splitmix64 g(7);
  std::vector<int> seen(10, 0);
  for (int i = 0; i < 10'000; ++i) {
    const auto v = g.below(10);
    BOOST_REQUIRE(v < 10u);
    ++seen[v];
  }
  for (const int n : seen) BOOST_TEST((n > 850 && n < 1150));
  BOOST_TEST(g.below(1) == 0u);
}

BOOST_AUTO_TEST_CASE(keys_are_redis_benchmark_names) {
  char buf[dkv::bench::key_size];
  BOOST_TEST(dkv::bench::format_key(buf, 0) == "key:000000000000");
  BOOST_TEST(dkv::bench::format_key(buf, 999'999) == "key:000000999999");
  BOOST_TEST(dkv::bench::format_key(buf, 999'999'999'999) == "key:999999999999");
  BOOST_TEST(dkv::bench::key_size == 16u);
  BOOST_TEST(dkv::bench::connection_seed(1, 0) != dkv::bench::connection_seed(1, 1));
  BOOST_TEST(dkv::bench::connection_seed(1, 0) != dkv::bench::connection_seed(2, 0));
}
