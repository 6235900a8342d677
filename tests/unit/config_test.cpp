#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>


#include "dkv/config/host_port.hpp"
#include "dkv/config/node_config.hpp"
#include "support/test_support.hpp"

using namespace dkv::config;
using dkv::test::scratch_file;

namespace {

// The fake environment: a plain function pointer cannot capture, so tests
// fill this map and pass fake_env.
std::map<std::string, std::string> g_env;

const char* fake_env(const char* name) {
  const auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}

struct env_guard {
  explicit env_guard(std::initializer_list<std::pair<const std::string, std::string>> vars) {
    g_env = vars;
  }
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;
  ~env_guard() { g_env.clear(); }
};

parse_outcome parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"kv-node"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_node_config(static_cast<int>(argv.size()), argv.data(), &fake_env);
}

node_config ok(std::initializer_list<const char*> args) {
  auto r = parse(args);
  if (auto* e = std::get_if<config_error>(&r)) BOOST_FAIL("unexpected error: " << e->message);
  BOOST_REQUIRE(std::holds_alternative<node_config>(r));
  return std::get<node_config>(r);
}

std::string error(std::initializer_list<const char*> args) {
  auto r = parse(args);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<config_error>(r), "expected a config_error");
  return std::get<config_error>(r).message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(host_port_parsing)

