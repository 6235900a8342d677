#include "dkv/node/router.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/common/key_hash.hpp"
#include "dkv/net/run_all.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::node {

namespace asio = boost::asio;
namespace proto = dkv::protocol;
using proto::status;

namespace {

constexpr int max_attempts = 5;
constexpr auto reroute_pause = std::chrono::milliseconds(50);

key_outcome error(status code, std::string message) { return {code, {}, std::move(message)}; }

// The flags of a request forwarded to the key's owner.
std::uint8_t forward_flags(put_condition cond) noexcept {
  std::uint8_t flags = proto::flag::forwarded;
  if (cond == put_condition::if_absent) flags |= proto::flag::if_absent;
  if (cond == put_condition::if_present) flags |= proto::flag::if_present;
  return flags;
}

void encode_request(std::string& out, std::uint32_t rid, router::op kind, std::string_view key,
                    std::string_view value, std::uint8_t flags) {
  switch (kind) {
    case router::op::get: proto::encode_get(out, rid, key, flags); break;
    case router::op::put: proto::encode_put(out, rid, key, value, flags); break;
    case router::op::del: proto::encode_del(out, rid, key, flags); break;
  }
}

// What `node`'s reply (or the failure to get one) to a request says.
key_outcome outcome_of(const std::string& node, router::op kind,
                       const boost::system::result<client::reply>& r) {
  if (!r)
    return error(status::unavailable, "node " + node + " unreachable: " + r.error().message());
  const auto reply = proto::decode_reply(r->body);
  if (!reply) return error(status::internal, "malformed reply from node " + node);
  if (proto::is_error(reply->code)) return error(reply->code, std::string(reply->message));
  key_outcome o{reply->code, {}, {}};
  if (kind == router::op::get && reply->code == status::ok) {
    proto::body_reader fields(reply->rest);
    const auto v = fields.bytes();
    if (!v) return error(status::internal, "malformed reply from node " + node);
    o.value = std::string(*v);
  }
  return o;
}

}  // namespace

put_condition condition_of(std::uint8_t flags) noexcept {
  if (flags & proto::flag::if_absent) return put_condition::if_absent;
  if (flags & proto::flag::if_present) return put_condition::if_present;
  return put_condition::always;
}

bool router::local_read(std::string_view key) const {
  if (cluster_.route_key(key).where != route::kind::local) return false;
  // The store lookup only matters while the partition is arriving (rare):
  // ask the cheap question first, so a plain GET looks the key up once.
  return !cluster_.incoming_from(common::partition_of(key)) || ctx_.eng.exists(key);
}

bool router::local_write(std::string_view key) const {
  return cluster_.route_key(key).where == route::kind::local;
}

std::optional<std::uint64_t> router::local_get_size(std::string_view key) const {
  if (!local_read(key)) return std::nullopt;
  const auto v = ctx_.eng.get(key);
  return v ? v->size() : 0;
}

std::optional<key_outcome> router::try_local(op kind, std::string_view key,
                                             std::string_view value, put_condition cond,
                                             std::uint64_t& lsn) {
  if (kind != op::get) {
    if (!local_write(key)) return std::nullopt;
    return local_write_now(kind, key, value, cond, lsn);
  }
  if (!local_read(key)) return std::nullopt;
  if (auto v = ctx_.eng.get(key)) return key_outcome{status::ok, std::string(*v), {}};
  return error(status::not_found, {});
}

asio::awaitable<key_outcome> router::get(std::string key) {
  return run(op::get, std::move(key), {}, put_condition::always);
}

asio::awaitable<key_outcome> router::put(std::string key, std::string value, put_condition cond) {
  return run(op::put, std::move(key), std::move(value), cond);
}

asio::awaitable<key_outcome> router::del(std::string key) {
  return run(op::del, std::move(key), {}, put_condition::always);
}

key_outcome router::local_write_now(op kind, std::string_view key, std::string_view value,
                                    put_condition cond, std::uint64_t& lsn) {
  auto& eng = ctx_.eng;
  if (cond != put_condition::always && eng.exists(key) != (cond == put_condition::if_present))
    return error(status::not_found, "condition not met");
  const write_result w = kind == op::put ? eng.put(key, value) : eng.del(key);
  if (!w.lsn) return error(status::io_error, eng.write_failure());
  lsn = w.lsn;
  if (kind == op::del && !w.existed) return error(status::not_found, {});
  return {};
}

