#include "load.hpp"

#include <algorithm>
#include <bit>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "dkv/bench/workload.hpp"
#include "dkv/protocol/body.hpp"
#include "dkv/protocol/messages.hpp"

namespace kv_bench {

namespace asio = boost::asio;
namespace proto = dkv::protocol;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto token = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t initial_read_buffer = 64 * 1024;

std::uint32_t load_be32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

}  // namespace

// A request in flight. Its request id is (sequence << slot_bits) | slot.
struct slot {
  std::chrono::steady_clock::time_point sent{};
  std::uint32_t rid = 0;
  proto::opcode op = proto::opcode::get;
  bool active = false;
  bool measured = false;
};

struct load::connection {
  connection(asio::io_context& ioc, std::size_t index, const target& t, std::uint64_t seed,
             std::uint32_t pipeline)
      : index(index), to(t), sock(ioc), rng(seed), slots(pipeline) {
    free_slots.reserve(pipeline);
    for (std::uint32_t i = pipeline; i > 0; --i) free_slots.push_back(i - 1);
    rbuf.resize(initial_read_buffer);
  }

  std::size_t index;
  const target& to;
  tcp::socket sock;
  dkv::bench::splitmix64 rng;
  std::vector<slot> slots;
  std::vector<std::uint32_t> free_slots;
  std::uint32_t sequence = 0;
  std::uint32_t in_flight = 0;
  std::string pending;  // encoded requests not yet handed to the socket
  std::string writing;  // the buffer of the write in progress
  bool write_busy = false;
  bool broken = false;
  std::vector<char> rbuf;
  std::size_t rlen = 0;
};

load::load(asio::io_context& ioc, const dkv::bench::options& opts, std::vector<target> targets)
    : ioc_(ioc),
      opts_(opts),
      targets_(std::move(targets)),
      value_(opts.value_size, 'x'),
      gate_(ioc, clock::time_point::max()),
      phase_timer_(ioc),
      cap_timer_(ioc),
      signals_(ioc, SIGINT, SIGTERM) {
  slot_bits_ = static_cast<unsigned>(std::bit_width(opts_.pipeline - 1));
  conns_.reserve(opts_.connections);
  for (std::size_t i = 0; i < opts_.connections; ++i)
    conns_.push_back(std::make_unique<connection>(ioc_, i, targets_[i % targets_.size()],
                                                  dkv::bench::connection_seed(opts_.seed, i),
                                                  opts_.pipeline));
}

load::~load() = default;

void load::note(std::string why, std::uint64_t count) {
  results_.error_kinds[std::move(why)] += count;
}

void load::start() {
  live_ = pending_ = static_cast<std::uint32_t>(conns_.size());
  signals_.async_wait([this](error_code ec, int sig) {
    if (!ec) stop(sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)");
  });
  const auto cap = std::chrono::duration_cast<clock::duration>(
      std::chrono::duration<double>(opts_.hard_cap_seconds()));
  cap_timer_.expires_after(cap);
  cap_timer_.async_wait([this](error_code ec) {
    if (!ec) {
      char text[64];
      std::snprintf(text, sizeof text, "hard cap of %g s reached", opts_.hard_cap_seconds());
      stop(text);
    }
  });
  for (auto& c : conns_) {
    asio::co_spawn(ioc_, run_connection(*c), [this, &c = *c](std::exception_ptr e) {
      if (e) {
        // A protocol violation by the node (or a bug): the connection is
        // given up and what it had in flight is lost.
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          note("connection to " + c.to.name + " dropped: " + ex.what());
        }
        ++results_.bad_replies;
        results_.lost += c.in_flight;
        c.in_flight = 0;
        c.broken = true;
        error_code ignored;
        c.sock.close(ignored);
      }
      connection_done();
    });
  }
}

void load::connection_done() {
  if (--live_ > 0) return;
  // Everyone is done: let io_context::run return.
  phase_ = phase::stopped;
  error_code ignored;
  gate_.cancel();
  phase_timer_.cancel();
  cap_timer_.cancel();
  signals_.cancel(ignored);
  if (results_.requests > 0)
    results_.seconds = std::chrono::duration<double>(last_reply_ - measure_start_).count();
}

