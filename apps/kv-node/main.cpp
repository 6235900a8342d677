// kv-node: one node of a dkv cluster. See README.md and `kv-node --help`.

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "dkv/config/node_config.hpp"
#include "dkv/config/secrets.hpp"
#include "dkv/log/log.hpp"
#include "dkv/node/node.hpp"
#include "huge_pages.hpp"

namespace {

// A process started with fd 0, 1 or 2 closed (`<&-`) would hand that number
// to the next file it opens — a log file would become "stdin". Fill the gaps
// with /dev/null before opening anything.
void fill_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) continue;
    const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  fill_standard_fds();
  std::signal(SIGPIPE, SIG_IGN);

  const auto parsed = dkv::config::parse_node_config(
      argc, argv, [](const char* name) -> const char* { return std::getenv(name); });
  if (const auto* help = std::get_if<dkv::config::help_request>(&parsed)) {
    std::cout << help->text << std::endl;
    return 0;
  }
  if (const auto* err = std::get_if<dkv::config::config_error>(&parsed)) {
    std::cerr << "kv-node: " << err->message << " (see kv-node --help)" << std::endl;
    return 2;
  }
  const auto& cfg = std::get<dkv::config::node_config>(parsed);
  // Before anything is opened or scrubbed: this may re-execute kv-node.
  const dkv::app::heap_choice heap = dkv::app::use_huge_pages(cfg.huge_pages, argv);
  // Secrets given as flags must not stay visible in ps / /proc/<pid>/cmdline.
  dkv::config::scrub_argv(argc, argv, dkv::config::secret_options);

  dkv::log::level level{};
  dkv::log::parse_level(cfg.log_level, level);
  try {
    dkv::log::init({cfg.id, cfg.peer_addr.to_string(), cfg.log_dir, level,
                    ::isatty(STDIN_FILENO) != 1});
  } catch (const std::exception& e) {
    std::cerr << "kv-node: " << e.what() << std::endl;
    return 1;
  }

  if (heap.pages == dkv::app::heap_pages::failed) dkv::log::warn() << dkv::app::describe(heap);
  else dkv::log::info() << dkv::app::describe(heap);

  int code = 1;
  try {
    code = dkv::node::run_node(cfg);
  } catch (const std::exception& e) {
    dkv::log::error() << e.what();
    std::cerr << "kv-node: " << e.what() << std::endl;
  }
  dkv::log::shutdown();
  return code;
}
