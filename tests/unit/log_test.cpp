#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "dkv/log/log.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using dkv::log::level;

namespace {

// A fresh directory per test case, removed afterwards; logging is shut down
// first, so every case starts from "not initialised".
struct temp_dir {
  dkv::test::scratch_dir scratch{"dkv_log_test"};
  fs::path path = scratch.path();
  ~temp_dir() { dkv::log::shutdown(); }
};

dkv::log::settings make_settings(const fs::path& dir, level min = level::info) {
  dkv::log::settings s;
  s.node_id = "node1";
  s.address = "127.0.0.1:8001";
  s.log_dir = dir.string();
  s.min_level = min;
  return s;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

fs::path log_file(const fs::path& dir) { return dir / "node1" / (today() + ".log"); }

const std::regex line_re(
    R"(^\[(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}\.\d{3}\] \[(trace|debug|info|warning|error)\] \[([^\]]*)\] \[([^\]]*)\] (.*)$)");

}  // namespace

BOOST_AUTO_TEST_CASE(parse_level_names) {
  level l = level::info;
  BOOST_TEST(dkv::log::parse_level("trace", l));
  BOOST_TEST((l == level::trace));
  BOOST_TEST(dkv::log::parse_level("debug", l));
  BOOST_TEST((l == level::debug));
  BOOST_TEST(dkv::log::parse_level("warning", l));
  BOOST_TEST((l == level::warning));
  BOOST_TEST(dkv::log::parse_level("error", l));
  BOOST_TEST((l == level::error));
  BOOST_TEST(dkv::log::parse_level("info", l));
  BOOST_TEST((l == level::info));
  for (const char* bad : {"", "INFO", "warn", "fatal", "info "}) {
    BOOST_TEST(!dkv::log::parse_level(bad, l));
  }
  BOOST_TEST((l == level::info));  // untouched on failure
}

BOOST_AUTO_TEST_CASE(nothing_enabled_before_init) {
  dkv::log::shutdown();
  BOOST_TEST(!dkv::log::enabled(level::error));
  dkv::log::write(level::error, "dropped");  // must not crash or print
}

BOOST_AUTO_TEST_CASE(writes_formatted_lines_to_dated_file) {
  temp_dir dir;
  dkv::log::init(make_settings(dir.path));
  BOOST_TEST(fs::is_directory(dir.path / "node1"));
  dkv::log::write(level::info, "hello world");
  dkv::log::warn() << "joined " << 42 << " peers";
  dkv::log::error() << "oops";
  dkv::log::set_address("10.0.0.7:9000");
  dkv::log::info() << "after bind";
  dkv::log::shutdown();

  const auto lines = read_lines(log_file(dir.path));
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  const char* expect[][3] = {{"info", "127.0.0.1:8001", "hello world"},
                             {"warning", "127.0.0.1:8001", "joined 42 peers"},
                             {"error", "127.0.0.1:8001", "oops"},
                             {"info", "10.0.0.7:9000", "after bind"}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    BOOST_TEST_CONTEXT(lines[i]) {
      std::smatch m;
      BOOST_REQUIRE(std::regex_match(lines[i], m, line_re));
      BOOST_TEST(m[1].str() == today());
      BOOST_TEST(m[2].str() == expect[i][0]);
      BOOST_TEST(m[3].str() == "node1");
      BOOST_TEST(m[4].str() == expect[i][1]);
      BOOST_TEST(m[5].str() == expect[i][2]);
    }
  }
}

BOOST_AUTO_TEST_CASE(min_level_filters) {
  temp_dir dir;
  dkv::log::init(make_settings(dir.path, level::warning));
  BOOST_TEST(!dkv::log::enabled(level::trace));
  BOOST_TEST(!dkv::log::enabled(level::debug));
  BOOST_TEST(!dkv::log::enabled(level::info));
  BOOST_TEST(dkv::log::enabled(level::warning));
  BOOST_TEST(dkv::log::enabled(level::error));
  dkv::log::write(level::trace, "t");
  dkv::log::debug() << "d";
  dkv::log::info() << "i";
  dkv::log::warn() << "w";
  dkv::log::error() << "e";
  dkv::log::shutdown();
  BOOST_TEST(!dkv::log::enabled(level::error));

  const auto lines = read_lines(log_file(dir.path));
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0].ends_with("[warning] [node1] [127.0.0.1:8001] w"));
  BOOST_TEST(lines[1].ends_with("[error] [node1] [127.0.0.1:8001] e"));
}

