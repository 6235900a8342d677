#include "dkv/node/binary_handler.hpp"

#include <span>

#include "dkv/common/key_hash.hpp"
#include "dkv/log/log.hpp"
#include "dkv/protocol/auth_messages.hpp"
#include "dkv/protocol/messages.hpp"
#include "dkv/protocol/peer_messages.hpp"

namespace dkv::node {

namespace proto = dkv::protocol;
using proto::status;

namespace {

constexpr std::uint32_t peer_headroom = 4096;

}  // namespace

net::consume_result binary_handler::handle(std::string_view in, std::string& out) {
  net::consume_result r;
  for (;;) {
    if (out.size() >= net::reply_budget) {
      r.more = true;
      return r;
    }
    // A peer's MIGRATE frame carries a whole entry (key, value and version)
    // of the largest size a client may write: allow it that headroom.
    const std::uint32_t max_body =
        peer_.empty() ? request_limit() : ctx_.lim.max_frame + ctx_.lim.max_key + peer_headroom;
    const auto f = proto::parse_frame(in.substr(r.consumed), max_body);
    if (f.state == proto::parse_state::need_more) {
      r.need = f.header.body_length ? proto::header_size + f.header.body_length : 0;
      return r;
    }
    if (f.state == proto::parse_state::bad) {
      if (deferred()) return r;  // its error reply comes after the group's
      ++ctx_.net.protocol_errors;
      if (!authenticated() && f.error == status::too_large)
        refuse_preauth("frame over --max-preauth-bytes");
      log::warn() << "closing binary connection: " << f.why;
      proto::reply_error(out, f.header.opcode, f.header.request_id, f.error, f.why);
      r.consumed = in.size();
      r.close = true;
      return r;
    }
    // Only peers may set the routing flags.
    const std::uint8_t flags = peer_.empty() ? f.header.flags & ~(proto::flag::forwarded |
                                                                   proto::flag::local_only)
                                             : f.header.flags;
    if (deferred() &&
        !join_group(f.header.opcode, flags, f.header.request_id, f.body, out.size()))
      return r;
    ++ctx_.net.commands;
    r.consumed += f.consumed;
    if (deferred()) continue;
    if (!dispatch(f.header.opcode, flags, f.header.request_id, f.body, out)) {
      r.close = true;
      return r;
    }
  }
  return r;
}

void binary_handler::collect_keys(std::string_view in, std::vector<std::string_view>& keys,
                                  std::size_t max) {
  for (std::size_t at = 0; keys.size() < max && at < in.size();) {
    const auto f = proto::parse_frame(in.substr(at), ctx_.lim.max_frame);
    if (f.state != proto::parse_state::complete) return;
    at += f.consumed;
    switch (static_cast<proto::opcode>(f.header.opcode)) {
      case proto::opcode::get:
      case proto::opcode::del:
        if (const auto req = proto::decode_key(f.body, ctx_.lim.max_key))
          keys.push_back(req.value->key);
        break;
      case proto::opcode::put:
        if (const auto req = proto::decode_put(f.body, ctx_.lim.max_key))
          keys.push_back(req.value->key);
        break;
      default:
        break;
    }
  }
}

bool binary_handler::dispatch(std::uint8_t op, std::uint8_t flags, std::uint32_t rid,
                              std::string_view body, std::string& out) {
  auto bad_body = [&](const proto::decode_error& e) {
    ++ctx_.net.protocol_errors;
    proto::reply_error(out, op, rid, e.code, e.why);
    return true;
  };
  if (op == static_cast<std::uint8_t>(proto::peer_opcode::peer_hello))
    return on_peer_hello(rid, body, out);
  if (op == static_cast<std::uint8_t>(proto::peer_opcode::peer_proof))
    return on_peer_proof(rid, body, out);
  if (proto::is_peer_opcode(op)) {
    if (peer_.empty())
      return bad_body({status::not_allowed, "peer opcode on a client connection"});
    dispatch_peer(op, rid, body, out);
    return true;
  }
  const auto kind = static_cast<proto::opcode>(op);
  if (!authenticated() && kind != proto::opcode::hello && kind != proto::opcode::ping &&
      kind != proto::opcode::auth) {
    refuse_preauth(std::string(proto::opcode_name(op)) + " before AUTH");
    proto::reply_error(out, op, rid, status::auth_required, "authentication required");
    return true;
  }
  switch (kind) {
    case proto::opcode::hello: {
      // The node id and cluster a HELLO carries are informational: only the
      // peer handshake makes a peer.
      const auto req = proto::decode_hello(body);
      if (!req) return bad_body(req.error);
      if (req.value->version != proto::wire_version)
        return bad_body({status::bad_version, "unsupported protocol version"});
      proto::reply_hello(out, rid, ctx_.me.id, ctx_.me.cluster);
      return true;
    }
    case proto::opcode::auth: {
      const auto req = proto::decode_auth(body);
      if (!req) return bad_body(req.error);
      switch (authenticate(req.value->password)) {
        case auth_outcome::ok:
          proto::reply_status(out, op, rid, status::ok);
          return true;
        case auth_outcome::no_password:
          return bad_body({status::not_allowed, "no password is configured"});
        case auth_outcome::wrong:
          proto::reply_error(out, op, rid, status::auth_failed, "invalid password");
          return true;
      }
      return true;
    }
    case proto::opcode::ping: {
      const auto req = proto::decode_ping(body);
      if (!req) return bad_body(req.error);
      proto::reply_bytes(out, op, rid, req.value->payload);
      return true;
    }
    case proto::opcode::get:
    case proto::opcode::put:
    case proto::opcode::del:
    case proto::opcode::mget:
      return dispatch_keyed(op, flags, rid, body, out);
    case proto::opcode::stats:
      if (!body.empty()) return bad_body({status::malformed, "STATS takes no body"});
      proto::reply_bytes(out, op, rid, info_text(ctx_));
      return true;
  }
  return bad_body({status::unknown_opcode, "unknown opcode"});
}

bool binary_handler::dispatch_keyed(std::uint8_t op, std::uint8_t flags, std::uint32_t rid,
                                    std::string_view body, std::string& out) {
  auto bad_body = [&](const proto::decode_error& e) {
    ++ctx_.net.protocol_errors;
    proto::reply_error(out, op, rid, e.code, e.why);
    return true;
  };
  const auto kind = static_cast<proto::opcode>(op);
  // GET, PUT and DEL name one key (no allocation); MGET a list.
  std::string_view one, value;
  std::vector<std::string_view> mget_keys;
  std::span<const std::string_view> keys(&one, 1);
  if (kind == proto::opcode::mget) {
    auto req = proto::decode_mget(body, ctx_.lim.max_key);
    if (!req) return bad_body(req.error);
    mget_keys = std::move(req.value->keys);
    keys = mget_keys;
  } else if (kind == proto::opcode::put) {
    const auto req = proto::decode_put(body, ctx_.lim.max_key);
    if (!req) return bad_body(req.error);
    one = req.value->key;
    value = req.value->value;
  } else {
    const auto req = proto::decode_key(body, ctx_.lim.max_key);
    if (!req) return bad_body(req.error);
    one = req.value->key;
  }

  // LOCAL_ONLY: the previous owner of a partition answers from what it has.
  if (flags & proto::flag::local_only && kind == proto::opcode::get) {
    if (const auto v = ctx_.eng.data().get(keys[0])) proto::reply_bytes(out, op, rid, *v);
    else proto::reply_status(out, op, rid, status::not_found);
    return true;
  }
  const bool write = kind == proto::opcode::put || kind == proto::opcode::del;
  bool here = true;
  for (const auto key : keys) {
    const bool local = write ? router_.local_write(key) : router_.local_read(key);
    if (!local && flags & proto::flag::forwarded && !router_.local_write(key)) {
      proto::reply_error(out, op, rid, status::not_owner,
                         "not the owner at epoch " + std::to_string(cluster_.epoch()));
      return true;
    }
    here = here && local;
  }
  if (!here) {
    defer_request({op, flags, rid, std::string(one), std::string(value),
                   {mget_keys.begin(), mget_keys.end()}});
    return true;
  }

  auto& eng = ctx_.eng;
  switch (kind) {
    case proto::opcode::get:
      if (const auto v = eng.get(keys[0])) proto::reply_bytes(out, op, rid, *v);
      else proto::reply_status(out, op, rid, status::not_found);
      return true;
    case proto::opcode::mget: {
      // Keys may repeat: a big value listed a million times must not make
      // the loop build a reply no client could take. Past max_frame the
      // reply is dropped, having cost at most that many bytes.
      const std::size_t start = out.size();
      const auto at = proto::begin_mget_reply(out, rid, static_cast<std::uint32_t>(keys.size()));
      for (const auto key : keys) {
        const auto v = eng.get(key);
        proto::put_mget_value(out, v ? &*v : nullptr);
        if (out.size() - at - proto::header_size > ctx_.lim.max_frame) {
          out.resize(start);
          proto::reply_error(out, op, rid, status::too_large, ctx_.lim.mget_too_large());
          return true;
        }
      }
      proto::finish_reply(out, at);
      return true;
    }
    default: {
      const put_condition cond = condition_of(flags);
      if (cond != put_condition::always && eng.exists(keys[0]) != (cond == put_condition::if_present)) {
        proto::reply_status(out, op, rid, status::not_found);
        return true;
      }
      const write_result w = kind == proto::opcode::put ? eng.put(keys[0], value) : eng.del(keys[0]);
      if (!w.lsn) {
        proto::reply_error(out, op, rid, status::io_error, eng.write_failure());
        return true;
      }
      track(w.lsn);
      const bool found = kind == proto::opcode::put || w.existed;
      proto::reply_status(out, op, rid, found ? status::ok : status::not_found);
      return true;
    }
  }
}

void binary_handler::write_lost(std::string& out, std::string_view why) {
  // Request id 0: the error is about the connection, not one request.
  proto::reply_error(out, 0, 0, status::io_error, why);
}

}  // namespace dkv::node
