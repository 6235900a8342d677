#include "dkv/node/session_handler.hpp"

namespace dkv::node {

net::consume_result session_handler::on_bytes(std::string_view in, std::string& out) {
  net::consume_result r = handle(in, out);
  r.settle = pending_lsn_ != 0 || deferred_;
  r.more = r.more || deferred_;  // requests after the deferred one are still buffered
  return r;
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

boost::asio::awaitable<bool> session_handler::settle(std::string& out) {
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
    co_await run_deferred(out);
  }
  co_return true;
}

}  // namespace dkv::node
