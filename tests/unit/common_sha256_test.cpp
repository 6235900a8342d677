#define BOOST_TEST_MODULE common_sha256
#include <boost/test/unit_test.hpp>

// SHA-256 against the FIPS 180-2 / NIST example messages, messages around
// the padding boundaries, and split updates; HMAC-SHA256 against RFC 4231
// test cases 1-7; the constant-time compare.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dkv/common/sha256.hpp"

namespace {

using dkv::common::digest256;
using dkv::common::hmac_sha256;
using dkv::common::sha256;
using dkv::common::sha256_of;

// Lowercase hex without separators, as the FIPS and RFC documents print digests.
std::string hex(std::span<const std::uint8_t> d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto c : d) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

// ============================================================================
BOOST_AUTO_TEST_SUITE(sha256_digest)

BOOST_AUTO_TEST_CASE(fips_examples) {
  BOOST_TEST(hex(sha256_of("")) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(hex(sha256_of("abc")) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 448 bits: the length no longer fits in the first block.
  BOOST_TEST(hex(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 896 bits.
  BOOST_TEST(hex(sha256_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                           "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")) ==
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

BOOST_AUTO_TEST_CASE(one_million_a) {
  BOOST_TEST(hex(sha256_of(std::string(1000000, 'a'))) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same, fed in 1000 updates of 1000 bytes.
  const std::string thousand(1000, 'a');
  sha256 h;
  for (int i = 0; i < 1000; ++i) h.update(thousand);
  BOOST_TEST(hex(h.finish()) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(padding_boundaries) {
  // n × 'a' around the lengths where the padding needs one more block
  // (digests from Python's hashlib).
  const std::pair<std::size_t, std::string_view> table[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  for (const auto& [n, digest] : table)
    BOOST_TEST(hex(sha256_of(std::string(n, 'a'))) == digest, n << " bytes");
}

BOOST_AUTO_TEST_CASE(split_updates_equal_one_shot) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg.push_back(static_cast<char>(i * 7 + 3));
  const digest256 whole = sha256_of(msg);
  const std::string_view m(msg);
  for (std::size_t cut = 0; cut <= m.size(); ++cut) {
    sha256 h;
    h.update(m.substr(0, cut));
    h.update(as_bytes(m.substr(cut)));  // both overloads
    BOOST_TEST((h.finish() == whole), "cut at " << cut);
  }
  // Three pieces, and empty updates in between, at every first cut.
  for (std::size_t cut = 0; cut <= m.size(); ++cut) {
    const std::size_t second = cut + (m.size() - cut) / 2;
    sha256 h;
    h.update(m.substr(0, cut));
    h.update("");
    h.update(m.substr(cut, second - cut));
    h.update(std::span<const std::uint8_t>());
    h.update(m.substr(second));
    BOOST_TEST((h.finish() == whole), "cuts at " << cut << ", " << second);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(hmac)

// RFC 4231 §4.2-4.8.
BOOST_AUTO_TEST_CASE(rfc4231_cases_1_to_4) {
  BOOST_TEST(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  BOOST_TEST(hex(hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))) ==
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (char c = 1; c <= 25; ++c) key4.push_back(c);
  BOOST_TEST(hex(hmac_sha256(key4, std::string(50, '\xcd'))) ==
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

BOOST_AUTO_TEST_CASE(rfc4231_case_5_truncated) {
  // The RFC gives only the first 128 bits.
  BOOST_TEST(hex(hmac_sha256(std::string(20, '\x0c'), "Test With Truncation")).substr(0, 32) ==
             "a3b6167473100ee06e0c796c2955552b");
}

BOOST_AUTO_TEST_CASE(rfc4231_cases_6_and_7_key_longer_than_a_block) {
  const std::string key(131, '\xaa');
  BOOST_TEST(hex(hmac_sha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")) ==
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  BOOST_TEST(hex(hmac_sha256(key, "This is a test using a larger than block-size key and a larger "
                                  "than block-size data. The key needs to be hashed before being "
                                  "used by the HMAC algorithm.")) ==
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

BOOST_AUTO_TEST_CASE(key_lengths_at_the_block_size) {
  // Python's hmac: a 64-byte key is used as it is, a 65-byte one hashed
  // first; the empty key and message are valid.
  BOOST_TEST(hex(hmac_sha256(std::string(64, 'k'), "msg")) ==
             "d62ad25bb128e96ab6ef43464aaf2bb91b5b85f013381e9ba6be747e8d0911b2");
  BOOST_TEST(hex(hmac_sha256(std::string(65, 'k'), "msg")) ==
             "c65585780e821bd312cfaa440c33cb28d6af6b323d4977ae83934834ce589e38");
  BOOST_TEST(hex(hmac_sha256("", "")) ==
             "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // A key longer than a block is the same key as its digest (RFC 2104).
  const std::string long_key(131, '\xaa');
  const digest256 d = sha256_of(long_key);
  const std::string hashed(d.begin(), d.end());
  BOOST_TEST((hmac_sha256(long_key, "m") == hmac_sha256(hashed, "m")));
}

BOOST_AUTO_TEST_SUITE_END()

// ============================================================================
BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(equal_constant_time_answers) {
  using dkv::common::equal_constant_time;
  BOOST_TEST(equal_constant_time("", ""));
  BOOST_TEST(equal_constant_time("s3cret", "s3cret"));
  BOOST_TEST(!equal_constant_time("s3cret", "s3creT"));
  BOOST_TEST(!equal_constant_time("s3cret", "S3cret"));
  BOOST_TEST(!equal_constant_time("s3cret", "s3cre"));   // a prefix
  BOOST_TEST(!equal_constant_time("s3cret", "s3crett"));  // an extension
  BOOST_TEST(!equal_constant_time("", "x"));
  BOOST_TEST(equal_constant_time(std::string_view("\0a", 2), std::string_view("\0a", 2)));
  BOOST_TEST(!equal_constant_time(std::string_view("\0a", 2), std::string_view("\0b", 2)));

  // Every single-bit difference anywhere in a digest is seen.
  using bytes = std::span<const std::uint8_t>;
  const digest256 d = sha256_of("abc");
  BOOST_TEST(equal_constant_time(bytes(d), bytes(d)));
  for (std::size_t bit = 0; bit < d.size() * 8; ++bit) {
    digest256 flipped = d;
    flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    BOOST_TEST(!equal_constant_time(bytes(d), bytes(flipped)), "bit " << bit);
  }
}

BOOST_AUTO_TEST_SUITE_END()