BOOST_AUTO_TEST_CASE(accepts_valid_forms) {
  struct row {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const row& r : {row{"127.0.0.1:8001", "127.0.0.1", 8001}, row{"localhost:8001", "localhost", 8001},
                       row{"kv-store-0.kv-store:7000", "kv-store-0.kv-store", 7000},
                       row{"[::1]:8001", "::1", 8001}, row{"[fe80::1%eth0]:9", "fe80::1%eth0", 9},
                       row{"h:0", "h", 0}, row{"h:65535", "h", 65535}, row{"my_host:1", "my_host", 1}}) {
    BOOST_TEST_CONTEXT(r.text) {
      const auto hp = parse_host_port(r.text);
      BOOST_REQUIRE(hp.has_value());
      BOOST_TEST(hp->host == r.host);
      BOOST_TEST(hp->port == r.port);
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_invalid_forms) {
  for (const char* text : {"", ":80", "host", "host:", "host:abc", "host:65536", "host:-1",
                           "host:+1", "host: 80", "host:80 ", "host:123456", "a b:80", "::1:8001",
                           "[::1]", "[::1]:", "[::1]8001", "[]:80", "[::1:80", "[host]:80",
                           "host:80:90", "a/b:80"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") { BOOST_TEST(!parse_host_port(text).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(port_optional_accepts_bare_host) {
  BOOST_TEST((parse_host_port("host", true) == host_port{"host", 0}));
  BOOST_TEST((parse_host_port("0.0.0.0", true) == host_port{"0.0.0.0", 0}));
  BOOST_TEST((parse_host_port("[::]", true) == host_port{"::", 0}));
  BOOST_TEST((parse_host_port("::", true) == host_port{"::", 0}));
  BOOST_TEST((parse_host_port("host:80", true) == host_port{"host", 80}));
  BOOST_TEST(!parse_host_port("", true).has_value());
  BOOST_TEST(!parse_host_port("host:", true).has_value());
  BOOST_TEST(!parse_host_port(":80", true).has_value());
}

BOOST_AUTO_TEST_CASE(to_string_round_trips) {
  for (const char* text : {"127.0.0.1:8001", "kv-store-0.kv-store:7000", "[::1]:8001"}) {
    const auto hp = parse_host_port(text);
    BOOST_REQUIRE(hp.has_value());
    BOOST_TEST(hp->to_string() == text);
    BOOST_TEST((parse_host_port(hp->to_string()) == hp));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(node_config_parsing)

BOOST_AUTO_TEST_CASE(defaults) {
  const auto c = ok({"--id", "node1", "--peer-addr", "127.0.0.1:8001"});
  BOOST_TEST(c.id == "node1");
  BOOST_TEST((c.peer_addr == host_port{"127.0.0.1", 8001}));
  BOOST_TEST(!c.join_addr.has_value());
  BOOST_TEST(c.data_dir == "./data/node1");
  BOOST_TEST((c.listen == host_port{"127.0.0.1", 8001}));
  BOOST_TEST(!c.port.has_value());
  BOOST_TEST(c.log_dir == "./logs");
  BOOST_TEST(c.log_level == "info");
  BOOST_TEST(c.max_frame == 16u << 20);
  BOOST_TEST(c.max_key == 64u << 10);
  BOOST_TEST(c.cluster == "dkv");
  BOOST_TEST((c.fsync == fsync_mode::everysec));
  BOOST_TEST(c.repl);
  BOOST_TEST(c.huge_pages);
  BOOST_TEST(c.max_connections == 10000u);
  BOOST_TEST(c.max_output_bytes == 64u << 20);
  BOOST_TEST(c.client_write_timeout_ms == 30000u);
  BOOST_TEST(c.request_timeout_ms == 30000u);
}

BOOST_AUTO_TEST_CASE(connection_limits) {
  const auto c = ok({"--id", "n", "--peer-addr", "h:1", "--max-connections", "3",
                     "--max-output-bytes", "65536", "--client-write-timeout-ms", "300",
                     "--request-timeout-ms", "250"});
  BOOST_TEST(c.max_connections == 3u);
  BOOST_TEST(c.max_output_bytes == 65536u);
  BOOST_TEST(c.client_write_timeout_ms == 300u);
  BOOST_TEST(c.request_timeout_ms == 250u);
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-connections", "0"}) ==
             "--max-connections must be between 1 and 1000000");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-output-bytes", "100"}) ==
             "--max-output-bytes must be between 4096 and 4294967295");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--request-timeout-ms", "0"}) ==
             "--request-timeout-ms must be between 1 and 86400000");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--client-write-timeout-ms", "x"}) ==
             "invalid --client-write-timeout-ms 'x': expected a number");
}

BOOST_AUTO_TEST_CASE(every_option) {
  const auto c = ok({"--id=n-2.x_y", "--peer-addr", "kv-store-2.kv-store:7000", "--join-addr",
                     "kv-store-0.kv-store:7000", "--data-dir", "/var/lib/dkv", "--listen",
                     "0.0.0.0:7001", "--log-dir", "/tmp/l", "--log-level", "debug",
                     "--max-frame", "1024", "--max-key", "1000", "--cluster",
                     "prod", "--fsync", "always", "--no-repl", "--huge-pages", "off"});
  BOOST_TEST(c.id == "n-2.x_y");
  BOOST_TEST((c.peer_addr == host_port{"kv-store-2.kv-store", 7000}));
  BOOST_TEST((c.join_addr == host_port{"kv-store-0.kv-store", 7000}));
  BOOST_TEST(c.data_dir == "/var/lib/dkv");
  BOOST_TEST((c.listen == host_port{"0.0.0.0", 7001}));
  BOOST_TEST(c.log_dir == "/tmp/l");
  BOOST_TEST(c.log_level == "debug");
  BOOST_TEST(c.max_frame == 1024u);
  BOOST_TEST(c.max_key == 1000u);
  BOOST_TEST(c.cluster == "prod");
  BOOST_TEST((c.fsync == fsync_mode::always));
  BOOST_TEST(!c.repl);
  BOOST_TEST(!c.huge_pages);
  BOOST_TEST((ok({"--id", "a", "--peer-addr", "h:1", "--fsync", "no"}).fsync == fsync_mode::no));
  BOOST_TEST(ok({"--id", "a", "--peer-addr", "h:1", "--huge-pages", "on"}).huge_pages);
}

BOOST_AUTO_TEST_CASE(listen_forms) {
  auto c = ok({"--id", "n", "--peer-addr", "10.0.0.5:8001", "--listen", "0.0.0.0"});
  BOOST_TEST((c.listen == host_port{"0.0.0.0", 8001}));
  c = ok({"--id", "n", "--peer-addr", "10.0.0.5:8001", "--listen", "0.0.0.0:9000"});
  BOOST_TEST((c.listen == host_port{"0.0.0.0", 9000}));
  c = ok({"--id", "n", "--peer-addr", "10.0.0.5:8001", "--listen", "[::]"});
  BOOST_TEST((c.listen == host_port{"::", 8001}));
  c = ok({"--id", "n", "--peer-addr", "10.0.0.5:8001", "--listen", "[::1]:0"});
  BOOST_TEST((c.listen == host_port{"::1", 0}));
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--listen", "h:"}) ==
             "invalid --listen 'h:': expected host or host:port");
}

BOOST_AUTO_TEST_CASE(port_option) {
  auto c = ok({"--id", "n", "--peer-addr", "127.0.0.1:8001", "--port", "0"});
  BOOST_REQUIRE(c.port.has_value());
  BOOST_TEST(*c.port == 0);
  BOOST_TEST((c.listen == host_port{"127.0.0.1", 0}));
  BOOST_TEST((c.peer_addr == host_port{"127.0.0.1", 8001}));
  c = ok({"--id", "n", "--peer-addr", "127.0.0.1:8001", "--listen", "0.0.0.0:9", "--port", "65535"});
  BOOST_TEST(*c.port == 65535);
  BOOST_TEST((c.listen == host_port{"0.0.0.0", 65535}));
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--port", "99999"}) == "invalid --port '99999'");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--port", "-1"}) == "invalid --port '-1'");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--port", "x"}) == "invalid --port 'x'");
}

