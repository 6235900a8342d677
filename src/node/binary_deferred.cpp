// binary_handler's deferred requests: the group of requests that waits for
// other nodes (see binary_handler.hpp), run through the router.

#include <algorithm>

#include "dkv/node/binary_handler.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::node {

namespace asio = boost::asio;
namespace proto = dkv::protocol;
using proto::status;

namespace {

// A reply's frame header and status, besides its value.
constexpr std::uint64_t reply_overhead = 64;

void reply_outcome(std::string& out, std::uint8_t op, std::uint32_t rid, const key_outcome& o) {
  if (proto::is_error(o.code)) return proto::reply_error(out, op, rid, o.code, o.message);
  if (op == static_cast<std::uint8_t>(proto::opcode::get) && o.code == status::ok)
    return proto::reply_bytes(out, op, rid, o.value);
  proto::reply_status(out, op, rid, o.code);
}

}  // namespace

void binary_handler::defer_request(deferred_request d) {
  open_group(cost_of(d));
  deferred_.push_back(std::move(d));
  defer();
}

bool binary_handler::join_group(std::uint8_t op, std::uint8_t flags, std::uint32_t rid,
                                std::string_view body, std::size_t out_size) {
  // Peers' requests carry routing flags and are never forwarded again.
  if (!peer_.empty() || !authenticated() ||
      deferred_.front().op == static_cast<std::uint8_t>(proto::opcode::mget))
    return false;
  deferred_request d{op, flags, rid, {}, {}, {}};
  switch (static_cast<proto::opcode>(op)) {
    case proto::opcode::put: {
      const auto req = proto::decode_put(body, ctx_.lim.max_key);
      if (!req) return false;  // its error reply comes after the group's
      d.key = req.value->key;
      d.value = req.value->value;
      break;
    }
    case proto::opcode::get:
    case proto::opcode::del: {
      const auto req = proto::decode_key(body, ctx_.lim.max_key);
      if (!req) return false;
      d.key = req.value->key;
      break;
    }
    default:
      return false;
  }
  const bool key_in_group = std::any_of(deferred_.begin(), deferred_.end(),
                                        [&](const auto& g) { return g.key == d.key; });
  if (!admit_to_group(deferred_.size(), key_in_group, cost_of(d), out_size)) return false;
  deferred_.push_back(std::move(d));
  return true;
}

session_handler::group_cost binary_handler::cost_of(const deferred_request& d) const {
  if (d.op == static_cast<std::uint8_t>(proto::opcode::put))
    return {reply_overhead + d.value.size(), false};
  if (d.op != static_cast<std::uint8_t>(proto::opcode::get)) return {reply_overhead, false};
  return get_cost(d.key, reply_overhead);
}

asio::awaitable<void> binary_handler::run_deferred(std::string& out, net::flusher& early) {
  // In place: handle() runs again only once this returns, and the vector
  // keeps its capacity for the next group.
  std::vector<deferred_request>& group = deferred_;
  if (group.front().op == static_cast<std::uint8_t>(proto::opcode::mget)) {
    co_await run_mget(group.front(), out);
  } else {
    co_await run_group(group, out, early);
  }
  group.clear();
}

router::op binary_handler::key_op(std::uint8_t op) noexcept {
  switch (static_cast<proto::opcode>(op)) {
    case proto::opcode::get: return router::op::get;
    case proto::opcode::put: return router::op::put;
    default: return router::op::del;
  }
}

asio::awaitable<void> binary_handler::run_group(std::vector<deferred_request>& group,
                                                std::string& out, net::flusher& early) {
  // What this node serves by itself is done now; the rest runs at once
  // (router::run_group: one batch per owning node, remote GETs in one MGET).
  std::vector<key_outcome> outcomes(group.size());
  std::vector<router::request> elsewhere;
  std::vector<std::size_t> elsewhere_at;  // their places in the group
  elsewhere.reserve(group.size());
  elsewhere_at.reserve(group.size());
  std::uint64_t lsn = 0;
  std::vector<std::size_t> written_here;
  for (std::size_t i = 0; i < group.size(); ++i) {
    deferred_request& d = group[i];
    std::uint64_t written = 0;
    if (auto o = router_.try_local(key_op(d.op), d.key, d.value, condition_of(d.flags),
                                   written)) {
      outcomes[i] = std::move(*o);
      if (written) written_here.push_back(i);
      lsn = std::max(lsn, written);
      continue;
    }
    elsewhere.push_back(
        {key_op(d.op), std::move(d.key), std::move(d.value), condition_of(d.flags)});
    elsewhere_at.push_back(i);
  }
  if (!elsewhere.empty()) co_await router_.run_group(elsewhere);
  std::vector<router::request*> alone(group.size(), nullptr);  // GETs to run now, one by one
  for (std::size_t j = 0; j < elsewhere.size(); ++j) {
    outcomes[elsewhere_at[j]] = std::move(elsewhere[j].outcome);
    if (elsewhere[j].alone) alone[elsewhere_at[j]] = &elsewhere[j];
  }
  // The writes made here are acknowledged once the log has them, as any
  // routed write is (router::run); if it fails first, they answer IO_ERROR.
  bool durable = true;
  if (lsn) durable = co_await ctx_.eng.log().async_wait(lsn);
  if (!durable)
    for (const std::size_t i : written_here)
      outcomes[i] = {status::io_error, {}, ctx_.eng.write_failure()};
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!alone[i]) {
      reply_outcome(out, group[i].op, group[i].rid, outcomes[i]);
      continue;
    }
    // Its value is dropped once in `out`, which is written out past the
    // reply budget: one such value at a time.
    const key_outcome o = co_await router_.get(std::move(alone[i]->key));
    reply_outcome(out, group[i].op, group[i].rid, o);
    if (out.size() >= net::reply_budget) {
      const bool written = co_await early.flush(out);
      if (!written) co_return;
    }
  }
}

asio::awaitable<void> binary_handler::run_mget(deferred_request& d, std::string& out) {
  const std::size_t count = d.keys.size();
  // d stays in the group until it has run: the keys stay put.
  const router::mget_values got =
      co_await router_.mget(std::vector<std::string_view>(d.keys.begin(), d.keys.end()));
  if (proto::is_error(got.error.code)) {
    reply_outcome(out, d.op, d.rid, got.error);
    co_return;
  }
  const auto at = proto::begin_mget_reply(out, d.rid, static_cast<std::uint32_t>(count));
  for (std::size_t i = 0; i < count; ++i) {
    const auto v = got.value(i);
    proto::put_mget_value(out, v ? &*v : nullptr);
  }
  proto::finish_reply(out, at);
}

}  // namespace dkv::node
