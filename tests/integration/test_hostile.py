"""Hostile input (issue "Robustness and security"): 10,000 malformed binary
frames and RESP commands from a catalogue, one per connection over many
concurrent connections, while a health client keeps doing SET/GET. Every bad
connection must be answered or closed within 1 s, the health client must see
no error, RSS must stay bounded and the node's fds must return to baseline."""

import os
import random
import socket
import struct
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from auth_wire import AUTH, PEER_HELLO, PEER_PROOF, peer_hello_body
from harness import (DEL, GET, HELLO, HOST, MAGIC, MGET, PING, PUT, RSS_SLACK_MIB, STATS,
                     NodeTestCase, RespClient, frame, multibulk, poll)

TOTAL = 10000
WORKERS = 48
ANSWER_WITHIN = 1.0


def fd_count(node):
    return len(os.listdir("/proc/%d/fd" % node.pid))


def garbage(rng, n, first=None):
    """Random bytes without '\\n' (so that RESP garbage cannot end on a
    command boundary), starting with `first` when given."""
    data = bytes(rng.randrange(256) for _ in range(n)).replace(b"\n", b"x")
    if first is not None:
        data = bytes([first]) + data[1:]
    elif data[:1] == bytes([MAGIC]):
        data = b"?" + data[1:]
    return data


def catalogue(rng):
    """(name, bytes) of malformed inputs; the names are for failure messages."""
    big = 0xFFFFFFFF
    good_put = frame(PUT, struct.pack(">I", 1) + b"k" + struct.pack(">I", 1) + b"v")
    return [
        # binary frames
        ("4 GiB length", frame(GET, b"", length=big)),
        ("4 GiB length + bytes", frame(PUT, b"x" * 64, length=big)),
        ("length over max-frame", frame(PUT, b"", length=(1 << 20) + 1)),
        ("unknown opcode", frame(0xEE, b"")),
        ("unknown opcode 0", frame(0, b"abc")),
        ("bad version", frame(PING, version=0x7F)),
        ("reply flag on a request", frame(PING, flags=0x01)),
        ("reserved flags", frame(PING, flags=0xF0)),
        ("wrong magic in 2nd frame", frame(PING) + frame(PING, magic=0xDC)),
        ("key length past body", frame(GET, struct.pack(">I", 1000) + b"k")),
        ("key length 4 GiB", frame(GET, struct.pack(">I", big) + b"k")),
        ("put value length past body", frame(PUT, struct.pack(">I", 1) + b"k"
                                              + struct.pack(">I", big))),
        ("put trailing bytes", good_put[:8] + struct.pack(">I", len(good_put) - 12 + 3)
         + good_put[12:] + b"zzz"),
        ("mget huge count", frame(MGET, struct.pack(">I", big))),
        ("mget count past body", frame(MGET, struct.pack(">I", 3) + struct.pack(">I", 1) + b"a")),
        ("del empty body", frame(DEL, b"")),
        ("stats with body", frame(STATS, b"junk")),
        ("hello garbage", frame(HELLO, garbage(rng, 40, first=0x00))),
        ("auth trailing bytes", frame(AUTH, struct.pack(">I", 2) + b"pwXX")),
        ("auth length 4 GiB", frame(AUTH, struct.pack(">I", big) + b"pw")),
        ("peer hello garbage", frame(PEER_HELLO, garbage(rng, 90))),
        ("peer hello truncated nonce", frame(PEER_HELLO, peer_hello_body("x")[:-7])),
        ("peer hello has_secret 7", frame(PEER_HELLO, peer_hello_body("x")[:-33] + b"\x07"
                                          + b"\x00" * 32)),
        ("peer proof alone", frame(PEER_PROOF, b"\x00" * 32)),
        ("peer proof short", frame(PEER_HELLO, peer_hello_body("x")) + frame(PEER_PROOF, b"ab")),
        ("join without handshake", frame(0x41, garbage(rng, 30))),
        ("truncated header", frame(PING)[:7]),
        ("truncated body", frame(PUT, b"x" * 100)[:60]),
        ("magic then garbage", garbage(rng, 200, first=MAGIC)),
        # RESP
        ("mbulk count overflow", b"*99999999999999999999999\r\n"),
        ("mbulk count huge", b"*4294967296\r\n"),
        ("mbulk count negative", b"*-7\r\n$3\r\nGET\r\n"),
        ("mbulk count junk", b"*1x\r\n"),
        ("bulk length overflow", b"*1\r\n$99999999999999999999\r\n"),
        ("bulk length 4 GiB", b"*1\r\n$4294967296\r\n"),
        ("bulk length negative", b"*1\r\n$-5\r\n"),
        ("bulk without $", b"*1\r\n:3\r\nGET\r\n"),
        ("bulk missing CRLF", b"*1\r\n$3\r\nGETXY"),
        ("truncated command", multibulk("SET", "key", "value")[:-5]),
        ("truncated header line", b"*2\r\n$3"),
        ("inline unbalanced quotes", b'SET "abc\r\n'),
        ("inline unknown", b"FOOBAR 1 2 3\r\n"),
        ("huge inline", b"a" * (100 << 10)),
        ("resp garbage", garbage(rng, 300)),
    ]