BOOST_AUTO_TEST_CASE(error_messages) {
  BOOST_TEST(error({}) == "missing required option --id");
  BOOST_TEST(error({"--peer-addr", "h:1"}) == "missing required option --id");
  BOOST_TEST(error({"--id", "n"}) == "missing required option --peer-addr");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "foo"}) ==
             "invalid --peer-addr 'foo': expected host:port");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--join-addr", "h"}) ==
             "invalid --join-addr 'h': expected host:port");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--fsync", "x"}) ==
             "invalid --fsync 'x': expected always, everysec or no");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--huge-pages", "yes"}) ==
             "invalid --huge-pages 'yes': expected on or off");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--log-level", "loud"}) ==
             "invalid --log-level 'loud': expected trace, debug, info, warning or error");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-frame", "1023"}) ==
             "--max-frame must be between 1024 and 1073741824");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-frame", "1073741825"}) ==
             "--max-frame must be between 1024 and 1073741824");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-frame", "99999999999999999999999"}) ==
             "invalid --max-frame '99999999999999999999999': expected a number");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-frame", "1k"}) ==
             "invalid --max-frame '1k': expected a number");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-key", "0"}) ==
             "--max-key must be between 1 and 1048576");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--max-frame", "2048", "--max-key", "4096"}) ==
             "--max-key must not exceed --max-frame");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--vnodes", "64"}) ==
             "unknown option --vnodes");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--no-repl=yes"}) ==
             "option --no-repl takes no value");
  BOOST_TEST(error({"--bogus"}) == "unknown option --bogus");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--bogus", "1"}) == "unknown option --bogus");
  BOOST_TEST(error({"--id"}) == "missing value for --id");
  BOOST_TEST(error({"--id="}) == "missing value for --id");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--listen"}) == "missing value for --listen");
  BOOST_TEST(error({"-x"}) == "unknown option -x");
  BOOST_TEST(error({"--id", "a", "--id", "b", "--peer-addr", "h:1"}) ==
             "option --id given more than once");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "stray"}) == "unexpected argument 'stray'");
  // No abbreviations: "--peer" is not "--peer-addr".
  BOOST_TEST(error({"--id", "n", "--peer", "h:1"}) == "unknown option --peer");
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--config", "/nonexistent/x.conf"}) ==
             "cannot read config file '/nonexistent/x.conf': No such file or directory");
}

