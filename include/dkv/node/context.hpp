#pragma once
// What every front end of a node shares: the engine, who the node is, its
// limits and its connection counters. Lives as long as the node; front ends
// hold a reference.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkv/net/event_loop.hpp"
#include "dkv/node/engine.hpp"

namespace dkv::node {

// The node's version, as INFO and RESP HELLO report it.
inline constexpr std::string_view dkv_version = "0.1.0";

struct identity {
  std::string id;
  std::string address;  // advertised host:port (actual port once bound)
  std::string cluster;
  std::string data_dir;
};

struct limits {
  std::uint32_t max_frame = 16u << 20;
  std::uint32_t max_key = 64u << 10;
  std::uint64_t max_output = 64u << 20;  // unsent reply bytes per connection

  // An MGET's reply holds at most max_frame bytes (PROTOCOL.md section 4).
  std::string mget_too_large() const {
    return "MGET reply exceeds max-frame (" + std::to_string(max_frame) + " bytes)";
  }
};

// Who may talk to the node. Secrets: never log them, never put them in INFO.
struct security {
  std::string requirepass;  // empty: clients need no AUTH
  std::string peer_secret;  // key of the peer handshake (cluster/peer_auth.hpp); may be empty
  std::uint32_t max_preauth_bytes = 16384;  // largest request before AUTH
};

struct server_counters {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_current = 0;
  std::uint64_t commands = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t rejected_connections = 0;  // over --max-connections
  std::uint64_t closed_slow_writers = 0;   // write timeout or --max-output-bytes
  std::uint64_t closed_slow_senders = 0;   // request incomplete past --request-timeout-ms
  std::uint64_t closed_idle = 0;           // idle past --idle-timeout-ms
  std::uint64_t auth_failures = 0;         // wrong AUTH passwords
  std::uint64_t preauth_rejects = 0;       // requests refused before AUTH (not allowed, too large)
  std::uint64_t peer_auth_failures = 0;    // peer handshakes refused (wrong or missing secret)
  std::uint64_t peers_authenticated = 0;   // peer handshakes that succeeded
};

class cluster_manager;

struct snapshot_stats {
  std::uint64_t taken = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t last_entries = 0;
  std::uint64_t last_bytes = 0;
  std::uint64_t last_ms = 0;
  bool last_direct_io = false;  // written with direct I/O (disk/snapshot.hpp)
  // Unix time of the last snapshot published, or of the node's start until
  // then (LASTSAVE, as Redis counts it; set by the snapshotter).
  std::int64_t last_save_unix = 0;
  bool in_progress = false;
  bool requested = false;  // BGSAVE: take one at the next check, due or not
  std::string last_error;
};

struct context {
  context(identity who, limits lim, security sec, durable_log& log)
      : me(std::move(who)),
        lim(lim),
        sec(std::move(sec)),
        eng(me.id, log),
        started(std::chrono::steady_clock::now()) {}

  identity me;
  limits lim;
  security sec;
  engine eng;
  server_counters net;
  net::loop_counters loop;
  snapshot_stats snapshots;
  const cluster_manager* cluster = nullptr;  // set once the node has one
  std::uint64_t recovery_ms = 0;
  std::chrono::steady_clock::time_point started;
};

// The node's state as Redis-INFO-style text: "# Section" headers and
// "key:value" lines, CRLF-terminated. Served by INFO, STATS and `stats`.
std::string info_text(const context& ctx);

}  // namespace dkv::node
