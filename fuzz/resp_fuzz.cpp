// libFuzzer target: the RESP2 command parser over a whole buffer, command
// after command, as the connection loop calls it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/protocol/resp_parser.hpp"

namespace resp = dkv::protocol::resp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  std::string scratch;
  resp::limits lim;
  lim.max_bulk = 1u << 20;
  lim.max_args = 4096;
  lim.max_inline = 4096;
  while (!in.empty()) {
    const auto r = resp::parse_command(in, args, scratch, lim);
    if (r.state != dkv::protocol::parse_state::complete) break;
    if (r.consumed == 0 || r.consumed > in.size()) __builtin_trap();
    // Touch every byte of every argument: ASan catches a view past the input.
    volatile unsigned sum = 0;
    for (const auto a : args)
      for (const char c : a) sum = sum + static_cast<unsigned char>(c);
    in.remove_prefix(r.consumed);
  }
  return 0;
}
