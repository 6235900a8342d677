// router::run_group: a connection's group of requests, the GETs for other
// nodes' keys read together with one mget().

#include "dkv/net/run_all.hpp"
#include "dkv/node/router.hpp"

namespace dkv::node {

namespace asio = boost::asio;
using protocol::status;

asio::awaitable<void> router::run_group(std::vector<request>& requests) {
  std::vector<std::size_t> remote_at;  // the GETs other nodes serve
  remote_at.reserve(requests.size());
  if (requests.size() >= 2)
    for (std::size_t i = 0; i < requests.size(); ++i)
      if (requests[i].kind == op::get && !local_read(requests[i].key)) remote_at.push_back(i);
  // A lone remote GET is as bounded, and cheaper, as a GET (run_many).
  if (remote_at.size() < 2) {
    co_await run_many(requests);
    co_return;
  }
  // The remote GETs stay where they are, in `requests`: mget() reads their keys.
  std::vector<request> others;
  std::vector<std::size_t> others_at;  // their places in `requests`
  std::vector<std::string_view> remote_keys;
  others.reserve(requests.size() - remote_at.size());
  others_at.reserve(requests.size() - remote_at.size());
  remote_keys.reserve(remote_at.size());
  for (std::size_t i = 0, next = 0; i < requests.size(); ++i) {
    if (next < remote_at.size() && remote_at[next] == i) {
      remote_keys.push_back(requests[i].key);
      ++next;
    } else {
      others.push_back(std::move(requests[i]));
      others_at.push_back(i);
    }
  }
  mget_values got;
  if (others.empty()) {
    co_await mget_into(std::move(remote_keys), got);
  } else {
    std::vector<asio::awaitable<void>> tasks;
    tasks.push_back(run_many(others));
    tasks.push_back(mget_into(std::move(remote_keys), got));
    co_await net::run_all(std::move(tasks));
  }
  for (std::size_t j = 0; j < others.size(); ++j) requests[others_at[j]] = std::move(others[j]);
  // (A read that threw left `got` empty.)
  const bool read = !protocol::is_error(got.error.code) && got.at.size() == remote_at.size();
  for (std::size_t j = 0; j < remote_at.size(); ++j) {
    request& r = requests[remote_at[j]];
    if (!read) r.alone = true;
    else if (const auto v = got.value(j)) r.outcome = {status::ok, std::string(*v), {}};
    else r.outcome = {status::not_found, {}, {}};
  }
}

asio::awaitable<void> router::mget_into(std::vector<std::string_view> keys, mget_values& got) {
  got = co_await mget(std::move(keys));
}

}  // namespace dkv::node
