#pragma once
// Body field codec of the binary protocol. Fields are big-endian integers and
// length-prefixed byte strings (u32 length, then the bytes). The reader never
// allocates: strings come back as views into the frame body.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dkv::protocol {

class body_reader {
 public:
  explicit body_reader(std::string_view body) noexcept : rest_(body) {}

  std::optional<std::uint8_t> u8() noexcept;
  std::optional<std::uint32_t> u32() noexcept;
  std::optional<std::uint64_t> u64() noexcept;
  // A u32 length then that many bytes; nullopt when truncated.
  std::optional<std::string_view> bytes() noexcept;

  bool at_end() const noexcept { return rest_.empty(); }
  std::size_t remaining() const noexcept { return rest_.size(); }

 private:
  std::string_view rest_;
};

void put_u8(std::string& out, std::uint8_t v);
void put_u32(std::string& out, std::uint32_t v);
void put_u64(std::string& out, std::uint64_t v);
void put_bytes(std::string& out, std::string_view v);

}  // namespace dkv::protocol
