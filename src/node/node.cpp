#include "dkv/node/node.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <iostream>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dkv/log/log.hpp"
#include "dkv/net/event_loop.hpp"
#include "dkv/net/idle_gate.hpp"
#include "dkv/net/spawn.hpp"
#include "dkv/node/cluster_manager.hpp"
#include "dkv/node/durable_log.hpp"
#include "dkv/node/handoff.hpp"
#include "dkv/node/router.hpp"
#include "dkv/node/repl.hpp"
#include "dkv/node/server.hpp"
#include "dkv/node/snapshotter.hpp"
#include "dkv/node/startup.hpp"

namespace dkv::node {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto housekeeping_period = std::chrono::seconds(10);
constexpr std::uint64_t tombstone_grace_ms = 10 * 60 * 1000;
constexpr auto shutdown_deadline = std::chrono::seconds(10);

tcp::endpoint resolve_listen(asio::io_context& ioc, const config::host_port& listen) {
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(listen.host, std::to_string(listen.port),
                                        tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve listen address " + listen.to_string() + ": " +
                             ec.message());
  return results.begin()->endpoint();
}

asio::awaitable<void> run_housekeeping(context& ctx, asio::steady_timer& timer) {
  for (;;) {
    timer.expires_after(housekeeping_period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: shutting down
    if (const auto purged = ctx.eng.purge_tombstones(tombstone_grace_ms))
      log::debug() << "purged " << purged << " tombstones";
  }
}

// Second phase of shutdown: the acceptor, connections and REPL were closed;
// wait for their coroutines to end, then release the signal handler so the
// io_context runs out of work. Past the deadline, exit regardless.
asio::awaitable<void> run_drain(context& ctx, const repl& console,
                                asio::signal_set& signals) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + shutdown_deadline;
  while (ctx.net.connections_current > 0 || console.running() || ctx.snapshots.in_progress) {
    if (std::chrono::steady_clock::now() > deadline) {
      log::warn() << "shutdown deadline passed with work in flight: exiting";
      log::shutdown();
      _exit(1);
    }
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::use_awaitable);
  }
  ctx.eng.log().close();
  signals.cancel();
}

// Under --fsync everysec or no nothing waits for the helper: SCHED_BATCH
// keeps it from preempting the loop whenever it wakes up (it runs on an
// idle CPU, or at the scheduler's tick), with the same share of the CPU as
// the loop, so that its work never falls behind under a CPU limit (as a
// lower priority would). At HZ=250 without kernel preemption a woken helper
// held the loop's CPU for up to a 4 ms tick. Under --fsync always every
// acknowledgement waits for its fdatasync: the helper keeps the default.
void run_helper_as_batch(asio::thread_pool& helper, asio::io_context& ioc) {
  asio::post(helper, [&ioc] {
    const sched_param none{};
    if (::sched_setscheduler(0, SCHED_BATCH, &none) == 0) return;
    asio::post(ioc, [err = errno] {
      log::warn() << "helper thread stays at the default scheduling policy: "
                  << std::strerror(err);
    });
  });
}

// Says who may talk to the node; never the secrets themselves.
void log_security(const config::node_config& cfg) {
  if (cfg.protected_mode)
    log::warn() << "protected mode: no --requirepass, so listening on loopback only; "
                   "give --listen HOST to serve other hosts, or set a password";
  log::info() << "client authentication: " << (cfg.requirepass.empty() ? "off" : "on (AUTH)")
              << "; peer authentication: "
              << (cfg.cluster_secret.empty()
                      ? (cfg.requirepass.empty() ? "none (no cluster secret)" : "the client password")
                      : "cluster secret");
  if (cfg.secret_in_argv)
    log::warn() << "a secret was given on the command line: it was blanked in the process "
                   "arguments, but shell history keeps it; prefer --requirepass-file, "
                   "--cluster-secret-file or DKV_REQUIREPASS / DKV_CLUSTER_SECRET";
}

}  // namespace

