#include "dkv/log/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <boost/core/null_deleter.hpp>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/log/attributes/clock.hpp>
#include <boost/log/attributes/constant.hpp>
#include <boost/log/attributes/mutable_constant.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core/core.hpp>
#include <boost/log/core/record.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_file_backend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_logger.hpp>
#include <boost/log/utility/exception_handler.hpp>
#include <boost/shared_ptr.hpp>
#include <boost/smart_ptr/make_shared_object.hpp>

// Boost.Log wiring. One severity logger carries the attributes of every line
// (TimeStamp, NodeId, Address, Severity); one or two synchronous sinks format
// them with format_line(). No async frontends, so no extra threads.
//
// This is the one place in src/ with process-wide state: logging is a
// process-wide facility (Boost.Log's core is a singleton anyway). init() and
// shutdown() must not race with write(); they run before the node starts and
// after it stops. Only the node's thread logs (helper threads post their
// results back to it), so the address attribute needs no locking.

namespace dkv::log {
namespace {

namespace bl = boost::log;

using address_attr = bl::attributes::mutable_constant<std::string>;
using file_sink = bl::sinks::synchronous_sink<bl::sinks::text_file_backend>;
using stderr_sink = bl::sinks::synchronous_sink<bl::sinks::text_ostream_backend>;

// Above every level: nothing is enabled before init() or after shutdown().
constexpr int level_off = static_cast<int>(level::error) + 1;

const char* level_name(level l) noexcept {
  switch (l) {
    case level::trace: return "trace";
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "?";
}

struct state {
  bl::sources::severity_logger_mt<level> logger;
  address_attr address{std::string()};
  boost::shared_ptr<file_sink> file;
  boost::shared_ptr<stderr_sink> err;
};

int min_level = level_off;  // read by enabled(); written only by init/shutdown
std::unique_ptr<state> current;

// [2026-11-26 10:00:00.123] [info] [node1] [127.0.0.1:8001] message
void format_line(const bl::record_view& rec, bl::formatting_ostream& out) {
  // Sized for any int the compiler can imagine, so -Wformat-truncation stays quiet.
  char stamp[96] = "0000-00-00 00:00:00.000";  // not-a-date-time: should not happen
  if (auto ts = bl::extract<boost::posix_time::ptime>("TimeStamp", rec); ts && !ts->is_special()) {
    const auto ymd = ts->date().year_month_day();
    const auto tod = ts->time_of_day();
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
                  static_cast<int>(ymd.year), static_cast<int>(ymd.month),
                  static_cast<int>(ymd.day), static_cast<int>(tod.hours()),
                  static_cast<int>(tod.minutes()), static_cast<int>(tod.seconds()),
                  static_cast<int>(tod.total_milliseconds() % 1000));
  }
  const auto sev = bl::extract<level>("Severity", rec);
  out << '[' << stamp << "] [" << (sev ? level_name(*sev) : "?") << "] ["
      << bl::extract_or_default<std::string>("NodeId", rec, std::string()) << "] ["
      << bl::extract_or_default<std::string>("Address", rec, std::string()) << "] "
      << bl::extract_or_default<std::string>("Message", rec, std::string());
}

// Today's file name as the backend's "%Y-%m-%d.log" pattern will produce it
// (local time).
std::string todays_file_name() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d.log", &tm);
  return buf;
}

}  // namespace

bool parse_level(std::string_view text, level& out) {
  for (level l : {level::trace, level::debug, level::info, level::warning, level::error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void init(const settings& s) {
  shutdown();

  const std::filesystem::path dir = std::filesystem::path(s.log_dir) / s.node_id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create log directory " + dir.string() + ": " + ec.message());
  }
  // The backend opens its file lazily, at the first line; open it once now so
  // that a directory we cannot write to fails here, not silently later.
  const auto probe = dir / todays_file_name();
  if (std::FILE* f = std::fopen(probe.c_str(), "a")) {
    std::fclose(f);
  } else {
    throw std::runtime_error("cannot open log file " + probe.string() + ": " +
                             std::strerror(errno));
  }

  auto st = std::make_unique<state>();
  st->address.set(s.address);
  st->logger.add_attribute("TimeStamp", bl::attributes::local_clock());
  st->logger.add_attribute("NodeId", bl::attributes::constant<std::string>(s.node_id));
  st->logger.add_attribute("Address", st->address);

  auto core = bl::core::get();
  // A failing sink (disk full) must never throw into the node.
  core->set_exception_handler(bl::make_exception_suppressor());

  auto file_backend = boost::make_shared<bl::sinks::text_file_backend>(
      bl::keywords::file_name = (dir / "%Y-%m-%d.log").string(),
      bl::keywords::open_mode = std::ios_base::out | std::ios_base::app,
      bl::keywords::time_based_rotation = bl::sinks::file::rotation_at_time_point(0, 0, 0),
      bl::keywords::auto_flush = true);
  st->file = boost::make_shared<file_sink>(file_backend);
  st->file->set_formatter(&format_line);
  core->add_sink(st->file);

  if (s.also_stderr) {
    auto err_backend = boost::make_shared<bl::sinks::text_ostream_backend>();
    err_backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
    err_backend->auto_flush(true);
    st->err = boost::make_shared<stderr_sink>(err_backend);
    st->err->set_formatter(&format_line);
    core->add_sink(st->err);
  }

  current = std::move(st);
  min_level = static_cast<int>(s.min_level);
}

void set_address(const std::string& address) {
  if (current) current->address.set(address);
}

void shutdown() {
  min_level = level_off;
  if (!current) return;
  auto core = bl::core::get();
  for (const auto& sink : {boost::static_pointer_cast<bl::sinks::sink>(current->file),
                           boost::static_pointer_cast<bl::sinks::sink>(current->err)}) {
    if (!sink) continue;
    sink->flush();
    core->remove_sink(sink);
  }
  current.reset();  // the file backend closes its file here
}

bool enabled(level l) noexcept { return static_cast<int>(l) >= min_level; }

void write(level l, std::string_view message) {
  if (!enabled(l) || !current) return;
  try {
    auto rec = current->logger.open_record(bl::keywords::severity = l);
    if (!rec) return;
    bl::record_ostream strm(rec);
    strm.write(message.data(), static_cast<std::streamsize>(message.size()));
    strm.flush();
    current->logger.push_record(std::move(rec));
  } catch (...) {
    // Logging never takes the node down (called from destructors, too).
  }
}

}  // namespace dkv::log
