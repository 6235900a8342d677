#include "dkv/node/binary_handler.hpp"

#include "dkv/log/log.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::node {

namespace proto = dkv::protocol;

net::consume_result binary_handler::handle(std::string_view in, std::string& out) {
  net::consume_result r;
  for (;;) {
    if (out.size() >= net::reply_budget) {
      r.more = true;
      return r;
    }
    const auto f = proto::parse_frame(in.substr(r.consumed), ctx_.lim.max_frame);
    if (f.state == proto::parse_state::need_more) {
      r.need = f.header.body_length ? proto::header_size + f.header.body_length : 0;
      return r;
    }
    if (f.state == proto::parse_state::bad) {
      ++ctx_.net.protocol_errors;
      log::warn() << "closing binary connection: " << f.why;
      proto::reply_error(out, f.header.opcode, f.header.request_id, f.error, f.why);
      r.consumed = in.size();
      r.close = true;
      return r;
    }
    ++ctx_.net.commands;
    r.consumed += f.consumed;
    if (!dispatch(f.header.opcode, f.header.request_id, f.body, out)) {
      r.close = true;
      return r;
    }
  }
}

bool binary_handler::dispatch(std::uint8_t op, std::uint32_t rid, std::string_view body,
                              std::string& out) {
  auto bad_body = [&](const proto::decode_error& e) {
    ++ctx_.net.protocol_errors;
    proto::reply_error(out, op, rid, e.code, e.why);
    return true;
  };
  switch (static_cast<proto::opcode>(op)) {
    case proto::opcode::hello: {
      const auto req = proto::decode_hello(body);
      if (!req) return bad_body(req.error);
      if (req.value->version != proto::wire_version)
        return bad_body({proto::status::bad_version, "unsupported protocol version"});
      if (!req.value->node_id.empty() && req.value->cluster != ctx_.me.cluster) {
        log::warn() << "refusing peer " << req.value->node_id << " of cluster '"
                    << req.value->cluster << "'";
        proto::reply_error(out, op, rid, proto::status::not_allowed,
                           "node belongs to another cluster");
        return false;
      }
      proto::reply_hello(out, rid, ctx_.me.id, ctx_.me.cluster);
      return true;
    }
    case proto::opcode::ping: {
      const auto req = proto::decode_ping(body);
      if (!req) return bad_body(req.error);
      proto::reply_bytes(out, op, rid, req.value->payload);
      return true;
    }
    case proto::opcode::get: {
      const auto req = proto::decode_key(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const auto v = ctx_.eng.get(req.value->key);
      if (v) proto::reply_bytes(out, op, rid, *v);
      else proto::reply_status(out, op, rid, proto::status::not_found);
      return true;
    }
    case proto::opcode::put: {
      const auto req = proto::decode_put(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const auto w = ctx_.eng.put(req.value->key, req.value->value);
      if (!w.lsn) {
        proto::reply_error(out, op, rid, proto::status::io_error, ctx_.eng.write_failure());
        return true;
      }
      track(w.lsn);
      proto::reply_status(out, op, rid, proto::status::ok);
      return true;
    }
    case proto::opcode::del: {
      const auto req = proto::decode_key(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const auto w = ctx_.eng.del(req.value->key);
      if (!w.lsn) {
        proto::reply_error(out, op, rid, proto::status::io_error, ctx_.eng.write_failure());
        return true;
      }
      track(w.lsn);
      proto::reply_status(out, op, rid, w.existed ? proto::status::ok : proto::status::not_found);
      return true;
    }
    case proto::opcode::mget: {
      const auto req = proto::decode_mget(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const auto at =
          proto::begin_mget_reply(out, rid, static_cast<std::uint32_t>(req.value->keys.size()));
      for (auto key : req.value->keys) {
        const auto v = ctx_.eng.get(key);
        proto::put_mget_value(out, v ? &*v : nullptr);
      }
      proto::finish_reply(out, at);
      return true;
    }
    case proto::opcode::stats:
      if (!body.empty())
        return bad_body({proto::status::malformed, "STATS takes no body"});
      proto::reply_bytes(out, op, rid, info_text(ctx_));
      return true;
  }
  return bad_body({proto::status::unknown_opcode, "unknown opcode"});
}

void binary_handler::write_lost(std::string& out, std::string_view why) {
  // Request id 0: the error is about the connection, not one request.
  proto::reply_error(out, 0, 0, proto::status::io_error, why);
}

}  // namespace dkv::node
