#include "dkv/ring/ring.hpp"

#include <xxhash.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "dkv/common/key_hash.hpp"

namespace dkv::ring {

namespace {

using common::partition_count;
constexpr std::uint64_t partition_mask = partition_count - 1;
static_assert(partition_count <= (1u << 16), "ranks are stored as uint16_t");

// token(n, i) = XXH3_64bits(node_id ‖ le32(i)), for one id and many i
// without rebuilding the input each time.
class token_hasher {
 public:
  explicit token_hasher(std::string_view node_id) : input_(node_id) { input_.append(4, '\0'); }

  std::uint64_t operator()(std::uint32_t i) noexcept {
    char* tail = input_.data() + input_.size() - 4;
    for (std::size_t b = 0; b < 4; ++b) tail[b] = static_cast<char>((i >> (8 * b)) & 0xffu);
    return XXH3_64bits(input_.data(), input_.size());
  }

 private:
  std::string input_;  // node_id ‖ le32(i)
};

// The same value for a single token (ties in precedes()); ids of usual
// length are hashed from a stack buffer.
std::uint64_t token(std::string_view node_id, std::uint32_t i) {
  char small[128];
  if (node_id.size() + 4 > sizeof small) return token_hasher{node_id}(i);
  std::copy(node_id.begin(), node_id.end(), small);
  for (std::size_t b = 0; b < 4; ++b) small[node_id.size() + b] = static_cast<char>((i >> (8 * b)) & 0xffu);
  return XXH3_64bits(small, node_id.size() + 4);
}

// Sorts keys whose top bits are uniformly distributed (hashes): a counting
// pass on the top bucket_bits puts each key in its bucket (about one key per
// bucket), an insertion sort orders each bucket. Linear time in practice;
// with std::sort the 100-node build took twice as long.
class hash_sorter {
 public:
  void sort(std::vector<std::uint64_t>& keys) {
    constexpr unsigned bucket_bits = 12;
    start_.assign((std::size_t{1} << bucket_bits) + 1, 0);
    for (const std::uint64_t k : keys) ++start_[(k >> (64 - bucket_bits)) + 1];
    for (std::size_t b = 1; b < start_.size(); ++b) start_[b] += start_[b - 1];
    out_.resize(keys.size());
    next_.assign(start_.begin(), start_.end() - 1);
    for (const std::uint64_t k : keys) out_[next_[k >> (64 - bucket_bits)]++] = k;
    for (std::size_t b = 0; b + 1 < start_.size(); ++b) {
      for (std::uint32_t i = start_[b] + 1; i < start_[b + 1]; ++i) {
        const std::uint64_t k = out_[i];
        std::uint32_t j = i;
        for (; j > start_[b] && out_[j - 1] > k; --j) out_[j] = out_[j - 1];
        out_[j] = k;
      }
    }
    keys.swap(out_);
  }

 private:
  std::vector<std::uint32_t> start_, next_;
  std::vector<std::uint64_t> out_;
};

}  // namespace

ring::ring(std::vector<std::string> node_ids) : nodes_(std::move(node_ids)) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
  if (!nodes_.empty() && nodes_.front().empty()) nodes_.erase(nodes_.begin());
  if (nodes_.empty()) return;

  const std::size_t n_nodes = nodes_.size();
  rank_.resize(n_nodes * partition_count);

  // Ranks: sort each node's tokens by (token >> partition_bits, p). The sort
  // key keeps the token's top bits and puts the partition in the low ones,
  // so plain integers are sorted; tokens equal in their top bits (about
  // 2^-29 per node) are ordered by partition. The order depends on the node
  // id alone.
  std::vector<std::uint64_t> keys(partition_count);
  hash_sorter sorter;
  for (std::size_t n = 0; n < n_nodes; ++n) {
    token_hasher tok{nodes_[n]};
    for (std::uint32_t p = 0; p < partition_count; ++p) keys[p] = (tok(p) & ~partition_mask) | p;
    sorter.sort(keys);
    for (std::uint32_t r = 0; r < partition_count; ++r) {
      rank_[(keys[r] & partition_mask) * n_nodes + n] = static_cast<std::uint16_t>(r);
    }
  }

  owner_.resize(partition_count);
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    const std::uint16_t* ranks = rank_.data() + p * n_nodes;
    std::uint32_t best = 0;
    for (std::uint32_t n = 1; n < n_nodes; ++n) {
      if (ranks[n] < ranks[best] || (ranks[n] == ranks[best] && precedes(n, best, p))) best = n;
    }
    owner_[p] = best;
  }
}

bool ring::precedes(std::uint32_t a, std::uint32_t b, std::uint32_t p) const {
  const std::uint16_t* ranks = rank_.data() + static_cast<std::size_t>(p) * nodes_.size();
  if (ranks[a] != ranks[b]) return ranks[a] < ranks[b];
  // Equal ranks (rare at the top: each node holds each rank once, so two
  // nodes tie only where their permutations happen to agree): the full
  // tokens decide, then the ids (nodes_ is sorted, so index order is id
  // order). Both are fixed per (id, p), so the order stays membership-free.
  const std::uint64_t ta = token(nodes_[a], p);
  const std::uint64_t tb = token(nodes_[b], p);
  if (ta != tb) return ta < tb;
  return a < b;
}

std::vector<std::uint32_t> ring::preference(std::uint32_t p, std::uint32_t r) const {
  const auto n_nodes = static_cast<std::uint32_t>(nodes_.size());
  const std::uint32_t k = std::min(r, n_nodes);
  std::vector<std::uint32_t> order(n_nodes);
  std::iota(order.begin(), order.end(), 0u);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return precedes(a, b, p); });
  order.resize(k);
  return order;
}

std::vector<std::uint32_t> ring::partition_counts() const {
  std::vector<std::uint32_t> counts(nodes_.size(), 0);
  for (const std::uint32_t n : owner_) ++counts[n];
  return counts;
}

std::vector<move> diff(const ring& before, const ring& after) {
  std::vector<move> moves;
  if (before.empty() && after.empty()) return moves;
  static const std::string none;
  for (std::uint32_t p = 0; p < common::partition_count; ++p) {
    const std::string& from = before.empty() ? none : before.owner(p);
    const std::string& to = after.empty() ? none : after.owner(p);
    if (from != to) moves.push_back(move{p, from, to});
  }
  return moves;
}

}  // namespace dkv::ring
