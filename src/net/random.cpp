#include "dkv/net/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace dkv::net {

void fill_random(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "getrandom");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace dkv::net
