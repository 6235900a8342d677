#define BOOST_TEST_MODULE ring
#include <boost/test/unit_test.hpp>

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dkv/common/key_hash.hpp"
#include "dkv/ring/ring.hpp"

using dkv::common::partition_count;
using dkv::ring::ring;

namespace {

constexpr std::uint32_t key_count = 1'000'000;

// Keys "key-0".."key-999999" counted per partition once; every ring below is
// measured by summing these counts over the partitions a node owns.
const std::vector<std::uint64_t>& keys_per_partition() {
  static const std::vector<std::uint64_t> counts = [] {
    std::vector<std::uint64_t> c(partition_count, 0);
    for (std::uint32_t i = 0; i < key_count; ++i) ++c[dkv::common::partition_of("key-" + std::to_string(i))];
    return c;
  }();
  return counts;
}

std::vector<std::uint64_t> keys_per_node(const ring& r) {
  const auto& kp = keys_per_partition();
  std::vector<std::uint64_t> out(r.nodes().size(), 0);
  for (std::uint32_t p = 0; p < partition_count; ++p) out[r.owner_index(p)] += kp[p];
  return out;
}

double max_over_mean(const std::vector<std::uint64_t>& per_node) {
  const double total = std::accumulate(per_node.begin(), per_node.end(), 0.0);
  return static_cast<double>(*std::max_element(per_node.begin(), per_node.end())) /
         (total / static_cast<double>(per_node.size()));
}

std::string fmt(const char* format, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A set of five node ids and the sixth that joins it.
struct id_set {
  std::string name;
  std::vector<std::string> ids;
  std::string joiner;
};

std::vector<std::string> numbered(const std::string& prefix, int from, int to, const std::string& suffix = "") {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(prefix + std::to_string(i) + suffix);
  return out;
}

std::string uuid_like(std::mt19937_64& rng) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const int group : {8, 4, 4, 4, 12}) {
    if (!out.empty()) out += '-';
    for (int i = 0; i < group; ++i) out += hex[rng() & 15];
  }
  return out;
}

std::vector<id_set> twenty_sets() {
  std::vector<id_set> sets;
  auto add = [&](std::string name, std::vector<std::string> six) {
    std::string joiner = six.back();
    six.pop_back();
    sets.push_back({std::move(name), std::move(six), std::move(joiner)});
  };
  for (int s = 0; s < 12; ++s) add("node-" + std::to_string(s) + "-*", numbered("node-" + std::to_string(s) + "-", 0, 5));
  add("kv-store-*", numbered("kv-store-", 0, 5));
  add("10.0.0.*:7000", numbered("10.0.0.", 1, 6, ":7000"));
  add("127.0.0.1:700*", numbered("127.0.0.1:700", 1, 6));
  add("db*.eu-west-1.internal", numbered("db", 1, 6, ".eu-west-1.internal"));
  add("n*", numbered("n", 1, 6));
  add("A..F", {"A", "B", "C", "D", "E", "F"});
  for (const std::uint64_t seed : {1u, 2u}) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> six;
    for (int i = 0; i < 6; ++i) six.push_back(uuid_like(rng));
    add("uuid seed " + std::to_string(seed), six);
  }
  return sets;
}

std::vector<std::string> without(std::vector<std::string> ids, std::size_t i) {
  ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
  return ids;
}

std::vector<std::uint32_t> owners(const ring& r) {
  std::vector<std::uint32_t> out(partition_count);
  for (std::uint32_t p = 0; p < partition_count; ++p) out[p] = r.owner_index(p);
  return out;
}

// The placement rule written out naively from the header's definition.
std::vector<std::string> reference_owners(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  auto tok = [](const std::string& id, std::uint32_t p) {
    std::string in = id;
    for (int b = 0; b < 4; ++b) in += static_cast<char>((p >> (8 * b)) & 0xffu);
    return XXH3_64bits(in.data(), in.size());
  };
  std::vector<std::vector<std::uint32_t>> rank(ids.size(), std::vector<std::uint32_t>(partition_count));
  for (std::size_t n = 0; n < ids.size(); ++n) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (std::uint32_t p = 0; p < partition_count; ++p) order.emplace_back(tok(ids[n], p) >> dkv::common::partition_bits, p);
    std::sort(order.begin(), order.end());
    for (std::uint32_t r = 0; r < partition_count; ++r) rank[n][order[r].second] = r;
  }
  std::vector<std::string> out(partition_count);
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    std::size_t best = 0;
    for (std::size_t n = 1; n < ids.size(); ++n) {
      const auto key = [&](std::size_t i) { return std::make_tuple(rank[i][p], tok(ids[i], p), ids[i]); };
      if (key(n) < key(best)) best = n;
    }
    out[p] = ids[best];
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_ring) {
  const ring none;
  BOOST_TEST(none.empty());
  BOOST_TEST(none.nodes().empty());
  BOOST_TEST(none.partition_counts().empty());
  BOOST_TEST(none.preference(0, 3).empty());
  BOOST_TEST(ring(std::vector<std::string>{}).empty());
  BOOST_TEST(ring(std::vector<std::string>{"", ""}).empty());  // empty ids are not members
  BOOST_TEST(dkv::ring::diff(none, none).empty());
}

