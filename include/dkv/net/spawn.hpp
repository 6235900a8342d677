#pragma once
// co_spawn completion handler for long-lived coroutines: never `detached`
// (which swallows exceptions) — an exception escaping a coroutine is a bug,
// and it is logged with the coroutine's name.

#include <exception>
#include <string_view>

namespace dkv::net {

struct log_exception {
  std::string_view what;  // static text naming the coroutine
  void operator()(std::exception_ptr e) const;
};

}  // namespace dkv::net
