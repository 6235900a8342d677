#include "dkv/net/spawn.hpp"

#include <stdexcept>

#include "dkv/log/log.hpp"

namespace dkv::net {

void log_exception::operator()(std::exception_ptr e) const {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error() << what << " failed: " << ex.what();
  } catch (...) {
    log::error() << what << " failed with an unknown exception";
  }
}

}  // namespace dkv::net
