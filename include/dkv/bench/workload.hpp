#pragma once
// What kv-bench sends: a deterministic PRNG (splitmix64), the key names and
// the GET/SET choice. Pure and header-only so the tests pin the sequence.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dkv::bench {

// splitmix64 (Steele, Lea, Flood 2014): 64-bit state, one add and a mix per
// number; passes BigCrush, and every seed is a good seed.
class splitmix64 {
 public:
  explicit constexpr splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is
  // below n / 2^64, invisible for any key space we use).
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using u128 = unsigned __int128;  // GCC/Clang; quiet under -Wpedantic
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }

 private:
  std::uint64_t state_;
};

// Keys are "key:" and 12 zero-padded decimal digits, 16 bytes: the names
// redis-benchmark gives its -r keys, so both tools address the same keys.
inline constexpr std::size_t key_digits = 12;
inline constexpr std::size_t key_size = 4 + key_digits;

// Writes the key of number `n` (< 10^12) into `out`, returns a view of it.
inline std::string_view format_key(char (&out)[key_size], std::uint64_t n) noexcept {
  out[0] = 'k';
  out[1] = 'e';
  out[2] = 'y';
  out[3] = ':';
  for (std::size_t i = key_size; i > 4; --i) {
    out[i - 1] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  return {out, key_size};
}

// The seed of connection `index`'s generator: distinct streams per connection,
// the same ones for the same --seed.
inline constexpr std::uint64_t connection_seed(std::uint64_t seed, std::uint64_t index) noexcept {
  splitmix64 g(seed ^ (index * 0xD1B54A32D192ED03ull));
  return g.next();
}

}  // namespace dkv::bench