void load::begin() {
  if (phase_ != phase::connecting) return;
  if (opts_.warmup > 0) {
    phase_ = phase::warmup;
  } else {
    begin_measuring();
  }
  asio::co_spawn(ioc_, run_clock(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // a timer wait throws nothing: a bug
  });
  gate_.cancel();
}

void load::begin_measuring() {
  phase_ = phase::measure;
  measure_start_ = last_reply_ = clock::now();
  results_.latency.reset();
  results_.requests = results_.gets = results_.sets = results_.hits = results_.misses = 0;
}

asio::awaitable<void> load::run_clock() {
  // Runs after begin() returned; every connection may already be gone
  // (phase stopped), and then it must not hold the io_context open.
  using fsec = std::chrono::duration<double>;
  if (phase_ == phase::warmup) {
    phase_timer_.expires_after(std::chrono::duration_cast<clock::duration>(fsec(opts_.warmup)));
    auto [ec] = co_await phase_timer_.async_wait(token);
    if (ec || phase_ != phase::warmup) co_return;
    begin_measuring();
  }
  if (opts_.duration && phase_ == phase::measure) {
    phase_timer_.expires_after(std::chrono::duration_cast<clock::duration>(fsec(*opts_.duration)));
    auto [ec] = co_await phase_timer_.async_wait(token);
    if (ec || phase_ != phase::measure) co_return;
    phase_ = phase::drain;  // stop issuing; replies still owed are awaited
  }
}

void load::stop(std::string reason) {
  if (phase_ == phase::stopped) return;
  phase_ = phase::stopped;
  results_.cut = true;
  results_.cut_reason = std::move(reason);
  gate_.cancel();
  phase_timer_.cancel();
  for (auto& c : conns_) {
    error_code ignored;
    c->sock.close(ignored);
  }
}

bool load::may_issue() const noexcept {
  switch (phase_) {
    case phase::warmup: return true;
    case phase::measure: return !opts_.requests || issued_ < *opts_.requests;
    default: return false;
  }
}

void load::fill(connection& c) {
  if (c.broken) return;
  const auto now = clock::now();
  char key_buf[dkv::bench::key_size];
  const std::uint64_t mix = std::uint64_t{opts_.get_weight} + opts_.set_weight;
  while (c.in_flight < opts_.pipeline && may_issue()) {
    const std::uint32_t index = c.free_slots.back();
    c.free_slots.pop_back();
    slot& s = c.slots[index];
    const std::uint64_t n = opts_.pattern == dkv::bench::key_pattern::sequential
                                ? sequential_++ % opts_.keyspace
                                : c.rng.below(opts_.keyspace);
    const bool get = opts_.set_weight == 0 ||
                     (opts_.get_weight != 0 && c.rng.below(mix) < opts_.get_weight);
    const auto key = dkv::bench::format_key(key_buf, n);
    s.rid = (c.sequence++ << slot_bits_) | index;
    s.sent = now;
    s.active = true;
    s.measured = phase_ == phase::measure;
    if (get) {
      s.op = proto::opcode::get;
      proto::encode_get(c.pending, s.rid, key);
    } else {
      s.op = proto::opcode::put;
      proto::encode_put(c.pending, s.rid, key, value_);
    }
    if (s.measured) ++issued_;
    ++c.in_flight;
  }
}

void load::flush(connection& c) {
  if (c.write_busy || c.pending.empty() || c.broken) return;
  std::swap(c.pending, c.writing);
  c.pending.clear();
  c.write_busy = true;
  asio::async_write(c.sock, asio::buffer(c.writing), [this, &c](error_code ec, std::size_t) {
    c.write_busy = false;
    if (ec) {
      // The reader sees the broken socket and accounts for what was in flight.
      error_code ignored;
      c.sock.close(ignored);
      return;
    }
    flush(c);
  });
}

