#include "dkv/node/cluster_manager.hpp"

#include <algorithm>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/common/key_hash.hpp"
#include "dkv/disk/node_state.hpp"
#include "dkv/log/log.hpp"
#include "dkv/net/spawn.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::node {

namespace asio = boost::asio;
namespace proto = dkv::protocol;
using dkv::cluster::member;
using dkv::cluster::member_state;
using client::link;

namespace {

constexpr auto tick = std::chrono::seconds(1);
constexpr auto join_retry = std::chrono::seconds(1);

double seconds_since(link::clock::time_point t) {
  return std::chrono::duration<double>(link::clock::now() - t).count();
}

// A ping keeps the link's last_heard fresh; its answer is all we need.
asio::awaitable<void> ping(std::shared_ptr<link> l) {
  const std::uint32_t rid = l->next_rid();
  std::string frame;
  proto::encode_ping(frame, rid, {});
  co_await l->call(rid, std::move(frame), cluster_manager::down_after);
}

}  // namespace

cluster_manager::cluster_manager(asio::any_io_executor ex, context& ctx, disk::node_state state)
    : ex_(ex), ctx_(ctx), state_(std::move(state)) {}

void cluster_manager::start(const std::optional<config::host_port>& join_addr) {
  for (const auto& r : state_.members)
    members_.merge(member{r.id, r.address, static_cast<member_state>(r.state), r.version});
  // Come back as ourselves: a node that had left (or never joined) starts
  // as a cluster of one; a moved node announces its new address.
  const member* me = members_.find(ctx_.me.id);
  // A node that left gracefully remembers whom it left: it may rejoin
  // through them (below) when its --join-addr cannot take it back.
  std::vector<config::host_port> remembered;
  if (me && me->state == member_state::removed)
    for (const auto& m : members_.members())
      if (m.id != ctx_.me.id && m.state != member_state::removed)
        if (auto a = config::parse_host_port(m.address)) remembered.push_back(*a);
  if (!me || me->state == member_state::removed) {
    dkv::cluster::membership alone;
    alone.merge(member{ctx_.me.id, ctx_.me.address, member_state::up, me ? me->version : 0});
    members_ = alone;
    members_.update(ctx_.me.id, ctx_.me.address, member_state::up);
  } else if (me->address != ctx_.me.address || me->state != member_state::up) {
    members_.update(ctx_.me.id, ctx_.me.address, member_state::up);
  }
  ring_ = ring::ring(members_.owners());
  for (std::uint32_t p = 0; p < common::partition_count; ++p)
    if (!owns(p) && !ctx_.eng.data().partition(p).empty()) outgoing_.insert(p);
  save_state();
  if (peers() > 0)
    log::info() << "rejoining the cluster as " << ctx_.me.id << " at epoch " << epoch();
  else if (!join_addr)
    log::info() << "starting as a single node";
  // A StatefulSet gives every pod the same --join-addr: pod 0 joins itself.
  // It waits for the others to join it, unless it left them gracefully
  // (a rolling restart): then it rejoins through the members it left, which
  // no longer count it as a member and so would never call it.
  // Any other node joins through --join-addr, then through those members.
  std::vector<config::host_port> through;
  if (join_addr && join_addr->to_string() != ctx_.me.address) through.push_back(*join_addr);
  if (join_addr) through.insert(through.end(), remembered.begin(), remembered.end());
  if (join_addr && join_addr->to_string() == ctx_.me.address && remembered.empty())
    log::info() << "--join-addr is this node: waiting for others to join";
  else if (join_addr && join_addr->to_string() == ctx_.me.address)
    log::info() << "--join-addr is this node: rejoining through the " << remembered.size()
                << " members it left";
  if (peers() == 0 && !through.empty()) {
    join_pending_ = true;
    asio::co_spawn(ex_, run_join(std::move(through)), net::log_exception{"join"});
  }
  asio::co_spawn(ex_, run_gossip(), net::log_exception{"gossip"});
  asio::co_spawn(ex_, run_heartbeats(), net::log_exception{"heartbeats"});
  if (peers() > 0) broadcast();
}

