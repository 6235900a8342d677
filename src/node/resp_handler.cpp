#include "dkv/node/resp_handler.hpp"

#include <algorithm>
#include <cctype>

#include "dkv/log/log.hpp"
#include "dkv/protocol/resp_writer.hpp"

namespace dkv::node {

namespace resp = dkv::protocol::resp;
using resp::iequals;

namespace {

std::string lower(std::string_view s) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l;
}

void wrong_arity(std::string& out, std::string_view cmd) {
  resp::error(out, "ERR wrong number of arguments for '" + lower(cmd) + "' command");
}

void unknown_command(std::string& out, std::span<const std::string_view> args) {
  std::string msg = "ERR unknown command '";
  msg.append(args[0]);
  msg += "', with args beginning with: ";
  for (std::size_t i = 1; i < args.size() && i < 8; ++i) {
    msg += '\'';
    msg.append(args[i].substr(0, 128));
    msg += "' ";
  }
  resp::error(out, msg);
}

// CONFIG GET answers for the parameters clients ask about on connect.
constexpr std::pair<std::string_view, std::string_view> config_params[] = {
    {"save", ""}, {"appendonly", "no"}, {"databases", "1"}, {"maxmemory", "0"}};

void config_get(std::string& out, std::string_view pattern) {
  const std::string want = lower(pattern);
  std::size_t hits = 0;
  for (const auto& p : config_params) hits += want == "*" || want == p.first;
  resp::array_header(out, hits * 2);
  for (const auto& [k, v] : config_params) {
    if (want != "*" && want != k) continue;
    resp::bulk(out, k);
    resp::bulk(out, v);
  }
}

}  // namespace

resp_handler::resp_handler(context& ctx, router& route) : session_handler(ctx, route) {
  limits_.max_bulk = ctx.lim.max_frame;
}

net::consume_result resp_handler::handle(std::string_view in, std::string& out) {
  net::consume_result r;
  while (r.consumed < in.size() && !deferred()) {
    if (out.size() >= net::reply_budget) {
      r.more = true;
      return r;
    }
    const auto p = resp::parse_command(in.substr(r.consumed), args_, scratch_, limits_);
    if (p.state == protocol::parse_state::need_more) {
      r.need = p.need_hint;
      return r;
    }
    if (p.state == protocol::parse_state::bad) {
      ++ctx_.net.protocol_errors;
      log::warn() << "closing RESP connection: " << p.why;
      resp::error(out, "ERR " + std::string(p.why));
      r.consumed = in.size();
      r.close = true;
      return r;
    }
    r.consumed += p.consumed;
    if (args_.empty()) continue;
    ++ctx_.net.commands;
    if (!execute(out)) {
      r.close = true;
      return r;
    }
  }
  return r;
}