asio::awaitable<key_outcome> router::run(op kind, std::string key, std::string value,
                                         put_condition cond) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    // Ownership is read afresh on every attempt: the ring may have changed.
    const route r = cluster_.route_key(key);
    if (r.where == route::kind::unavailable)
      co_return error(status::unavailable, r.node.empty()
                                               ? "this node has not joined its cluster yet"
                                               : "owner node " + r.node + " is down");
    if (r.where == route::kind::remote) {
      key_outcome o = co_await ask(r.node, kind, key, value, forward_flags(cond));
      if (o.code != status::not_owner) co_return o;
      // The exchange brings both members' rings up to date (each merges the
      // other's membership), so the first retry goes at once; an owner that
      // still says no is in the middle of a change: the next ones pause.
      co_await cluster_.refresh(r.node);
      if (attempt == 0) continue;
      const auto ex = co_await asio::this_coro::executor;
      asio::steady_timer pause(ex, reroute_pause);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (kind != op::get) {
      std::uint64_t lsn = 0;
      key_outcome o = local_write_now(kind, key, value, cond, lsn);
      if (lsn) {
        const bool durable = co_await ctx_.eng.log().async_wait(lsn);
        if (!durable) co_return error(status::io_error, ctx_.eng.write_failure());
      }
      co_return o;
    }
    if (auto v = ctx_.eng.get(key)) co_return key_outcome{status::ok, std::string(*v), {}};
    const std::string* from = cluster_.incoming_from(common::partition_of(key));
    if (!from) co_return error(status::not_found, {});
    const std::string source = *from;
    key_outcome o = co_await ask(source, op::get, key, {}, proto::flag::local_only);
    // The partition may have finished arriving meanwhile: look again here.
    if (auto v = ctx_.eng.get(key)) co_return key_outcome{status::ok, std::string(*v), {}};
    if (o.code == status::unavailable)
      o.message = "partition still arriving from " + source + ": " + o.message;
    co_return o;
  }
  co_return error(status::unavailable, "ownership of the key kept changing; try again");
}

asio::awaitable<key_outcome> router::ask(const std::string& node, op kind, const std::string& key,
                                         const std::string& value, std::uint8_t flags) {
  const auto r = co_await cluster_.call(node, [&](std::string& out, std::uint32_t rid) {
    encode_request(out, rid, kind, key, value, flags);
  });
  co_return outcome_of(node, kind, r);
}

asio::awaitable<void> router::run_many(std::vector<request>& requests) {
  // First attempt: one batch per owner; the rest (served here, or with no
  // owner now) the way run() serves them.
  std::vector<std::pair<std::string, std::vector<request*>>> batches;
  std::vector<asio::awaitable<void>> tasks;
  for (request& r : requests) {
    const route rt = cluster_.route_key(r.key);
    if (rt.where != route::kind::remote) {
      tasks.push_back(run_one(r));
      continue;
    }
    auto it = std::find_if(batches.begin(), batches.end(),
                           [&](const auto& b) { return b.first == rt.node; });
    if (it == batches.end()) it = batches.insert(batches.end(), {rt.node, {}});
    it->second.push_back(&r);
  }
  for (auto& [node, batch] : batches) tasks.push_back(ask_many(node, std::move(batch)));
  co_await net::run_all(std::move(tasks));
  // An owner that answered NOT_OWNER knew a newer ring: those go through
  // run(), which learns it and routes again.
  std::vector<asio::awaitable<void>> again;
  for (request& r : requests)
    if (r.outcome.code == status::not_owner) again.push_back(run_one(r));
  if (!again.empty()) co_await net::run_all(std::move(again));
}

asio::awaitable<void> router::ask_many(std::string node, std::vector<request*> batch) {
  const auto replies = co_await cluster_.call_many(
      node, batch.size(), [&batch](std::string& out, std::size_t i, std::uint32_t rid) {
        const request& r = *batch[i];
        encode_request(out, rid, r.kind, r.key, r.value, forward_flags(r.cond));
      });
  for (std::size_t i = 0; i < batch.size(); ++i)
    batch[i]->outcome = outcome_of(node, batch[i]->kind, replies[i]);
}

asio::awaitable<void> router::run_one(request& r) {
  r.outcome = co_await run(r.kind, r.key, r.value, r.cond);
}

}  // namespace dkv::node