void cluster_manager::stop() {
  stopped_ = true;
  for (auto& [id, l] : links_) l->close();
}

std::size_t cluster_manager::peers() const noexcept {
  std::size_t n = 0;
  for (const auto& m : members_.members())
    n += m.id != ctx_.me.id && m.state != member_state::removed;
  return n;
}

// ---- routing ----------------------------------------------------------------

bool cluster_manager::owns(std::uint32_t p) const noexcept {
  return !ring_.empty() && ring_.owner(p) == ctx_.me.id;
}

route cluster_manager::route_key(std::string_view key) const {
  if (joining()) return {route::kind::unavailable, {}};
  const std::uint32_t p = common::partition_of(key);
  if (ring_.empty() || ring_.owner(p) == ctx_.me.id) return {};
  const std::string& owner = ring_.owner(p);
  if (is_down(owner)) return {route::kind::unavailable, owner};
  return {route::kind::remote, owner};
}

const std::string* cluster_manager::incoming_from(std::uint32_t p) const {
  const auto it = incoming_.find(p);
  return it == incoming_.end() ? nullptr : &it->second;
}

bool cluster_manager::is_down(std::string_view id) const {
  const auto it = links_.find(id);
  if (it == links_.end()) return false;
  return seconds_since(it->second->last_heard()) >
         std::chrono::duration<double>(down_after).count();
}

client::peer_credentials cluster_manager::credentials() const {
  return {ctx_.me.id, ctx_.me.cluster, ctx_.sec.peer_secret};
}

link& cluster_manager::link_to(const member& m) {
  auto it = links_.find(m.id);
  const auto addr = config::parse_host_port(m.address);
  if (it == links_.end()) {
    auto l = std::make_shared<link>(ex_, addr.value_or(config::host_port{}), credentials(),
                                    ctx_.lim.max_frame);
    it = links_.emplace(m.id, std::move(l)).first;
  } else if (addr) {
    it->second->set_address(*addr);
  }
  return *it->second;
}

asio::awaitable<boost::system::result<client::reply>> cluster_manager::call(
    const std::string& node, const std::function<void(std::string&, std::uint32_t)>& build) {
  auto replies = co_await call_many(
      node, 1, [&build](std::string& out, std::size_t, std::uint32_t rid) { build(out, rid); });
  co_return std::move(replies.front());
}

asio::awaitable<std::vector<boost::system::result<client::reply>>> cluster_manager::call_many(
    const std::string& node, std::size_t count,
    const std::function<void(std::string&, std::size_t, std::uint32_t)>& build) {
  const member* m = members_.find(node);
  if (!m || m->state == member_state::removed || node == ctx_.me.id)
    co_return std::vector<boost::system::result<client::reply>>(
        count, boost::system::error_code(asio::error::connection_refused));
  // Keep the link alive across the wait even if the member is removed.
  std::shared_ptr<link> l = link_to(*m).shared_from_this();
  std::vector<std::uint32_t> rids(count);
  std::string frames;
  for (std::size_t i = 0; i < count; ++i) build(frames, i, rids[i] = l->next_rid());
  co_return co_await l->call_many(std::move(rids), std::move(frames), call_timeout);
}

// ---- membership -------------------------------------------------------------

