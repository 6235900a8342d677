#include "dkv/node/session_handler.hpp"

namespace dkv::node {

net::consume_result session_handler::on_bytes(std::string_view in, std::string& out) {
  net::consume_result r = handle(in, out);
  r.settle = pending_lsn_ != 0;
  return r;
}

boost::asio::awaitable<bool> session_handler::settle(std::string& out) {
  const std::uint64_t lsn = pending_lsn_;
  pending_lsn_ = 0;
  if (co_await ctx_.eng.log().async_wait(lsn)) co_return true;
  out.clear();
  write_lost(out, ctx_.eng.write_failure() + " (recent writes on this connection may be lost)");
  co_return false;
}

}  // namespace dkv::node
