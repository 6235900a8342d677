#include "dkv/protocol/messages.hpp"

#include "dkv/protocol/body.hpp"

namespace dkv::protocol {
namespace {

template <class T>
decoded<T> fail(status code, std::string_view why) {
  return decoded<T>{std::nullopt, decode_error{code, why}};
}

template <class T>
decoded<T> ok(T value) {
  return decoded<T>{std::move(value), {}};
}

constexpr std::string_view truncated = "truncated body";
constexpr std::string_view trailing = "trailing bytes after body";
constexpr std::string_view key_too_large = "key exceeds max key size";

void request_frame(std::string& out, opcode op, std::uint32_t rid, auto&& fill,
                   std::uint8_t flags = 0) {
  const auto at = begin_frame(out, static_cast<std::uint8_t>(op), flags, rid);
  fill();
  finish_frame(out, at);
}

}  // namespace

decoded<hello_request> decode_hello(std::string_view body) {
  body_reader r(body);
  const auto version = r.u8();
  const auto node_id = r.bytes();
  const auto cluster = r.bytes();
  if (!version || !node_id || !cluster) return fail<hello_request>(status::malformed, truncated);
  if (!r.at_end()) return fail<hello_request>(status::malformed, trailing);
  return ok(hello_request{*version, *node_id, *cluster});
}

decoded<ping_request> decode_ping(std::string_view body) {
  if (body.empty()) return ok(ping_request{});
  body_reader r(body);
  const auto payload = r.bytes();
  if (!payload) return fail<ping_request>(status::malformed, truncated);
  if (!r.at_end()) return fail<ping_request>(status::malformed, trailing);
  return ok(ping_request{*payload});
}

decoded<key_request> decode_key(std::string_view body, std::uint32_t max_key) {
  body_reader r(body);
  const auto key = r.bytes();
  if (!key) return fail<key_request>(status::malformed, truncated);
  if (!r.at_end()) return fail<key_request>(status::malformed, trailing);
  if (key->size() > max_key) return fail<key_request>(status::too_large, key_too_large);
  return ok(key_request{*key});
}

decoded<put_request> decode_put(std::string_view body, std::uint32_t max_key) {
  body_reader r(body);
  const auto key = r.bytes();
  const auto value = r.bytes();
  if (!key || !value) return fail<put_request>(status::malformed, truncated);
  if (!r.at_end()) return fail<put_request>(status::malformed, trailing);
  if (key->size() > max_key) return fail<put_request>(status::too_large, key_too_large);
  return ok(put_request{*key, *value});
}

decoded<mget_request> decode_mget(std::string_view body, std::uint32_t max_key) {
  body_reader r(body);
  const auto count = r.u32();
  if (!count) return fail<mget_request>(status::malformed, truncated);
  // Every key needs at least its 4-byte length: check before reserving.
  if (*count > r.remaining() / 4) return fail<mget_request>(status::malformed, truncated);
  mget_request req;
  req.keys.reserve(*count);
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto key = r.bytes();
    if (!key) return fail<mget_request>(status::malformed, truncated);
    if (key->size() > max_key) return fail<mget_request>(status::too_large, key_too_large);
    req.keys.push_back(*key);
  }
  if (!r.at_end()) return fail<mget_request>(status::malformed, trailing);
  return ok(std::move(req));
}

void encode_hello(std::string& out, std::uint32_t rid, std::string_view node_id,
                  std::string_view cluster) {
  request_frame(out, opcode::hello, rid, [&] {
    put_u8(out, wire_version);
    put_bytes(out, node_id);
    put_bytes(out, cluster);
  });
}

void encode_ping(std::string& out, std::uint32_t rid, std::string_view payload) {
  request_frame(out, opcode::ping, rid, [&] {
    if (!payload.empty()) put_bytes(out, payload);
  });
}

void encode_get(std::string& out, std::uint32_t rid, std::string_view key, std::uint8_t flags) {
  request_frame(out, opcode::get, rid, [&] { put_bytes(out, key); }, flags);
}

