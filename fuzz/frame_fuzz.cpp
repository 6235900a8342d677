// libFuzzer target: the binary frame decoder and every client message
// decoder, fed each complete frame the input holds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/messages.hpp"

namespace proto = dkv::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::uint32_t max_body = 1u << 20;
  constexpr std::uint32_t max_key = 1024;
  while (!in.empty()) {
    const auto r = proto::parse_frame(in, max_body);
    if (r.state != proto::parse_state::complete) break;
    if (r.consumed == 0 || r.consumed > in.size()) __builtin_trap();  // no progress / overrun
    (void)proto::decode_hello(r.body);
    (void)proto::decode_ping(r.body);
    (void)proto::decode_key(r.body, max_key);
    (void)proto::decode_put(r.body, max_key);
    (void)proto::decode_mget(r.body, max_key);
    (void)proto::decode_reply(r.body);
    in.remove_prefix(r.consumed);
  }
  return 0;
}
