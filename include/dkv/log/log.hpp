#pragma once
// Node logging (Boost.Log stays behind this header). Lines look like
//   [2026-11-26 10:00:00.123] [info] [node1] [127.0.0.1:8001] message
// and go to <log_dir>/<id>/<YYYY-MM-DD>.log (a new file each day), and also
// to stderr when `also_stderr` (main sets it when stdin is not a terminal).

#include <sstream>
#include <string>
#include <string_view>

namespace dkv::log {

enum class level { trace, debug, info, warning, error };

struct settings {
  std::string node_id;
  std::string address;  // advertised host:port
  std::string log_dir;  // files go to <log_dir>/<node_id>/
  level min_level = level::info;
  bool also_stderr = false;
};

// Parses "trace|debug|info|warning|error"; false on anything else.
bool parse_level(std::string_view text, level& out);

// Sets up the sinks. Throws std::runtime_error with a clear message when the
// log directory cannot be created or opened.
void init(const settings& s);
// Changes the node address shown on every line (after the port is bound).
void set_address(const std::string& address);
// Flushes and removes the sinks.
void shutdown();

bool enabled(level l) noexcept;
void write(level l, std::string_view message);

// Stream-style helper: `dkv::log::line(level::info) << "joined " << addr;`
// formats only when the level is enabled and writes once, at destruction.
class line {
 public:
  explicit line(level l) : level_(l), on_(enabled(l)) {}
  line(const line&) = delete;
  line& operator=(const line&) = delete;
  ~line() {
    if (on_) write(level_, out_.str());
  }
  template <class T>
  line& operator<<(const T& v) {
    if (on_) out_ << v;
    return *this;
  }

 private:
  level level_;
  bool on_;
  std::ostringstream out_;
};

inline line info() { return line(level::info); }
inline line warn() { return line(level::warning); }
inline line error() { return line(level::error); }
inline line debug() { return line(level::debug); }

}  // namespace dkv::log
