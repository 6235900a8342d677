#pragma once
// Request and reply bodies of the binary protocol, one function per message.
// Decoders take a frame body and return views into it (no allocation but the
// MGET key list); encoders append a whole frame to an output buffer.
// Layouts are specified in protocol/PROTOCOL.md.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dkv/protocol/frame.hpp"

namespace dkv::protocol {

// ---- requests --------------------------------------------------------------

struct hello_request {
  std::uint8_t version = wire_version;
  std::string_view node_id;  // empty for clients
  std::string_view cluster;  // empty for clients
};
struct key_request {  // GET, DEL
  std::string_view key;
};
struct put_request {
  std::string_view key;
  std::string_view value;
};
struct mget_request {
  std::vector<std::string_view> keys;
};
struct ping_request {
  std::string_view payload;  // echoed back; may be empty
};

// Why a body did not decode: status::malformed or status::too_large, and text.
struct decode_error {
  status code = status::malformed;
  std::string_view why;
};

template <class T>
struct decoded {
  std::optional<T> value;
  decode_error error;
  explicit operator bool() const noexcept { return value.has_value(); }
};

decoded<hello_request> decode_hello(std::string_view body);
decoded<ping_request> decode_ping(std::string_view body);
decoded<key_request> decode_key(std::string_view body, std::uint32_t max_key);
decoded<put_request> decode_put(std::string_view body, std::uint32_t max_key);
decoded<mget_request> decode_mget(std::string_view body, std::uint32_t max_key);

void encode_hello(std::string& out, std::uint32_t rid, std::string_view node_id,
                  std::string_view cluster);
void encode_ping(std::string& out, std::uint32_t rid, std::string_view payload);
// `flags`: request flags (peer connections only, see peer_messages.hpp).
void encode_get(std::string& out, std::uint32_t rid, std::string_view key,
                std::uint8_t flags = 0);
void encode_put(std::string& out, std::uint32_t rid, std::string_view key,
                std::string_view value, std::uint8_t flags = 0);
void encode_del(std::string& out, std::uint32_t rid, std::string_view key,
                std::uint8_t flags = 0);
void encode_mget(std::string& out, std::uint32_t rid, std::span<const std::string_view> keys,
                 std::uint8_t flags = 0);
void encode_stats(std::string& out, std::uint32_t rid);

// ---- replies ---------------------------------------------------------------

// OK or NOT_FOUND with nothing after the status byte (PUT, DEL, GET miss).
void reply_status(std::string& out, std::uint8_t op, std::uint32_t rid, status s);
// An error status followed by a message.
void reply_error(std::string& out, std::uint8_t op, std::uint32_t rid, status s,
                 std::string_view message);
// OK followed by one byte string (GET hit, PING echo, STATS text).
void reply_bytes(std::string& out, std::uint8_t op, std::uint32_t rid, std::string_view bytes);
// OK followed by `fields` as they are (already encoded: GOSSIP, JOIN).
void reply_bytes_raw(std::string& out, std::uint8_t op, std::uint32_t rid, std::string_view fields);
// OK, protocol version, node id, cluster name.
void reply_hello(std::string& out, std::uint32_t rid, std::string_view node_id,
                 std::string_view cluster);
// MGET: OK, u32 count, then per key a presence byte and, if present, bytes.
std::size_t begin_mget_reply(std::string& out, std::uint32_t rid, std::uint32_t count);
void put_mget_value(std::string& out, const std::string_view* value);  // nullptr = missing
inline void finish_reply(std::string& out, std::size_t header_offset) {
  finish_frame(out, header_offset);
}

// Client side: the status byte of a reply and the rest of its body. For an
// error status, `message` holds the error text.
struct reply_view {
  status code = status::ok;
  std::string_view rest;     // fields after the status byte (non-errors)
  std::string_view message;  // error text (errors)
};
std::optional<reply_view> decode_reply(std::string_view body);
// The fields of an OK MGET reply (reply_view::rest): one entry per key,
// nullopt for a missing key; nullopt as a whole when malformed.
std::optional<std::vector<std::optional<std::string_view>>> decode_mget_values(
    std::string_view rest);

}  // namespace dkv::protocol
