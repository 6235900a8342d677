#include "dkv/node/session_handler.hpp"

#include "dkv/common/sha256.hpp"
#include "dkv/log/log.hpp"

namespace dkv::node {

net::consume_result session_handler::on_bytes(std::string_view in, std::string& out) {
  // Only a connection that pipelines (its last batch held several requests)
  // gains from the prefetch: one that sends a request at a time would pay
  // for parsing it twice.
  if (pipelining_) prefetch_batch(in);
  const std::uint64_t served_before = ctx_.net.commands;
  net::consume_result r = handle(in, out);
  pipelining_ = ctx_.net.commands - served_before > 1;
  r.settle = pending_lsn_ != 0 || deferred_;
  r.more = r.more || deferred_;  // requests after the deferred one are still buffered
  return r;
}

void session_handler::prefetch_batch(std::string_view in) {
  constexpr std::size_t max_keys = 32;  // the misses a core keeps in flight, roughly
  if (!authenticated_ || deferred_) return;
  batch_keys_.clear();
  collect_keys(in, batch_keys_, max_keys);
  if (batch_keys_.size() > 1) ctx_.eng.data().prefetch(batch_keys_);
}

session_handler::group_cost session_handler::get_cost(std::string_view key,
                                                      std::uint64_t overhead) const {
  if (const auto size = router_.local_get_size(key)) return {overhead + *size, false};
  return {overhead, true};
}

std::uint64_t session_handler::added_bytes(group_cost cost) const noexcept {
  return cost.bytes + (cost.remote_read && !group_reads_remote_ ? ctx_.lim.max_frame : 0);
}

void session_handler::count_in(group_cost cost) noexcept {
  group_bytes_ += added_bytes(cost);
  group_reads_remote_ = group_reads_remote_ || cost.remote_read;
}

void session_handler::open_group(group_cost cost) noexcept {
  group_bytes_ = 0;
  group_reads_remote_ = false;
  count_in(cost);
}

bool session_handler::admit_to_group(std::size_t size, bool key_in_group, group_cost cost,
                                     std::size_t out_size) noexcept {
  if (size >= max_group || key_in_group ||
      out_size + group_bytes_ + added_bytes(cost) > ctx_.lim.max_output)
    return false;
  count_in(cost);
  return true;
}

bool session_handler::try_settle() {
  const auto& log = ctx_.eng.log();
  if (deferred_ || !log.acked(pending_lsn_) || !log.synced(synced_lsn_)) return false;
  pending_lsn_ = synced_lsn_ = 0;
  return true;
}

bool session_handler::park(net::resumable& r) {
  return !deferred_ && ctx_.eng.log().resume_after_flush(r);
}

boost::asio::awaitable<bool> session_handler::settle(std::string& out, net::flusher& early) {
  const std::uint64_t lsn = pending_lsn_, synced = synced_lsn_;
  pending_lsn_ = synced_lsn_ = 0;
  auto& log = ctx_.eng.log();
  bool durable = true;
  if (synced) durable = co_await log.async_wait_synced(synced);
  if (durable && lsn) durable = co_await log.async_wait(lsn);
  if (!durable) {
    deferred_ = false;
    out.clear();
    write_lost(out, ctx_.eng.write_failure() + " (recent writes on this connection may be lost)");
    co_return false;
  }
  if (deferred_) {
    deferred_ = false;
    co_await run_deferred(out, early);
  }
  co_return true;
}

session_handler::auth_outcome session_handler::authenticate(std::string_view password,
                                                            bool known_user) {
  const std::string& want = ctx_.sec.requirepass;
  if (want.empty()) return auth_outcome::no_password;
  // Compare digests: equal sizes, so the time says nothing about the length.
  const bool right =
      common::equal_constant_time(common::sha256_of(password), common::sha256_of(want));
  if (right && known_user) {
    authenticated_ = true;
    return auth_outcome::ok;
  }
  ++ctx_.net.auth_failures;
  if (!auth_logged_) {
    auth_logged_ = true;
    log::warn() << "a client sent a wrong password (AUTH)";
  }
  return auth_outcome::wrong;
}

void session_handler::refuse_preauth(std::string_view why) {
  ++ctx_.net.preauth_rejects;
  if (auth_logged_) return;
  auth_logged_ = true;
  log::warn() << "refused a request before authentication: " << why;
}

}  // namespace dkv::node