def probe(name, data):
    """Sends one malformed input on a fresh connection; returns None when the
    node answers or closes within ANSWER_WITHIN, else a description."""
    s = socket.create_connection((HOST, PORT[0]), timeout=5)
    try:
        started = time.monotonic()
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return None  # closed while we were still sending
        s.settimeout(ANSWER_WITHIN)
        try:
            s.recv(65536)  # bytes: answered; b"": closed
            return None
        except ConnectionResetError:
            return None
        except socket.timeout:
            return "%s: no answer and not closed after %.2f s" % (
                name, time.monotonic() - started)
    finally:
        s.close()


PORT = [0]


class HostileTest(NodeTestCase):
    def test_ten_thousand_malformed_inputs(self):
        node = self.start_node(no_repl=True, max_frame=1 << 20, request_timeout_ms=300,
                               client_write_timeout_ms=1000)
        PORT[0] = node.port
        rng = random.Random(1234)
        kinds = catalogue(rng)
        inputs = [kinds[i % len(kinds)] for i in range(TOTAL)]
        rng.shuffle(inputs)

        # Warm up (allocator, buffers) before the baselines.
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda kv: probe(*kv), inputs[:500]))
        self.assertTrue(poll(lambda: int(self.info(node)["connected_clients"]) == 1))
        fds = fd_count(node)
        rss = node.rss_kib()

        stop = threading.Event()
        health = {"ops": 0, "errors": []}

        def run_health():
            c = RespClient(node.port)
            try:
                i = 0
                while not stop.is_set():
                    key, value = "health%d" % (i % 100), "v%d" % i
                    try:
                        if c.cmd("SET", key, value) != b"+OK\r\n":
                            health["errors"].append("SET %s" % key)
                        got = c.cmd("GET", key)
                        if got != b"$%d\r\n%s\r\n" % (len(value), value.encode()):
                            health["errors"].append("GET %s: %r" % (key, got))
                    except OSError as e:
                        health["errors"].append(repr(e))
                        return
                    health["ops"] += 2
                    i += 1
            finally:
                c.close()

        checker = threading.Thread(target=run_health)
        checker.start()
        try:
            with ThreadPoolExecutor(WORKERS) as pool:
                failures = [f for f in pool.map(lambda kv: probe(*kv), inputs) if f]
        finally:
            stop.set()
            checker.join()

        self.assertEqual(failures[:5], [], "%d inputs neither answered nor closed" % len(failures))
        self.assertEqual(health["errors"][:5], [])
        self.assertGreater(health["ops"], 100)
        self.assertTrue(node.alive())
        growth = (node.rss_kib() - rss) / 1024
        self.assertLess(growth, 16 + RSS_SLACK_MIB, "RSS grew by %.1f MiB" % growth)
        self.assertTrue(poll(lambda: fd_count(node) <= fds),
                        "fds: %d, baseline %d" % (fd_count(node), fds))
        info = self.info(node)
        self.assertGreater(int(info["protocol_errors"]), 0)


if __name__ == "__main__":
    unittest.main()