BOOST_AUTO_TEST_CASE(single_node_owns_everything) {
  const ring one({"solo"});
  BOOST_TEST(!one.empty());
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    BOOST_TEST_REQUIRE(one.owner_index(p) == 0u);
    BOOST_TEST_REQUIRE(one.owner(p) == "solo");
    BOOST_TEST_REQUIRE((one.preference(p, 3) == std::vector<std::uint32_t>{0}));
  }
  BOOST_TEST((one.partition_counts() == std::vector<std::uint32_t>{partition_count}));
}

BOOST_AUTO_TEST_CASE(order_independent_and_duplicates_ignored) {
  const std::vector<std::string> ids{"kv-store-0", "kv-store-1", "kv-store-2", "kv-store-3", "kv-store-4"};
  const ring base(ids);
  BOOST_TEST(base.nodes() == ids);  // sorted
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    auto shuffled = ids;
    shuffled.push_back(ids[static_cast<std::size_t>(round)]);  // a duplicate
    shuffled.push_back(ids[0]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const ring other(shuffled);
    BOOST_TEST(other.nodes() == ids);
    BOOST_TEST(owners(other) == owners(base));
  }
}

BOOST_AUTO_TEST_CASE(matches_the_documented_rule) {
  for (const std::vector<std::string>& ids : {std::vector<std::string>{"a", "b", "c"}, numbered("node-x-", 0, 6)}) {
    const ring r(ids);
    const auto expected = reference_owners(ids);
    for (std::uint32_t p = 0; p < partition_count; ++p) BOOST_TEST_REQUIRE(r.owner(p) == expected[p]);
  }
}

// Pins placement itself: every node must compute the same table, so a change
// here is a cluster-wide format change.
BOOST_AUTO_TEST_CASE(placement_is_pinned) {
  const ring r({"node-a", "node-b", "node-c"});
  std::string table;  // owner index of every partition as a digit
  for (std::uint32_t p = 0; p < partition_count; ++p) table += static_cast<char>('0' + r.owner_index(p));
  BOOST_TEST(table.substr(0, 16) == "0221000210122222");
  const std::uint64_t digest = XXH3_64bits(table.data(), table.size());
  BOOST_TEST(digest == 0x3b6c10fdd69c1022u);
}

BOOST_AUTO_TEST_CASE(preference_lists) {
  const auto ids = numbered("10.0.0.", 1, 7, ":7000");
  const ring r(ids);
  const auto n = static_cast<std::uint32_t>(ids.size());
  std::vector<std::uint32_t> second_counts(n, 0);
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    const auto three = r.preference(p, 3);
    BOOST_TEST_REQUIRE(three.size() == 3u);
    BOOST_TEST_REQUIRE(three[0] == r.owner_index(p));
    BOOST_TEST_REQUIRE(three[1] != three[0]);
    BOOST_TEST_REQUIRE(three[2] != three[0]);
    BOOST_TEST_REQUIRE(three[2] != three[1]);
    ++second_counts[three[1]];
    BOOST_TEST_REQUIRE(r.preference(p, 3) == three);  // deterministic
    BOOST_TEST_REQUIRE(r.preference(p, 0).empty());
    const auto all = r.preference(p, 100);  // more than the members: all of them
    BOOST_TEST_REQUIRE(all.size() == n);
    BOOST_TEST_REQUIRE(std::equal(three.begin(), three.end(), all.begin()));  // a prefix
    auto sorted = all;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t i = 0; i < n; ++i) BOOST_TEST_REQUIRE(sorted[i] == i);
  }
  // Replicas spread too: every node is second choice for some partitions.
  for (const std::uint32_t c : second_counts) BOOST_TEST(c > partition_count / n / 2);

  // Leaving deletes the leaver from every list; joining only inserts the joiner.
  const ring smaller(without(ids, 2));
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    std::vector<std::string> full, reduced;
    for (const auto i : r.preference(p, n)) {
      if (r.nodes()[i] != ids[2]) full.push_back(r.nodes()[i]);
    }
    for (const auto i : smaller.preference(p, n)) reduced.push_back(smaller.nodes()[i]);
    BOOST_TEST_REQUIRE(full == reduced);
  }
}

