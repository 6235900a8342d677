#include "dkv/node/handoff.hpp"

#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/log/log.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"
#include "dkv/wal/entry.hpp"

namespace dkv::node {

namespace asio = boost::asio;
namespace proto = dkv::protocol;

namespace {
constexpr auto retry_pause = std::chrono::milliseconds(500);
constexpr std::uint32_t max_batch_entries = 4096;

bool accepted(const boost::system::result<client::reply>& r) {
  if (!r) return false;
  const auto reply = proto::decode_reply(r->body);
  return reply && reply->code == proto::status::ok;
}
}  // namespace

handoff::handoff(asio::any_io_executor ex, context& ctx, cluster_manager& cluster)
    : ctx_(ctx), cluster_(cluster), wakeup_(ex) {
  cluster_.set_handoff_wakeup(&wakeup_);
}

void handoff::stop() {
  stopped_ = true;
  wakeup_.cancel();
}

asio::awaitable<void> handoff::run() {
  while (!stopped_) {
    auto& out = cluster_.outgoing();
    if (out.empty()) {
      wakeup_.expires_after(std::chrono::seconds(1));
      co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    const std::uint32_t p = *out.begin();
    const auto& ring = cluster_.current_ring();
    if (cluster_.owns(p) || ring.empty()) {
      out.erase(p);
      continue;
    }
    const std::string owner = ring.owner(p);
    bool done = false;
    if (!cluster_.is_down(owner)) done = co_await send_partition(p, owner);
    if (done) continue;
    // Not now: move it to the back and pause before trying the next ones.
    if (cluster_.outgoing().erase(p)) cluster_.outgoing().insert(p);
    wakeup_.expires_after(retry_pause);
    co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<bool> handoff::send_partition(std::uint32_t p, std::string owner) {
  // The keys as they are now; each batch re-reads their entries.
  std::vector<std::string> keys;
  ctx_.eng.data().scan(p, [&keys](const store::entry& e) { keys.emplace_back(e.key()); });
  std::uint64_t count = 0, digest = 0;
  std::string entries, payload;
  auto& counters = cluster_.counters();

  for (std::size_t i = 0; i < keys.size();) {
    entries.clear();
    std::uint32_t in_batch = 0;
    for (; i < keys.size() && entries.size() < max_batch_bytes && in_batch < max_batch_entries;
         ++i) {
      const store::entry* e = ctx_.eng.data().find(keys[i]);
      if (!e) continue;
      const store::version v = e->ver();
      payload.clear();
      wal::encode_entry(payload, wal::entry{e->tombstone() ? wal::op::del : wal::op::put, v.hlc,
                                            v.node, e->key(), e->value()});
      proto::put_migrate_entry(entries, payload);
      digest += proto::entry_digest(e->key(), v.hlc, v.node);
      ++count;
      ++in_batch;
    }
    if (in_batch == 0) continue;
    const auto r = co_await cluster_.call(owner, [&](std::string& f, std::uint32_t rid) {
      const auto at = proto::begin_migrate(f, rid, p);
      f += entries;
      proto::finish_migrate(f, at, in_batch);
    });
    if (!accepted(r)) co_return false;
    counters.keys_sent += in_batch;
    counters.bytes_sent += entries.size();
    // The ring may have changed meanwhile, even emptied (every member
    // leaving at once).
    const auto& now = cluster_.current_ring();
    if (stopped_ || now.empty() || now.owner(p) != owner) co_return false;
  }
  const auto r = co_await cluster_.call(owner, [&](std::string& f, std::uint32_t rid) {
    proto::encode_migrate_done(f, rid, proto::migrate_done{p, count, digest});
  });
  if (!accepted(r)) co_return false;

  // Anything that arrived, changed or went since (a late write, a migrated
  // batch from a third node, a purged tombstone) changes the partition's
  // count or digest (the one the owner just confirmed): the partition then
  // goes in another round before it is dropped.
  std::uint64_t now_count = 0, now_digest = 0;
  ctx_.eng.data().scan(p, [&](const store::entry& e) {
    ++now_count;
    now_digest += proto::entry_digest(e.key(), e.ver().hlc, e.ver().node);
  });
  if (now_count != count || now_digest != digest) co_return false;
  if (cluster_.owns(p)) co_return false;
  ctx_.eng.drop_partition(p);
  cluster_.outgoing().erase(p);
  ++counters.partitions_sent;
  log::debug() << "handed partition " << p << " (" << count << " keys) to " << owner;
  co_return true;
}

}  // namespace dkv::node
