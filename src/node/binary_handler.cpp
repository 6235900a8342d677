#include "dkv/node/binary_handler.hpp"

#include "dkv/log/log.hpp"
#include "dkv/protocol/messages.hpp"

namespace dkv::node {

namespace proto = dkv::protocol;

net::consume_result binary_handler::on_bytes(std::string_view in, std::string& out) {
  net::consume_result r;
  for (;;) {
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
    dispatch(f.header.opcode, f.header.request_id, f.body, out);
    r.consumed += f.consumed;
  }
}

void binary_handler::dispatch(std::uint8_t op, std::uint32_t rid, std::string_view body,
                              std::string& out) {
  auto bad_body = [&](const proto::decode_error& e) {
    ++ctx_.net.protocol_errors;
    proto::reply_error(out, op, rid, e.code, e.why);
  };
  switch (static_cast<proto::opcode>(op)) {
    case proto::opcode::hello: {
      const auto req = proto::decode_hello(body);
      if (!req) return bad_body(req.error);
      if (req.value->version != proto::wire_version)
        return proto::reply_error(out, op, rid, proto::status::bad_version,
                                  "unsupported protocol version");
      return proto::reply_hello(out, rid, ctx_.me.id, ctx_.me.cluster);
    }
    case proto::opcode::ping: {
      const auto req = proto::decode_ping(body);
      if (!req) return bad_body(req.error);
      if (req.value->payload.empty()) return proto::reply_status(out, op, rid, proto::status::ok);
      return proto::reply_bytes(out, op, rid, req.value->payload);
    }
    case proto::opcode::get: {
      const auto req = proto::decode_key(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const auto v = ctx_.eng.get(req.value->key);
      if (!v) return proto::reply_status(out, op, rid, proto::status::not_found);
      return proto::reply_bytes(out, op, rid, *v);
    }
    case proto::opcode::put: {
      const auto req = proto::decode_put(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      ctx_.eng.put(req.value->key, req.value->value);
      return proto::reply_status(out, op, rid, proto::status::ok);
    }
    case proto::opcode::del: {
      const auto req = proto::decode_key(body, ctx_.lim.max_key);
      if (!req) return bad_body(req.error);
      const bool existed = ctx_.eng.del(req.value->key);
      return proto::reply_status(out, op, rid,
                                 existed ? proto::status::ok : proto::status::not_found);
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
      return proto::finish_reply(out, at);
    }
    case proto::opcode::stats:
      if (!body.empty())
        return bad_body({proto::status::malformed, "STATS takes no body"});
      return proto::reply_bytes(out, op, rid, info_text(ctx_));
  }
  ++ctx_.net.protocol_errors;
  proto::reply_error(out, op, rid, proto::status::unknown_opcode, "unknown opcode");
}

}  // namespace dkv::node
