#pragma once
// Partition placement (DESIGN §5). Keys map to one of
// common::partition_count fixed partitions (top bits of XXH3); this module
// assigns partitions to nodes. Pure and deterministic: the same members and
// settings give the same table on every node.
//
// Scheme: rank-normalised rendezvous hashing (docs/RING.md has the
// measurements and the alternatives). Every node has one token per
// partition, token(n, p) = XXH3_64bits(node_id ‖ le32(p)). Node n ranks the
// partitions by (token(n, p) >> partition_bits, p): rank_n(p) = position of
// p in that order, 0 first, so each node holds every rank
// 0..partition_count-1 exactly once.
// Partition p is owned by the node with the smallest rank_n(p); equal ranks
// are decided by the full token, then by node id. That is one fixed total
// order of all possible node ids per partition, so:
//   - a joining node takes partitions only for itself, a leaving node gives
//     away only its own (no history needed, by construction);
//   - preference lists are that order restricted to the members.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dkv::ring {

class ring {
 public:
  ring() = default;
  // `node_ids` in any order (duplicates and empty ids ignored). Every node
  // has exactly one token per partition (no tunable token count): that is
  // what makes the balance good for any set of ids (docs/RING.md).
  // Cost: hashing and sorting P tokens per node, ~0.13 ms per node in
  // Release (100 nodes: ~13 ms); memory 2 bytes per (node, partition).
  explicit ring(std::vector<std::string> node_ids);

  bool empty() const noexcept { return nodes_.empty(); }
  // Members, sorted.
  const std::vector<std::string>& nodes() const noexcept { return nodes_; }

  // Index into nodes() of the node that owns partition `p`. Requires !empty().
  std::uint32_t owner_index(std::uint32_t p) const noexcept { return owner_[p]; }
  const std::string& owner(std::uint32_t p) const noexcept { return nodes_[owner_[p]]; }
  // The first `r` distinct nodes for partition `p` (fewer if the ring has
  // fewer nodes), owner first.
  // Adding a node only inserts it into a list; removing one only deletes it.
  std::vector<std::uint32_t> preference(std::uint32_t p, std::uint32_t r) const;
  // How many partitions each node owns, indexed like nodes().
  std::vector<std::uint32_t> partition_counts() const;

 private:
  // Whether node index `a` comes before `b` in partition `p`'s order.
  bool precedes(std::uint32_t a, std::uint32_t b, std::uint32_t p) const;

  std::vector<std::string> nodes_;
  std::vector<std::uint32_t> owner_;  // partition -> node index
  // rank_[p * nodes_.size() + n] = rank_n(p): partition-major, so the ranks
  // one partition's owner and preference list need are contiguous.
  std::vector<std::uint16_t> rank_;
};

// A partition whose owner differs between two rings.
struct move {
  std::uint32_t partition;
  std::string from;  // empty if `before` was empty
  std::string to;    // empty if `after` is empty
};
// Every partition whose owner changed, in partition order.
std::vector<move> diff(const ring& before, const ring& after);

}  // namespace dkv::ring
