#define BOOST_TEST_MODULE protocol_resp
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dkv/protocol/resp_parser.hpp"
#include "dkv/protocol/resp_writer.hpp"

using namespace std::string_literals;
using namespace std::string_view_literals;
namespace resp = dkv::protocol::resp;
using dkv::protocol::parse_state;

namespace {

using strings = std::vector<std::string>;

// The result of one parse, with the arguments copied out while the buffer
// and scratch they view are still alive.
struct parsed {
  resp::parse_result r;
  strings args;
};

parsed parse(std::string_view buf, const resp::limits& lim = {}) {
  std::vector<std::string_view> views;
  std::string scratch;
  parsed p;
  p.r = resp::parse_command(buf, views, scratch, lim);
  for (auto v : views) p.args.emplace_back(v);
  return p;
}

std::string state_name(parse_state s) {
  switch (s) {
    case parse_state::complete: return "complete";
    case parse_state::need_more: return "need_more";
    case parse_state::bad: return "bad";
  }
  return "?";
}

// Shows control bytes so that failing inputs are readable in the log.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      default: out += c; break;
    }
  }
  return out;
}

void check_complete(std::string_view buf, const strings& want) {
  BOOST_TEST_CONTEXT("input: " << printable(buf)) {
    const parsed p = parse(buf);
    BOOST_TEST(state_name(p.r.state) == "complete");
    BOOST_TEST(p.r.consumed == buf.size());
    BOOST_TEST(p.args == want, boost::test_tools::per_element());
  }
}

void check_bad(std::string_view buf, std::string_view why, const resp::limits& lim = {}) {
  BOOST_TEST_CONTEXT("input: " << printable(buf.substr(0, 80))) {
    const parsed p = parse(buf, lim);
    BOOST_TEST(state_name(p.r.state) == "bad");
    BOOST_TEST(p.r.why == why);
    BOOST_TEST(p.args.empty());
  }
}

// Multibulk encoding of `args`, built by hand (not by the writer under test).
std::string multibulk(const strings& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

}  // namespace

// ---- parser: valid input ----------------------------------------------------

