#pragma once
// Key operations for any key, wherever it lives: served locally when this
// node owns the key, forwarded to the owner over its peer link otherwise
// (with the FORWARDED flag; a NOT_OWNER answer means one of the two rings
// is stale: gossip with that node, route again), and for a partition still
// arriving, a local miss is answered from the previous owner. Front ends
// use the synchronous fast path (local_*) when it applies and these
// coroutines otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "dkv/node/cluster_manager.hpp"
#include "dkv/protocol/frame.hpp"

namespace dkv::node {

struct key_outcome {
  protocol::status code = protocol::status::ok;  // ok, not_found, or an error
  std::string value;                             // get: the value when ok
  std::string message;                           // errors: why
};

enum class put_condition { always, if_absent, if_present };

// The condition a request's IF_ABSENT / IF_PRESENT flags ask for.
put_condition condition_of(std::uint8_t flags) noexcept;

class router {
 public:
  router(context& ctx, cluster_manager& cluster) : ctx_(ctx), cluster_(cluster) {}

  // True when `key` can be read here without waiting: this node owns it and
  // has it, or owns it and nothing of its partition is still arriving.
  bool local_read(std::string_view key) const;
  // True when this node owns `key` (writes apply here).
  bool local_write(std::string_view key) const;

  // The size of the value a GET of `key` returns when this node serves it
  // now (0: none); nullopt when another node does.
  std::optional<std::uint64_t> local_get_size(std::string_view key) const;

  enum class op { get, put, del };
  // run()'s synchronous path: the outcome when this node serves `key` by
  // itself now (local_read / local_write), nullopt when another node must.
  // A write's reply must wait until the log has `lsn` (set when nonzero).
  std::optional<key_outcome> try_local(op kind, std::string_view key, std::string_view value,
                                       put_condition cond, std::uint64_t& lsn);

  // One request of a group (run_many); `outcome` is set when it has run.
  struct request {
    op kind = op::get;
    std::string key;
    std::string value;  // put
    put_condition cond = put_condition::always;
    key_outcome outcome{protocol::status::internal, {}, "request failed"};  // if it threw
    bool alone = false;  // run_group: not run; the caller runs it with get()
  };
  // Runs requests together: those whose keys other nodes own go to each
  // owner as one batch (one write, one wait on the link); the others, and
  // any the owner refused (NOT_OWNER: the ring changed meanwhile), run as
  // run() runs one (local writes wait for the log).
  boost::asio::awaitable<void> run_many(std::vector<request>& requests);
  // run_many for a connection's group of requests, except that the GETs
  // other nodes serve are read with one mget(), in flight with the rest:
  // their values are --max-frame bytes at most together, and each owner
  // sends its part in one reply. When that read fails (values past
  // --max-frame, an owner unreachable), its GETs are left `alone`: the
  // caller runs each with get() as it writes the replies, so that only one
  // of those values is held at a time.
  boost::asio::awaitable<void> run_group(std::vector<request>& requests);

  // The values of one MGET's keys, at most --max-frame bytes of them.
  struct mget_values {
    static constexpr std::uint32_t missing = UINT32_MAX;
    key_outcome error;  // ok; or what the MGET answers instead of values
    std::string bytes;  // the values found, one after the other
    std::vector<std::pair<std::uint32_t, std::uint32_t>> at;  // per key: offset, size or missing
    std::optional<std::string_view> value(std::size_t key) const {
      if (at[key].second == missing) return std::nullopt;
      return std::string_view(bytes).substr(at[key].first, at[key].second);
    }
  };
  // Reads `keys` wherever they live: each other node's keys go to it as
  // one forwarded MGET (which the owner bounds by --max-frame as well), the
  // rest are read here or the way get() reads them. Values past --max-frame
  // in all make the outcome TOO_LARGE; errors: the first in key order.
  // The keys' bytes are the caller's and must stay put until it returns.
  boost::asio::awaitable<mget_values> mget(std::vector<std::string_view> keys);

  // not_found for get: missing; for put: the condition failed; for del: the
  // key did not exist.
  boost::asio::awaitable<key_outcome> get(std::string key);
  boost::asio::awaitable<key_outcome> put(std::string key, std::string value,
                                          put_condition cond);
  boost::asio::awaitable<key_outcome> del(std::string key);

 private:
  boost::asio::awaitable<key_outcome> run(op kind, std::string key, std::string value,
                                          put_condition cond);
  key_outcome local_write_now(op kind, std::string_view key, std::string_view value,
                              put_condition cond, std::uint64_t& lsn);
  boost::asio::awaitable<key_outcome> ask(const std::string& node, op kind,
                                          const std::string& key, const std::string& value,
                                          std::uint8_t flags);
  // Sends the requests to `node`, their owner, in one batch; sets their outcomes.
  boost::asio::awaitable<void> ask_many(std::string node, std::vector<request*> batch);
  // run() for a request of a group, into its outcome.
  boost::asio::awaitable<void> run_one(request& r);
  // mget()'s parts (router_mget.cpp).
  class mget_run;
  boost::asio::awaitable<void> mget_into(std::vector<std::string_view> keys, mget_values& got);

  context& ctx_;
  cluster_manager& cluster_;
};

}  // namespace dkv::node
