#include "dkv/node/engine.hpp"

#include <chrono>

namespace dkv::node {
namespace {

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

engine::engine(std::string_view node_id) : clock_(store::node_tiebreak(node_id)) {}

store::version engine::next_version() { return clock_.tick(wall_ms()); }

std::optional<std::string_view> engine::get(std::string_view key) {
  ++counters_.gets;
  auto v = store_.get(key);
  ++(v ? counters_.hits : counters_.misses);
  return v;
}

bool engine::exists(std::string_view key) const { return store_.get(key).has_value(); }

void engine::put(std::string_view key, std::string_view value) {
  ++counters_.puts;
  store_.put(key, value, next_version());
}

bool engine::del(std::string_view key) {
  ++counters_.dels;
  const bool existed = store_.get(key).has_value();
  store_.remove(key, next_version());
  return existed;
}

std::size_t engine::purge_tombstones(std::uint64_t grace_ms) {
  const std::uint64_t now = wall_ms();
  const std::uint64_t cutoff = now > grace_ms ? now - grace_ms : 0;
  return store_.purge_tombstones(cutoff << 16);
}

}  // namespace dkv::node