BOOST_AUTO_TEST_CASE(multibulk_commands) {
  check_complete("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", {"GET", "k"});
  check_complete("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {"SET", "key", "value"});
  check_complete("*1\r\n$4\r\nPING\r\n", {"PING"});
  check_complete("*2\r\n$3\r\nSET\r\n$0\r\n\r\n", {"SET", ""});
  check_complete(multibulk({"MGET", "a", "b", "c", "d"}), {"MGET", "a", "b", "c", "d"});
}

BOOST_AUTO_TEST_CASE(multibulk_empty_commands_are_complete_and_skippable) {
  for (std::string_view in : {"*0\r\n"sv, "*-1\r\n"sv}) {
    BOOST_TEST_CONTEXT("input: " << printable(in)) {
      const parsed p = parse(in);
      BOOST_TEST(state_name(p.r.state) == "complete");
      BOOST_TEST(p.r.consumed == in.size());
      BOOST_TEST(p.args.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(multibulk_is_binary_safe) {
  const std::string nul_value = "a\0b\0"s;
  const std::string crlf_value = "line1\r\nline2\r\n";
  const std::string tricky = "$3\r\n*1\r\n\n\r";
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const strings want = {"SET", nul_value, crlf_value, tricky, all_bytes};
  const std::string in = multibulk(want);
  check_complete(in, want);
  const parsed p = parse(in);
  BOOST_TEST(p.args.at(1).size() == 4u);
  BOOST_TEST(p.args.at(4).size() == 256u);
}

BOOST_AUTO_TEST_CASE(multibulk_args_are_views_into_the_buffer) {
  const std::string in = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  std::vector<std::string_view> args;
  std::string scratch;
  const auto r = resp::parse_command(in, args, scratch, {});
  BOOST_TEST(state_name(r.state) == "complete");
  BOOST_REQUIRE(args.size() == 2u);
  BOOST_TEST(static_cast<const void*>(args[0].data()) == static_cast<const void*>(in.data() + 8));
  BOOST_TEST(static_cast<const void*>(args[1].data()) == static_cast<const void*>(in.data() + 17));
}

BOOST_AUTO_TEST_CASE(inline_commands) {
  check_complete("PING\r\n", {"PING"});
  check_complete("PING\n", {"PING"});
  check_complete("GET k\r\n", {"GET", "k"});
  check_complete("SET key value\n", {"SET", "key", "value"});
  check_complete("  SET\t key \t value  \r\n", {"SET", "key", "value"});
  check_complete("a\rb\r\n", {"a", "b"});  // a lone CR inside the line separates
  check_complete("x\vy\r\n", {"x\vy"});    // \v is a blank only between tokens
}

BOOST_AUTO_TEST_CASE(inline_empty_lines_are_complete_and_skippable) {
  for (std::string_view in : {"\r\n"sv, "\n"sv, "   \t \r\n"sv, " \n"sv}) {
    BOOST_TEST_CONTEXT("input: " << printable(in)) {
      const parsed p = parse(in);
      BOOST_TEST(state_name(p.r.state) == "complete");
      BOOST_TEST(p.r.consumed == in.size());
      BOOST_TEST(p.args.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(inline_quotes_and_escapes) {
  check_complete("SET k \"hello world\"\r\n", {"SET", "k", "hello world"});
  check_complete("SET k 'hello world'\r\n", {"SET", "k", "hello world"});
  check_complete("SET k \"a\\nb\\rc\\td\\be\\af\\\\g\\\"h\"\r\n",
                 {"SET", "k", "a\nb\rc\td\be\af\\g\"h"});
  check_complete("SET k \"\\x41\\x62\\x00\\xff\\xFf\"\r\n", {"SET", "k", "Ab\0\xff\xff"s});
  check_complete("SET k \"\\xZZ\\x4\"\r\n", {"SET", "k", "xZZx4"});  // not \xHH: \x is x
  check_complete("SET k \"\\q\"\r\n", {"SET", "k", "q"});            // unknown escape: the byte
  check_complete("SET k 'it\\'s'\r\n", {"SET", "k", "it's"});
  check_complete("SET k 'a\\nb\\\\c'\r\n", {"SET", "k", "a\\nb\\\\c"});  // no escapes in '...'
  check_complete("SET k 'a\\\\' x'\r\n", {"SET", "k", "a\\' x"});  // \' even after a backslash
  check_complete("SET k 'say \"hi\"'\r\n", {"SET", "k", "say \"hi\""});
  check_complete("SET k \"it's\"\r\n", {"SET", "k", "it's"});
  check_complete("SET \"\" ''\r\n", {"SET", "", ""});
  check_complete("foo\"bar baz\"\r\n", {"foobar baz"});  // a quote may open mid-token
  check_complete("a\"b\"\tc\r\n", {"ab", "c"});
  check_complete("\"a\"\n", {"a"});
}

BOOST_AUTO_TEST_CASE(inline_nul_is_an_ordinary_byte) {
  check_complete("SET k a\0b\r\n"s, {"SET", "k", "a\0b"s});
  check_complete("SET k \"a\0b\"\r\n"s, {"SET", "k", "a\0b"s});
}

BOOST_AUTO_TEST_CASE(inline_views_survive_many_unescaped_args) {
  // Every argument goes through scratch; if scratch reallocated while views
  // were taken, the early ones would dangle (ASan catches it; the values too).
  std::string line;
  strings want;
  for (int i = 0; i < 200; ++i) {
    line += "\"v" + std::to_string(i) + "\\x21\" plain" + std::to_string(i) + " ";
    want.push_back("v" + std::to_string(i) + "!");
    want.push_back("plain" + std::to_string(i));
  }
  line += "\r\n";
  std::vector<std::string_view> args;
  std::string scratch;  // empty, capacity of the SSO buffer only
  const auto r = resp::parse_command(line, args, scratch, {});
  BOOST_TEST(state_name(r.state) == "complete");
  strings got(args.begin(), args.end());
  BOOST_TEST(got == want, boost::test_tools::per_element());
  // Plain arguments are views into the buffer, not copies.
  BOOST_REQUIRE(args.size() >= 2u);
  const bool in_line = args[1].data() >= line.data() && args[1].data() < line.data() + line.size();
  BOOST_TEST(in_line);
}

BOOST_AUTO_TEST_CASE(scratch_is_reused_between_calls) {
  std::vector<std::string_view> args;
  std::string scratch = "left over from before";
  auto r = resp::parse_command("GET \"k1\"\r\n", args, scratch, {});
  BOOST_TEST(state_name(r.state) == "complete");
  BOOST_REQUIRE(args.size() == 2u);
  BOOST_TEST(args[1] == "k1");
  r = resp::parse_command("GET 'k2'\r\n", args, scratch, {});
  BOOST_REQUIRE(args.size() == 2u);
  BOOST_TEST(args[1] == "k2");
}

// ---- parser: incremental input ------------------------------------------------

BOOST_AUTO_TEST_CASE(every_split_point_needs_more_then_completes) {
  const std::vector<std::pair<std::string, strings>> cases = {
      {"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", {"GET", "k"}},
      {multibulk({"SET", "k\r\n\0v"s, "", "$1\r\n"}), {"SET", "k\r\n\0v"s, "", "$1\r\n"}},
      {multibulk({std::string(300, 'x'), "\r\r\n\n"}), {std::string(300, 'x'), "\r\r\n\n"}},
      {"*0\r\n", {}},
      {"*-1\r\n", {}},
      {"PING\r\n", {"PING"}},
      {"GET k\n", {"GET", "k"}},
      {"SET k \"a b\\x41\" 'c\\'d'\r\n", {"SET", "k", "a bA", "c'd"}},
      {"\r\n", {}},
  };
  for (const auto& [whole, want] : cases) {
    BOOST_TEST_CONTEXT("input: " << printable(whole)) {
      for (std::size_t k = 0; k < whole.size(); ++k) {
        BOOST_TEST_CONTEXT("prefix length " << k) {
          // A buffer of exactly k bytes, so ASan sees any read past the end.
          const std::string prefix = whole.substr(0, k);
          const parsed p = parse(prefix);
          BOOST_TEST(state_name(p.r.state) == "need_more");
          BOOST_TEST(p.args.empty());
          if (p.r.need_hint != 0) {
            BOOST_TEST(p.r.need_hint > k);
            BOOST_TEST(p.r.need_hint <= whole.size());
          }
        }
      }
      const parsed p = parse(whole);
      BOOST_TEST(state_name(p.r.state) == "complete");
      BOOST_TEST(p.r.consumed == whole.size());
      BOOST_TEST(p.args == want, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(need_hint_once_a_bulk_length_is_known) {
  // Header 4 bytes, "$10\r\n" 5 bytes, 10 bytes of data, CRLF: 21 in all.
  const parsed p = parse("*1\r\n$10\r\nab");
  BOOST_TEST(state_name(p.r.state) == "need_more");
  BOOST_TEST(p.r.need_hint == 21u);
  // The hint for a large value lets the caller grow its buffer once.
  const std::string big = "*2\r\n$3\r\nSET\r\n$1000000\r\n";
  const parsed q = parse(big + "xyz");
  BOOST_TEST(state_name(q.r.state) == "need_more");
  BOOST_TEST(q.r.need_hint == big.size() + 1000000 + 2);
  // Before any length is known there is no hint.
  BOOST_TEST(parse("*2\r\n$3").r.need_hint == 0u);
  BOOST_TEST(parse("*2").r.need_hint == 0u);
  BOOST_TEST(parse("GET k").r.need_hint == 0u);
  BOOST_TEST(parse("").r.need_hint == 0u);
}

BOOST_AUTO_TEST_CASE(pipelined_commands_consume_exactly_one_each) {
  const std::vector<std::pair<std::string, strings>> cmds = {
      {multibulk({"SET", "a", "1\r\n"}), {"SET", "a", "1\r\n"}},
      {"GET a\r\n", {"GET", "a"}},
      {"*0\r\n", {}},
      {"\n", {}},
      {multibulk({"DEL", "a"}), {"DEL", "a"}},
      {"PING 'x y'\n", {"PING", "x y"}},
      {multibulk({"GET", std::string("\0\0", 2)}), {"GET", std::string("\0\0", 2)}},
  };
  std::string buf;
  for (const auto& c : cmds) buf += c.first;

  std::vector<std::string_view> args;
  std::string scratch;
  std::string_view rest = buf;
  for (const auto& [bytes, want] : cmds) {
    BOOST_TEST_CONTEXT("command: " << printable(bytes)) {
      const auto r = resp::parse_command(rest, args, scratch, {});
      BOOST_TEST(state_name(r.state) == "complete");
      BOOST_TEST(r.consumed == bytes.size());
      strings got(args.begin(), args.end());
      BOOST_TEST(got == want, boost::test_tools::per_element());
      rest.remove_prefix(r.consumed);
    }
  }
  BOOST_TEST(rest.empty());
  BOOST_TEST(state_name(resp::parse_command(rest, args, scratch, {}).state) == "need_more");
}

BOOST_AUTO_TEST_CASE(pipelined_with_a_partial_second_command) {
  const std::string first = multibulk({"GET", "a"});
  const parsed p = parse(first + "*2\r\n$3\r\nGE");
  BOOST_TEST(state_name(p.r.state) == "complete");
  BOOST_TEST(p.r.consumed == first.size());
  const parsed q = parse("PING\r\nGET");
  BOOST_TEST(state_name(q.r.state) == "complete");
  BOOST_TEST(q.r.consumed == 6u);
}

// ---- parser: malformed input and limits ---------------------------------------

BOOST_AUTO_TEST_CASE(malformed_catalogue) {
  const std::string mbulk_len = "Protocol error: invalid multibulk length";
  const std::string bulk_len = "Protocol error: invalid bulk length";
  const std::string crlf = "Protocol error: expected CRLF after bulk data";
  const std::string unbalanced = "Protocol error: unbalanced quotes in request";
  const std::vector<std::pair<std::string, std::string>> cases = {
      // multibulk count
      {"*-2\r\n", mbulk_len},
      {"*-5\r\n", mbulk_len},
      {"*-9223372036854775808\r\n", mbulk_len},
      {"*99999999999999999999\r\n", mbulk_len},
      {"*9223372036854775808\r\n", mbulk_len},
      {"*9223372036854775807\r\n", mbulk_len},  // fits int64, over max_args
      {"*1048577\r\n", mbulk_len},              // max_args + 1
      {"*abc\r\n", mbulk_len},
      {"*\r\n", mbulk_len},
      {"*+1\r\n", mbulk_len},
      {"*01\r\n", mbulk_len},
      {"*-0\r\n", mbulk_len},
      {"*-\r\n", mbulk_len},
      {"* 1\r\n", mbulk_len},
      {"*1 \r\n", mbulk_len},
      {"*1\rx", mbulk_len},
      {"*1\n$1\r\na\r\n", mbulk_len},  // LF alone does not end the count line
      // bulk header
      {"*1\r\nGET\r\n", "Protocol error: expected '$', got 'G'"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"*1\r\n\r\n", "Protocol error: expected '$', got ' '"},  // CR shown as a space
      {"*1\r\n\n", "Protocol error: expected '$', got ' '"},
      {"*1\r\n\0"s, "Protocol error: expected '$', got '\0'"s},
      {"*1\r\nx", "Protocol error: expected '$', got 'x'"},  // no need to wait for the line
      // bulk length
      {"*1\r\n$-1\r\n", bulk_len},
      {"*1\r\n$-5\r\n", bulk_len},
      {"*1\r\n$abc\r\n", bulk_len},
      {"*1\r\n$\r\n", bulk_len},
      {"*1\r\n$+3\r\nGET\r\n", bulk_len},
      {"*1\r\n$03\r\nGET\r\n", bulk_len},
      {"*1\r\n$3 \r\nGET\r\n", bulk_len},
      {"*1\r\n$99999999999999999999\r\n", bulk_len},
      {"*1\r\n$9223372036854775808\r\n", bulk_len},
      {"*1\r\n$16777217\r\n", bulk_len},  // max_bulk + 1
      {"*1\r\n$4294967296\r\n", bulk_len},
      {"*1\r\n$3\rxGET\r\n", bulk_len},
      // CRLF after the data
      {"*1\r\n$3\r\nGETX\r\n", crlf},
      {"*1\r\n$3\r\nGET\rX", crlf},
      {"*1\r\n$3\r\nGET\n\r", crlf},
      {"*1\r\n$3\r\nGETX", crlf},  // refused as soon as the wrong byte arrives
      {"*2\r\n$3\r\nGET\r\n$1\r\nkk\r\n", crlf},
      {"*1\r\n$0\r\nx\r\n", crlf},
      // inline quotes
      {"SET k \"abc\r\n", unbalanced},
      {"SET k 'abc\r\n", unbalanced},
      {"SET k \"abc\\\"\r\n", unbalanced},  // the quote is escaped
      {"SET k \"abc\\\r\n", unbalanced},    // backslash at the end of the line
      {"SET k 'abc\\'\r\n", unbalanced},
      {"SET k \"abc\"def\r\n", unbalanced},  // closing quote not followed by a blank
      {"SET k 'abc'def\r\n", unbalanced},
      {"SET k \"a\"\"b\"\r\n", unbalanced},
      {"\"\n", unbalanced},
  };
  for (const auto& [in, why] : cases) check_bad(in, why);
}

BOOST_AUTO_TEST_CASE(limits_are_configurable) {
  resp::limits lim;
  lim.max_args = 2;
  lim.max_bulk = 3;
  const parsed ok = parse("*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n", lim);
  BOOST_TEST(state_name(ok.r.state) == "complete");
  check_bad("*3\r\n", "Protocol error: invalid multibulk length", lim);
  check_bad("*2\r\n$3\r\nGET\r\n$4\r\n", "Protocol error: invalid bulk length", lim);
  // Inline commands are limited by max_inline only.
  const parsed in = parse("MSET a b c d\r\n", lim);
  BOOST_TEST(state_name(in.r.state) == "complete");
  BOOST_TEST(in.args.size() == 5u);
}

BOOST_AUTO_TEST_CASE(four_gib_bulk_is_refused_without_allocating) {
  resp::limits lim;
  lim.max_bulk = std::numeric_limits<std::uint32_t>::max();  // even the largest limit
  std::vector<std::string_view> args;
  std::string scratch;
  const auto r = resp::parse_command("*1\r\n$4294967296\r\n", args, scratch, lim);
  BOOST_TEST(state_name(r.state) == "bad");
  BOOST_TEST(r.why == "Protocol error: invalid bulk length");
  BOOST_TEST(r.need_hint == 0u);
  BOOST_TEST(args.capacity() == 0u);
  BOOST_TEST(scratch.capacity() <= std::string().capacity());
}

BOOST_AUTO_TEST_CASE(huge_arg_count_reserves_little) {
  // A count within max_args but with no arguments behind it yet must not
  // make the parser reserve room for a million views.
  std::vector<std::string_view> args;
  std::string scratch;
  const auto r = resp::parse_command("*1048576\r\n$3\r\nGET\r\n", args, scratch, {});
  BOOST_TEST(state_name(r.state) == "need_more");
  BOOST_TEST(args.empty());
  BOOST_TEST(args.capacity() <= 1024u);
}

BOOST_AUTO_TEST_CASE(too_long_lines) {
  resp::limits lim;
  lim.max_inline = 16;
  // Inline: a line of up to max_inline bytes without its newline waits.
  const std::string sixteen(16, 'a');
  BOOST_TEST(state_name(parse(sixteen, lim).r.state) == "need_more");
  check_bad(sixteen + "a", "Protocol error: too big inline request", lim);
  BOOST_TEST(state_name(parse(sixteen + "\n", lim).r.state) == "complete");
  check_bad(sixteen + "a\n", "Protocol error: too big inline request", lim);

  // Multibulk count line.
  const std::string star = "*" + std::string(15, '1');
  BOOST_TEST(state_name(parse(star, lim).r.state) == "need_more");
  check_bad(star + "1", "Protocol error: too big mbulk count string", lim);

  // Bulk length line.
  const std::string dollar = "*1\r\n$" + std::string(15, '1');
  BOOST_TEST(state_name(parse(dollar, lim).r.state) == "need_more");
  check_bad(dollar + "1", "Protocol error: too big bulk count string", lim);

  // The same with the default limit of 64 KiB.
  check_bad(std::string(64 * 1024 + 1, 'a'), "Protocol error: too big inline request");
  check_bad("*" + std::string(64 * 1024, '1'), "Protocol error: too big mbulk count string");
  check_bad("*1\r\n$" + std::string(64 * 1024, '1'), "Protocol error: too big bulk count string");
  BOOST_TEST(state_name(parse(std::string(64 * 1024, 'a')).r.state) == "need_more");
}

BOOST_AUTO_TEST_CASE(large_bulk_payload_is_not_scanned) {
  // A payload full of CR, LF, '*' and '$' must be taken by length only.
  const std::string value(1 << 20, '\r');
  std::string noisy;
  for (int i = 0; i < 4096; ++i) noisy += "*1\r\n$1\r\n";
  const strings want = {"SET", value, noisy};
  check_complete(multibulk(want), want);
}

// ---- writer -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(writer_simple_string_and_error) {
  std::string out;
  resp::simple_string(out, "OK");
  BOOST_TEST(out == "+OK\r\n");
  out.clear();
  resp::simple_string(out, "");
  BOOST_TEST(out == "+\r\n");
  out.clear();
  resp::error(out, "ERR unknown command 'FOO'");
  BOOST_TEST(out == "-ERR unknown command 'FOO'\r\n");
  out.clear();
  resp::error(out, "WRONGTYPE Operation against a key");
  BOOST_TEST(out == "-WRONGTYPE Operation against a key\r\n");
  out.clear();
  // CR and LF cannot end a one-line reply early.
  resp::error(out, "ERR bad\r\n+OK");
  BOOST_TEST(out == "-ERR bad  +OK\r\n");
  out.clear();
  resp::simple_string(out, "a\nb\rc");
  BOOST_TEST(out == "+a b c\r\n");
  out = "x";
  resp::ok(out);
  BOOST_TEST(out == "x+OK\r\n");
}

BOOST_AUTO_TEST_CASE(command_names_match_in_any_ascii_case) {
  BOOST_TEST(resp::iequals("set", "SET"));
  BOOST_TEST(resp::iequals("SeT", "SET"));
  BOOST_TEST(resp::iequals("SET", "SET"));
  BOOST_TEST(resp::iequals("", ""));
  BOOST_TEST(!resp::iequals("SETX", "SET"));
  BOOST_TEST(!resp::iequals("SE", "SET"));
  BOOST_TEST(!resp::iequals("GET", "SET"));
  // Only ASCII letters fold: '{' is not '[' and 0xE9 is not 0xC9.
  BOOST_TEST(!resp::iequals("{", "["));
  BOOST_TEST(!resp::iequals("\xE9", "\xC9"));
}

BOOST_AUTO_TEST_CASE(writer_integer) {
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {0, ":0\r\n"},
      {1, ":1\r\n"},
      {-1, ":-1\r\n"},
      {1000, ":1000\r\n"},
      {std::numeric_limits<std::int64_t>::max(), ":9223372036854775807\r\n"},
      {std::numeric_limits<std::int64_t>::min(), ":-9223372036854775808\r\n"},
  };
  for (const auto& [v, want] : cases) {
    std::string out;
    resp::integer(out, v);
    BOOST_TEST(out == want);
  }
}

BOOST_AUTO_TEST_CASE(writer_bulk) {
  std::string out;
  resp::bulk(out, "abc");
  BOOST_TEST(out == "$3\r\nabc\r\n");
  out.clear();
  resp::bulk(out, "");
  BOOST_TEST(out == "$0\r\n\r\n");
  out.clear();
  resp::bulk(out, "a\0\r\nb"s);
  BOOST_TEST(out == "$5\r\na\0\r\nb\r\n"s);
  out.clear();
  const std::string big(12345, 'z');
  resp::bulk(out, big);
  BOOST_TEST(out == "$12345\r\n" + big + "\r\n");
  out.clear();
  resp::null_bulk(out);
  BOOST_TEST(out == "$-1\r\n");
}

BOOST_AUTO_TEST_CASE(writer_arrays) {
  std::string out;
  resp::array_header(out, 0);
  BOOST_TEST(out == "*0\r\n");
  out.clear();
  resp::array_header(out, 3);
  BOOST_TEST(out == "*3\r\n");
  out.clear();
  resp::array_header(out, std::numeric_limits<std::size_t>::max());
  BOOST_TEST(out == "*" + std::to_string(std::numeric_limits<std::size_t>::max()) + "\r\n");
  out.clear();
  resp::null_array(out);
  BOOST_TEST(out == "*-1\r\n");
}

BOOST_AUTO_TEST_CASE(writer_appends_and_round_trips) {
  std::string out = "prefix";
  resp::array_header(out, 3);
  resp::bulk(out, "SET");
  resp::bulk(out, "k");
  resp::bulk(out, "v\r\n");
  resp::integer(out, 7);
  resp::null_bulk(out);
  resp::null_array(out);
  resp::simple_string(out, "OK");
  BOOST_TEST(out == "prefix*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n:7\r\n$-1\r\n*-1\r\n+OK\r\n");

  // A request written with the writer parses back to the same arguments.
  std::string req;
  const strings args = {"SET", "key", std::string("\0\r\n", 3)};
  resp::array_header(req, args.size());
  for (const auto& a : args) resp::bulk(req, a);
  check_complete(req, args);
}
