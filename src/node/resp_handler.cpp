#include "dkv/node/resp_handler.hpp"

#include <algorithm>
#include <cctype>

#include "dkv/log/log.hpp"
#include "dkv/node/cluster_manager.hpp"
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

constexpr std::uint32_t preauth_max_args = 16;
constexpr std::string_view wrong_pass =
    "WRONGPASS invalid username-password pair or user is disabled.";
constexpr std::string_view no_password =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";

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
  set_limits();
}

void resp_handler::set_limits() {
  limits_.max_bulk = request_limit();
  if (authenticated()) {
    limits_.max_args = resp::limits{}.max_args;
    limits_.max_inline = resp::limits{}.max_inline;
  } else {
    // Enough for HELLO 2 AUTH user pass SETNAME name, as in Redis.
    limits_.max_args = preauth_max_args;
    limits_.max_inline = request_limit();
  }
}

net::consume_result resp_handler::handle(std::string_view in, std::string& out) {
  net::consume_result r;
  while (r.consumed < in.size()) {
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
      if (deferred()) return r;  // its error comes after the group's replies
      ++ctx_.net.protocol_errors;
      if (!authenticated()) refuse_preauth(p.why);
      log::warn() << "closing RESP connection: " << p.why;
      resp::error(out, "ERR " + std::string(p.why));
      r.consumed = in.size();
      r.close = true;
      return r;
    }
    if (deferred() && !args_.empty() && !join_group(out.size())) return r;
    r.consumed += p.consumed;
    if (args_.empty()) continue;
    ++ctx_.net.commands;
    if (deferred()) continue;
    if (!execute(out)) {
      r.close = true;
      return r;
    }
  }
  return r;
}

void resp_handler::collect_keys(std::string_view in, std::vector<std::string_view>& keys,
                                std::size_t max) {
  // Arrays only: their arguments are views of `in` (an inline command's
  // may be unescaped into the scratch string that the next parse reuses).
  for (std::size_t at = 0; keys.size() < max && at < in.size() && in[at] == '*';) {
    const auto p = resp::parse_command(in.substr(at), ahead_args_, ahead_scratch_, limits_);
    if (p.state != protocol::parse_state::complete) return;
    at += p.consumed;
    if (ahead_args_.size() < 2) continue;
    const std::string_view cmd = ahead_args_[0];
    if (iequals(cmd, "GET") || iequals(cmd, "SET") || iequals(cmd, "DEL") ||
        iequals(cmd, "EXISTS") || iequals(cmd, "MGET") || iequals(cmd, "MSET"))
      keys.push_back(ahead_args_[1]);
  }
}

bool resp_handler::execute(std::string& out) {
  const std::string_view cmd = args_[0];
  const std::size_t argc = args_.size();
  if (iequals(cmd, "AUTH")) return auth(out), true;
  if (iequals(cmd, "HELLO")) return hello(out), true;
  if (!authenticated() && !iequals(cmd, "PING") && !iequals(cmd, "QUIT")) {
    refuse_preauth(lower(cmd) + " before AUTH");
    resp::error(out, "NOAUTH Authentication required.");
    return true;
  }
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
    // Bounded as the binary door's MGET is (binary_handler.cpp).
    const std::size_t start = out.size();
    resp::array_header(out, argc - 1);
    for (std::size_t i = 1; i < argc; ++i) {
      if (const auto v = readable(i) ? eng.get(args_[i]) : std::nullopt) resp::bulk(out, *v);
      else resp::null_bulk(out);
      if (out.size() - start > ctx_.lim.max_frame) {
        out.resize(start);
        resp::error(out, "ERR " + ctx_.lim.mget_too_large());
        return true;
      }
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
  } else if (iequals(cmd, "BGSAVE")) {
    if (argc != 1) return wrong_arity(out, cmd), true;
    auto& snap = ctx_.snapshots;
    if (refused()) return true;
    if (snap.in_progress || snap.requested)
      return resp::error(out, "ERR Background save already in progress"), true;
    snap.requested = true;
    resp::simple_string(out, "Background saving started");
  } else if (iequals(cmd, "LASTSAVE")) {
    if (argc != 1) return wrong_arity(out, cmd), true;
    resp::integer(out, ctx_.snapshots.last_save_unix);
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

void resp_handler::auth(std::string& out) {
  // AUTH password | AUTH default password (the only user).
  const std::size_t argc = args_.size();
  if (argc != 2 && argc != 3) return wrong_arity(out, args_[0]);
  switch (authenticate(args_[argc - 1], argc == 2 || args_[1] == "default")) {
    case auth_outcome::ok:
      set_limits();
      return resp::simple_string(out, "OK");
    case auth_outcome::no_password:
      return resp::error(out, no_password);
    case auth_outcome::wrong:
      return resp::error(out, wrong_pass);
  }
}

void resp_handler::hello(std::string& out) {
  // HELLO [protover [AUTH username password] [SETNAME clientname]]
  const std::size_t argc = args_.size();
  if (argc >= 2 && args_[1] != "2") {
    if (args_[1] == "3") return resp::error(out, "NOPROTO sorry, this protocol version is not supported.");
    return resp::error(out, "ERR Protocol version is not an integer or out of range");
  }
  for (std::size_t i = 2; i < argc; ++i) {
    if (iequals(args_[i], "AUTH") && i + 2 < argc) {
      switch (authenticate(args_[i + 2], args_[i + 1] == "default")) {
        case auth_outcome::ok:
          set_limits();
          break;
        case auth_outcome::no_password:
          return resp::error(out, no_password);
        case auth_outcome::wrong:
          return resp::error(out, wrong_pass);
      }
      i += 2;
    } else if (iequals(args_[i], "SETNAME") && i + 1 < argc) {
      ++i;  // client names are not kept
    } else {
      return resp::error(out, "ERR Syntax error in HELLO option '" + std::string(args_[i]) + "'");
    }
  }
  if (!authenticated()) {
    refuse_preauth("hello before AUTH");
    return resp::error(out, "NOAUTH HELLO must be called with the client already authenticated, "
                            "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                            "authenticate the client and select the RESP protocol version at the "
                            "same time");
  }
  // Redis's RESP2 HELLO reply: a flat list of field names and values.
  const bool clustered = ctx_.cluster != nullptr && ctx_.cluster->in_cluster();
  resp::array_header(out, 12);
  resp::bulk(out, "server");
  resp::bulk(out, "dkv");
  resp::bulk(out, "version");
  resp::bulk(out, dkv_version);
  resp::bulk(out, "proto");
  resp::integer(out, 2);
  resp::bulk(out, "mode");
  resp::bulk(out, clustered ? "cluster" : "standalone");
  resp::bulk(out, "role");
  resp::bulk(out, "master");
  resp::bulk(out, "modules");
  resp::array_header(out, 0);
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
  open_group(cost_of_args());
  deferred_.emplace_back(args_.begin(), args_.end());
  defer();
}

void resp_handler::write_lost(std::string& out, std::string_view why) {
  resp::error(out, "ERR " + std::string(why));
}

}  // namespace dkv::node
