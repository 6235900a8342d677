#pragma once
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), the one cryptographic
// primitive dkv needs: peer links prove knowledge of the cluster secret with
// an HMAC over both sides' nonces (cluster/peer_auth.hpp). Pure and
// allocation-free; checked against the FIPS and RFC 4231 test vectors.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace dkv::common {

using digest256 = std::array<std::uint8_t, 32>;

class sha256 {
 public:
  sha256() noexcept;
  void update(std::string_view data) noexcept;
  void update(std::span<const std::uint8_t> data) noexcept;
  // The digest of everything updated so far. The object must not be used
  // after finish().
  digest256 finish() noexcept;

 private:
  void compress(const std::uint8_t* block) noexcept;

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> block_{};
  std::size_t used_ = 0;       // bytes in block_
  std::uint64_t total_ = 0;    // bytes hashed so far
};

digest256 sha256_of(std::string_view data) noexcept;

// HMAC-SHA256 of `message` under `key` (any length; keys over 64 bytes are
// hashed first, as RFC 2104 says).
digest256 hmac_sha256(std::string_view key, std::string_view message) noexcept;

// Compares in time that depends only on the sizes, not on where the first
// difference is (for MACs and passwords).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace dkv::common
