#include "dkv/net/event_loop.hpp"

#include <sys/prctl.h>

#include <ctime>

#include <boost/asio/io_context.hpp>

#include "dkv/net/idle_gate.hpp"

namespace dkv::net {

namespace {

using clock = std::chrono::steady_clock;

// Handlers between two looks at the clock to judge the rate.
constexpr std::uint64_t rate_window = 64;

// Sleeps this thread for `d` (< 1 s).
void nap_for(std::chrono::microseconds d) {
  timespec ts{0, static_cast<long>(d.count()) * 1000};
  ::nanosleep(&ts, nullptr);
}

// Timer slack of the calling thread for its lifetime: the default 50 us
// would turn a 10 us nap into 60.
class timer_slack {
 public:
  explicit timer_slack(unsigned long ns) { ::prctl(PR_SET_TIMERSLACK, ns, 0UL, 0UL, 0UL); }
  ~timer_slack() { ::prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL); }  // 0: back to the default
  timer_slack(const timer_slack&) = delete;
  timer_slack& operator=(const timer_slack&) = delete;
};

}  // namespace

void run_loop(boost::asio::io_context& ioc, std::chrono::microseconds nap,
              loop_counters& counters, idle_gate* idle) {
  if (nap.count() <= 0 && idle == nullptr) {
    ioc.run();
    return;
  }
  const timer_slack slack(1000);
  const auto idle_waits = [idle] { return idle != nullptr && idle->waiting(); };
  // Invariant: while !busy, the loop is io_context::run() one handler at a
  // time (run_one waits in epoll_wait when nothing is ready) but while work
  // waits at the idle gate, which it opens when poll() finds nothing ready;
  // `handled` handlers ran since `window_start`.
  bool busy = false;
  std::uint64_t handled = 0;
  auto window_start = clock::now();
  while (!ioc.stopped()) {
    if (!busy) {
      if (idle_waits()) {
        const std::size_t ran = ioc.poll();
        handled += ran;
        if (ran == 0) idle->open();
      } else {
        handled += ioc.run_one();
      }
      if (handled < rate_window) continue;
      const auto now = clock::now();
      busy = nap.count() > 0 && now - window_start < nap * rate_window;
      window_start = now;
      handled = 0;
      continue;
    }
    if (ioc.poll() > 0) continue;  // poll(): run what is ready, never wait
    if (ioc.stopped()) break;      // out of work
    if (idle_waits()) {
      idle->open();
      continue;
    }
    nap_for(nap);
    ++counters.naps;
    if (ioc.poll() > 0) {
      ++counters.nap_hits;
      continue;
    }
    busy = false;
    window_start = clock::now();
  }
}

}  // namespace dkv::net
