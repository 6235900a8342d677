#include "dkv/node/repl.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/client/call.hpp"
#include "dkv/log/log.hpp"
#include "dkv/net/spawn.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::node {

namespace asio = boost::asio;

namespace {

constexpr std::string_view help_text =
    "commands:\n"
    "  get <key>                read a key\n"
    "  put <key> <value>        write a key (the value is the rest of the line)\n"
    "  del <key>                delete a key\n"
    "  query <host:port> <key>  read a key from another node\n"
    "  join <host:port>         join the cluster of that node\n"
    "  leave                    hand this node's data off, leave the cluster, stop\n"
    "  ring                     epoch and partitions per node\n"
    "  peers                    members: id, address, state, last heard\n"
    "  forget <id>              remove a dead node for good (its data is lost)\n"
    "  stats                    show this node's statistics\n"
    "  help                     show this help\n"
    "  exit                     stop this node\n";

constexpr auto query_timeout = std::chrono::seconds(5);

// Splits off the first whitespace-separated word of `s`.
std::string_view next_word(std::string_view& s) {
  const auto start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(start);
  const auto end = s.find_first_of(" \t");
  const auto word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
  return word;
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

void say(std::string_view text) { std::cout << text << std::endl; }

}  // namespace

repl::repl(asio::any_io_executor ex, context& ctx, cluster_manager& cluster,
           std::function<void()> request_exit)
    : ex_(std::move(ex)),
      ctx_(ctx),
      cluster_(cluster),
      route_(ctx, cluster),
      request_exit_(std::move(request_exit)) {}

bool repl::start() {
  // Asio accepts a regular file (epoll refuses it with EPERM, and Asio then
  // reads it without polling), so check what stdin is before assigning it:
  // only pipes, sockets and character devices (terminals) can be polled.
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0 ||
      !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode))) {
    log::info() << "REPL off: stdin is not pollable";
    return false;
  }
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) {
    log::warn() << "REPL off: cannot dup stdin";
    return false;
  }
  in_ = std::make_unique<asio::posix::stream_descriptor>(ex_);
  boost::system::error_code ec;
  in_->assign(fd, ec);
  if (ec) {
    ::close(fd);
    in_.reset();
    log::info() << "REPL off: stdin is not pollable (" << ec.message() << ")";
    return false;
  }
  prompt_ = ::isatty(STDIN_FILENO) == 1;
  running_ = true;
  asio::co_spawn(ex_, run(), net::log_exception{"REPL"});
  return true;
}

void repl::stop() {
  if (!in_) return;
  boost::system::error_code ignored;
  in_->close(ignored);
  // Asio set O_NONBLOCK on the shared file description: give the terminal back.
  const int flags = ::fcntl(STDIN_FILENO, F_GETFL);
  if (flags >= 0) ::fcntl(STDIN_FILENO, F_SETFL, flags & ~O_NONBLOCK);
}

asio::awaitable<void> repl::run() {
  struct mark_done {
    bool& running;
    ~mark_done() { running = false; }
  } done{running_};
  std::string buf;
  for (;;) {
    if (prompt_) std::cout << "> " << std::flush;
    auto [ec, n] = co_await asio::async_read_until(*in_, asio::dynamic_buffer(buf), '\n',
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::eof && !buf.empty()) co_await execute(buf);  // no final '\n'
      if (ec != asio::error::operation_aborted) {
        stop();  // give a terminal its blocking mode back now: the node goes on
        log::info() << "REPL ended: stdin closed";
      }
      co_return;
    }
    const std::string line = buf.substr(0, n - 1);
    buf.erase(0, n);
    co_await execute(line);
  }
}

