#pragma once
// kv-node settings, parsed from (highest priority first) the command line,
// DKV_* environment variables (DKV_PEER_ADDR for --peer-addr), and a config
// file (--config, `key = value` lines as Program_options reads them).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "dkv/config/host_port.hpp"

namespace dkv::config {

enum class fsync_mode { always, everysec, no };

struct node_config {
  std::string id;                        // --id (required)
  host_port peer_addr;                   // --peer-addr host:port advertised to peers (required)
  std::optional<host_port> join_addr;    // --join-addr host:port of any member
  std::string data_dir;                  // --data-dir, default ./data/<id>
  host_port listen;                      // --listen host[:port], default: peer-addr, or
                                         // 127.0.0.1 in protected mode
  // No --listen and no --requirepass, and --peer-addr is not a loopback
  // address: `listen` was narrowed to 127.0.0.1 (Redis's protected mode).
  bool protected_mode = false;
  std::optional<std::uint16_t> port;     // --port N overrides the listen port (0 = any free port);
                                         // `listen.port` already holds it
  std::string log_dir;                   // --log-dir, default ./logs (files go to <log_dir>/<id>/)
  std::string log_level = "info";        // --log-level trace|debug|info|warning|error
  std::uint32_t max_frame = 16u << 20;   // --max-frame bytes of one frame body / RESP bulk
  std::uint32_t max_key = 64u << 10;     // --max-key bytes (default: min(64 KiB, max_frame))
  std::string cluster = "dkv";           // --cluster name checked in peer HELLO
  fsync_mode fsync = fsync_mode::everysec;  // --fsync always|everysec|no
  bool skip_corrupt = false;             // --wal-recovery skip-corrupt (default strict)
  std::uint64_t snapshot_min_bytes = 64u << 20;  // --snapshot-min-bytes
  bool repl = true;                      // --no-repl turns the stdin REPL off
  bool huge_pages = true;                // --huge-pages on|off: malloc's heap on transparent huge pages
  std::uint32_t max_connections = 10000;          // --max-connections open client connections
  std::uint64_t max_output_bytes = 64u << 20;     // --max-output-bytes unsent replies per connection
  std::uint32_t client_write_timeout_ms = 30000;  // --client-write-timeout-ms without write progress
  std::uint32_t request_timeout_ms = 30000;       // --request-timeout-ms a request may stay partial
  std::uint32_t idle_timeout_ms = 0;              // --idle-timeout-ms closes idle clients (0 = never)
  std::uint32_t max_preauth_bytes = 16384;        // --max-preauth-bytes largest request before AUTH
  std::uint32_t loop_nap_us = 10;                 // --loop-nap-us busy loop naps (0 = never)
  // Secrets (config/secrets.hpp): never log them. Empty = none.
  std::string cluster_secret;            // --cluster-secret[-file], DKV_CLUSTER_SECRET
  std::string requirepass;               // --requirepass[-file], DKV_REQUIREPASS
  bool secret_in_argv = false;           // a secret came from the command line (warn)

  // The key of the peer handshake: the cluster secret, else the client
  // password (so a node with only --requirepass still keeps strangers out of
  // its peer door), else empty (no authentication between nodes).
  const std::string& peer_secret() const noexcept {
    return cluster_secret.empty() ? requirepass : cluster_secret;
  }
};

// The options whose values are secrets (for scrub_argv).
inline constexpr std::string_view secret_options[] = {"cluster-secret", "requirepass"};

// What parsing produced: a config, or a request to print help/version and
// exit 0, or an error (one line, no trailing newline) to print and exit 2.
struct help_request { std::string text; };
struct config_error { std::string message; };
using parse_outcome = std::variant<node_config, help_request, config_error>;

// `env` looks up an environment variable (nullptr when unset; an empty value
// counts as unset too; nullptr `env` reads no environment); tests pass their
// own. std::getenv returns char* and does not convert to env_lookup, so main
// passes a lambda: [](const char* n) -> const char* { return std::getenv(n); }
// Only DKV_<NAME> of the node options is looked up (DKV_CONFIG names the file;
// --help and --version come from the command line only).
// Never throws on bad input: every problem is a config_error naming its option.
using env_lookup = const char* (*)(const char*);
parse_outcome parse_node_config(int argc, const char* const* argv, env_lookup env);

}  // namespace dkv::config
