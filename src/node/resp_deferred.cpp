// resp_handler's deferred commands: the key commands whose keys live on
// other nodes, run through the router. Arguments were validated before the
// command was deferred.

#include "dkv/node/resp_handler.hpp"
#include "dkv/protocol/resp_writer.hpp"

namespace dkv::node {

namespace resp = dkv::protocol::resp;
using protocol::status;

namespace {

// Writes the error reply of a failed outcome; false when there was none.
bool failed(std::string& out, const key_outcome& o) {
  if (!protocol::is_error(o.code)) return false;
  if (o.code == status::unavailable) resp::error(out, "UNAVAILABLE " + o.message);
  else resp::error(out, "ERR " + o.message);
  return true;
}

}  // namespace

boost::asio::awaitable<void> resp_handler::run_deferred(std::string& out) {
  std::vector<std::string> a = std::move(deferred_args_);
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
    const bool del = resp::iequals(cmd, "DEL");
    std::int64_t n = 0;
    for (std::size_t i = 1; i < a.size(); ++i) {
      const key_outcome o = del ? co_await router_.del(a[i]) : co_await router_.get(a[i]);
      if (failed(out, o)) co_return;
      n += o.code == status::ok;
    }
    resp::integer(out, n);
  } else if (resp::iequals(cmd, "MGET")) {
    std::vector<key_outcome> got;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].size() > ctx_.lim.max_key) {  // cannot exist: nil
        got.push_back({status::not_found, {}, {}});
        continue;
      }
      got.push_back(co_await router_.get(a[i]));
      if (failed(out, got.back())) co_return;
    }
    resp::array_header(out, got.size());
    for (const auto& o : got) {
      if (o.code == status::ok) resp::bulk(out, o.value);
      else resp::null_bulk(out);
    }
  } else {  // MSET
    for (std::size_t i = 1; i + 1 < a.size(); i += 2) {
      const key_outcome o = co_await router_.put(a[i], a[i + 1], put_condition::always);
      if (failed(out, o)) co_return;
    }
    resp::ok(out);
  }
}

}  // namespace dkv::node
