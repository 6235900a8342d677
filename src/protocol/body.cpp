#include "dkv/protocol/body.hpp"

#include "dkv/common/bytes.hpp"

namespace dkv::protocol {

std::optional<std::uint8_t> body_reader::u8() noexcept {
  if (rest_.empty()) return std::nullopt;
  const auto v = static_cast<std::uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  return v;
}

std::optional<std::uint32_t> body_reader::u32() noexcept {
  if (rest_.size() < 4) return std::nullopt;
  const auto v = common::load_u32_be(rest_.data());
  rest_.remove_prefix(4);
  return v;
}

std::optional<std::uint64_t> body_reader::u64() noexcept {
  if (rest_.size() < 8) return std::nullopt;
  const auto v = common::load_u64_be(rest_.data());
  rest_.remove_prefix(8);
  return v;
}

std::optional<std::string_view> body_reader::bytes() noexcept {
  const auto len = u32();
  if (!len || *len > rest_.size()) return std::nullopt;
  const auto v = rest_.substr(0, *len);
  rest_.remove_prefix(*len);
  return v;
}

void put_u8(std::string& out, std::uint8_t v) { common::append_u8(out, v); }
void put_u32(std::string& out, std::uint32_t v) { common::append_u32_be(out, v); }
void put_u64(std::string& out, std::uint64_t v) { common::append_u64_be(out, v); }

void put_bytes(std::string& out, std::string_view v) {
  put_u32(out, static_cast<std::uint32_t>(v.size()));
  out.append(v);
}

}  // namespace dkv::protocol