void encode_put(std::string& out, std::uint32_t rid, std::string_view key,
                std::string_view value, std::uint8_t flags) {
  request_frame(
      out, opcode::put, rid,
      [&] {
        put_bytes(out, key);
        put_bytes(out, value);
      },
      flags);
}

void encode_del(std::string& out, std::uint32_t rid, std::string_view key, std::uint8_t flags) {
  request_frame(out, opcode::del, rid, [&] { put_bytes(out, key); }, flags);
}

void encode_mget(std::string& out, std::uint32_t rid, std::span<const std::string_view> keys,
                 std::uint8_t flags) {
  request_frame(
      out, opcode::mget, rid,
      [&] {
        put_u32(out, static_cast<std::uint32_t>(keys.size()));
        for (auto k : keys) put_bytes(out, k);
      },
      flags);
}

void encode_stats(std::string& out, std::uint32_t rid) {
  request_frame(out, opcode::stats, rid, [] {});
}

void reply_status(std::string& out, std::uint8_t op, std::uint32_t rid, status s) {
  const auto at = begin_frame(out, op, flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(s));
  finish_frame(out, at);
}

void reply_error(std::string& out, std::uint8_t op, std::uint32_t rid, status s,
                 std::string_view message) {
  const auto at = begin_frame(out, op, flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(s));
  put_bytes(out, message);
  finish_frame(out, at);
}

void reply_bytes(std::string& out, std::uint8_t op, std::uint32_t rid, std::string_view bytes) {
  const auto at = begin_frame(out, op, flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(status::ok));
  put_bytes(out, bytes);
  finish_frame(out, at);
}

void reply_bytes_raw(std::string& out, std::uint8_t op, std::uint32_t rid,
                     std::string_view fields) {
  const auto at = begin_frame(out, op, flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(status::ok));
  out.append(fields);
  finish_frame(out, at);
}

void reply_hello(std::string& out, std::uint32_t rid, std::string_view node_id,
                 std::string_view cluster) {
  const auto at = begin_frame(out, static_cast<std::uint8_t>(opcode::hello), flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(status::ok));
  put_u8(out, wire_version);
  put_bytes(out, node_id);
  put_bytes(out, cluster);
  finish_frame(out, at);
}

std::size_t begin_mget_reply(std::string& out, std::uint32_t rid, std::uint32_t count) {
  const auto at = begin_frame(out, static_cast<std::uint8_t>(opcode::mget), flag::reply, rid);
  put_u8(out, static_cast<std::uint8_t>(status::ok));
  put_u32(out, count);
  return at;
}

void put_mget_value(std::string& out, const std::string_view* value) {
  put_u8(out, value ? 1 : 0);
  if (value) put_bytes(out, *value);
}

std::optional<std::vector<std::optional<std::string_view>>> decode_mget_values(
    std::string_view rest) {
  body_reader r(rest);
  const auto count = r.u32();
  // Every entry takes at least its presence byte: check before reserving.
  if (!count || *count > r.remaining()) return std::nullopt;
  std::vector<std::optional<std::string_view>> values;
  values.reserve(*count);
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto present = r.u8();
    if (!present || *present > 1) return std::nullopt;
    if (*present == 0) {
      values.emplace_back();
      continue;
    }
    const auto v = r.bytes();
    if (!v) return std::nullopt;
    values.emplace_back(*v);
  }
  if (!r.at_end()) return std::nullopt;
  return values;
}

std::optional<reply_view> decode_reply(std::string_view body) {
  body_reader r(body);
  const auto code = r.u8();
  if (!code) return std::nullopt;
  reply_view v;
  v.code = static_cast<status>(*code);
  if (is_error(v.code)) {
    const auto msg = r.bytes();
    if (!msg) return std::nullopt;
    v.message = *msg;
  } else {
    v.rest = body.substr(1);
  }
  return v;
}

}  // namespace dkv::protocol
