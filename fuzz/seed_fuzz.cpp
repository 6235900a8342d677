// libFuzzer target: the JSON seed file parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dkv/disk/seed_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  dkv::disk::seed_pairs out;
  (void)dkv::disk::parse_seed_file("fuzz.json", text, out);
  return 0;
}