BOOST_AUTO_TEST_CASE(diff_lists_exactly_the_changed_partitions) {
  const auto ids = numbered("kv-store-", 0, 4);
  const ring before(ids);
  const ring after(numbered("kv-store-", 0, 5));
  const auto moves = dkv::ring::diff(before, after);
  std::size_t i = 0;
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    if (before.owner(p) == after.owner(p)) continue;
    BOOST_TEST_REQUIRE(i < moves.size());
    BOOST_TEST(moves[i].partition == p);
    BOOST_TEST(moves[i].from == before.owner(p));
    BOOST_TEST(moves[i].to == after.owner(p));
    ++i;
  }
  BOOST_TEST(i == moves.size());
  BOOST_TEST(!moves.empty());
  BOOST_TEST(dkv::ring::diff(before, before).empty());

  const auto from_nothing = dkv::ring::diff(ring(), before);
  BOOST_TEST(from_nothing.size() == partition_count);
  BOOST_TEST(from_nothing[7].partition == 7u);
  BOOST_TEST(from_nothing[7].from.empty());
  BOOST_TEST(from_nothing[7].to == before.owner(7));
  const auto to_nothing = dkv::ring::diff(before, ring());
  BOOST_TEST(to_nothing.size() == partition_count);
  BOOST_TEST(to_nothing[7].to.empty());
}

// What the twenty sets measure, for one ring scheme.
struct set_result {
  double balance;  // max/mean keys per node, 5 nodes
  double join;     // keys moved by the 6th node's join / the ideal 1/6
  double six;      // max/mean keys per node, 6 nodes
};

// DESIGN §5 targets over 1M keys, for each of twenty sets of ids: balance of
// 5 nodes, what a 6th node's join moves, what each node's leave moves.
BOOST_AUTO_TEST_CASE(balance_join_leave_over_a_million_keys) {
  const auto& kp = keys_per_partition();
  std::vector<std::string> rows;
  set_result worst{0, 0, 0};
  for (const id_set& set : twenty_sets()) {
    set_result res{};
    BOOST_TEST_CONTEXT(set.name) {
      const ring five(set.ids);
      const auto load = keys_per_node(five);
      res.balance = max_over_mean(load);
      BOOST_TEST(res.balance <= 1.10);

      auto six_ids = set.ids;
      six_ids.push_back(set.joiner);
      const ring six(six_ids);
      std::uint64_t moved = 0;
      for (std::uint32_t p = 0; p < partition_count; ++p) {
        if (six.owner(p) == five.owner(p)) continue;
        BOOST_TEST_REQUIRE(six.owner(p) == set.joiner);  // only to the new node
        moved += kp[p];
      }
      res.join = static_cast<double>(moved) / (key_count / 6.0);
      BOOST_TEST(res.join <= 1.15);
      res.six = max_over_mean(keys_per_node(six));

      for (std::size_t gone = 0; gone < set.ids.size(); ++gone) {
        const ring four(without(set.ids, gone));
        std::uint64_t left = 0;
        for (std::uint32_t p = 0; p < partition_count; ++p) {
          if (four.owner(p) == five.owner(p)) continue;
          BOOST_TEST_REQUIRE(five.owner(p) == set.ids[gone]);  // only from the leaver
          left += kp[p];
        }
        const auto leaver = std::find(five.nodes().begin(), five.nodes().end(), set.ids[gone]);
        BOOST_TEST(left == load[static_cast<std::size_t>(leaver - five.nodes().begin())]);  // all of them
      }
    }
    std::string name = set.name;
    name.resize(24, ' ');
    rows.push_back(name + fmt("%11.4f", res.balance) + fmt("%18.4f", res.join) + fmt("%13.4f", res.six));
    worst = {std::max(worst.balance, res.balance), std::max(worst.join, res.join), std::max(worst.six, res.six)};
  }
  BOOST_TEST_MESSAGE("1M keys; join = keys moved / (1/6 of keys); every leave moved exactly the leaver's keys");
  BOOST_TEST_MESSAGE("set                     max/mean(5)  join moved/ideal  max/mean(6)");
  for (const auto& row : rows) BOOST_TEST_MESSAGE(row);
  BOOST_TEST_MESSAGE("worst                   " << fmt("%11.4f", worst.balance) << fmt("%18.4f", worst.join)
                                                << fmt("%13.4f", worst.six));
}

