#include "dkv/config/node_config.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

#include "dkv/common/names.hpp"
#include "dkv/config/secrets.hpp"

// How the three sources are merged: Program_options' store() keeps the first
// value it sees for an option, so the command line is stored first, then the
// environment, then the config file. Every setting is read as a plain string
// and validated here, so each error names its option in one line of our own
// wording; Program_options exceptions never leave this file.

namespace dkv::config {
namespace {

namespace po = boost::program_options;

constexpr std::string_view version_text = "kv-node 0.1.0";
constexpr std::uint32_t min_max_frame = 1024;
constexpr std::uint32_t max_max_frame = 1u << 30;
constexpr std::uint32_t max_max_key = 1u << 20;

// Thrown inside this file only; parse_node_config turns it into config_error.
struct bad_config {
  std::string message;
};

po::typed_value<std::string>* text(const char* value_name) {
  return po::value<std::string>()->value_name(value_name);
}

// The options that may come from any source (command line, DKV_*, file).
po::options_description settings_options() {
  po::options_description d("Node options");
  // clang-format off
  d.add_options()
    ("config", text("FILE"), "read more options from FILE (`name = value` lines)")
    ("id", text("ID"), "node id, [A-Za-z0-9._-] (required)")
    ("peer-addr", text("HOST:PORT"), "address advertised to peers and clients (required)")
    ("join-addr", text("HOST:PORT"), "join the cluster through this member")
    ("data-dir", text("DIR"), "data directory (default ./data/<id>)")
    ("listen", text("HOST[:PORT]"), "address to bind (default: --peer-addr; "
                                    "a bare HOST takes the port of --peer-addr)")
    ("port", text("N"), "listen on port N instead (0 = any free port)")
    ("log-dir", text("DIR"), "log directory; files go to DIR/<id>/ (default ./logs)")
    ("log-level", text("LEVEL"), "trace, debug, info (default), warning or error")
    ("max-frame", text("BYTES"), "largest frame body / RESP bulk (default 16777216)")
    ("max-key", text("BYTES"), "largest key (default 65536)")
    ("cluster", text("NAME"), "cluster name checked when peers meet (default dkv)")
    ("fsync", text("MODE"), "always, everysec (default) or no")
    ("wal-recovery", text("MODE"), "strict (default: refuse to start on WAL corruption) "
                                   "or skip-corrupt (skip damaged blocks, report them)")
    ("snapshot-min-bytes", text("BYTES"), "WAL bytes that make a snapshot due "
                                          "(default 67108864; also >= data size)")
    ("max-connections", text("N"), "open client connections; more are refused with an "
                                   "error (default 10000)")
    ("max-output-bytes", text("BYTES"), "unsent replies that close a connection (default 67108864)")
    ("client-write-timeout-ms", text("MS"), "close a client whose write makes no progress "
                                            "for MS (default 30000)")
    ("request-timeout-ms", text("MS"), "close a client whose request stays incomplete "
                                       "for MS (default 30000)")
    ("idle-timeout-ms", text("MS"), "close a client connection idle for MS (default 0: never)")
    ("max-preauth-bytes", text("BYTES"), "largest request before a client authenticates "
                                         "(default 16384; only with --requirepass)")
    ("loop-nap-us", text("US"), "while requests come at least every US microseconds, the "
                                "event loop sleeps US before waiting on its sockets "
                                "(default 10; 0: never)")
    ("requirepass", text("PASSWORD"), "clients must AUTH with PASSWORD (prefer "
                                      "--requirepass-file or DKV_REQUIREPASS: see README)")
    ("requirepass-file", text("FILE"), "read the client password from FILE")
    ("cluster-secret", text("SECRET"), "peers must prove they know SECRET (prefer "
                                       "--cluster-secret-file or DKV_CLUSTER_SECRET)")
    ("cluster-secret-file", text("FILE"), "read the cluster secret from FILE")
    ("huge-pages", text("on|off"), "on (default): the heap asks for transparent huge pages "
                                   "(fewer TLB misses on a large store); off under valgrind")
    ("no-repl", po::value<std::string>()->zero_tokens()->implicit_value("true"),
                "do not read commands from stdin");
  // clang-format on
  return d;
}

po::options_description info_options() {
  po::options_description d("General");
  d.add_options()("help,h", "print this help and exit")("version", "print the version and exit");
  return d;
}

std::string help_text(const po::options_description& info,
                      const po::options_description& settings) {
  std::ostringstream out;
  out << "Usage: kv-node --id ID --peer-addr HOST:PORT [options]\n\n"
      << info << "\n"
      << settings << "\n"
      << "Every node option can also be set as an environment variable DKV_<NAME>\n"
         "(DKV_PEER_ADDR=host:port, DKV_NO_REPL=1) or in the --config file as\n"
         "`name = value` lines. The command line wins over the environment, which\n"
         "wins over the file.\n";
  return out.str();
}

// "peer-addr" -> "DKV_PEER_ADDR"
std::string env_name(const std::string& option) {
  std::string out = "DKV_";
  for (char c : option) {
    out.push_back(c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
  }
  return out;
}

// One line for a Program_options error; `where` is "" for the command line or
// " in config file 'F'".
std::string describe(const po::error& e, const std::string& where) {
  // Config files and the environment give bare names ("id"); say "--id".
  const auto dashed = [](std::string name) {
    return name.starts_with("-") ? name : "--" + name;
  };
  if (const auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
    return "unknown option " + dashed(u->get_option_name()) + where;
  }
  if (const auto* m = dynamic_cast<const po::multiple_occurrences*>(&e)) {
    return "option " + dashed(m->get_option_name()) + " given more than once" + where;
  }
  if (const auto* f = dynamic_cast<const po::invalid_config_file_syntax*>(&e)) {
    return "invalid line '" + f->tokens() + "'" + where + ": expected name = value";
  }
  if (const auto* s = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
    switch (s->kind()) {
      case po::invalid_syntax::missing_parameter:
      case po::invalid_syntax::empty_adjacent_parameter:
        return "missing value for " + dashed(s->get_option_name());
      case po::invalid_syntax::extra_parameter:
        return "option " + dashed(s->get_option_name()) + " takes no value";
      default:
        break;
    }
  }
  std::string what = e.what();
  std::replace(what.begin(), what.end(), '\n', ' ');
  return what + where;
}

// Reads DKV_<NAME> for every settings option through `env`. An empty value
// counts as unset (handy for `DKV_JOIN_ADDR=` in a pod spec).
po::parsed_options environment_options(const po::options_description& d, env_lookup env) {
  po::parsed_options parsed(&d);
  for (const auto& opt : d.options()) {
    const std::string& name = opt->long_name();
    const std::string var = env_name(name);
    const char* value = env ? env(var.c_str()) : nullptr;
    if (value == nullptr || *value == '\0') continue;
    po::option o(name, {value});
    o.original_tokens = {var};
    parsed.options.push_back(std::move(o));
  }
  return parsed;
}

// --- validation of single values --------------------------------------------

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::uint32_t ranged(const std::string& option, const std::string& value, std::uint32_t lo,
                     std::uint32_t hi) {
  const auto v = parse_uint(value);
  if (!v) throw bad_config{"invalid --" + option + " '" + value + "': expected a number"};
  if (*v < lo || *v > hi) {
    throw bad_config{"--" + option + " must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi)};
  }
  return static_cast<std::uint32_t>(*v);
}

void check_name(const std::string& option, const std::string& value) {
  if (!common::is_valid_name(value)) {
    throw bad_config{"invalid --" + option + " '" + value + "': expected 1 to " +
                     std::to_string(common::max_name_length) + " of A-Z a-z 0-9 . _ -"};
  }
}

host_port address(const std::string& option, const std::string& value) {
  auto hp = parse_host_port(value);
  if (!hp) throw bad_config{"invalid --" + option + " '" + value + "': expected host:port"};
  return *hp;
}

// --- the merged variables_map -> node_config --------------------------------

class reader {
 public:
  explicit reader(const po::variables_map& vm) : vm_(vm) {}

  std::optional<std::string> get(const char* name) const {
    const auto it = vm_.find(name);
    if (it == vm_.end() || it->second.empty()) return std::nullopt;
    return it->second.as<std::string>();
  }
  std::string required(const char* name) const {
    auto v = get(name);
    if (!v) throw bad_config{std::string("missing required option --") + name};
    return *v;
  }

 private:
  const po::variables_map& vm_;
};

// A secret from --NAME or --NAME-file (not both); empty when neither.
std::string secret(const reader& r, const std::string& name) {
  const auto value = r.get(name.c_str());
  const auto file = r.get((name + "-file").c_str());
  if (value && file) throw bad_config{"give --" + name + " or --" + name + "-file, not both"};
  if (file) {
    std::string error;
    auto s = read_secret_file(*file, error);
    if (!s) throw bad_config{"invalid --" + name + "-file: " + error};
    return *s;
  }
  if (value && value->size() > max_secret_size)
    throw bad_config{"--" + name + " is longer than " + std::to_string(max_secret_size) + " bytes"};
  return value.value_or(std::string());
}

node_config build(const po::variables_map& vm) {
  const reader r(vm);
  node_config c;

  c.id = r.required("id");
  check_name("id", c.id);
  c.peer_addr = address("peer-addr", r.required("peer-addr"));

  if (auto v = r.get("join-addr")) c.join_addr = address("join-addr", *v);
  c.data_dir = r.get("data-dir").value_or("./data/" + c.id);
  if (c.data_dir.empty()) throw bad_config{"invalid --data-dir '': expected a directory"};
  c.log_dir = r.get("log-dir").value_or("./logs");
  if (c.log_dir.empty()) throw bad_config{"invalid --log-dir '': expected a directory"};

  c.listen = c.peer_addr;
  if (auto v = r.get("listen")) {
    auto hp = parse_host_port(*v, /*port_optional=*/true);
    if (!hp) throw bad_config{"invalid --listen '" + *v + "': expected host or host:port"};
    const bool has_port = parse_host_port(*v).has_value();  // "host" alone has none
    c.listen = {hp->host, has_port ? hp->port : c.peer_addr.port};
  }
  if (auto v = r.get("port")) {
    const auto p = parse_uint(*v);
    if (!p || *p > 65535) throw bad_config{"invalid --port '" + *v + "'"};
    c.port = static_cast<std::uint16_t>(*p);
    c.listen.port = *c.port;
  }

  if (auto v = r.get("log-level")) {
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warning", "error"};
    if (std::find(std::begin(levels), std::end(levels), *v) == std::end(levels)) {
      throw bad_config{"invalid --log-level '" + *v +
                       "': expected trace, debug, info, warning or error"};
    }
    c.log_level = *v;
  }

  if (auto v = r.get("max-frame")) c.max_frame = ranged("max-frame", *v, min_max_frame, max_max_frame);
  // A key must fit in a frame: an explicit --max-key above --max-frame is an
  // error, the default one shrinks to the frame size.
  if (auto v = r.get("max-key")) {
    c.max_key = ranged("max-key", *v, 1, max_max_key);
    if (c.max_key > c.max_frame) throw bad_config{"--max-key must not exceed --max-frame"};
  } else {
    c.max_key = std::min(c.max_key, c.max_frame);
  }

  if (auto v = r.get("cluster")) {
    check_name("cluster", *v);
    c.cluster = *v;
  }

  if (auto v = r.get("fsync")) {
    if (*v == "always") c.fsync = fsync_mode::always;
    else if (*v == "everysec") c.fsync = fsync_mode::everysec;
    else if (*v == "no") c.fsync = fsync_mode::no;
    else throw bad_config{"invalid --fsync '" + *v + "': expected always, everysec or no"};
  }

  if (auto v = r.get("wal-recovery")) {
    if (*v == "strict") c.skip_corrupt = false;
    else if (*v == "skip-corrupt") c.skip_corrupt = true;
    else throw bad_config{"invalid --wal-recovery '" + *v + "': expected strict or skip-corrupt"};
  }
  if (auto v = r.get("snapshot-min-bytes"))
    c.snapshot_min_bytes = ranged("snapshot-min-bytes", *v, 4096, 0xFFFFFFFFu);

  if (auto v = r.get("max-connections"))
    c.max_connections = ranged("max-connections", *v, 1, 1000000);
  if (auto v = r.get("max-output-bytes"))
    c.max_output_bytes = ranged("max-output-bytes", *v, 4096, 0xFFFFFFFFu);
  if (auto v = r.get("client-write-timeout-ms"))
    c.client_write_timeout_ms = ranged("client-write-timeout-ms", *v, 1, 86400000);
  if (auto v = r.get("request-timeout-ms"))
    c.request_timeout_ms = ranged("request-timeout-ms", *v, 1, 86400000);

  if (auto v = r.get("idle-timeout-ms"))
    c.idle_timeout_ms = ranged("idle-timeout-ms", *v, 0, 86400000);
  if (auto v = r.get("max-preauth-bytes"))
    c.max_preauth_bytes = ranged("max-preauth-bytes", *v, 256, c.max_frame);
  if (auto v = r.get("loop-nap-us")) c.loop_nap_us = ranged("loop-nap-us", *v, 0, 1000);
  c.cluster_secret = secret(r, "cluster-secret");
  c.requirepass = secret(r, "requirepass");
  if (!r.get("listen") && c.requirepass.empty() && !is_loopback_host(c.listen.host)) {
    c.listen.host = "127.0.0.1";
    c.protected_mode = true;
  }

  if (auto v = r.get("huge-pages")) {
    if (*v == "on") c.huge_pages = true;
    else if (*v == "off") c.huge_pages = false;
    else throw bad_config{"invalid --huge-pages '" + *v + "': expected on or off"};
  }

  if (auto v = r.get("no-repl")) {
    if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") c.repl = false;
    else if (*v == "0" || *v == "false" || *v == "no" || *v == "off") c.repl = true;
    else throw bad_config{"invalid --no-repl '" + *v + "': expected true or false"};
  }
  return c;
}

}  // namespace

parse_outcome parse_node_config(int argc, const char* const* argv, env_lookup env) {
  const po::options_description settings = settings_options();
  const po::options_description info = info_options();
  po::options_description visible;
  visible.add(info).add(settings);

  // Stray words on the command line land in a hidden option so we can name them.
  po::options_description hidden;
  hidden.add_options()("positional-args", po::value<std::vector<std::string>>());
  po::options_description cmdline;
  cmdline.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("positional-args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(cmdline)
                  .positional(positional)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              vm);
  } catch (const po::error& e) {
    return config_error{describe(e, "")};
  }
  if (vm.count("help")) return help_request{help_text(info, settings)};
  if (vm.count("version")) return help_request{std::string(version_text)};
  if (vm.count("positional-args")) {
    const auto& words = vm["positional-args"].as<std::vector<std::string>>();
    return config_error{"unexpected argument '" + words.front() + "'"};
  }

  bool secret_in_argv = false;
  for (const auto name : secret_options) secret_in_argv = secret_in_argv || vm.count(std::string(name));

  try {
    po::store(environment_options(settings, env), vm);
  } catch (const po::error& e) {
    return config_error{describe(e, " in the environment")};
  }

  if (const auto it = vm.find("config"); it != vm.end() && !it->second.empty()) {
    const auto& file = it->second.as<std::string>();
    const std::string where = " in config file '" + file + "'";
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      return config_error{"cannot read config file '" + file + "': " +
                          std::make_error_code(std::errc::is_a_directory).message()};
    }
    std::ifstream in(file);
    if (!in) {
      return config_error{"cannot read config file '" + file + "': " + std::strerror(errno)};
    }
    try {
      po::store(po::parse_config_file(in, settings), vm);
    } catch (const po::error& e) {
      return config_error{describe(e, where)};
    }
  }

  try {
    node_config c = build(vm);
    c.secret_in_argv = secret_in_argv;
    return c;
  } catch (const bad_config& e) {
    return config_error{e.message};
  } catch (const boost::bad_any_cast&) {
    return config_error{"internal error: option of unexpected type"};
  }
}

}  // namespace dkv::config
