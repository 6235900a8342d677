// libFuzzer target: the peer message decoders (JOIN, MIGRATE and the WAL
// entries inside it, MIGRATE_DONE) and the membership record of GOSSIP.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/cluster/membership.hpp"
#include "dkv/protocol/peer_messages.hpp"
#include "dkv/wal/entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)dkv::protocol::decode_join(body);
  (void)dkv::protocol::decode_migrate_done(body);
  if (const auto batch = dkv::protocol::decode_migrate(body)) {
    for (const auto e : batch->entries) (void)dkv::wal::decode_entry(e);
  }
  if (const auto m = dkv::cluster::decode_membership(body)) {
    // A decoded record must encode again without trouble.
    std::string out;
    dkv::cluster::encode_membership(out, *m);
  }
  return 0;
}
