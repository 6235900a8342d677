// kvctl: a scriptable client of the dkv binary protocol.
//   kvctl [-a host:port] [-t timeout_ms] [--pass-file FILE] [--max-frame BYTES]
//         get|put|del|mget|ping|stats|health ARGS...
// Exit status: 0 found/ok, 1 not found, 2 error (message on stderr).

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "dkv/client/call.hpp"
#include "dkv/config/host_port.hpp"
#include "dkv/config/secrets.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/messages.hpp"

namespace {

namespace proto = dkv::protocol;

constexpr int exit_ok = 0, exit_not_found = 1, exit_error = 2;
constexpr std::uint32_t rid = 1;

constexpr const char* usage =
    "usage: kvctl [-a host:port] [-t timeout_ms] [--pass-file FILE] [--max-frame BYTES]\n"
    "             COMMAND [ARGS]\n"
    "  get KEY             print the value (exit 1 if not found)\n"
    "  put KEY VALUE|-     write a value ('-' reads it from stdin, binary-safe)\n"
    "  del KEY             delete (exit 1 if it did not exist)\n"
    "  mget KEY...         one line per key, (nil) when missing (exit 1 if any is)\n"
    "  ping                check that the node answers\n"
    "  stats               print the node's statistics\n"
    "  health              exit 0 when the node serves and holds all its partitions\n"
    "                      (joined, none arriving, not leaving), else 1 and why\n"
    "The address defaults to $DKV_ADDR, else 127.0.0.1:8001. A node with --requirepass\n"
    "needs the password: from --pass-file, else $DKV_REQUIREPASS, else the file named\n"
    "by $DKV_REQUIREPASS_FILE (the node's own variables, so a pod's probes find it).\n"
    "--max-frame (else $DKV_MAX_FRAME, else 16 MiB) is the largest reply taken: the\n"
    "node's --max-frame.\n";

int fail(const std::string& msg) {
  std::cerr << "kvctl: " << msg << std::endl;
  return exit_error;
}

// Prints a value: exact bytes into a pipe or file, a newline after it on a terminal.
void print_value(std::string_view v) {
  std::cout << v;
  if (::isatty(STDOUT_FILENO) == 1) std::cout << '\n';
}

int show(const std::string& cmd, const proto::reply_view& r) {
  if (r.code == proto::status::not_found) {
    if (cmd == "get") std::cerr << "(nil)" << std::endl;
    return exit_not_found;
  }
  if (r.code == proto::status::auth_required)
    return fail("the node requires a password, and none or a wrong one was given "
                "(--pass-file, DKV_REQUIREPASS)");
  if (proto::is_error(r.code))
    return fail(std::string(proto::status_name(r.code)) + ": " + std::string(r.message));
  proto::body_reader fields(r.rest);
  if (cmd == "health") {
    const auto text = fields.bytes();
    if (!text) return fail("malformed reply");
    const auto field = [&](std::string_view name) -> std::string {
      std::string key(1, '\n');  // (not "\n" + ...: GCC 12 -O3 warns falsely on it)
      key.append(name).push_back(':');
      const auto at = text->find(key);
      if (at == std::string_view::npos) return {};
      const auto start = at + key.size();
      return std::string(text->substr(start, text->find('\r', start) - start));
    };
    if (field("joining") == "1") {
      std::cerr << "not ready: not joined to its cluster yet" << std::endl;
      return exit_not_found;
    }
    if (field("leaving") == "1") {
      std::cerr << "not ready: leaving the cluster" << std::endl;
      return exit_not_found;
    }
    if (const auto incoming = field("partitions_incoming"); !incoming.empty() && incoming != "0") {
      std::cerr << "not ready: " << incoming << " partitions still arriving" << std::endl;
      return exit_not_found;
    }
    std::cout << "ready" << std::endl;
    return exit_ok;
  }
  if (cmd == "get" || cmd == "stats") {
    const auto v = fields.bytes();
    if (!v) return fail("malformed reply");
    print_value(*v);
    return exit_ok;
  }
  if (cmd == "mget") {
    const auto values = proto::decode_mget_values(r.rest);
    if (!values) return fail("malformed reply");
    int code = exit_ok;
    for (const auto& v : *values) {
      if (v) {
        std::cout << *v << '\n';
      } else {
        std::cout << "(nil)\n";
        code = exit_not_found;
      }
    }
    return code;
  }
  if (cmd == "ping") std::cout << "PONG" << std::endl;
  else std::cout << "OK" << std::endl;
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_addr = std::getenv("DKV_ADDR");
  std::string addr_text = env_addr ? env_addr : "127.0.0.1:8001";
  long timeout_ms = 5000;
  std::string pass_file;
  const char* env_max_frame = std::getenv("DKV_MAX_FRAME");
  std::string max_frame_text = env_max_frame ? env_max_frame : "";
  std::size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    if ((args[i] == "-a" || args[i] == "-t" || args[i] == "--pass-file" ||
         args[i] == "--max-frame") &&
        i + 1 < args.size()) {
      if (args[i] == "-a") addr_text = args[++i];
      else if (args[i] == "-t") timeout_ms = std::strtol(args[++i].c_str(), nullptr, 10);
      else if (args[i] == "--max-frame") max_frame_text = args[++i];
      else pass_file = args[++i];
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::cout << usage;
      return exit_ok;
    } else {
      std::cerr << usage;
      return fail("unknown option " + args[i]);
    }
  }
  if (i == args.size()) {
    std::cerr << usage;
    return exit_error;
  }
  const auto addr = dkv::config::parse_host_port(addr_text);
  if (!addr) return fail("invalid address '" + addr_text + "': expected host:port");
  if (timeout_ms <= 0) return fail("invalid timeout");
  std::uint32_t max_frame = proto::default_max_frame;
  if (!max_frame_text.empty()) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(max_frame_text.c_str(), &end, 10);
    if (*end != '\0' || max_frame_text[0] == '-' || v < 1024 || v > (1u << 30))
      return fail("invalid --max-frame '" + max_frame_text + "': expected 1024 to 1073741824");
    max_frame = static_cast<std::uint32_t>(v);
  }

  std::string password;
  if (pass_file.empty()) {
    const char* env_pass = std::getenv("DKV_REQUIREPASS");
    const char* env_file = std::getenv("DKV_REQUIREPASS_FILE");
    if (env_pass && *env_pass) password = env_pass;
    else if (env_file && *env_file) pass_file = env_file;
  }
  if (!pass_file.empty()) {
    std::string error;
    auto from_file = dkv::config::read_secret_file(pass_file, error);
    if (!from_file) return fail(error);
    password = std::move(*from_file);
  }

  const std::string cmd = args[i++];
  const std::vector<std::string> rest(args.begin() + static_cast<long>(i), args.end());
  std::string value;
  std::string request;
  // AUTH first (its reply is skipped: a wrong password shows as AUTH_REQUIRED).
  if (!password.empty()) proto::encode_auth(request, 0, password);
  if (cmd == "get" && rest.size() == 1) {
    proto::encode_get(request, rid, rest[0]);
  } else if (cmd == "del" && rest.size() == 1) {
    proto::encode_del(request, rid, rest[0]);
  } else if (cmd == "put" && rest.size() == 2) {
    value = rest[1] == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : rest[1];
    proto::encode_put(request, rid, rest[0], value);
  } else if (cmd == "mget" && !rest.empty()) {
    const std::vector<std::string_view> keys(rest.begin(), rest.end());
    proto::encode_mget(request, rid, keys);
  } else if (cmd == "ping" && rest.empty()) {
    proto::encode_ping(request, rid, {});
  } else if ((cmd == "stats" || cmd == "health") && rest.empty()) {
    proto::encode_stats(request, rid);
  } else {
    std::cerr << usage;
    return fail("bad arguments for '" + cmd + "'");
  }

  boost::asio::io_context ioc{1};
  int code = exit_error;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        const auto r = co_await dkv::client::async_call(
            *addr, std::move(request), rid, std::chrono::milliseconds(timeout_ms), max_frame);
        if (r.has_error() && r.error() == boost::asio::error::message_size) {
          code = fail(addr->to_string() + ": reply larger than --max-frame (" +
                      std::to_string(max_frame) + " bytes): give kvctl the node's --max-frame");
          co_return;
        }
        if (!r) {
          code = fail(addr->to_string() + ": " + r.error().message());
          co_return;
        }
        const auto reply = proto::decode_reply(r->body);
        code = reply ? show(cmd, *reply) : fail("malformed reply");
      },
      [&](std::exception_ptr e) {
        if (e) code = fail("internal error");
      });
  ioc.run();
  return code;
}