BOOST_AUTO_TEST_CASE(hundred_nodes_build_quickly_and_all_own_partitions) {
  const auto ids = numbered("node-", 0, 99);
  const auto start = std::chrono::steady_clock::now();
  const ring r(ids);
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const auto counts = r.partition_counts();
  BOOST_TEST(std::accumulate(counts.begin(), counts.end(), 0u) == partition_count);
  for (const std::uint32_t c : counts) BOOST_TEST(c > 0u);
  std::vector<std::uint64_t> wide(counts.begin(), counts.end());
  BOOST_TEST_MESSAGE("100 nodes: built in " << fmt("%.1f", ms) << " ms, partitions max/mean "
                                             << fmt("%.3f", max_over_mean(wide)));
}

// ---- scheme comparison (docs/RING.md) ---------------------------------------
// Not run by default (~1 min in Release):
//   ring_test --run_test=compare_schemes --log_level=message
// Measures the chosen scheme against the two classic alternatives on the
// same keys: a token ring (V tokens XXH3(id ‖ le32(i)) per node, partition p
// at the midpoint of its arc, owned by the first token clockwise) and plain
// rendezvous hashing (owner = highest XXH3(id ‖ le32(p))).
namespace {

using table_fn = std::vector<std::uint32_t> (*)(const std::vector<std::string>&, std::uint32_t);

std::uint64_t test_token(const std::string& id, std::uint32_t i) {
  std::string in = id;
  for (int b = 0; b < 4; ++b) in += static_cast<char>((i >> (8 * b)) & 0xffu);
  return XXH3_64bits(in.data(), in.size());
}

std::vector<std::uint32_t> token_ring_table(const std::vector<std::string>& ids, std::uint32_t v) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> tokens;
  for (std::uint32_t n = 0; n < ids.size(); ++n) {
    for (std::uint32_t i = 0; i < v; ++i) tokens.emplace_back(test_token(ids[n], i), n);
  }
  std::sort(tokens.begin(), tokens.end());
  std::vector<std::uint32_t> out(partition_count);
  std::size_t j = 0;
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    const std::uint64_t point = (std::uint64_t{p} << (64 - dkv::common::partition_bits)) |
                                (std::uint64_t{1} << (63 - dkv::common::partition_bits));
    while (j < tokens.size() && tokens[j].first < point) ++j;
    out[p] = tokens[j == tokens.size() ? 0 : j].second;
  }
  return out;
}

std::vector<std::uint32_t> rendezvous_table(const std::vector<std::string>& ids, std::uint32_t) {
  std::vector<std::uint32_t> out(partition_count);
  std::vector<std::uint64_t> best(partition_count, 0);
  for (std::uint32_t n = 0; n < ids.size(); ++n) {
    for (std::uint32_t p = 0; p < partition_count; ++p) {
      const std::uint64_t t = test_token(ids[n], p);
      if (n == 0 || t > best[p]) best[p] = t, out[p] = n;
    }
  }
  return out;
}

std::vector<std::uint32_t> rank_table(const std::vector<std::string>& ids, std::uint32_t) {
  const ring r(ids);
  std::vector<std::uint32_t> out(partition_count);  // indexed like `ids`, as the others
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    out[p] = static_cast<std::uint32_t>(std::find(ids.begin(), ids.end(), r.owner(p)) - ids.begin());
  }
  return out;
}

