#pragma once
// Bringing a node's data dir up to date before it serves: lock the dir,
// check that it belongs to this node, recover snapshot + WAL, open a fresh
// WAL segment, import new seed files, and save the node state.

#include <string>

#include "dkv/config/node_config.hpp"
#include "dkv/node/context.hpp"

namespace dkv::node {

// Throws std::runtime_error with a clear message when the node must not start.
void open_data_dir(const config::node_config& cfg, context& ctx);

}  // namespace dkv::node
