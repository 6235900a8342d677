// Peer opcodes of binary_handler: membership gossip, joins, and the
// receiving side of partition handoffs.

#include "dkv/cluster/membership.hpp"
#include "dkv/common/key_hash.hpp"
#include "dkv/node/binary_handler.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"
#include "dkv/wal/entry.hpp"

namespace dkv::node {

namespace proto = dkv::protocol;
using proto::status;

void binary_handler::dispatch_peer(std::uint8_t op, std::uint32_t rid, std::string_view body,
                                   std::string& out) {
  const auto malformed = [&](std::string_view why) {
    ++ctx_.net.protocol_errors;
    proto::reply_error(out, op, rid, status::malformed, why);
  };
  switch (static_cast<proto::peer_opcode>(op)) {
    case proto::peer_opcode::gossip: {
      const auto theirs = dkv::cluster::decode_membership(body);
      if (!theirs) return malformed("bad membership");
      return proto::reply_bytes_raw(out, op, rid, cluster_.on_gossip(*theirs));
    }
    case proto::peer_opcode::join: {
      const auto req = proto::decode_join(body);
      if (!req) return malformed("bad JOIN body");
      return proto::reply_bytes_raw(out, op, rid, cluster_.on_join(req->id, req->address));
    }
    case proto::peer_opcode::migrate: {
      const auto batch = proto::decode_migrate(body);
      if (!batch || batch->partition >= common::partition_count) return malformed("bad MIGRATE body");
      // All or nothing: check every entry before applying any.
      for (const auto payload : batch->entries) {
        const auto e = wal::decode_entry(payload);
        if (!e || e->kind == wal::op::drop) return malformed("bad migrated entry");
        if (common::partition_of(e->key) != batch->partition)
          return malformed("migrated key outside its partition");
      }
      std::uint64_t applied = 0, digest = 0;
      for (const auto payload : batch->entries) {
        const auto e = wal::decode_entry(payload);
        const std::uint64_t lsn = ctx_.eng.apply_remote(*e);
        if (!lsn) {
          cluster_.on_migrated(peer_, batch->partition, applied, digest);
          return proto::reply_error(out, op, rid, status::io_error, ctx_.eng.write_failure());
        }
        ++applied;
        digest += proto::entry_digest(e->key, e->hlc, e->node);
        track(lsn);
      }
      cluster_.on_migrated(peer_, batch->partition, applied, digest);
      return proto::reply_status(out, op, rid, status::ok);
    }
    case proto::peer_opcode::migrate_done: {
      const auto done = proto::decode_migrate_done(body);
      if (!done) return malformed("bad MIGRATE_DONE body");
      if (!cluster_.on_migrate_done(peer_, done->partition, done->count, done->digest))
        return proto::reply_error(out, op, rid, status::digest_mismatch,
                                  "partition arrived incomplete; send it again");
      // The sender drops the partition on this OK: it must be on our disk.
      track_synced(ctx_.eng.log().last_appended());
      return proto::reply_status(out, op, rid, status::ok);
    }
    case proto::peer_opcode::peer_hello:
    case proto::peer_opcode::peer_proof:
      break;  // the handshake (binary_handshake.cpp) never gets here
  }
  malformed("unknown peer opcode");
}

}  // namespace dkv::node
