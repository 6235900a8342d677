"""The binary protocol of protocol/PROTOCOL.md against a real kv-node."""

import struct
import unittest

from auth_wire import GOSSIP, PEER_HELLO, peer_hello_body
from harness import (BAD_MAGIC, BAD_VERSION, DEL, GET, HELLO, MALFORMED, MGET, NOT_ALLOWED,
                     NOT_FOUND, OK, PING, PUT, RSS_SLACK_MIB, STATS, TOO_LARGE, UNKNOWN_OPCODE,
                     NodeTestCase, b, frame, hello_body, mget_body)

WEIRD = b"\x00\r\n\xff"  # binary-safe bytes for keys and values


class BinaryTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node(cluster="dkv")
        self.health = self.binary(self.node)
        self.client = self.binary(self.node)
        self.checks = 0

    def assert_healthy(self):
        """The health connection still serves PUT and GET."""
        self.checks += 1
        key, value = b"health-%d" % self.checks, b"ok\x00%d" % self.checks
        self.assertEqual(self.health.put(key, value).status, OK)
        self.assertEqual(self.health.get(key).value, value)

    def assert_error(self, reply, status, message):
        self.assertEqual((reply.status, reply.message), (status, message))

    def assert_closed(self, conn):
        self.assertTrue(conn.is_closed(), "the node should close the connection")

    # -- round trips

    def test_hello_client(self):
        r = self.client.request(HELLO, hello_body())
        self.assertEqual(r.status, OK)
        self.assertEqual(r.rest, b"\x01" + b("n1") + b("dkv"))

    def test_hello_with_node_id_is_not_a_peer(self):
        # Only the peer handshake makes a peer: a HELLO's node id is informational.
        r = self.client.request(HELLO, hello_body(b"n2", b"dkv"))
        self.assertEqual(r.rest, b"\x01" + b("n1") + b("dkv"))
        r = self.client.request(GOSSIP, b"")
        self.assert_error(r, NOT_ALLOWED, "peer opcode on a client connection")
        self.assertEqual(self.client.ping(b"after").value, b"after")

    def test_hello_bad_body_version_keeps_connection(self):
        r = self.client.request(HELLO, hello_body(version=2))
        self.assert_error(r, BAD_VERSION, "unsupported protocol version")
        self.assertEqual(self.client.ping(b"x").value, b"x")

    def test_peer_hello_other_cluster_refused_and_closed(self):
        r = self.client.request(PEER_HELLO, peer_hello_body("n9", "other", has_secret=False),
                                rid=0)
        self.assert_error(r, NOT_ALLOWED, "node belongs to another cluster")
        self.assert_closed(self.client)
        self.assert_healthy()

    def test_ping_exact_bytes(self):
        # The PROTOCOL.md examples, byte for byte.
        self.client.send(bytes.fromhex("DB010200 00000002 00000000"))
        self.assertEqual(self.client.read_reply().raw,
                         bytes.fromhex("DB010201 00000002 00000005 00 00000000"))
        self.client.send(bytes.fromhex("DB010200 00000003 00000006 00000002 6869"))
        self.assertEqual(self.client.read_reply().raw,
                         bytes.fromhex("DB010201 00000003 00000007 00 00000002 6869"))

    def test_ping_payloads(self):
        self.assertEqual(self.client.ping().fields(), [b""])
        self.assertEqual(self.client.ping(b"").fields(), [b""])
        self.assertEqual(self.client.ping(WEIRD).fields(), [WEIRD])

    def test_put_get_del_binary_safe(self):
        c = self.client
        for key, value in [(WEIRD, WEIRD * 3), (b"", b"empty key"), (b"k", b""),
                           (b"\xff" * 300, b"\r\n" * 100)]:
            self.assertEqual(c.put(key, value).rest, b"")
            r = c.get(key)
            self.assertEqual((r.status, r.value), (OK, value))
        self.assertEqual(c.put(WEIRD, b"v2").status, OK)
        self.assertEqual(c.get(WEIRD).value, b"v2")
        self.assertEqual(c.delete(WEIRD).raw[12:], b"\x00")
        self.assertEqual(c.delete(WEIRD).raw[12:], b"\x01")
        self.assertEqual(c.get(WEIRD).body, bytes([NOT_FOUND]))

    def test_conditional_put_flags(self):
        c = self.client
        if_absent, if_present = 0x08, 0x10
        body = b(b"cond") + b(b"first")
        self.assertEqual(c.request(PUT, body, flags=if_present).status, NOT_FOUND)
        self.assertEqual(c.get(b"cond").status, NOT_FOUND)
        self.assertEqual(c.request(PUT, body, flags=if_absent).status, OK)
        self.assertEqual(c.request(PUT, b(b"cond") + b(b"second"), flags=if_absent).status,
                         NOT_FOUND)
        self.assertEqual(c.get(b"cond").value, b"first")
        self.assertEqual(c.request(PUT, b(b"cond") + b(b"third"), flags=if_present).status, OK)
        self.assertEqual(c.get(b"cond").value, b"third")

    def test_mget(self):
        c = self.client
        c.put(b"a", b"1")
        c.put(WEIRD, WEIRD)
        r = c.mget([b"a", b"missing", WEIRD, b"a"])
        self.assertEqual(r.mget_values(), [b"1", None, WEIRD, b"1"])
        self.assertEqual(c.mget([]).rest, b"\x00\x00\x00\x00")

    def test_stats(self):
        self.client.put(b"x", b"y")
        text = self.client.stats()
        self.assertIn("keys:1\r\n", text)
        self.assertIn("node_id:n1\r\n", text)
        self.assertIn("address:%s\r\n" % self.node.addr, text)
        self.assertTrue(text.endswith("\r\n"))

    def test_one_mib_value(self):
        value = bytes(range(256)) * 4096
        self.assertEqual(self.client.put(b"big", value).status, OK)
        self.assertEqual(self.client.get(b"big").value, value)

    def test_frame_sent_byte_by_byte(self):
        for byte in frame(PUT, b(b"slow") + b(b"value"), rid=5):
            self.client.send(bytes([byte]))
        self.assertEqual(self.client.read_reply().status, OK)
        self.assertEqual(self.client.get(b"slow").value, b"value")

    def test_pipelining_1000_requests(self):
        batch, expect = b"", {}
        for i in range(1000):
            rid = 0xFFFFFFFF - i * 7919  # distinct, not ordered
            key = b"p%d" % (i // 2)
            if i % 2 == 0:
                batch += frame(PUT, b(key) + b(b"v%d" % i), rid=rid)
                expect[rid] = (PUT, b"\x00")
            else:
                batch += frame(GET, b(key), rid=rid)
                expect[rid] = (GET, b"\x00" + b(b"v%d" % (i - 1)))
        self.client.send(batch)
        seen = {}
        for _ in range(1000):
            r = self.client.read_reply()
            self.assertNotIn(r.rid, seen)
            seen[r.rid] = (r.opcode, r.body)
        self.assertEqual(seen, expect)

    def test_pipelined_big_replies_are_not_all_buffered(self):
        # 64 GETs of a 4 MiB value fit in one small read; their 256 MiB of
        # replies must not be built in memory before the client reads them.
        value = b"v" * (4 << 20)
        self.assertEqual(self.client.put(b"big", value).status, OK)
        before = self.node.rss_kib()
        self.client.send(b"".join(frame(GET, b(b"big"), rid=i) for i in range(64)))
        peak = 0
        for i in range(64):
            peak = max(peak, self.node.rss_kib() - before)
            r = self.client.read_reply()
            self.assertEqual((r.rid, r.status, len(r.body)), (i, OK, 5 + len(value)))
        self.assertLess(peak, (64 + RSS_SLACK_MIB) * 1024, "node RSS grew by %d KiB" % peak)

    # -- framing errors: reply, then close

    def test_bad_magic_after_valid_frame(self):
        self.client.send(frame(PING, b(b"first"), rid=1) + b"GET k\r\n")
        self.assertEqual(self.client.read_reply().value, b"first")
        r = self.client.read_reply()
        self.assertEqual(r.raw, bytes.fromhex(
            "DB010001 00000000 00000013 14 0000000E") + b"bad magic byte")
        self.assert_closed(self.client)
        self.assert_healthy()

    def test_bad_version_closes(self):
        self.client.send(bytes.fromhex("DB020300 00000010 00000006"))
        self.assertEqual(self.client.read_reply().raw, bytes.fromhex(
            "DB010301 00000010 00000021 13 0000001C") + b"unsupported protocol version")
        self.assert_closed(self.client)
        self.assert_healthy()

    def test_four_gib_header_refused_without_allocating(self):
        before = self.node.rss_kib()
        self.client.send(frame(PUT, rid=15, length=0xFFFFFFFF))
        r = self.client.read_reply()
        self.assertEqual(r.raw, bytes.fromhex(
            "DB010401 0000000F 00000021 12 0000001C") + b"frame body exceeds max-frame")
        self.assert_closed(self.client)
        self.assert_healthy()
        self.assertLess(self.node.rss_kib() - before, (4 + RSS_SLACK_MIB) * 1024,
                        "RSS grew by more than 4 MiB")

    def test_max_frame_boundary(self):
        node = self.start_node("small", max_frame=1024)
        c = self.binary(node)
        value = b"v" * (1024 - 4 - 1 - 4)  # body = key field + value field = 1024 bytes
        self.assertEqual(c.put(b"k", value).status, OK)
        c.send(frame(PUT, b(b"k") + b(value + b"!"), rid=3))
        self.assert_error(c.read_reply(), TOO_LARGE, "frame body exceeds max-frame")
        self.assert_closed(c)
        self.assertEqual(self.binary(node).get(b"k").value, value)

    # -- body errors: reply, connection stays open

    def test_unknown_opcode(self):
        self.client.send(bytes.fromhex("DB017F00 00000009 00000000"))
        self.assertEqual(self.client.read_reply().raw, bytes.fromhex(
            "DB017F01 00000009 00000013 11 0000000E") + b"unknown opcode")
        r = self.client.request(0x7F, b"body is skipped")
        self.assert_error(r, UNKNOWN_OPCODE, "unknown opcode")
        self.assertEqual(self.client.ping(b"still").value, b"still")
        self.assert_healthy()

    def test_protocol_errors_counted_once(self):
        self.client.request(0x7F)
        self.client.request(GET, b"\x00")
        self.assertIn("protocol_errors:2\r\n", self.client.stats())

    def test_truncated_body(self):
        self.client.send(bytes.fromhex("DB010300 00000011 00000006 00000005 6B31"))
        self.assertEqual(self.client.read_reply().raw, bytes.fromhex(
            "DB010301 00000011 00000013 10 0000000E") + b"truncated body")
        self.assert_error(self.client.request(PUT, b(b"k")), MALFORMED, "truncated body")
        self.assertEqual(self.client.put(b"k", b"v").status, OK)
        self.assert_healthy()

    def test_trailing_bytes(self):
        self.assert_error(self.client.request(DEL, b(b"k") + b"x"), MALFORMED,
                          "trailing bytes after body")
        self.assert_error(self.client.request(STATS, b"x"), MALFORMED, "STATS takes no body")
        self.assertEqual(self.client.ping(b"ok").value, b"ok")
        self.assert_healthy()

    def test_mget_huge_count_is_malformed(self):
        r = self.client.request(MGET, struct.pack(">I", 0xFFFFFFFF))
        self.assert_error(r, MALFORMED, "truncated body")
        self.assertEqual(self.client.mget([b"none"]).mget_values(), [None])
        self.assert_healthy()

    def test_key_size_limit(self):
        limit = 64 * 1024
        self.assertEqual(self.client.put(b"k" * limit, b"v").status, OK)
        self.assertEqual(self.client.get(b"k" * limit).value, b"v")
        for op, body in [(PUT, b(b"k" * (limit + 1)) + b(b"v")), (GET, b(b"k" * (limit + 1))),
                         (DEL, b(b"k" * (limit + 1))), (MGET, mget_body([b"a", b"k" * (limit + 1)]))]:
            self.assert_error(self.client.request(op, body), TOO_LARGE, "key exceeds max key size")
        self.assertEqual(self.client.ping(b"alive").value, b"alive")
        self.assert_healthy()

    def test_errors_do_not_disturb_pipelined_neighbours(self):
        self.client.send(frame(PUT, b(b"n") + b(b"1"), rid=1) + frame(0x7F, rid=2) +
                         frame(GET, b"\x00\x00", rid=3) + frame(GET, b(b"n"), rid=4))
        replies = {r.rid: r for r in (self.client.read_reply() for _ in range(4))}
        self.assertEqual(replies[1].status, OK)
        self.assertEqual(replies[2].status, UNKNOWN_OPCODE)
        self.assertEqual(replies[3].status, MALFORMED)
        self.assertEqual(replies[4].value, b"1")
        self.assert_healthy()


if __name__ == "__main__":
    unittest.main()
