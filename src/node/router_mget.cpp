// router::mget: the keys of one MGET, read here or from their owners, with
// the reply bounded by --max-frame while the values arrive (not after).

#include <algorithm>
#include <limits>

#include "dkv/net/run_all.hpp"
#include "dkv/node/router.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::node {

namespace asio = boost::asio;
namespace proto = dkv::protocol;
using proto::status;

class router::mget_run {
 public:
  mget_run(router& r, std::vector<std::string_view> keys) : r_(r), keys_(std::move(keys)) {
    out_.at.assign(keys_.size(), {0, mget_values::missing});
    // The binary reply: status and count, and a presence byte per key.
    reply_bytes_ = 5 + keys_.size();
  }

  asio::awaitable<mget_values> run() {
    // Each other node's keys, as one batch; keys this node serves are read
    // now; the rest (no owner reachable, a partition still arriving) go the
    // way get() goes, one at a time, after the batches.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> batches;
    for (std::size_t i = 0; i < keys_.size() && !overflowed_; ++i) {
      const std::string_view key = keys_[i];
      if (key.size() > r_.ctx_.lim.max_key) continue;  // cannot exist: missing
      const route rt = r_.cluster_.route_key(key);
      if (rt.where == route::kind::remote) {
        auto it = std::find_if(batches.begin(), batches.end(),
                               [&](const auto& b) { return b.first == rt.node; });
        if (it == batches.end()) {
          it = batches.insert(batches.end(), {rt.node, {}});
          it->second.reserve(keys_.size() - i);  // one allocation for the node's keys
        }
        it->second.push_back(i);
      } else if (r_.local_read(key)) {
        if (const auto v = r_.ctx_.eng.get(key)) add(i, *v);
      } else {
        one_by_one_.push_back(i);
      }
    }
    if (!overflowed_) {
      std::vector<asio::awaitable<void>> asks;
      for (auto& [node, at] : batches) asks.push_back(ask_owner(node, std::move(at)));
      co_await net::run_all(std::move(asks));
    }
    // Owners that answered NOT_OWNER added theirs (get() learns the new ring).
    std::sort(one_by_one_.begin(), one_by_one_.end());
    for (const std::size_t i : one_by_one_) {
      if (overflowed_ || error_at_ < i) break;  // the outcome is decided
      const key_outcome o =
          co_await r_.run(op::get, std::string(keys_[i]), {}, put_condition::always);
      if (proto::is_error(o.code)) fail(i, o);
      else if (o.code == status::ok) add(i, o.value);
    }
    co_return std::move(out_);
  }

 private:
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  asio::awaitable<void> ask_owner(std::string node, std::vector<std::size_t> at) {
    const auto r = co_await r_.cluster_.call(node, [&](std::string& out, std::uint32_t rid) {
      std::vector<std::string_view> keys;
      keys.reserve(at.size());
      for (const std::size_t i : at) keys.push_back(keys_[i]);
      proto::encode_mget(out, rid, keys, proto::flag::forwarded);
    });
    if (!r) {
      fail(at.front(), key_outcome{status::unavailable, {},
                                   "node " + node + " unreachable: " + r.error().message()});
      co_return;
    }
    const auto reply = proto::decode_reply(r->body);
    const auto values = reply && !proto::is_error(reply->code)
                            ? proto::decode_mget_values(reply->rest)
                            : std::nullopt;
    if (reply && reply->code == status::not_owner) {
      one_by_one_.insert(one_by_one_.end(), at.begin(), at.end());
    } else if (reply && proto::is_error(reply->code)) {
      fail(at.front(), key_outcome{reply->code, {}, std::string(reply->message)});
    } else if (!values || values->size() != at.size()) {
      fail(at.front(), key_outcome{status::internal, {}, "malformed MGET reply from node " + node});
    } else {
      std::size_t arrived = 0;
      for (const auto& v : *values) arrived += v ? v->size() : 0;
      out_.bytes.reserve(out_.bytes.size() + arrived);  // one allocation, not one per doubling
      for (std::size_t j = 0; j < at.size() && !overflowed_; ++j)
        if ((*values)[j]) add(at[j], *(*values)[j]);
    }
  }

  void add(std::size_t i, std::string_view value) {
    reply_bytes_ += 4 + value.size();
    if (reply_bytes_ > r_.ctx_.lim.max_frame) {
      overflowed_ = true;
      fail(i, key_outcome{status::too_large, {}, r_.ctx_.lim.mget_too_large()});
      return;
    }
    out_.at[i] = {static_cast<std::uint32_t>(out_.bytes.size()),
                  static_cast<std::uint32_t>(value.size())};
    out_.bytes.append(value);
  }

  void fail(std::size_t i, key_outcome o) {
    // Too large wins: the reply could not carry the values anyway.
    if (overflowed_ && o.code != status::too_large) return;
    if (o.code != status::too_large && i > error_at_) return;
    error_at_ = i;
    out_.error = std::move(o);
  }

  router& r_;
  std::vector<std::string_view> keys_;
  mget_values out_;
  std::uint64_t reply_bytes_ = 0;
  bool overflowed_ = false;
  std::size_t error_at_ = none;
  std::vector<std::size_t> one_by_one_;
};

asio::awaitable<router::mget_values> router::mget(std::vector<std::string_view> keys) {
  mget_run run(*this, std::move(keys));
  co_return co_await run.run();
}

}  // namespace dkv::node