set_result measure(table_fn table, std::uint32_t v, const std::vector<std::string>& five, const std::string& joiner) {
  const auto& kp = keys_per_partition();
  auto six_ids = five;
  six_ids.push_back(joiner);
  const auto t5 = table(five, v);
  const auto t6 = table(six_ids, v);
  std::vector<std::uint64_t> load5(5, 0), load6(6, 0);
  std::uint64_t moved = 0;
  for (std::uint32_t p = 0; p < partition_count; ++p) {
    load5[t5[p]] += kp[p];
    load6[t6[p]] += kp[p];
    if (t6[p] != t5[p]) moved += kp[p];
  }
  return {max_over_mean(load5), static_cast<double>(moved) / (key_count / 6.0), max_over_mean(load6)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(compare_schemes, *boost::unit_test::disabled()) {
  struct scheme {
    std::string name;
    table_fn table;
    std::uint32_t v;
  };
  std::vector<scheme> schemes{{"rank rendezvous (chosen)", rank_table, 0}, {"rendezvous", rendezvous_table, 0}};
  for (const std::uint32_t v : {64u, 128u, 256u, 512u, 1024u, 2048u, 4096u}) {
    schemes.push_back({"token ring V=" + std::to_string(v), token_ring_table, v});
  }
  constexpr int random_sets = 2000;  // {"rand-<s>-0".."rand-<s>-4"}, joiner "rand-<s>-5"
  const auto hundred = numbered("node-", 0, 99);
  BOOST_TEST_MESSAGE("scheme                     20 sets: worst bal  worst join | " << random_sets
                     << " sets: mean bal  worst bal  >1.10  worst join | 100-node build ms");
  for (const scheme& s : schemes) {
    set_result worst20{0, 0, 0};
    for (const id_set& set : twenty_sets()) {
      const auto r = measure(s.table, s.v, set.ids, set.joiner);
      worst20 = {std::max(worst20.balance, r.balance), std::max(worst20.join, r.join), 0};
    }
    double sum = 0, worst = 0, worst_join = 0;
    int over = 0;
    for (int k = 0; k < random_sets; ++k) {
      const auto six = numbered("rand-" + std::to_string(k) + "-", 0, 5);
      const auto r = measure(s.table, s.v, {six.begin(), six.begin() + 5}, six[5]);
      sum += r.balance;
      worst = std::max(worst, r.balance);
      worst_join = std::max(worst_join, r.join);
      over += r.balance > 1.10 ? 1 : 0;
    }
    double best_ms = 1e9;
    for (int k = 0; k < 5; ++k) {
      const auto start = std::chrono::steady_clock::now();
      const auto t = s.table(hundred, s.v);
      best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      BOOST_TEST(t.size() == partition_count);
    }
    std::string name = s.name;
    name.resize(26, ' ');
    BOOST_TEST_MESSAGE(name << fmt("%18.4f", worst20.balance) << fmt("%12.4f", worst20.join) << " | "
                            << fmt("%19.4f", sum / random_sets) << fmt("%11.4f", worst) << fmt("%7.0f", over)
                            << fmt("%12.4f", worst_join) << " | " << fmt("%8.1f", best_ms));
  }

  // The chosen scheme's tail: 5-node balance over many more sets.
  constexpr int tail_sets = 50'000;
  std::vector<double> balances;
  for (int k = 0; k < tail_sets; ++k) {
    const ring r(numbered("tail-" + std::to_string(k) + "-", 0, 4));
    balances.push_back(max_over_mean(keys_per_node(r)));
  }
  std::sort(balances.begin(), balances.end());
  const auto at = [&](double q) { return balances[static_cast<std::size_t>(q * (tail_sets - 1))]; };
  const auto above = [&](double x) { return balances.end() - std::upper_bound(balances.begin(), balances.end(), x); };
  BOOST_TEST_MESSAGE("rank rendezvous, " << tail_sets << " sets of 5: median " << fmt("%.4f", at(0.5)) << ", p99 "
                                         << fmt("%.4f", at(0.99)) << ", p99.9 " << fmt("%.4f", at(0.999)) << ", max "
                                         << fmt("%.4f", balances.back()) << "; sets above 1.08: " << above(1.08)
                                         << ", above 1.10: " << above(1.10));

  // Other cluster sizes: fewer partitions per node as N grows.
  for (const int n : {3, 10, 20}) {
    for (const scheme& s : {schemes[0], schemes[1], schemes[6]}) {
      double sum = 0, worst = 0;
      constexpr int sets = 500;
      for (int k = 0; k < sets; ++k) {
        const auto ids = numbered("size-" + std::to_string(k) + "-", 0, n - 1);
        const auto t = s.table(ids, s.v);
        std::vector<std::uint64_t> load(static_cast<std::size_t>(n), 0);
        for (std::uint32_t p = 0; p < partition_count; ++p) load[t[p]] += keys_per_partition()[p];
        const double b = max_over_mean(load);
        sum += b;
        worst = std::max(worst, b);
      }
      BOOST_TEST_MESSAGE(n << " nodes, " << s.name << ": mean max/mean " << fmt("%.4f", sum / sets) << ", worst "
                           << fmt("%.4f", worst) << " (" << sets << " sets)");
    }
  }
}
