#include "dkv/protocol/frame.hpp"

#include "dkv/common/bytes.hpp"

namespace dkv::protocol {

bool is_known_opcode(std::uint8_t raw) noexcept {
  return raw >= static_cast<std::uint8_t>(opcode::hello) &&
         raw <= static_cast<std::uint8_t>(opcode::auth);
}

std::string_view opcode_name(std::uint8_t raw) noexcept {
  switch (raw) {
    case 0x40: return "GOSSIP";
    case 0x41: return "JOIN";
    case 0x42: return "MIGRATE";
    case 0x43: return "MIGRATE_DONE";
    case 0x44: return "PEER_HELLO";
    case 0x45: return "PEER_PROOF";
    default: break;
  }
  switch (static_cast<opcode>(raw)) {
    case opcode::hello: return "HELLO";
    case opcode::ping: return "PING";
    case opcode::get: return "GET";
    case opcode::put: return "PUT";
    case opcode::del: return "DEL";
    case opcode::mget: return "MGET";
    case opcode::stats: return "STATS";
    case opcode::auth: return "AUTH";
  }
  return "UNKNOWN";
}

std::string_view status_name(status s) noexcept {
  switch (s) {
    case status::ok: return "OK";
    case status::not_found: return "NOT_FOUND";
    case status::malformed: return "MALFORMED";
    case status::unknown_opcode: return "UNKNOWN_OPCODE";
    case status::too_large: return "TOO_LARGE";
    case status::bad_version: return "BAD_VERSION";
    case status::bad_magic: return "BAD_MAGIC";
    case status::not_allowed: return "NOT_ALLOWED";
    case status::auth_required: return "AUTH_REQUIRED";
    case status::auth_failed: return "AUTH_FAILED";
    case status::unavailable: return "UNAVAILABLE";
    case status::internal: return "INTERNAL";
    case status::io_error: return "IO_ERROR";
    case status::not_owner: return "NOT_OWNER";
    case status::digest_mismatch: return "DIGEST_MISMATCH";
  }
  return "UNKNOWN_STATUS";
}

frame_parse_result parse_frame(std::string_view buf, std::uint32_t max_body) noexcept {
  frame_parse_result r;
  if (buf.empty()) return r;
  if (static_cast<std::uint8_t>(buf[0]) != magic) {
    r.state = parse_state::bad;
    r.error = status::bad_magic;
    r.why = "bad magic byte";
    return r;
  }
  if (buf.size() < header_size) return r;
  r.header.version = static_cast<std::uint8_t>(buf[1]);
  r.header.opcode = static_cast<std::uint8_t>(buf[2]);
  r.header.flags = static_cast<std::uint8_t>(buf[3]);
  r.header.request_id = common::load_u32_be(buf.data() + 4);
  r.header.body_length = common::load_u32_be(buf.data() + 8);
  if (r.header.version != wire_version) {
    r.state = parse_state::bad;
    r.error = status::bad_version;
    r.why = "unsupported protocol version";
    return r;
  }
  if (r.header.body_length > max_body) {
    r.state = parse_state::bad;
    r.error = status::too_large;
    r.why = "frame body exceeds max-frame";
    return r;
  }
  const std::size_t total = header_size + r.header.body_length;
  if (buf.size() < total) return r;
  r.state = parse_state::complete;
  r.consumed = total;
  r.body = buf.substr(header_size, r.header.body_length);
  return r;
}

std::size_t begin_frame(std::string& out, std::uint8_t opcode, std::uint8_t flags,
                        std::uint32_t request_id) {
  const std::size_t at = out.size();
  out.resize(at + header_size);
  char* p = out.data() + at;
  p[0] = static_cast<char>(magic);
  p[1] = static_cast<char>(wire_version);
  p[2] = static_cast<char>(opcode);
  p[3] = static_cast<char>(flags);
  common::store_u32_be(p + 4, request_id);
  common::store_u32_be(p + 8, 0);
  return at;
}

void finish_frame(std::string& out, std::size_t header_offset) {
  const auto len = static_cast<std::uint32_t>(out.size() - header_offset - header_size);
  common::store_u32_be(out.data() + header_offset + 8, len);
}

}  // namespace dkv::protocol