BOOST_AUTO_TEST_CASE(id_must_be_a_safe_directory_name) {
  const char* expected_tail = "': expected 1 to 64 of A-Z a-z 0-9 . _ -";
  for (const char* bad : {"", "a/b", "..", ".", "a b", "n\xc3\xa9", "node:1"}) {
    BOOST_TEST_CONTEXT("'" << bad << "'") {
      BOOST_TEST(error({"--id", bad, "--peer-addr", "h:1"}) ==
                 std::string("invalid --id '") + bad + expected_tail);
    }
  }
  const std::string long_id(65, 'a');
  BOOST_TEST(error({"--id", long_id.c_str(), "--peer-addr", "h:1"}) ==
             "invalid --id '" + long_id + expected_tail);
  BOOST_TEST(ok({"--id", std::string(64, 'a').c_str(), "--peer-addr", "h:1"}).id.size() == 64u);
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1", "--cluster", "a/b"}) ==
             std::string("invalid --cluster 'a/b") + expected_tail);
}

BOOST_AUTO_TEST_CASE(help_and_version) {
  auto r = parse({"--help"});
  BOOST_REQUIRE(std::holds_alternative<help_request>(r));
  const auto& help = std::get<help_request>(r).text;
  for (const char* opt : {"--help", "--version", "--config", "--id", "--peer-addr", "--join-addr",
                          "--data-dir", "--listen", "--port", "--log-dir", "--log-level",
                          "--max-frame", "--max-key", "--cluster", "--fsync",
                          "--no-repl", "--huge-pages", "--max-connections", "--max-output-bytes",
                          "--client-write-timeout-ms", "--request-timeout-ms", "DKV_"}) {
    BOOST_TEST_CONTEXT(opt) { BOOST_TEST(help.find(opt) != std::string::npos); }
  }
  BOOST_TEST(help.find("positional-args") == std::string::npos);
  // Help wins even over otherwise broken input.
  BOOST_TEST(std::holds_alternative<help_request>(parse({"--fsync", "x", "-h"})));

  r = parse({"--version"});
  BOOST_REQUIRE(std::holds_alternative<help_request>(r));
  BOOST_TEST(std::get<help_request>(r).text == "kv-node 0.1.0");
}

BOOST_AUTO_TEST_CASE(environment) {
  const env_guard env({{"DKV_ID", "envnode"},
                       {"DKV_PEER_ADDR", "10.1.1.1:7000"},
                       {"DKV_JOIN_ADDR", ""},  // empty counts as unset
                       {"DKV_LOG_LEVEL", "warning"},
                       {"DKV_MAX_FRAME", "4096"},
                       {"DKV_NO_REPL", "1"},
                       {"DKV_HELP", "1"},  // not an env-settable option
                       {"DKV_UNRELATED", "x"}});
  const auto c = ok({});
  BOOST_TEST(c.id == "envnode");
  BOOST_TEST((c.peer_addr == host_port{"10.1.1.1", 7000}));
  BOOST_TEST(!c.join_addr.has_value());
  BOOST_TEST(c.data_dir == "./data/envnode");
  BOOST_TEST(c.log_level == "warning");
  BOOST_TEST(c.max_frame == 4096u);
  BOOST_TEST(c.max_key == 4096u);  // the default key limit shrinks to fit a frame
  BOOST_TEST(!c.repl);
}

BOOST_AUTO_TEST_CASE(environment_no_repl_values) {
  for (const char* yes : {"1", "true", "yes", "on"}) {
    const env_guard env({{"DKV_NO_REPL", yes}});
    BOOST_TEST(!ok({"--id", "n", "--peer-addr", "h:1"}).repl);
  }
  for (const char* no : {"0", "false", "no", "off"}) {
    const env_guard env({{"DKV_NO_REPL", no}});
    BOOST_TEST(ok({"--id", "n", "--peer-addr", "h:1"}).repl);
  }
  const env_guard env({{"DKV_NO_REPL", "maybe"}});
  BOOST_TEST(error({"--id", "n", "--peer-addr", "h:1"}) ==
             "invalid --no-repl 'maybe': expected true or false");
}

