// libFuzzer target: the WAL reader over a whole file image, as a plain file
// (snapshots) and as WAL segment 7 (recyclable fragments, stale tails), with
// the skip-corrupt recovery path, and the entry decoder on every record.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dkv/wal/entry.hpp"
#include "dkv/wal/log_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  for (const bool segment : {false, true})
    for (const bool skip : {false, true}) {
      auto reader =
          segment ? dkv::wal::log_reader::for_segment(file, 7) : dkv::wal::log_reader(file);
      std::string_view record;
      // Every step either returns a record or ends; bound the loop anyway.
      for (std::size_t steps = 0; steps < size + 64; ++steps) {
        const auto st = reader.next(record);
        if (st == dkv::wal::read_status::record) {
          (void)dkv::wal::decode_entry(record);
          continue;
        }
        if (st == dkv::wal::read_status::corrupt && skip) {
          reader.skip_to_next_block();
          continue;
        }
        break;
      }
    }
  return 0;
}
