#include "dkv/node/engine.hpp"

#include <array>
#include <chrono>

#include "dkv/common/bytes.hpp"
#include "dkv/net/random.hpp"

namespace dkv::node {
namespace {

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// The store's table seed: unknown to clients (see store::entry_table).
std::uint64_t random_seed() {
  std::array<std::uint8_t, 8> bytes;
  net::fill_random(bytes);
  std::uint64_t seed = 0;
  for (const std::uint8_t b : bytes) seed = seed << 8 | b;
  return seed;
}

}  // namespace

engine::engine(std::string_view node_id, durable_log& log)
    : store_(random_seed()), clock_(store::node_tiebreak(node_id)), log_(log) {}

std::optional<std::string_view> engine::get(std::string_view key) {
  ++counters_.gets;
  auto v = store_.get(key);
  ++(v ? counters_.hits : counters_.misses);
  return v;
}

bool engine::exists(std::string_view key) const { return store_.get(key).has_value(); }

std::uint64_t engine::append(wal::op kind, std::string_view key, std::string_view value,
                             const store::version& v) {
  const std::uint64_t lsn = log_.append(wal::entry{kind, v.hlc, v.node, key, value});
  if (lsn == 0) ++counters_.refused_writes;
  return lsn;
}

write_result engine::put(std::string_view key, std::string_view value) {
  ++counters_.puts;
  const auto v = clock_.tick(wall_ms());
  write_result r{append(wal::op::put, key, value, v)};
  if (r.lsn) store_.put(key, value, v);
  return r;
}

write_result engine::del(std::string_view key) {
  ++counters_.dels;
  const auto v = clock_.tick(wall_ms());
  write_result r{append(wal::op::del, key, {}, v), store_.get(key).has_value()};
  if (r.lsn) store_.remove(key, v);
  else r.existed = false;
  return r;
}

std::uint64_t engine::apply_remote(const wal::entry& e) {
  const store::version v{e.hlc, e.node};
  const std::uint64_t lsn = append(e.kind, e.key, e.value, v);
  if (!lsn) return 0;
  clock_.observe(v);
  if (e.kind == wal::op::put) store_.put(e.key, e.value, v);
  else if (e.kind == wal::op::del) store_.remove(e.key, v);
  return lsn;
}

std::uint64_t engine::drop_partition(std::uint32_t p) {
  char key[4];
  common::store_u32_be(key, p);
  const std::uint64_t lsn = append(wal::op::drop, {key, 4}, {}, store::version{});
  if (lsn) store_.drop_partition(p);
  return lsn;
}

write_result engine::import_seed(std::string_view key, std::string_view value) {
  write_result r{append(wal::op::put, key, value, store::seed_version)};
  if (r.lsn) store_.put(key, value, store::seed_version);
  return r;
}

std::size_t engine::purge_tombstones(std::uint64_t grace_ms) {
  const std::uint64_t now = wall_ms();
  const std::uint64_t cutoff = now > grace_ms ? now - grace_ms : 0;
  return store_.purge_tombstones(cutoff << 16);
}

}  // namespace dkv::node