BOOST_AUTO_TEST_CASE(environment_errors_name_the_option) {
  const env_guard env({{"DKV_PEER_ADDR", "nope"}});
  BOOST_TEST(error({"--id", "n"}) == "invalid --peer-addr 'nope': expected host:port");
}

BOOST_AUTO_TEST_CASE(null_env_function) {
  const char* argv[] = {"kv-node", "--id", "n", "--peer-addr", "h:1"};
  const auto r = parse_node_config(5, argv, nullptr);
  BOOST_TEST(std::holds_alternative<node_config>(r));
}

BOOST_AUTO_TEST_CASE(priority_cmdline_over_env_over_file) {
  const scratch_file file("dkv_config_test",
                          "# comment\n"
                          "id = filenode\n"
                          "peer-addr = 10.0.0.3:7003\n"
                          "max-key = 11\n"
                          "cluster = fromfile\n"
                          "log-level = error\n"
                          "no-repl = true\n");
  const env_guard env({{"DKV_MAX_KEY", "22"}, {"DKV_LOG_LEVEL", "debug"}, {"DKV_CONFIG", ""}});

  const std::string& path = file.path();
  const auto c = ok({"--config", path.c_str(), "--log-level", "trace"});
  BOOST_TEST(c.id == "filenode");                                    // file only
  BOOST_TEST((c.peer_addr == host_port{"10.0.0.3", 7003}));          // file only
  BOOST_TEST(c.cluster == "fromfile");                               // file only
  BOOST_TEST(c.max_key == 22u);                                      // env over file
  BOOST_TEST(c.log_level == "trace");                                // cmdline over env and file
  BOOST_TEST(!c.repl);

  // The config file can also be named through the environment.
  g_env["DKV_CONFIG"] = path;
  BOOST_TEST(ok({}).id == "filenode");
}

