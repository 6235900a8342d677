#pragma once
// The node's own state in <data-dir>/node.json, so that a restarted node
// comes back as itself: its id and cluster (a data dir of another node is
// refused), its last ring epoch and membership, and which seed files it has
// imported already (a seed file is imported once; a changed file again).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dkv::disk {

struct member_record {
  std::string id;
  std::string address;
  std::uint8_t state = 1;  // cluster::member_state value
  std::uint64_t version = 0;
};

struct node_state {
  std::string id;
  std::string cluster;
  std::uint64_t epoch = 0;
  std::vector<member_record> members;
  std::map<std::string, std::string> imported_seeds;  // file name -> content hash (hex)
};

// Reads node.json: nullopt state when the file does not exist; an error
// message when it cannot be read or parsed.
std::optional<std::string> load_node_state(const std::string& dir,
                                           std::optional<node_state>& out);
// Writes node.json atomically.
std::optional<std::string> save_node_state(const std::string& dir, const node_state& s);

}  // namespace dkv::disk
