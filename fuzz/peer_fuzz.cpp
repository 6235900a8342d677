// libFuzzer target: the peer message decoders (JOIN, MIGRATE and the WAL
// entries inside it, MIGRATE_DONE), the membership record of GOSSIP, and
// the authentication messages (AUTH, PEER_HELLO and its reply, PEER_PROOF).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/cluster/membership.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/frame.hpp"
#include "dkv/protocol/peer_messages.hpp"
#include "dkv/wal/entry.hpp"

namespace proto = dkv::protocol;

namespace {

// The authentication layouts are canonical: whatever decodes must encode
// back to the very bytes it came from (`frame` minus its first `skip` bytes).
void check_same(std::string_view body, std::string_view frame, std::size_t skip) {
  if (frame.substr(skip) != body) __builtin_trap();
}

void auth_messages(std::string_view body) {
  std::string out;
  if (const auto a = proto::decode_auth(body); a.value) {
    proto::encode_auth(out, 0, a.value->password);
    check_same(body, out, proto::header_size);
  }
  if (const auto h = proto::decode_peer_hello(body)) {
    out.clear();
    proto::encode_peer_hello(out, 0, *h);
    check_same(body, out, proto::header_size);
  }
  if (const auto r = proto::decode_peer_hello_reply(body)) {
    out.clear();
    proto::reply_peer_hello(out, 0, *r);
    check_same(body, out, proto::header_size + 1);  // and the status byte
  }
  if (const auto p = proto::decode_peer_proof(body)) {
    out.clear();
    proto::encode_peer_proof(out, 0, p->proof);
    check_same(body, out, proto::header_size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)proto::decode_join(body);
  (void)proto::decode_migrate_done(body);
  if (const auto batch = proto::decode_migrate(body)) {
    for (const auto e : batch->entries) (void)dkv::wal::decode_entry(e);
  }
  if (const auto m = dkv::cluster::decode_membership(body)) {
    // A decoded record must encode again without trouble.
    std::string out;
    dkv::cluster::encode_membership(out, *m);
  }
  auth_messages(body);
  return 0;
}