BOOST_AUTO_TEST_CASE(config_file_errors) {
  {
    const scratch_file file("dkv_config_test", "id = n\nbogus = 1\n");
    const std::string& path = file.path();
    BOOST_TEST(error({"--config", path.c_str()}) ==
               "unknown option --bogus in config file '" + path + "'");
  }
  {
    const scratch_file file("dkv_config_test", "id = n\npeer-addr = h:1\nfsync = sometimes\n");
    const std::string& path = file.path();
    BOOST_TEST(error({"--config", path.c_str()}) ==
               "invalid --fsync 'sometimes': expected always, everysec or no");
  }
  {
    const scratch_file file("dkv_config_test", "id = n\nid = m\n");
    const std::string& path = file.path();
    BOOST_TEST(error({"--config", path.c_str()}) ==
               "option --id given more than once in config file '" + path + "'");
  }
  {
    const scratch_file file("dkv_config_test", "this line has no equals sign\n");
    const std::string& path = file.path();
    BOOST_TEST(error({"--config", path.c_str()}) ==
               "invalid line 'this line has no equals sign' in config file '" + path +
                   "': expected name = value");
  }
  {
    const scratch_file file("dkv_config_test", "[section]\nid = n\n");
    const std::string& path = file.path();
    BOOST_TEST(error({"--config", path.c_str()}) ==
               "unknown option --section.id in config file '" + path + "'");
  }
  const auto dir = std::filesystem::temp_directory_path().string();
  BOOST_TEST(error({"--config", dir.c_str()}) ==
             "cannot read config file '" + dir + "': Is a directory");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(protected_mode_narrows_the_default_listen_to_loopback) {
  const auto c = ok({"--id", "n1", "--peer-addr", "kv-0.kv:7000"});
  BOOST_TEST(c.protected_mode);
  BOOST_TEST((c.listen == host_port{"127.0.0.1", 7000}));
  // A loopback peer address is already loopback only.
  const auto local = ok({"--id", "n1", "--peer-addr", "127.0.0.3:7000"});
  BOOST_TEST(!local.protected_mode);
  BOOST_TEST((local.listen == host_port{"127.0.0.3", 7000}));
  // An explicit --listen, or a password, turns it off.
  const auto listen = ok({"--id", "n1", "--peer-addr", "kv-0.kv:7000", "--listen", "0.0.0.0"});
  BOOST_TEST(!listen.protected_mode);
  BOOST_TEST((listen.listen == host_port{"0.0.0.0", 7000}));
  env_guard env{{"DKV_REQUIREPASS", "pw"}};
  const auto pw = ok({"--id", "n1", "--peer-addr", "kv-0.kv:7000"});
  BOOST_TEST(!pw.protected_mode);
  BOOST_TEST((pw.listen == host_port{"kv-0.kv", 7000}));
}

BOOST_AUTO_TEST_CASE(secrets_from_flags_env_and_files) {
  const auto flags = ok({"--id", "n1", "--peer-addr", "h:1", "--requirepass", "pw",
                         "--cluster-secret", "cs"});
  BOOST_TEST(flags.requirepass == "pw");
  BOOST_TEST(flags.cluster_secret == "cs");
  BOOST_TEST(flags.peer_secret() == "cs");
  BOOST_TEST(flags.secret_in_argv);
  {
    env_guard env{{"DKV_REQUIREPASS", "pw"}};
    const auto c = ok({"--id", "n1", "--peer-addr", "h:1"});
    BOOST_TEST(c.peer_secret() == "pw");  // the password stands in for a cluster secret
    BOOST_TEST(!c.secret_in_argv);
  }
  const scratch_file f("dkv_config_test", "from-file\n");
  env_guard env{{"DKV_CLUSTER_SECRET_FILE", f.path()}};
  const auto c = ok({"--id", "n1", "--peer-addr", "h:1"});
  BOOST_TEST(c.cluster_secret == "from-file");
  BOOST_TEST(c.requirepass.empty());
  BOOST_TEST(!c.secret_in_argv);
  BOOST_TEST(ok({"--id", "n1", "--peer-addr", "h:1"}).peer_secret() == "from-file");
}

BOOST_AUTO_TEST_CASE(secret_errors) {
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--requirepass", "a",
                    "--requirepass-file", "/x"}) ==
             "give --requirepass or --requirepass-file, not both");
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--cluster-secret-file",
                    "/nonexistent/s"}) ==
             "invalid --cluster-secret-file: cannot read secret file '/nonexistent/s': No such "
             "file or directory");
  const std::string long_secret(5000, 'x');
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--requirepass", long_secret.c_str()}) ==
             "--requirepass is longer than 4096 bytes");
}

BOOST_AUTO_TEST_CASE(limits_for_idle_and_preauth) {
  const auto d = ok({"--id", "n1", "--peer-addr", "h:1"});
  BOOST_TEST(d.idle_timeout_ms == 0u);
  BOOST_TEST(d.max_preauth_bytes == 16384u);
  const auto c = ok({"--id", "n1", "--peer-addr", "h:1", "--idle-timeout-ms", "60000",
                     "--max-preauth-bytes", "1024"});
  BOOST_TEST(c.idle_timeout_ms == 60000u);
  BOOST_TEST(c.max_preauth_bytes == 1024u);
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--max-preauth-bytes", "10"}) ==
             "--max-preauth-bytes must be between 256 and 16777216");
}

BOOST_AUTO_TEST_CASE(loop_nap) {
  BOOST_TEST(ok({"--id", "n1", "--peer-addr", "h:1"}).loop_nap_us == 10u);
  BOOST_TEST(ok({"--id", "n1", "--peer-addr", "h:1", "--loop-nap-us", "0"}).loop_nap_us == 0u);
  BOOST_TEST(ok({"--id", "n1", "--peer-addr", "h:1", "--loop-nap-us", "50"}).loop_nap_us == 50u);
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--loop-nap-us", "1001"}) ==
             "--loop-nap-us must be between 0 and 1000");
  BOOST_TEST(error({"--id", "n1", "--peer-addr", "h:1", "--loop-nap-us", "ten"}) ==
             "invalid --loop-nap-us 'ten': expected a number");
}

BOOST_AUTO_TEST_SUITE_END()