int run_node(const config::node_config& cfg) {
  // One thread runs the loop and alone touches sockets and timers: their
  // reactor needs no locks. Other threads (the helper, resolvers) only post
  // completions, which stay locked.
  asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  config::host_port listen = cfg.listen;
  if (cfg.port) listen.port = *cfg.port;

  // The helper thread: fdatasync, directory syncs, snapshot publication and
  // removal of retired files, nothing else (file system calls that can take
  // the disk's time).
  asio::thread_pool helper(1);
  if (cfg.fsync != config::fsync_mode::always) run_helper_as_batch(helper, ioc);
  durable_log wal(ioc.get_executor(), helper, cfg.data_dir, cfg.fsync);
  context ctx(identity{cfg.id, cfg.peer_addr.to_string(), cfg.cluster, cfg.data_dir},
              limits{cfg.max_frame, cfg.max_key, cfg.max_output_bytes},
              security{cfg.requirepass, cfg.peer_secret(), cfg.max_preauth_bytes}, wal);
  cluster_manager cluster(ioc.get_executor(), ctx, open_data_dir(cfg, ctx));
  ctx.cluster = &cluster;
  router route(ctx, cluster);
  handoff mover(ioc.get_executor(), ctx, cluster);
  connection_limits conn_limits;
  conn_limits.max_connections = cfg.max_connections;
  conn_limits.stream.max_output = cfg.max_output_bytes;
  conn_limits.stream.write_timeout = std::chrono::milliseconds(cfg.client_write_timeout_ms);
  conn_limits.stream.request_timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
  conn_limits.stream.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  server srv(ioc.get_executor(), ctx, route, cluster, conn_limits);
  tcp::endpoint bound;
  try {
    bound = srv.listen(resolve_listen(ioc, listen));
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + e.code().message());
  }
  // With --port 0 the advertised address takes the port actually bound.
  if (cfg.port && *cfg.port == 0) {
    ctx.me.address = config::host_port{cfg.peer_addr.host, bound.port()}.to_string();
  }
  log::set_address(ctx.me.address);
  cluster.start(cfg.join_addr);
  asio::co_spawn(ioc, mover.run(), net::log_exception{"handoff"});
  srv.start();

  asio::steady_timer housekeeping(ioc);
  asio::co_spawn(ioc, run_housekeeping(ctx, housekeeping), net::log_exception{"housekeeping"});
  net::idle_gate idle(ioc.get_executor());
  snapshotter snapshots(ioc.get_executor(), ctx, helper, idle, cfg.snapshot_min_bytes);
  asio::co_spawn(ioc, snapshots.run(), net::log_exception{"snapshots"});

  // Shutdown in two phases: stop accepting and close everything now, then
  // let run_drain wait for the coroutines to end. A second signal exits.
  bool stopping = false;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void()> shutdown;
  repl console(ioc.get_executor(), ctx, cluster, [&] { asio::post(ioc, [&] { shutdown(); }); });
  shutdown = [&] {
    if (stopping) return;
    stopping = true;
    log::info() << "shutting down";
    console.stop();
    srv.stop();
    housekeeping.cancel();
    snapshots.stop();
    mover.stop();
    cluster.stop();
    asio::co_spawn(ioc, run_drain(ctx, console, signals), net::log_exception{"shutdown"});
  };
  // A signal hands this node's partitions off first when it is in a cluster.
  const auto leave_then_shutdown = [&]() -> asio::awaitable<void> {
    const std::string err = co_await cluster.leave([](const std::string& line) {
      log::info() << line;
    });
    if (!err.empty()) log::warn() << "leave: " << err;
    shutdown();
  };
  std::function<void(boost::system::error_code, int)> on_signal =
      [&](boost::system::error_code ec, int sig) {
        if (ec) return;  // cancelled at the end of shutdown
        if (stopping) {
          log::warn() << "second signal " << sig << ": exiting at once";
          log::shutdown();
          _exit(1);
        }
        log::info() << "received signal " << sig;
        signals.async_wait(on_signal);
        if (!cluster.in_cluster() || cluster.leaving()) return shutdown();
        asio::co_spawn(ioc, leave_then_shutdown(), net::log_exception{"leave"});
      };
  signals.async_wait(on_signal);

  log::info() << "serving on " << bound.address().to_string() << ":" << bound.port()
              << " (advertised " << ctx.me.address << ")";
  log_security(cfg);
  std::cout << "READY " << bound.address().to_string() << ":" << bound.port() << std::endl;
  if (cfg.repl) console.start();

  net::run_loop(ioc, std::chrono::microseconds(cfg.loop_nap_us), ctx.loop, &idle);
  helper.join();
  log::info() << "stopped";
  return 0;
}

}  // namespace dkv::node
