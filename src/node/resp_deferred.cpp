// resp_handler's deferred commands: the key commands whose keys live on
// other nodes, run through the router, a group of them at once (see
// resp_handler.hpp). Arguments were validated before a command was deferred.

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>

#include "dkv/node/resp_handler.hpp"
#include "dkv/protocol/resp_writer.hpp"

namespace dkv::node {

namespace resp = dkv::protocol::resp;
using protocol::status;

namespace {

// A reply's header and terminator, besides its value.
constexpr std::uint64_t reply_overhead = 64;

// Writes the error reply of a failed outcome; false when there was none.
bool failed(std::string& out, const key_outcome& o) {
  if (!protocol::is_error(o.code)) return false;
  if (o.code == status::unavailable) resp::error(out, "UNAVAILABLE " + o.message);
  else resp::error(out, "ERR " + o.message);
  return true;
}

// The reply of a grouped GET or SET.
void grouped_reply(std::string& out, router::op kind, const key_outcome& o) {
  if (failed(out, o)) return;
  if (o.code != status::ok) resp::null_bulk(out);
  else if (kind == router::op::get) resp::bulk(out, o.value);
  else resp::ok(out);
}

// `GET key` or `SET key value`, with no options: the commands a group takes.
template <class S>
bool plain_get_or_set(const std::vector<S>& a) {
  return (a.size() == 2 && resp::iequals(a[0], "GET")) ||
         (a.size() == 3 && resp::iequals(a[0], "SET"));
}

}  // namespace

bool resp_handler::join_group(std::size_t out_size) {
  if (!authenticated() || !plain_get_or_set(deferred_.front()) || !plain_get_or_set(args_) ||
      args_[1].size() > ctx_.lim.max_key)
    return false;
  const bool key_in_group = std::any_of(deferred_.begin(), deferred_.end(),
                                        [&](const auto& c) { return c[1] == args_[1]; });
  if (!admit_to_group(deferred_.size(), key_in_group, cost_of_args(), out_size)) return false;
  deferred_.emplace_back(args_.begin(), args_.end());
  return true;
}

session_handler::group_cost resp_handler::cost_of_args() const {
  if (!plain_get_or_set(args_)) return {reply_overhead, false};
  if (args_.size() == 3) return {reply_overhead + args_[2].size(), false};
  return get_cost(args_[1], reply_overhead);
}

boost::asio::awaitable<void> resp_handler::run_deferred(std::string& out, net::flusher& early) {
  // In place: handle() runs again only once this returns.
  auto& group = deferred_;
  if (group.size() == 1) {
    co_await run_command(std::move(group.front()), out);
  } else {
    // A group holds plain GETs and SETs only (join_group).
    std::vector<router::request> requests;
    requests.reserve(group.size());
    for (auto& c : group) {
      const bool get = c.size() == 2;
      requests.push_back({get ? router::op::get : router::op::put, std::move(c[1]),
                          get ? std::string() : std::move(c[2])});
    }
    co_await router_.run_group(requests);
    for (auto& r : requests) {
      if (!r.alone) {
        grouped_reply(out, r.kind, r.outcome);
        continue;
      }
      // Its value is dropped once in `out`, which is written out past the
      // reply budget: one such value at a time.
      const key_outcome o = co_await router_.get(std::move(r.key));
      grouped_reply(out, r.kind, o);
      if (out.size() >= net::reply_budget) {
        const bool written = co_await early.flush(out);
        if (!written) break;
      }
    }
  }
  group.clear();
}

boost::asio::awaitable<void> resp_handler::run_command(std::vector<std::string> a,
                                                      std::string& out) {
  const std::string_view cmd = a[0];
  if (resp::iequals(cmd, "GET")) {
    const key_outcome o = co_await router_.get(a[1]);
    if (failed(out, o)) co_return;
    if (o.code == status::ok) resp::bulk(out, o.value);
    else resp::null_bulk(out);
  } else if (resp::iequals(cmd, "SET")) {
    put_condition cond = put_condition::always;
    for (std::size_t i = 3; i < a.size(); ++i)
      cond = resp::iequals(a[i], "NX") ? put_condition::if_absent : put_condition::if_present;
    const key_outcome o = co_await router_.put(a[1], a[2], cond);
    if (failed(out, o)) co_return;
    if (o.code == status::ok) resp::ok(out);
    else resp::null_bulk(out);
  } else if (resp::iequals(cmd, "DEL") || resp::iequals(cmd, "EXISTS")) {
    // The distinct keys' requests run together: a key listed many times is
    // looked up or deleted once. The first error in key order is the reply;
    // EXISTS counts every listing of a key that exists, DEL the keys it
    // removed.
    const bool del = resp::iequals(cmd, "DEL");
    std::vector<router::request> rs;
    std::unordered_map<std::string_view, std::size_t> first;  // key -> its request
    std::vector<std::size_t> request_of;                      // per listed key
    for (std::size_t i = 1; i < a.size(); ++i) {
      const auto [it, fresh] = first.try_emplace(a[i], rs.size());
      if (fresh) rs.push_back({del ? router::op::del : router::op::get, a[i], {}});
      request_of.push_back(it->second);
    }
    if (del) co_await router_.run_many(rs);
    else co_await look_up(rs);
    for (const auto& r : rs)
      if (failed(out, r.outcome)) co_return;
    const auto found = [&](std::size_t r) { return rs[r].outcome.code == status::ok; };
    std::int64_t n = 0;
    if (del) {
      for (std::size_t r = 0; r < rs.size(); ++r) n += found(r);
    } else {
      for (const std::size_t r : request_of) n += found(r);
    }
    resp::integer(out, n);
  } else if (resp::iequals(cmd, "MGET")) {
    const std::size_t count = a.size() - 1;
    const router::mget_values got =
        co_await router_.mget(std::vector<std::string_view>(a.begin() + 1, a.end()));
    if (failed(out, got.error)) co_return;
    resp::array_header(out, count);
    for (std::size_t i = 0; i < count; ++i) {
      if (const auto v = got.value(i)) resp::bulk(out, *v);
      else resp::null_bulk(out);
    }
  } else {  // MSET
    std::vector<router::request> rs;
    for (std::size_t i = 1; i + 1 < a.size(); i += 2)
      rs.push_back({router::op::put, std::move(a[i]), std::move(a[i + 1])});
    co_await router_.run_many(rs);
    for (const auto& r : rs)
      if (failed(out, r.outcome)) co_return;
    resp::ok(out);
  }
}

boost::asio::awaitable<void> resp_handler::look_up(std::vector<router::request>& gets) {
  std::vector<router::request> elsewhere;
  std::vector<std::size_t> at;  // their places in `gets`
  for (std::size_t i = 0; i < gets.size(); ++i) {
    router::request& r = gets[i];
    if (router_.local_read(r.key)) {
      r.outcome = {ctx_.eng.exists(r.key) ? status::ok : status::not_found, {}, {}};
    } else {
      elsewhere.push_back(std::move(r));
      at.push_back(i);
    }
  }
  co_await router_.run_group(elsewhere);
  for (std::size_t j = 0; j < elsewhere.size(); ++j) {
    router::request& r = elsewhere[j];
    if (r.alone) {
      const key_outcome o = co_await router_.get(r.key);
      r.outcome = {o.code, {}, o.message};
    }
    std::string().swap(r.outcome.value);  // (assigning an empty string keeps the capacity)
    gets[at[j]] = std::move(r);
  }
}

}  // namespace dkv::node
