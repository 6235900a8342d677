#pragma once
// Partition placement (DESIGN §5). Keys map to one of
// common::partition_count fixed partitions (top bits of XXH3); this module
// assigns partitions to nodes. Pure and deterministic: the same members and
// settings give the same table on every node.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::ring {

class ring {
 public:
  ring() = default;
  // `node_ids` in any order (duplicates ignored); `vnodes` tokens per node.
  ring(std::vector<std::string> node_ids, std::uint32_t vnodes);

  bool empty() const noexcept { return nodes_.empty(); }
  // Members, sorted.
  const std::vector<std::string>& nodes() const noexcept { return nodes_; }
  std::uint32_t vnodes() const noexcept { return vnodes_; }

  // Index into nodes() of the node that owns partition `p`. Requires !empty().
  std::uint32_t owner_index(std::uint32_t p) const noexcept { return owner_[p]; }
  const std::string& owner(std::uint32_t p) const noexcept { return nodes_[owner_[p]]; }
  // The first `r` distinct nodes for partition `p` (fewer if the ring has
  // fewer nodes), owner first.
  std::vector<std::uint32_t> preference(std::uint32_t p, std::uint32_t r) const;
  // How many partitions each node owns, indexed like nodes().
  std::vector<std::uint32_t> partition_counts() const;

 private:
  std::vector<std::string> nodes_;
  std::uint32_t vnodes_ = 0;
  std::vector<std::uint32_t> owner_;  // partition -> node index
  // (implementation data: tokens, etc.)
};

// A partition whose owner differs between two rings.
struct move {
  std::uint32_t partition;
  std::string from;  // empty if `before` was empty
  std::string to;
};
std::vector<move> diff(const ring& before, const ring& after);

}  // namespace dkv::ring
