#pragma once
// Bringing a node's data dir up to date before it serves: lock the dir,
// check that it belongs to this node, recover snapshot + WAL, open a fresh
// WAL segment, import new seed files, and save the node state.

#include <string>

#include "dkv/config/node_config.hpp"
#include "dkv/disk/node_state.hpp"
#include "dkv/node/context.hpp"

namespace dkv::node {

// Returns the node state (node.json) as saved. Throws std::runtime_error
// with a clear message when the node must not start.
disk::node_state open_data_dir(const config::node_config& cfg, context& ctx);

}  // namespace dkv::node
