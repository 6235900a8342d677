#pragma once
// Latency histogram with log-linear buckets (the HdrHistogram layout): values
// below 2^b are counted exactly; above, every power-of-two range [2^k, 2^k+1)
// is split into 2^b equal buckets. A bucket is therefore at most 1/2^b of the
// values it holds wide, so any value read back (a percentile, the max) is
// within 1/2^b of a recorded one: 0.78% with the default b = 7.
//
// Memory is fixed at construction (~30 KiB for nanoseconds up to 60 s) and
// recording is O(1) with no allocation, so a load generator can record every
// request without keeping the samples. Pure: no clock, no I/O.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dkv::bench {

class histogram {
 public:
  static constexpr std::uint64_t default_highest = 60'000'000'000;  // 60 s in ns
  static constexpr unsigned default_sub_bucket_bits = 7;            // <= 0.78% error

  // Tracks values 0..`highest` with 2^`sub_bucket_bits` buckets per power of
  // two (1 <= sub_bucket_bits <= 16). Larger values are counted in the top
  // bucket (see overflow()); min() and max() stay exact.
  explicit histogram(std::uint64_t highest = default_highest,
                     unsigned sub_bucket_bits = default_sub_bucket_bits);

  void record(std::uint64_t value) noexcept;
  // Adds every count of `other`, which must have the same highest and bits.
  void merge(const histogram& other);
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t overflow() const noexcept { return overflow_; }  // values > highest
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;

  // The smallest value v such that at least `percentile` % of the recorded
  // values are <= v, within the bucket resolution: the highest value of the
  // bucket holding that rank, clamped to [min(), max()]. 0 when empty;
  // percentile is clamped to [0, 100] (0 gives min(), 100 gives max()).
  std::uint64_t value_at_percentile(double percentile) const noexcept;

  // Upper bound of the relative error of value_at_percentile: 1 / 2^bits.
  double max_relative_error() const noexcept;
  std::size_t bucket_count() const noexcept { return counts_.size(); }

 private:
  std::size_t index_of(std::uint64_t value) const noexcept;
  std::uint64_t highest_in_bucket(std::size_t index) const noexcept;

  std::uint64_t highest_;
  unsigned bits_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace dkv::bench