asio::awaitable<void> repl::execute(std::string_view line) {
  std::string_view rest = line;
  const std::string_view cmd = next_word(rest);
  if (cmd.empty()) co_return;
  if (cmd == "help") {
    std::cout << help_text << std::flush;
  } else if (cmd == "get" || cmd == "del") {
    const auto key = next_word(rest);
    if (key.empty() || !trim(rest).empty()) {
      say(std::string("usage: ") + std::string(cmd) + " <key>");
    } else if (cmd == "get") {
      const key_outcome o = co_await route_.get(std::string(key));
      if (!failed(o)) say(o.code == protocol::status::ok ? o.value : "(nil)");
    } else {
      const key_outcome o = co_await route_.del(std::string(key));
      if (!failed(o)) say(o.code == protocol::status::ok ? "(integer) 1" : "(integer) 0");
    }
  } else if (cmd == "put") {
    const auto key = next_word(rest);
    const auto value = trim(rest);
    if (key.empty() || value.empty()) {
      say("usage: put <key> <value>");
    } else {
      const key_outcome o =
          co_await route_.put(std::string(key), std::string(value), put_condition::always);
      if (!failed(o)) say("OK");
    }
  } else if (cmd == "query") {
    const auto addr = next_word(rest);
    const auto key = next_word(rest);
    if (addr.empty() || key.empty() || !trim(rest).empty()) say("usage: query <host:port> <key>");
    else co_await query(addr, key);
  } else if (cmd == "join") {
    const auto addr_text = next_word(rest);
    const auto addr = config::parse_host_port(addr_text);
    if (!addr || !trim(rest).empty()) {
      say("usage: join <host:port>");
    } else if (cluster_.peers() > 0) {
      say("error: already in a cluster (leave first)");
    } else {
      const std::string err = co_await cluster_.join(*addr);
      say(err.empty() ? "joined at epoch " + std::to_string(cluster_.epoch()) : "error: " + err);
    }
  } else if (cmd == "leave") {
    if (!cluster_.in_cluster()) {
      say("error: not in a cluster");
    } else {
      const std::string err = co_await cluster_.leave([](const std::string& l) { say(l); });
      if (err.empty()) request_exit_();
      else say("error: " + err);
    }
  } else if (cmd == "ring") {
    std::cout << cluster_.ring_text() << std::flush;
  } else if (cmd == "peers") {
    std::cout << cluster_.peers_text() << std::flush;
  } else if (cmd == "forget") {
    const auto id = next_word(rest);
    if (id.empty() || !trim(rest).empty()) {
      say("usage: forget <id>");
    } else {
      const std::string err = cluster_.forget(id);
      say(err.empty() ? "forgot " + std::string(id) : "error: " + err);
    }
  } else if (cmd == "stats") {
    std::string text = info_text(ctx_);
    std::erase(text, '\r');
    std::cout << text << std::flush;
  } else if (cmd == "exit" || cmd == "quit") {
    say("bye");
    request_exit_();
  } else {
    say("unknown command '" + std::string(cmd) + "' (try 'help')");
  }
}

asio::awaitable<void> repl::query(std::string_view addr_text, std::string_view key) {
  const auto addr = config::parse_host_port(addr_text);
  if (!addr) {
    say("error: invalid address '" + std::string(addr_text) + "': expected host:port");
    co_return;
  }
  std::string request;
  // Nodes of one cluster share their password: use ours (the AUTH reply is skipped).
  if (!ctx_.sec.requirepass.empty()) protocol::encode_auth(request, 0, ctx_.sec.requirepass);
  protocol::encode_get(request, 1, key);
  const auto r = co_await client::async_call(*addr, std::move(request), 1, query_timeout,
                                             ctx_.lim.max_frame);
  if (!r) {
    say("error: " + addr->to_string() + ": " + r.error().message());
    co_return;
  }
  const auto reply = protocol::decode_reply(r->body);
  if (!reply) {
    say("error: malformed reply from " + addr->to_string());
  } else if (reply->code == protocol::status::not_found) {
    say("(nil)");
  } else if (protocol::is_error(reply->code)) {
    say("error: " + std::string(protocol::status_name(reply->code)) + ": " +
        std::string(reply->message));
  } else {
    protocol::body_reader fields(reply->rest);
    const auto value = fields.bytes();
    say(value ? *value : "error: malformed reply");
  }
}

bool repl::failed(const key_outcome& o) {
  if (!protocol::is_error(o.code)) return false;
  if (o.code == protocol::status::io_error) say("error: " + o.message);  // the disk's words
  else say("error: " + std::string(protocol::status_name(o.code)) + ": " + o.message);
  return true;
}

}  // namespace dkv::node