void load::on_reply(connection& c, const proto::frame_header& h, std::string_view body,
                    clock::time_point now) {
  const std::uint32_t index = h.request_id & ((std::uint32_t{1} << slot_bits_) - 1);
  if (index >= c.slots.size() || !c.slots[index].active || c.slots[index].rid != h.request_id ||
      (h.flags & proto::flag::reply) == 0 ||
      h.opcode != static_cast<std::uint8_t>(c.slots[index].op)) {
    throw std::runtime_error("reply to no request in flight (id " + std::to_string(h.request_id) +
                             ")");
  }
  slot& s = c.slots[index];
  s.active = false;
  c.free_slots.push_back(index);
  --c.in_flight;

  const auto r = proto::decode_reply(body);
  bool ok = false;
  bool hit = false;
  if (!r) {
    ++results_.bad_replies;
    note("undecodable reply body");
  } else if (proto::is_error(r->code)) {
    ++results_.error_replies;
    note(std::string(proto::status_name(r->code)) + ": " + std::string(r->message));
  } else if (s.op == proto::opcode::get && r->code == proto::status::ok) {
    proto::body_reader fields(r->rest);
    ok = hit = fields.bytes().has_value() && fields.at_end();
    if (!ok) {
      ++results_.bad_replies;
      note("malformed GET reply");
    }
  } else if (r->code == proto::status::ok || s.op == proto::opcode::get) {
    ok = true;  // PUT OK, GET NOT_FOUND
  } else {
    ++results_.bad_replies;
    note("unexpected status " + std::string(proto::status_name(r->code)));
  }
  if (!s.measured) return;
  ++results_.requests;
  last_reply_ = now;
  const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.sent);
  results_.latency.record(static_cast<std::uint64_t>(latency.count()));
  if (s.op == proto::opcode::get) {
    ++results_.gets;
    if (ok) ++(hit ? results_.hits : results_.misses);
  } else {
    ++results_.sets;
  }
}

asio::awaitable<void> load::run_connection(connection& c) {
  auto [cec, ep] = co_await asio::async_connect(c.sock, c.to.endpoints, token);
  const bool connected = !cec;
  if (!connected) {
    ++results_.connect_failures;
    if (phase_ != phase::stopped) note("connect " + c.to.name + ": " + cec.message());
  } else {
    c.sock.set_option(tcp::no_delay(true));
  }
  if (--pending_ == 0) begin();
  if (!connected) co_return;
  if (phase_ == phase::connecting) co_await gate_.async_wait(token);  // cancelled by begin()

  fill(c);
  flush(c);
  while (c.in_flight > 0) {
    if (c.rlen == c.rbuf.size()) c.rbuf.resize(c.rbuf.size() * 2);
    auto [ec, n] = co_await c.sock.async_read_some(
        asio::buffer(c.rbuf.data() + c.rlen, c.rbuf.size() - c.rlen), token);
    if (ec) {
      c.broken = true;
      if (phase_ == phase::stopped) {
        results_.unanswered += c.in_flight;
      } else {
        results_.lost += c.in_flight;
        note("connection to " + c.to.name + " broken: " +
             (ec == asio::error::eof ? std::string("closed by the node") : ec.message()));
      }
      break;
    }
    c.rlen += n;
    const auto now = clock::now();
    std::size_t at = 0;
    for (;;) {
      const auto f =
          proto::parse_frame({c.rbuf.data() + at, c.rlen - at}, proto::default_max_frame);
      if (f.state == proto::parse_state::complete) {
        on_reply(c, f.header, f.body, now);
        at += f.consumed;
        continue;
      }
      if (f.state == proto::parse_state::bad)
        throw std::runtime_error("bad reply frame: " + std::string(f.why));
      // need_more: make room for the whole frame once its header is there.
      if (c.rlen - at >= proto::header_size) {
        const std::size_t whole = proto::header_size + load_be32(c.rbuf.data() + at + 8);
        if (whole > c.rbuf.size()) c.rbuf.resize(std::max(whole, c.rbuf.size()));
      }
      break;
    }
    if (at > 0) {
      std::memmove(c.rbuf.data(), c.rbuf.data() + at, c.rlen - at);
      c.rlen -= at;
    }
    fill(c);
    flush(c);
  }
  error_code ignored;
  c.sock.shutdown(tcp::socket::shutdown_both, ignored);
  c.sock.close(ignored);
}

}  // namespace kv_bench
