"""kvctl, the scriptable client: output and exit codes (0 ok, 1 not found,
2 error with a message on stderr)."""

import socket
import unittest

from harness import HOST, KVCTL, NodeTestCase, clean_env, free_port, run

BINARY = b"\x00\r\n\xff binary \x00" * 1000


class KvctlTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node()

    def kvctl(self, *args, stdin=None, addr=None, env=None):
        cmd = [KVCTL, "-a", addr or self.node.addr] + list(args)
        if stdin is None:
            return run(cmd, env=clean_env(env))
        return run(cmd, input=stdin, stdin=None, env=clean_env(env))

    def assert_result(self, r, code, stdout=None):
        self.assertEqual(r.returncode, code, r.stderr)
        if stdout is not None:
            self.assertEqual(r.stdout, stdout)

    def assert_error(self, r, needle):
        self.assertEqual(r.returncode, 2)
        self.assertIn(needle, r.stderr.decode())
        self.assertTrue(r.stderr.startswith(b"kvctl: ") or b"usage:" in r.stderr, r.stderr)

    def test_put_get_del(self):
        self.assert_result(self.kvctl("put", "k", "hello world"), 0, b"OK\n")
        self.assert_result(self.kvctl("get", "k"), 0, b"hello world")
        self.assert_result(self.kvctl("del", "k"), 0, b"OK\n")
        self.assert_result(self.kvctl("del", "k"), 1, b"")
        r = self.kvctl("get", "k")
        self.assert_result(r, 1, b"")
        self.assertEqual(r.stderr, b"(nil)\n")

    def test_health_of_a_serving_node(self):
        self.assert_result(self.kvctl("health"), 0, b"ready\n")
        self.assertEqual(self.kvctl("health", "extra").returncode, 2)

    def test_put_from_stdin_is_binary_safe(self):
        self.assert_result(self.kvctl("put", "bin", "-", stdin=BINARY), 0, b"OK\n")
        self.assert_result(self.kvctl("get", "bin"), 0, BINARY)
        self.assertEqual(self.binary(self.node).get(b"bin").value, BINARY)
        self.assert_result(self.kvctl("put", "empty", "-", stdin=b""), 0)
        self.assert_result(self.kvctl("get", "empty"), 0, b"")

    def test_mget(self):
        self.kvctl("put", "a", "1")
        self.kvctl("put", "b", "2")
        self.assert_result(self.kvctl("mget", "a", "b"), 0, b"1\n2\n")
        self.assert_result(self.kvctl("mget", "a", "missing", "b"), 1, b"1\n(nil)\n2\n")

    def test_ping_stats(self):
        self.assert_result(self.kvctl("ping"), 0, b"PONG\n")
        self.kvctl("put", "a", "1")
        r = self.kvctl("stats")
        self.assert_result(r, 0)
        self.assertIn(b"keys:1\r\n", r.stdout)

    def test_address_from_environment(self):
        r = run([KVCTL, "ping"], env=clean_env({"DKV_ADDR": self.node.addr}))
        self.assert_result(r, 0, b"PONG\n")

    def test_unreachable_address(self):
        port = free_port()
        for args in [("ping",), ("get", "k"), ("put", "k", "v")]:
            r = self.kvctl(*args, addr="%s:%d" % (HOST, port))
            self.assert_error(r, "%s:%d" % (HOST, port))
            self.assertEqual(r.stdout, b"")

    def test_timeout_when_node_never_answers(self):
        with socket.socket() as silent:
            silent.bind((HOST, 0))
            silent.listen()
            addr = "%s:%d" % silent.getsockname()
            r = run([KVCTL, "-a", addr, "-t", "200", "ping"], env=clean_env())
        self.assert_error(r, addr)

    def test_a_value_past_16_mib_needs_the_nodes_max_frame(self):
        """A node with --max-frame 32 MiB holds a 20 MiB value; kvctl reads it
        with the same --max-frame (or DKV_MAX_FRAME), and without says why."""
        node = self.start_node("big", max_frame=32 << 20)
        value = bytes(range(256)) * (20 << 12)
        self.assert_result(self.kvctl("put", "big", "-", stdin=value, addr=node.addr), 0, b"OK\n")
        self.assert_error(self.kvctl("get", "big", addr=node.addr),
                          "reply larger than --max-frame (16777216 bytes)")
        self.assert_result(self.kvctl("--max-frame", str(32 << 20), "get", "big", addr=node.addr),
                           0, value)
        self.assert_result(self.kvctl("get", "big", addr=node.addr,
                                      env={"DKV_MAX_FRAME": str(32 << 20)}), 0, value)

    def test_key_too_long_is_an_error(self):
        r = self.kvctl("get", "k" * (64 * 1024 + 1))
        self.assert_error(r, "TOO_LARGE")

    def test_bad_arguments(self):
        cases = [
            [], ["get"], ["get", "a", "b"], ["put", "k"], ["put", "k", "v", "x"], ["del"],
            ["mget"], ["ping", "x"], ["stats", "x"], ["frobnicate"], ["-x", "ping"],
            ["-a"], ["-a", "no-port", "ping"], ["-a", "127.0.0.1:99999", "ping"],
            ["-t", "0", "ping"], ["-t", "soon", "ping"], ["--max-frame", "1023", "ping"],
            ["--max-frame", "-1", "ping"], ["--max-frame", "16M", "ping"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = run([KVCTL] + args, env=clean_env({"DKV_ADDR": self.node.addr}))
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertNotEqual(r.stderr, b"")
                self.assertEqual(r.stdout, b"")

    def test_help(self):
        r = run([KVCTL, "--help"])
        self.assert_result(r, 0)
        self.assertIn(b"usage: kvctl", r.stdout)


if __name__ == "__main__":
    unittest.main()