void cluster_manager::apply_membership() {
  const ring::ring old = ring_;
  ring_ = ring::ring(members_.owners());
  const bool was_alone = old.nodes().size() <= 1;
  // Where a partition comes from when we were alone: the owner it had in
  // the cluster we joined.
  std::vector<std::string> others = members_.owners();
  std::erase(others, ctx_.me.id);
  const ring::ring without_me(others);
  // A node that was alone "owned" every partition; of those it holds no
  // data for, only a member that was alone too awaits a (empty) handoff
  // from it (its `before` is without_me, which names us). A cluster of
  // several that we joined computed its incoming partitions from its own
  // ring: sending it thousands of empty partitions would only delay
  // settling (each MIGRATE_DONE costs the receiver an fsync).
  const bool empty_ones_awaited = !was_alone || without_me.nodes().size() <= 1;

  for (std::uint32_t p = 0; p < common::partition_count; ++p) {
    const bool owned_before = !old.empty() && old.owner(p) == ctx_.me.id;
    if (owns(p)) {
      const ring::ring& before = was_alone ? without_me : old;
      if (!before.empty() && before.owner(p) != ctx_.me.id && !incoming_.contains(p))
        incoming_[p] = before.owner(p);
      outgoing_.erase(p);
    } else {
      incoming_.erase(p);
      if ((owned_before && empty_ones_awaited) || !ctx_.eng.data().partition(p).empty())
        outgoing_.insert(p);
    }
  }
  // A removed member will never finish sending.
  std::erase_if(incoming_, [&](const auto& kv) {
    const member* m = members_.find(kv.second);
    return !m || m->state == member_state::removed;
  });
  for (const auto& m : members_.members())
    if (m.id != ctx_.me.id && m.state != member_state::removed) link_to(m);
  for (auto it = links_.begin(); it != links_.end();) {
    const member* m = members_.find(it->first);
    if (!m || m->state == member_state::removed) {
      it->second->close();
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
  save_state();
  log::info() << "membership epoch " << epoch() << ": " << members_.owners().size()
              << " owners, " << incoming_.size() << " partitions arriving, "
              << outgoing_.size() << " to hand off";
  if (handoff_wakeup_) handoff_wakeup_->cancel();
}

void cluster_manager::save_state() {
  state_.epoch = members_.epoch();
  state_.members.clear();
  for (const auto& m : members_.members())
    state_.members.push_back({m.id, m.address, static_cast<std::uint8_t>(m.state), m.version});
  if (auto err = disk::save_node_state(ctx_.me.data_dir, state_))
    log::error() << "cannot save node state: " << *err;
}

std::string cluster_manager::on_gossip(const dkv::cluster::membership& theirs) {
  if (members_.merge(theirs)) apply_membership();
  std::string out;
  dkv::cluster::encode_membership(out, members_);
  return out;
}

std::string cluster_manager::on_join(std::string_view id, std::string_view address) {
  const member* m = members_.find(id);
  if (!m || m->address != address || m->state != member_state::up) {
    members_.update(id, address, member_state::up);
    log::info() << "node " << id << " (" << address << ") joins";
    apply_membership();
    broadcast();
  }
  std::string out;
  dkv::cluster::encode_membership(out, members_);
  return out;
}

std::string cluster_manager::forget(std::string_view id) {
  if (id == ctx_.me.id) return "cannot forget this node itself (use leave)";
  const member* m = members_.find(id);
  if (!m || m->state == member_state::removed) return "unknown node '" + std::string(id) + "'";
  if (!is_down(id))
    return "node '" + std::string(id) + "' is not down; only a down node can be forgotten";
  std::uint32_t lost = 0;
  for (std::uint32_t p = 0; p < common::partition_count; ++p)
    lost += !ring_.empty() && ring_.owner(p) == id;
  members_.update(id, m->address, member_state::removed);
  apply_membership();
  broadcast();
  log::warn() << "forgot node " << id << ": its " << lost
              << " partitions now belong to the survivors; keys only it held are lost";
  return {};
}

void cluster_manager::broadcast() {
  for (const auto& m : members_.members())
    if (m.id != ctx_.me.id && m.state != member_state::removed)
      asio::co_spawn(ex_, exchange(m.id), net::log_exception{"gossip push"});
}

asio::awaitable<void> cluster_manager::exchange(std::string node) {
  std::string body;
  dkv::cluster::encode_membership(body, members_);
  const auto r = co_await call(node, [&](std::string& out, std::uint32_t rid) {
    proto::encode_gossip(out, rid, body);
  });
  if (!r) co_return;
  const auto reply = proto::decode_reply(r->body);
  if (!reply || proto::is_error(reply->code)) co_return;
  const auto theirs = dkv::cluster::decode_membership(reply->rest);
  if (theirs && members_.merge(*theirs)) apply_membership();
}

asio::awaitable<void> cluster_manager::run_gossip() {
  asio::steady_timer t(ex_);
  while (!stopped_) {
    t.expires_after(tick);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopped_) co_return;
    std::vector<std::string> candidates;
    for (const auto& m : members_.members())
      if (m.id != ctx_.me.id && m.state != member_state::removed) candidates.push_back(m.id);
    if (candidates.empty()) continue;
    co_await exchange(candidates[rng_() % candidates.size()]);
  }
}

asio::awaitable<void> cluster_manager::run_heartbeats() {
  asio::steady_timer t(ex_);
  std::set<std::string> was_down;
  while (!stopped_) {
    t.expires_after(tick);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopped_) co_return;
    for (const auto& [id, l] : links_) {
      asio::co_spawn(ex_, ping(l), net::log_exception{"heartbeat"});
      const bool down = is_down(id);
      if (down && was_down.insert(id).second)
        log::warn() << "node " << id << " is down (silent for "
                    << static_cast<int>(seconds_since(l->last_heard())) << " s)";
      if (!down && was_down.erase(id)) log::info() << "node " << id << " is back";
    }
  }
}

