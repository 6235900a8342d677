#include "dkv/node/context.hpp"
#include "dkv/node/cluster_manager.hpp"

#include <sstream>
#include <unistd.h>

namespace dkv::node {

std::string info_text(const context& ctx) {
  using namespace std::chrono;
  const auto uptime = duration_cast<seconds>(steady_clock::now() - ctx.started).count();
  const auto& c = ctx.eng.counters();
  const auto& d = ctx.eng.data();
  const auto& s = ctx.snapshots;
  std::ostringstream o;
  o << "# Server\r\n"
    << "dkv_version:" << dkv_version << "\r\n"
    << "node_id:" << ctx.me.id << "\r\n"
    << "address:" << ctx.me.address << "\r\n"
    << "cluster:" << ctx.me.cluster << "\r\n"
    << "process_id:" << ::getpid() << "\r\n"
    << "uptime_in_seconds:" << uptime << "\r\n"
    << "data_dir:" << ctx.me.data_dir << "\r\n"
    << "requirepass:" << (ctx.sec.requirepass.empty() ? "no" : "yes") << "\r\n"
    << "cluster_auth:" << (ctx.sec.peer_secret.empty() ? "none" : "secret") << "\r\n"
    << "\r\n# Clients\r\n"
    << "connected_clients:" << ctx.net.connections_current << "\r\n"
    << "\r\n# Stats\r\n"
    << "total_connections_received:" << ctx.net.connections_total << "\r\n"
    << "total_commands_processed:" << ctx.net.commands << "\r\n"
    << "protocol_errors:" << ctx.net.protocol_errors << "\r\n"
    << "rejected_connections:" << ctx.net.rejected_connections << "\r\n"
    << "closed_slow_writers:" << ctx.net.closed_slow_writers << "\r\n"
    << "closed_slow_senders:" << ctx.net.closed_slow_senders << "\r\n"
    << "closed_idle:" << ctx.net.closed_idle << "\r\n"
    << "auth_failures:" << ctx.net.auth_failures << "\r\n"
    << "preauth_rejects:" << ctx.net.preauth_rejects << "\r\n"
    << "peer_auth_failures:" << ctx.net.peer_auth_failures << "\r\n"
    << "peers_authenticated:" << ctx.net.peers_authenticated << "\r\n"
    << "loop_naps:" << ctx.loop.naps << "\r\n"
    << "loop_nap_hits:" << ctx.loop.nap_hits << "\r\n"
    << "gets:" << c.gets << "\r\n"
    << "keyspace_hits:" << c.hits << "\r\n"
    << "keyspace_misses:" << c.misses << "\r\n"
    << "puts:" << c.puts << "\r\n"
    << "dels:" << c.dels << "\r\n"
    << "refused_writes:" << c.refused_writes << "\r\n"
    << "\r\n# Persistence\r\n"
    << "wal_segment:" << ctx.eng.log().segment_seq() << "\r\n"
    << "wal_bytes_since_snapshot:" << ctx.eng.log().bytes_since() << "\r\n"
    << "wal_segments_written_over:" << ctx.eng.log().segments_written_over() << "\r\n"
    << "wal_status:" << (ctx.eng.log().failed() ? ctx.eng.log().failure() : "ok") << "\r\n"
    << "recovery_ms:" << ctx.recovery_ms << "\r\n"
    << "snapshots_taken:" << s.taken << "\r\n"
    << "snapshot_in_progress:" << s.in_progress << "\r\n"
    << "last_snapshot_seq:" << s.last_seq << "\r\n"
    << "last_snapshot_entries:" << s.last_entries << "\r\n"
    << "last_snapshot_ms:" << s.last_ms << "\r\n"
    << "last_snapshot_direct_io:" << s.last_direct_io << "\r\n"
    << "last_snapshot_error:" << s.last_error << "\r\n"
    << "\r\n# Keyspace\r\n"
    << "keys:" << d.live_keys() << "\r\n"
    << "tombstones:" << d.tombstones() << "\r\n"
    << "payload_bytes:" << d.payload_bytes() << "\r\n";
  if (ctx.cluster) o << "\r\n" << ctx.cluster->info_text();
  return o.str();
}

}  // namespace dkv::node
