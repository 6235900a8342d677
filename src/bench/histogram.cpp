#include "dkv/bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace dkv::bench {

// Layout, with s = 2^bits sub-buckets:
//   index i < s          holds exactly the value i;
//   otherwise, with e = floor(log2 v) - bits (v >= s, so e >= 0),
//   index = (e + 1) * s + (v >> e) - s, i.e. the row e + 1 of s buckets of
//   width 2^e covering [2^(bits+e), 2^(bits+e+1)).
// Rows are contiguous, so the index grows with the value and a cumulative
// walk over the array visits values in order.

histogram::histogram(std::uint64_t highest, unsigned sub_bucket_bits)
    : highest_(highest), bits_(sub_bucket_bits) {
  if (bits_ < 1 || bits_ > 16) throw std::invalid_argument("histogram: sub_bucket_bits 1..16");
  if (highest_ < 1) throw std::invalid_argument("histogram: highest must be >= 1");
  counts_.assign(index_of(highest_) + 1, 0);
}

std::size_t histogram::index_of(std::uint64_t value) const noexcept {
  const std::uint64_t s = std::uint64_t{1} << bits_;
  if (value < s) return static_cast<std::size_t>(value);
  const unsigned e = static_cast<unsigned>(std::bit_width(value)) - 1 - bits_;
  return static_cast<std::size_t>((e + 1) * s + (value >> e) - s);
}

std::uint64_t histogram::highest_in_bucket(std::size_t index) const noexcept {
  const std::uint64_t s = std::uint64_t{1} << bits_;
  if (index < s) return index;
  const std::uint64_t row = index / s;  // >= 1
  const unsigned e = static_cast<unsigned>(row - 1);
  const std::uint64_t sub = index % s + s;  // v >> e for the bucket's values
  return ((sub + 1) << e) - 1;
}

void histogram::record(std::uint64_t value) noexcept {
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
  if (value > highest_) {
    ++overflow_;
    value = highest_;
  }
  ++counts_[index_of(value)];
}

void histogram::merge(const histogram& other) {
  if (other.highest_ != highest_ || other.bits_ != bits_)
    throw std::invalid_argument("histogram: merge of different layouts");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  overflow_ += other.overflow_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = overflow_ = max_ = 0;
  min_ = UINT64_MAX;
  sum_ = 0;
}

double histogram::mean() const noexcept {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

std::uint64_t histogram::value_at_percentile(double percentile) const noexcept {
  if (count_ == 0) return 0;
  if (!(percentile > 0)) return min();  // also NaN
  if (percentile >= 100) return max_;
  // Rank of the wanted value, 1-based: ceil(p% of count), at least 1.
  auto rank = static_cast<std::uint64_t>(
      std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_in_bucket(i), min(), max_);
  }
  return max_;
}

double histogram::max_relative_error() const noexcept {
  return 1.0 / static_cast<double>(std::uint64_t{1} << bits_);
}

}  // namespace dkv::bench