bool resp_handler::execute(std::string& out) {
  const std::string_view cmd = args_[0];
  const std::size_t argc = args_.size();
  auto& eng = ctx_.eng;
  const auto too_long = [&](std::string_view key) {
    if (key.size() <= ctx_.lim.max_key) return false;
    resp::error(out, "ERR key exceeds max key size");
    return true;
  };
  // The log fails only when it flushes, between batches: if it accepts the
  // first write of a command it accepts them all.
  const auto refused = [&] {
    if (!eng.log().failed()) return false;
    resp::error(out, "ERR " + eng.write_failure());
    return true;
  };

  if (iequals(cmd, "GET")) {
    if (argc != 2) return wrong_arity(out, cmd), true;
    if (too_long(args_[1])) return true;
    if (defer_unless_local(1, 2, 1, false)) return true;
    if (const auto v = eng.get(args_[1])) resp::bulk(out, *v);
    else resp::null_bulk(out);
  } else if (iequals(cmd, "SET")) {
    if (argc < 3) return wrong_arity(out, cmd), true;
    bool nx = false, xx = false;
    for (std::size_t i = 3; i < argc; ++i) {
      if (iequals(args_[i], "NX")) nx = true;
      else if (iequals(args_[i], "XX")) xx = true;
      else if (iequals(args_[i], "EX") || iequals(args_[i], "PX") || iequals(args_[i], "EXAT") ||
               iequals(args_[i], "PXAT") || iequals(args_[i], "KEEPTTL"))
        return resp::error(out, "ERR expiry options are not supported by dkv"), true;
      else return resp::error(out, "ERR syntax error"), true;
    }
    if (nx && xx) return resp::error(out, "ERR syntax error"), true;
    if (too_long(args_[1])) return true;
    if (defer_unless_local(1, 2, 1, true)) return true;
    if ((nx || xx) && eng.exists(args_[1]) != xx) return resp::null_bulk(out), true;
    if (refused()) return true;
    track(eng.put(args_[1], args_[2]).lsn);
    resp::ok(out);
  } else if (iequals(cmd, "DEL") || iequals(cmd, "EXISTS")) {
    if (argc < 2) return wrong_arity(out, cmd), true;
    const bool del = iequals(cmd, "DEL");
    for (std::size_t i = 1; i < argc; ++i)
      if (too_long(args_[i])) return true;
    if (defer_unless_local(1, argc, 1, del)) return true;
    if (del && refused()) return true;
    std::int64_t n = 0;
    for (std::size_t i = 1; i < argc; ++i) {
      if (!del) {
        n += eng.exists(args_[i]);
        continue;
      }
      const auto w = eng.del(args_[i]);
      track(w.lsn);
      n += w.existed;
    }
    resp::integer(out, n);
  } else if (iequals(cmd, "MGET")) {
    if (argc < 2) return wrong_arity(out, cmd), true;
    // A key over the limit cannot exist: it reads as nil, as in Redis.
    const auto readable = [&](std::size_t i) { return args_[i].size() <= ctx_.lim.max_key; };
    for (std::size_t i = 1; i < argc; ++i)
      if (readable(i) && !router_.local_read(args_[i])) return defer_command(), true;
    resp::array_header(out, argc - 1);
    for (std::size_t i = 1; i < argc; ++i) {
      if (const auto v = readable(i) ? eng.get(args_[i]) : std::nullopt) resp::bulk(out, *v);
      else resp::null_bulk(out);
    }
  } else if (iequals(cmd, "MSET")) {
    if (argc < 3 || argc % 2 == 0) return wrong_arity(out, cmd), true;
    for (std::size_t i = 1; i < argc; i += 2)
      if (too_long(args_[i])) return true;
    if (defer_unless_local(1, argc, 2, true)) return true;
    if (refused()) return true;
    for (std::size_t i = 1; i < argc; i += 2) track(eng.put(args_[i], args_[i + 1]).lsn);
    resp::ok(out);
  } else if (iequals(cmd, "PING")) {
    if (argc > 2) return wrong_arity(out, cmd), true;
    if (argc == 2) resp::bulk(out, args_[1]);
    else resp::simple_string(out, "PONG");
  } else if (iequals(cmd, "ECHO")) {
    if (argc != 2) return wrong_arity(out, cmd), true;
    resp::bulk(out, args_[1]);
  } else if (iequals(cmd, "DBSIZE")) {
    if (argc != 1) return wrong_arity(out, cmd), true;
    resp::integer(out, static_cast<std::int64_t>(eng.data().live_keys()));
  } else if (iequals(cmd, "INFO")) {
    resp::bulk(out, info_text(ctx_));
  } else if (iequals(cmd, "QUIT")) {
    resp::ok(out);
    return false;
  } else if (iequals(cmd, "COMMAND")) {
    // No command table: clients (redis-cli hints) cope with an empty one.
    if (argc >= 2 && iequals(args_[1], "COUNT")) resp::integer(out, 0);
    else resp::array_header(out, 0);
  } else if (iequals(cmd, "CONFIG")) {
    if (argc == 3 && iequals(args_[1], "GET")) config_get(out, args_[2]);
    else resp::error(out, "ERR only CONFIG GET <parameter> is supported");
  } else if (iequals(cmd, "SELECT")) {
    if (argc != 2) return wrong_arity(out, cmd), true;
    if (args_[1] == "0") resp::ok(out);
    else resp::error(out, "ERR DB index is out of range");
  } else {
    unknown_command(out, args_);
  }
  return true;
}

bool resp_handler::defer_unless_local(std::size_t first, std::size_t end, std::size_t step,
                                      bool write) {
  for (std::size_t i = first; i < end; i += step) {
    const bool here = write ? router_.local_write(args_[i]) : router_.local_read(args_[i]);
    if (here) continue;
    defer_command();
    return true;
  }
  return false;
}

void resp_handler::defer_command() {
  deferred_args_.assign(args_.begin(), args_.end());
  defer();
}

void resp_handler::write_lost(std::string& out, std::string_view why) {
  resp::error(out, "ERR " + std::string(why));
}

}  // namespace dkv::node
