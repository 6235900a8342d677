#pragma once
// One kv-node process: its io_context (run by the calling thread only), the
// server on its port, the REPL, signal handling and housekeeping timers.

#include "dkv/config/node_config.hpp"

namespace dkv::node {

// Runs the node until it is told to stop (signal, REPL `exit`). Returns the
// process exit code. Throws std::runtime_error with a clear message when
// the node cannot start (port taken, data dir not writable).
int run_node(const config::node_config& cfg);

}  // namespace dkv::node
