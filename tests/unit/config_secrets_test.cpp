#define BOOST_TEST_MODULE config_secrets
#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <vector>

#include "dkv/config/secrets.hpp"
#include "support/test_support.hpp"

using namespace dkv::config;
using dkv::test::scratch_file;

namespace {

// argv as main gets it: writable strings.
struct fake_argv {
  std::vector<std::string> storage;
  std::vector<char*> argv;
  explicit fake_argv(std::vector<std::string> args) : storage(std::move(args)) {
    for (auto& s : storage) argv.push_back(s.data());
  }
  int argc() const { return static_cast<int>(argv.size()); }
};

constexpr std::array<std::string_view, 2> names{"cluster-secret", "requirepass"};

}  // namespace

BOOST_AUTO_TEST_CASE(secret_file_strips_one_newline) {
  for (const auto& [content, want] : std::vector<std::pair<std::string, std::string>>{
           {"pw", "pw"}, {"pw\n", "pw"}, {"pw\r\n", "pw"}, {"pw\n\n", "pw\n"},
           {" spaced pw ", " spaced pw "}, {std::string("bin\0ary", 7), std::string("bin\0ary", 7)}}) {
    const scratch_file file("dkv_secret_test", content);
    std::string error;
    const auto got = read_secret_file(file.path(), error);
    BOOST_REQUIRE_MESSAGE(got.has_value(), error);
    BOOST_TEST(*got == want);
  }
}

BOOST_AUTO_TEST_CASE(secret_file_errors_name_the_file_not_the_content) {
  std::string error;
  BOOST_TEST(!read_secret_file("/nonexistent/dkv-secret", error).has_value());
  BOOST_TEST(error == "cannot read secret file '/nonexistent/dkv-secret': No such file or directory");
  for (const char* content : {"", "\n", "\r\n"}) {
    const scratch_file file("dkv_secret_test", content);
    BOOST_TEST(!read_secret_file(file.path(), error).has_value());
    BOOST_TEST(error == "secret file '" + file.path() + "' is empty");
  }
  const scratch_file large("dkv_secret_test", std::string(max_secret_size + 1, 's'));
  BOOST_TEST(!read_secret_file(large.path(), error).has_value());
  BOOST_TEST(error.find("more than 4096 bytes") != std::string::npos);
  BOOST_TEST(error.find("sss") == std::string::npos);
  const scratch_file exact("dkv_secret_test", std::string(max_secret_size, 's') + "\n");
  BOOST_TEST(read_secret_file(exact.path(), error).value().size() == max_secret_size);
}

BOOST_AUTO_TEST_CASE(scrub_argv_blanks_values_of_secret_options_only) {
  fake_argv a({"kv-node", "--id", "n1", "--requirepass", "hunter2", "--cluster-secret=abc",
               "--requirepass-file", "/run/pw", "--cluster-secretx=keep", "--peer-addr",
               "h:1", "requirepass", "visible"});
  BOOST_TEST(scrub_argv(a.argc(), a.argv.data(), names) == 2);
  const std::vector<std::string> want{"kv-node", "--id", "n1", "--requirepass", "*******",
                                      "--cluster-secret=***", "--requirepass-file", "/run/pw",
                                      "--cluster-secretx=keep", "--peer-addr", "h:1",
                                      "requirepass", "visible"};
  for (std::size_t i = 0; i < want.size(); ++i) BOOST_TEST(std::string(a.argv[i]) == want[i]);
}

BOOST_AUTO_TEST_CASE(scrub_argv_last_option_without_value) {
  fake_argv a({"kv-node", "--requirepass"});
  BOOST_TEST(scrub_argv(a.argc(), a.argv.data(), names) == 0);
  BOOST_TEST(std::string(a.argv[1]) == "--requirepass");
}

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  for (const char* h : {"127.0.0.1", "127.0.0.2", "127.1.2.3", "::1", "localhost"})
    BOOST_TEST(is_loopback_host(h), h);
  for (const char* h : {"0.0.0.0", "10.0.0.1", "::", "kv-store-0.kv-store", "127.evil.example",
                        "localhost.example", "128.0.0.1", ""})
    BOOST_TEST(!is_loopback_host(h), h);
}
