#include "dkv/common/sha256.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

// SHA-256 as FIPS 180-4 §6.2 specifies it: 64-byte blocks, eight 32-bit
// working variables, 64 rounds; the message is padded with 0x80, zeros and
// its length in bits as a big-endian u64 (§5.1.1).

namespace dkv::common {
namespace {

// §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
constexpr std::uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

// §5.3.3: the first 32 bits of the fractional parts of the square roots of
// the first 8 primes.
constexpr std::array<std::uint32_t, 8> initial_state = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

constexpr std::size_t block_size = 64;
constexpr std::size_t length_offset = block_size - 8;  // where the bit length goes

std::uint32_t load_be(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void store_be(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

sha256::sha256() noexcept : state_(initial_state) {}

void sha256::update(std::string_view data) noexcept { update(as_bytes(data)); }

void sha256::update(std::span<const std::uint8_t> data) noexcept {
  if (data.empty()) return;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  total_ += n;
  if (used_ > 0) {  // top up the partial block first
    const std::size_t take = std::min(block_size - used_, n);
    std::memcpy(block_.data() + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ < block_size) return;
    compress(block_.data());
    used_ = 0;
  }
  for (; n >= block_size; p += block_size, n -= block_size) compress(p);
  if (n > 0) std::memcpy(block_.data(), p, n);
  used_ = n;
}

digest256 sha256::finish() noexcept {
  const std::uint64_t bits = total_ * 8;
  block_[used_++] = 0x80;
  if (used_ > length_offset) {  // no room for the length: pad out this block
    std::memset(block_.data() + used_, 0, block_size - used_);
    compress(block_.data());
    used_ = 0;
  }
  std::memset(block_.data() + used_, 0, length_offset - used_);
  store_be(block_.data() + length_offset, static_cast<std::uint32_t>(bits >> 32));
  store_be(block_.data() + length_offset + 4, static_cast<std::uint32_t>(bits));
  compress(block_.data());
  digest256 out;
  for (std::size_t i = 0; i < state_.size(); ++i) store_be(out.data() + 4 * i, state_[i]);
  return out;
}

void sha256::compress(const std::uint8_t* block) noexcept {
  // §6.2.2: the message schedule, then 64 rounds over the working variables.
  std::uint32_t w[64];
  for (int t = 0; t < 16; ++t) w[t] = load_be(block + 4 * t);
  for (int t = 16; t < 64; ++t) {
    const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  auto [a, b, c, d, e, f, g, h] = state_;
  for (int t = 0; t < 64; ++t) {
    const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
    const std::uint32_t ch = (e & f) ^ (~e & g);
    const std::uint32_t t1 = h + big_s1 + ch + round_constants[t] + w[t];
    const std::uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
    const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = big_s0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
}

digest256 sha256_of(std::string_view data) noexcept {
  sha256 h;
  h.update(data);
  return h.finish();
}

digest256 hmac_sha256(std::string_view key, std::string_view message) noexcept {
  // RFC 2104: K0 is the key, hashed first if longer than a block, padded
  // with zeros to a block; HMAC = H((K0 ^ opad) ‖ H((K0 ^ ipad) ‖ message)).
  std::array<std::uint8_t, block_size> k0{};
  if (key.size() > block_size) {
    const auto hashed = sha256_of(key);
    std::memcpy(k0.data(), hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(k0.data(), key.data(), key.size());
  }
  std::array<std::uint8_t, block_size> pad;
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = k0[i] ^ 0x36;
  sha256 inner;
  inner.update(pad);
  inner.update(message);
  const auto inner_digest = inner.finish();
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = k0[i] ^ 0x5c;
  sha256 outer;
  outer.update(pad);
  outer.update(inner_digest);
  return outer.finish();
}

bool equal_constant_time(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return false;
  // OR every difference together and look only at the result, so the loop
  // runs to the end whatever the bytes; volatile keeps the compiler from
  // turning it back into an early exit.
  volatile std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  return equal_constant_time(as_bytes(a), as_bytes(b));
}

}  // namespace dkv::common
