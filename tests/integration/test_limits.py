"""Connection limits (README flag table; src/node/server.cpp): --max-connections,
--max-output-bytes, --client-write-timeout-ms, --request-timeout-ms and
--idle-timeout-ms against a real kv-node with short limits."""

import os
import socket
import time
import unittest

from harness import (HOST, RSS_SLACK_MIB, TOO_LARGE, NodeTestCase, RespClient, multibulk,
                     poll)

REFUSED = b"-ERR max number of clients reached\r\n"


def fd_count(node):
    return len(os.listdir("/proc/%d/fd" % node.pid))


class LimitsTest(NodeTestCase):
    def start_limited(self, **flags):
        flags = dict(dict(no_repl=True, max_connections=3, request_timeout_ms=300,
                          client_write_timeout_ms=300), **flags)
        node = self.start_node(**flags)
        return node, fd_count(node)

    def info_when_free(self, node):
        """INFO once a connection slot is free (closes are seen asynchronously)."""
        got = {}

        def attempt():
            try:
                got.update(self.info(node))
            except (OSError, ValueError):
                return False
            return "rejected_connections" in got  # a refused INFO parses as {}

        self.assertTrue(poll(attempt), "no INFO answer")
        return got

    def assert_fds_back(self, node, baseline):
        self.assertTrue(poll(lambda: fd_count(node) <= baseline),
                        "fds: %d, baseline %d" % (fd_count(node), baseline))

    def test_extra_connection_is_refused_and_others_keep_working(self):
        node, baseline = self.start_limited()
        clients = [RespClient(node.port) for _ in range(3)]
        for c in clients:
            self.assertEqual(c.inline("PING"), b"+PONG\r\n")
        extra = socket.create_connection((HOST, node.port), timeout=5)
        data = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            data += chunk
        extra.close()
        self.assertEqual(data, REFUSED)
        for c in clients:
            self.assertEqual(c.cmd("SET", "k", "v"), b"+OK\r\n")
            self.assertEqual(c.cmd("GET", "k"), b"$1\r\nv\r\n")
        for c in clients:
            c.close()
        info = self.info_when_free(node)
        self.assertGreaterEqual(int(info["rejected_connections"]), 1)
        self.assertTrue(node.wait_log("--max-connections"))
        self.assert_fds_back(node, baseline)

    def test_slowloris_is_closed_after_the_request_timeout(self):
        node, baseline = self.start_limited()
        healthy = RespClient(node.port)
        request = multibulk("SET", "slow", "x" * 100)
        s = socket.create_connection((HOST, node.port), timeout=5)
        started = time.monotonic()
        closed_after = None
        for byte in request:
            try:
                s.sendall(bytes([byte]))
            except OSError:
                closed_after = time.monotonic() - started
                break
            s.settimeout(0.1)
            try:
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - started
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_after = time.monotonic() - started
                break
        s.close()
        self.assertIsNotNone(closed_after, "a 1-byte-per-100-ms sender was never closed")
        self.assertLess(closed_after, 1.5)
        self.assertEqual(healthy.inline("PING"), b"+PONG\r\n")
        healthy.close()
        info = self.info_when_free(node)
        self.assertEqual(int(info["closed_slow_senders"]), 1)
        self.assertTrue(node.wait_log("--request-timeout-ms"))
        self.assert_fds_back(node, baseline)

    def test_idle_connection_is_not_a_slow_sender(self):
        node, _ = self.start_limited()
        c = self.resp(node)
        self.assertEqual(c.inline("PING"), b"+PONG\r\n")
        time.sleep(0.8)
        self.assertEqual(c.inline("PING"), b"+PONG\r\n")

    def test_idle_timeout_closes_quiet_clients_but_not_peers(self):
        n1, n2 = self.start_cluster(2, idle_timeout_ms=400)
        handshakes = self.info_when_free(n1)["peers_authenticated"]
        quiet, busy = self.resp(n1), self.resp(n1)
        started = time.monotonic()
        for _ in range(12):  # 1.2 s of a ping every 100 ms
            self.assertEqual(busy.inline("PING"), b"+PONG\r\n")
            time.sleep(0.1)
        self.assertTrue(quiet.is_closed(timeout=0.1))
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(busy.inline("PING"), b"+PONG\r\n")
        self.assertTrue(n1.wait_log("idle for 400 ms (--idle-timeout-ms)"))
        # Peer links are quiet between heartbeats, yet stay up: the cluster
        # keeps working and no peer connection is counted as idle.
        self.wait_settled([n1, n2])
        self.assertEqual(self.resp(n2).cmd("SET", "over", "1"), b"+OK\r\n")
        info = self.info_when_free(n1)
        self.assertGreaterEqual(int(info["closed_idle"]), 1)
        self.assertEqual(info["peers_authenticated"], handshakes)  # never reconnected

    def test_client_that_never_reads_is_closed_and_rss_stays_bounded(self):
        node, baseline = self.start_limited()
        value = b"v" * (1 << 20)
        setter = RespClient(node.port)
        self.assertEqual(setter.cmd("SET", "big", value), b"+OK\r\n")
        setter.close()
        rss_before = node.rss_kib()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        s.connect((HOST, node.port))
        # 500 MiB of replies asked for, none read.
        s.sendall(multibulk("GET", "big") * 500)
        info = {}

        def counted():
            info.update(self.info_when_free(node))
            return int(info["closed_slow_writers"]) >= 1

        self.assertTrue(poll(counted), "the non-reading client was not closed: %s" % info)
        growth_mib = (node.rss_kib() - rss_before) / 1024
        self.assertLess(growth_mib, 64 + RSS_SLACK_MIB, "RSS grew by %.1f MiB" % growth_mib)
        s.close()
        self.assertTrue(node.wait_log("--client-write-timeout-ms"))
        self.assert_fds_back(node, baseline)

    def test_reply_over_max_output_bytes_closes_the_connection(self):
        node, baseline = self.start_limited(max_output_bytes=65536)
        c = RespClient(node.port)
        self.assertEqual(c.cmd("SET", "big", b"v" * 100000), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "small", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("GET", "small"), b"$1\r\nv\r\n")
        c.send(multibulk("GET", "big"))
        self.assertTrue(c.is_closed())
        c.close()
        info = self.info_when_free(node)
        self.assertEqual(int(info["closed_slow_writers"]), 1)
        self.assertTrue(node.wait_log("--max-output-bytes"))
        self.assert_fds_back(node, baseline)

    def test_mget_reply_is_bounded_by_max_frame(self):
        """An MGET whose reply would exceed --max-frame is answered TOO_LARGE
        (RESP: an error) instead of being built: a big value listed 50000
        times (15 GB of reply) is refused at once, the node's memory does not
        grow, and the connection goes on."""
        node = self.start_node(no_repl=True, max_frame=1 << 20)
        big = b"v" * 300000
        c = self.binary(node)
        c.put(b"big", big)
        c.put(b"small", b"s")
        self.assertEqual(c.mget([b"big"] * 3 + [b"none"]).mget_values(), [big] * 3 + [None])
        message = "MGET reply exceeds max-frame (1048576 bytes)"
        r = c.mget([b"big"] * 4)
        self.assertEqual((r.status, r.message), (TOO_LARGE, message))
        rss = node.rss_kib()
        r = c.mget([b"big"] * 50000)
        self.assertEqual((r.status, r.message), (TOO_LARGE, message))
        self.assertEqual(c.mget([b"small"]).mget_values(), [b"s"])
        resp = RespClient(node.port)
        self.assertEqual(resp.cmd("MGET", *["big"] * 50000), b"-ERR " + message.encode() + b"\r\n")
        self.assertEqual(resp.cmd("MGET", "small", "none"), b"*2\r\n$1\r\ns\r\n$-1\r\n")
        self.assertLess(node.rss_kib() - rss, (64 + RSS_SLACK_MIB) * 1024)
        resp.close()


if __name__ == "__main__":
    unittest.main()
