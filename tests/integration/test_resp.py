"""The RESP2 text front door (PROTOCOL.md section 9) against a real kv-node,
with Redis' exact reply bytes."""

import shutil
import unittest

from harness import RSS_SLACK_MIB, NodeTestCase, multibulk, run

NULL = b"$-1\r\n"


def bulk(s):
    s = s.encode() if isinstance(s, str) else s
    return b"$%d\r\n%s\r\n" % (len(s), s)


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


class RespTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node()
        self.c = self.resp(self.node)

    def assert_replies(self, conn, pairs):
        """Sends each command (a str is inline, a tuple multibulk) and checks
        the raw reply."""
        for command, expected in pairs:
            got = conn.inline(command) if isinstance(command, str) else conn.cmd(*command)
            self.assertEqual(got, expected, "reply to %r" % (command,))

    def assert_protocol_error(self, raw, why):
        conn = self.resp(self.node)
        conn.send(raw)
        self.assertEqual(conn.read_reply(), b"-ERR Protocol error: " + why + b"\r\n")
        self.assertTrue(conn.is_closed(), "the node should close after %r" % raw)
        self.assertEqual(self.c.inline("PING"), b"+PONG\r\n")  # others still served

    # -- request forms

    def test_inline_commands(self):
        self.c.send(b"SET a 1\r\nGET a\r\n")
        self.assertEqual(self.c.replies(2), [b"+OK\r\n", bulk("1")])
        self.c.send(b"get a\n\r\n  \r\nEXISTS   a\t a\n")  # bare LF, blank lines, tabs
        self.assertEqual(self.c.replies(2), [bulk("1"), b":2\r\n"])

    def test_inline_quoted_args(self):
        self.assert_replies(self.c, [
            ('SET "a b" "x\\ny\\x00\\xff"', b"+OK\r\n"),
            (("GET", "a b"), bulk(b"x\ny\x00\xff")),
            ("SET 'it\\'s' 'single \"q\"'", b"+OK\r\n"),
            (("GET", "it's"), bulk('single "q"')),
            ('ECHO ""', bulk("")),
        ])

    def test_multibulk_binary_safe(self):
        key, value = b"k\x00\r\n\xff", b"\r\n\x00" * 10
        self.assert_replies(self.c, [((b"SET", key, value), b"+OK\r\n"),
                                     ((b"GET", key), bulk(value))])
        self.c.send(b"*0\r\n*-1\r\n" + multibulk("PING"))  # empty commands are skipped
        self.assertEqual(self.c.read_reply(), b"+PONG\r\n")

    def test_pipelined_commands(self):
        self.c.send(b"".join(multibulk("SET", "p%d" % i, "v%d" % i) for i in range(200)) +
                    b"".join(multibulk("GET", "p%d" % i) for i in range(200)) + b"DBSIZE\r\n")
        self.assertEqual(self.c.replies(401),
                         [b"+OK\r\n"] * 200 + [bulk("v%d" % i) for i in range(200)] +
                         [b":200\r\n"])

    def test_pipelined_big_replies_are_not_all_buffered(self):
        value = b"v" * (4 << 20)
        self.assertEqual(self.c.cmd("SET", "big", value), b"+OK\r\n")
        before = self.node.rss_kib()
        self.c.send(b"GET big\r\n" * 64)
        peak = 0
        for _ in range(64):
            peak = max(peak, self.node.rss_kib() - before)
            self.assertEqual(self.c.read_reply(), bulk(value))
        self.assertLess(peak, (64 + RSS_SLACK_MIB) * 1024, "node RSS grew by %d KiB" % peak)

    def test_command_split_across_sends(self):
        for byte in multibulk("SET", "slow", "value"):
            self.c.send(bytes([byte]))
        self.assertEqual(self.c.read_reply(), b"+OK\r\n")

    # -- commands

    def test_ping_echo(self):
        self.assert_replies(self.c, [
            ("PING", b"+PONG\r\n"), ("ping hello", bulk("hello")), ("PING a b", arity("ping")),
            ("ECHO hi", bulk("hi")), ("ECHO", arity("echo")), ("ECHO a b", arity("echo")),
        ])

    def test_get_set(self):
        self.assert_replies(self.c, [
            ("GET k", NULL), ("SET k v", b"+OK\r\n"), ("gEt k", bulk("v")),
            ("SET k v2 NX", NULL), ("GET k", bulk("v")),
            ("SET k v3 xx", b"+OK\r\n"), ("GET k", bulk("v3")),
            ("SET n v XX", NULL), ("GET n", NULL),
            ("SET n v nx", b"+OK\r\n"), ("GET n", bulk("v")),
            ("SET k v NX XX", b"-ERR syntax error\r\n"),
            ("SET k v BOGUS", b"-ERR syntax error\r\n"),
            ("SET e v EX 10", b"-ERR expiry options are not supported by dkv\r\n"),
            ("SET e v px 10", b"-ERR expiry options are not supported by dkv\r\n"),
            ("SET k v KEEPTTL", b"-ERR expiry options are not supported by dkv\r\n"),
            ("GET e", NULL), ("GET k", bulk("v3")),
            ("GET", arity("get")), ("GET a b", arity("get")), ("SET a", arity("set")),
        ])

    def test_del_exists(self):
        self.assert_replies(self.c, [
            ("MSET a 1 b 2 c 3", b"+OK\r\n"),
            ("EXISTS a b missing a", b":3\r\n"), ("DEL a b missing", b":2\r\n"),
            ("DEL a", b":0\r\n"), ("EXISTS a b c", b":1\r\n"),
            ("DEL", arity("del")), ("EXISTS", arity("exists")),
        ])

    def test_mget_mset(self):
        self.assert_replies(self.c, [
            ("MSET a 1 b 2", b"+OK\r\n"),
            ("MGET a missing b", b"*3\r\n" + bulk("1") + NULL + bulk("2")),
            ("MSET a 1 b", arity("mset")), ("MSET a", arity("mset")), ("MGET", arity("mget")),
            ("GET b", bulk("2")),
        ])

    def test_dbsize_info(self):
        self.assert_replies(self.c, [("DBSIZE", b":0\r\n"), ("MSET a 1 b 2", b"+OK\r\n"),
                                     ("DBSIZE", b":2\r\n"), ("DBSIZE x", arity("dbsize"))])
        for command in ["INFO", "INFO keyspace"]:
            info = self.c.inline(command)
            self.assertTrue(info.startswith(b"$"))
            self.assertIn(b"\r\nkeys:2\r\n", info)

    def test_quit(self):
        self.c.send(b"QUIT\r\nPING\r\n")
        self.assertEqual(self.c.read_reply(), b"+OK\r\n")
        self.assertTrue(self.c.is_closed())

    def test_command_config_select(self):
        self.assert_replies(self.c, [
            ("COMMAND", b"*0\r\n"), ("COMMAND DOCS", b"*0\r\n"), ("COMMAND COUNT", b":0\r\n"),
            ("CONFIG GET save", b"*2\r\n" + bulk("save") + bulk("")),
            ("CONFIG GET appendonly", b"*2\r\n" + bulk("appendonly") + bulk("no")),
            ("CONFIG GET nothing", b"*0\r\n"),
            ("SELECT 0", b"+OK\r\n"), ("SELECT 1", b"-ERR DB index is out of range\r\n"),
            ("SELECT", arity("select")),
        ])
        self.assertTrue(self.c.inline("CONFIG GET *").startswith(b"*8\r\n"))
        self.assertTrue(self.c.inline("CONFIG SET save x").startswith(b"-ERR "))

    def test_unknown_command(self):
        self.assert_replies(self.c, [
            ("FOO", b"-ERR unknown command 'FOO', with args beginning with: \r\n"),
            ("foo a b", b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"),
            ((b"X\r\nY", b"\n"),  # CR/LF never break the framing of an error
             b"-ERR unknown command 'X  Y', with args beginning with: ' ' \r\n"),
            ("PING", b"+PONG\r\n"),
        ])

    def test_key_limit(self):
        long_key = "k" * (64 * 1024 + 1)
        self.assert_replies(self.c, [
            (("SET", long_key, "v"), b"-ERR key exceeds max key size\r\n"),
            (("GET", long_key), b"-ERR key exceeds max key size\r\n"),
            (("MGET", "a", long_key), b"*2\r\n" + NULL + NULL),
            (("SET", "k" * 64 * 1024, "v"), b"+OK\r\n"), ("PING", b"+PONG\r\n"),
        ])

    def test_shared_with_binary_side(self):
        self.assertEqual(self.c.cmd("SET", b"x\x00", b"\xff"), b"+OK\r\n")
        self.assertEqual(self.binary(self.node).get(b"x\x00").value, b"\xff")

    # -- protocol errors: reply, then close

    def test_protocol_errors(self):
        cases = [
            (b"*abc\r\n", b"invalid multibulk length"),
            (b"*1\r\n$-5\r\n", b"invalid bulk length"),
            (b'SET "a 1\r\n', b"unbalanced quotes in request"),
            (b"*1\r\n$4294967296\r\n", b"invalid bulk length"),
            (b"*1\r\nGET\r\n", b"expected '$', got 'G'"),
            (b"*1\r\n$3\r\nGETX\r\n", b"expected CRLF after bulk data"),
            (b"x" * (64 * 1024 + 1), b"too big inline request"),
        ]
        for raw, why in cases:
            with self.subTest(raw=raw[:20]):
                self.assert_protocol_error(raw, why)

    def test_protocol_error_after_good_command(self):
        conn = self.resp(self.node)
        conn.send(b"SET a 1\r\n*abc\r\nGET a\r\n")
        self.assertEqual(conn.replies(2),
                         [b"+OK\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"])
        self.assertTrue(conn.is_closed())
        self.assertEqual(self.c.inline("GET a"), bulk("1"))

    # -- real clients

    @unittest.skipUnless(shutil.which("redis-cli"), "redis-cli is not on PATH")
    def test_redis_cli(self):
        cli = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.node.port)]
        r = run(cli + ["set", "k", "v"])
        self.assertEqual((r.returncode, r.stdout), (0, b"OK\n"), r.stderr)
        r = run(cli + ["get", "k"])
        self.assertEqual((r.returncode, r.stdout), (0, b"v\n"), r.stderr)

    def test_redis_benchmark_while_the_loop_naps(self):
        """50 connections of redis-benchmark keep the node's loop busy enough
        to nap (--loop-nap-us 100: from one request per 100 us): every
        request is answered (redis-benchmark stops at the first error), and
        INFO counts the naps; with --loop-nap-us 0 the loop never naps."""
        for nap, naps in ((100, True), (0, False)):
            node = self.start_node(node_id="nap%d" % nap, loop_nap_us=nap)
            r = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(node.port), "-c", "50",
                     "-n", "20000", "-r", "1000", "-t", "set,get", "-q"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn(b"ERR", r.stdout + r.stderr)
            info = self.info(node)
            self.assertGreaterEqual(int(info["total_commands_processed"]), 40000)
            self.assertEqual(int(info["loop_naps"]) > 0, naps, info)
            self.assertEqual(int(info["loop_nap_hits"]) > 0, naps, info)

    @unittest.skipUnless(shutil.which("nc"), "nc is not on PATH")
    def test_nc(self):
        r = run(["sh", "-c", "printf 'SET a 1\\r\\nGET a\\r\\n' | nc -q1 127.0.0.1 %d"
                 % self.node.port])
        self.assertEqual(r.stdout, b"+OK\r\n$1\r\n1\r\n", r.stderr)


if __name__ == "__main__":
    unittest.main()