BOOST_AUTO_TEST_CASE(trace_level_enables_everything) {
  temp_dir dir;
  dkv::log::init(make_settings(dir.path, level::trace));
  dkv::log::write(level::trace, "t");
  dkv::log::write(level::debug, "d");
  dkv::log::shutdown();
  const auto lines = read_lines(log_file(dir.path));
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0].find("] [trace] [") != std::string::npos);
  BOOST_TEST(lines[1].find("] [debug] [") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(restart_appends) {
  temp_dir dir;
  dkv::log::init(make_settings(dir.path));
  dkv::log::info() << "first run";
  dkv::log::shutdown();
  dkv::log::init(make_settings(dir.path));
  dkv::log::info() << "second run";
  dkv::log::shutdown();
  const auto lines = read_lines(log_file(dir.path));
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0].ends_with("] first run"));
  BOOST_TEST(lines[1].ends_with("] second run"));
  // Only the one dated file exists.
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path / "node1"), fs::directory_iterator{}) == 1);
}

BOOST_AUTO_TEST_CASE(init_twice_replaces_sinks) {
  temp_dir dir;
  dkv::log::init(make_settings(dir.path));
  auto other = make_settings(dir.path);
  other.node_id = "node2";
  dkv::log::init(other);
  dkv::log::info() << "only once";
  dkv::log::shutdown();
  BOOST_TEST(read_lines(log_file(dir.path)).empty());
  const auto lines = read_lines(dir.path / "node2" / (today() + ".log"));
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("] [node2] [") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(also_stderr) {
  temp_dir dir;
  std::ostringstream captured;
  auto* old = std::clog.rdbuf(captured.rdbuf());
  auto s = make_settings(dir.path);
  s.also_stderr = true;
  dkv::log::init(s);
  dkv::log::info() << "to both";
  dkv::log::shutdown();
  std::clog.rdbuf(old);

  const auto file_lines = read_lines(log_file(dir.path));
  BOOST_REQUIRE_EQUAL(file_lines.size(), 1u);
  BOOST_TEST(captured.str() == file_lines[0] + "\n");
  BOOST_TEST(std::regex_match(file_lines[0], line_re));
}

BOOST_AUTO_TEST_CASE(init_fails_clearly_under_a_regular_file) {
  temp_dir dir;
  const fs::path blocker = dir.path / "file";
  std::ofstream(blocker) << "x";
  auto s = make_settings(blocker / "logs");
  try {
    dkv::log::init(s);
    BOOST_FAIL("init should have thrown");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    const std::string prefix = "cannot create log directory " + (blocker / "logs" / "node1").string() + ": ";
    BOOST_TEST(msg.starts_with(prefix), msg);
    BOOST_TEST(msg.size() > prefix.size(), msg);  // a reason follows
    BOOST_TEST(msg.find('\n') == std::string::npos);
  }
  BOOST_TEST(!dkv::log::enabled(level::error));

  // The id directory itself being a regular file fails too.
  std::ofstream(dir.path / "node1") << "x";
  BOOST_CHECK_THROW(dkv::log::init(make_settings(dir.path)), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(init_fails_clearly_on_unwritable_dir) {
  if (::geteuid() == 0) {
    BOOST_TEST_MESSAGE("skipped: root can write to a read-only directory");
    return;
  }
  temp_dir dir;
  fs::create_directories(dir.path / "node1");
  fs::permissions(dir.path / "node1", fs::perms::owner_read | fs::perms::owner_exec);
  try {
    dkv::log::init(make_settings(dir.path));
    BOOST_FAIL("init should have thrown");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).starts_with("cannot open log file "), e.what());
  }
  fs::permissions(dir.path / "node1", fs::perms::owner_all);
}