asio::awaitable<std::string> cluster_manager::join(config::host_port addr) {
  auto l = std::make_shared<link>(ex_, addr, credentials(), ctx_.lim.max_frame);
  const std::uint32_t rid = l->next_rid();
  std::string frame;
  proto::encode_join(frame, rid, ctx_.me.id, ctx_.me.address);
  const auto r = co_await l->call(rid, std::move(frame), call_timeout);
  l->close();
  if (!r) co_return addr.to_string() + ": " + (l->last_error().empty() ? r.error().message()
                                                                      : l->last_error());
  const auto reply = proto::decode_reply(r->body);
  if (!reply) co_return addr.to_string() + ": malformed reply";
  if (proto::is_error(reply->code))
    co_return addr.to_string() + ": " + std::string(proto::status_name(reply->code)) + ": " +
        std::string(reply->message);
  const auto theirs = dkv::cluster::decode_membership(reply->rest);
  if (!theirs) co_return addr.to_string() + ": malformed membership";
  if (members_.merge(*theirs)) apply_membership();
  join_pending_ = false;
  broadcast();
  log::info() << "joined the cluster through " << addr.to_string() << " at epoch " << epoch();
  co_return std::string();
}

asio::awaitable<void> cluster_manager::run_join(std::vector<config::host_port> addrs) {
  asio::steady_timer t(ex_);
  for (int attempt = 1; !stopped_ && peers() == 0; ++attempt) {
    const config::host_port addr = addrs[static_cast<std::size_t>(attempt - 1) % addrs.size()];
    const std::string err = co_await join(addr);
    if (err.empty()) co_return;
    if (attempt == 1 || attempt % 10 == 0)
      log::warn() << "cannot join through " << addr.to_string() << " yet (" << err
                  << "); retrying";
    t.expires_after(join_retry);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<std::string> cluster_manager::leave(
    std::function<void(const std::string&)> progress) {
  if (leaving_) co_return "already leaving";
  if (peers() == 0) co_return std::string();  // alone: nothing to hand off
  leaving_ = true;
  members_.update(ctx_.me.id, ctx_.me.address, member_state::leaving);
  apply_membership();
  broadcast();
  asio::steady_timer t(ex_);
  while (!outgoing_.empty() && !stopped_) {
    std::ostringstream line;
    line << "leaving: " << outgoing_.size() << " partitions to hand off, "
         << counters_.partitions_sent << " handed off (" << counters_.keys_sent << " keys, "
         << counters_.bytes_sent << " bytes)";
    progress(line.str());
    t.expires_after(tick);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  members_.update(ctx_.me.id, ctx_.me.address, member_state::removed);
  save_state();
  // Tell everyone, and wait for the answers (bounded by call_timeout).
  for (const auto& m : members_.members())
    if (m.id != ctx_.me.id && m.state != member_state::removed) co_await exchange(m.id);
  std::ostringstream done;
  done << "left the cluster: " << counters_.partitions_sent << " partitions handed off ("
       << counters_.keys_sent << " keys, " << counters_.bytes_sent << " bytes)";
  progress(done.str());
  co_return std::string();
}

// ---- migration bookkeeping (receiver side) ------------------------------------

void cluster_manager::on_migrated(std::string_view peer, std::uint32_t partition,
                                  std::uint64_t count, std::uint64_t digest) {
  auto& r = received_[{std::string(peer), partition}];
  r.count += count;
  r.digest += digest;
  counters_.keys_received += count;
}

bool cluster_manager::on_migrate_done(std::string_view peer, std::uint32_t partition,
                                      std::uint64_t count, std::uint64_t digest) {
  const auto key = std::make_pair(std::string(peer), partition);
  const received r = received_[key];
  received_.erase(key);
  if (r.count != count || r.digest != digest) {
    ++counters_.digest_mismatches;
    log::warn() << "partition " << partition << " from " << peer << ": got " << r.count
                << " keys, sender sent " << count << " (digest mismatch): will be resent";
    return false;
  }
  ++counters_.partitions_received;
  // Whoever closes the transfer completes it, not only the previous owner
  // of our ring: while two members join at once, that owner may have handed
  // the partition to the other joiner first (its ring did not hold us yet),
  // which relays it here; the owner we expected then sends nothing more.
  incoming_.erase(partition);
  return true;
}

// ---- reports ----------------------------------------------------------------

std::string cluster_manager::peers_text() const {
  std::ostringstream o;
  for (const auto& m : members_.members()) {
    std::string state(dkv::cluster::state_name(m.state));
    std::string heard = "-";
    if (m.id == ctx_.me.id) {
      state += !incoming_.empty() ? " (joining: " + std::to_string(incoming_.size()) +
                                        " partitions arriving)"
                                  : "";
      heard = "self";
    } else if (const auto it = links_.find(m.id); it != links_.end()) {
      if (is_down(m.id)) state = "down";
      std::ostringstream h;
      h.precision(1);
      h << std::fixed << seconds_since(it->second->last_heard()) << "s ago";
      heard = h.str();
    }
    o << m.id << " " << m.address << " " << state << " " << heard << "\n";
  }
  return o.str();
}

std::string cluster_manager::ring_text() const {
  std::ostringstream o;
  o << "epoch " << epoch() << ", " << common::partition_count << " partitions\n";
  const auto counts = ring_.partition_counts();
  for (std::size_t i = 0; i < ring_.nodes().size(); ++i)
    o << ring_.nodes()[i] << " " << counts[i] << " partitions\n";
  return o.str();
}

std::string cluster_manager::info_text() const {
  std::ostringstream o;
  std::uint32_t owned = 0;
  for (std::uint32_t p = 0; p < common::partition_count; ++p) owned += owns(p);
  o << "# Cluster\r\n"
    << "epoch:" << epoch() << "\r\n"
    << "members:" << members_.owners().size() << "\r\n"
    << "partitions_owned:" << owned << "\r\n"
    << "partitions_incoming:" << incoming_.size() << "\r\n"
    << "partitions_outgoing:" << outgoing_.size() << "\r\n"
    << "migrated_partitions_sent:" << counters_.partitions_sent << "\r\n"
    << "migrated_keys_sent:" << counters_.keys_sent << "\r\n"
    << "migrated_bytes_sent:" << counters_.bytes_sent << "\r\n"
    << "migrated_partitions_received:" << counters_.partitions_received << "\r\n"
    << "migrated_keys_received:" << counters_.keys_received << "\r\n"
    << "digest_mismatches:" << counters_.digest_mismatches << "\r\n"
    << "leaving:" << leaving_ << "\r\n"
    << "joining:" << joining() << "\r\n";
  return o.str();
}

}  // namespace dkv::node
