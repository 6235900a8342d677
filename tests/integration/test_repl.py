"""The operator REPL on kv-node's stdin, and how the node copes with the
kinds of stdin it meets (pipe, EOF, /dev/null, regular file, closed fd 0)."""

import fcntl
import os
import pty
import signal
import subprocess
import unittest

from harness import OK, NodeTestCase, free_port


class ReplTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node(stdin=subprocess.PIPE)

    def repl(self, command):
        return self.node.repl(command)

    def test_help(self):
        out = self.repl("help")
        self.assertEqual(out[0], "commands:")
        for word in ["get", "put", "del", "query", "stats", "help", "exit"]:
            self.assertTrue(any(line.split()[0] == word for line in out[1:]), word)

    def test_put_get_del(self):
        self.assertEqual(self.repl("put greeting hello  big world "), ["OK"])
        self.assertEqual(self.repl("get greeting"), ["hello  big world"])
        self.assertEqual(self.repl("  get\tgreeting  "), ["hello  big world"])
        self.assertEqual(self.repl("get missing"), ["(nil)"])
        self.assertEqual(self.repl("del greeting"), ["(integer) 1"])
        self.assertEqual(self.repl("del greeting"), ["(integer) 0"])
        self.assertEqual(self.repl("get greeting"), ["(nil)"])
        self.assertEqual(self.repl(""), [])

    def test_repl_and_network_share_the_store(self):
        self.repl("put k from-repl")
        client = self.binary(self.node)
        self.assertEqual(client.get(b"k").value, b"from-repl")
        client.put(b"k2", b"from-net")
        self.assertEqual(self.repl("get k2"), ["from-net"])

    def test_query_other_node(self):
        other = self.start_node("n2")
        self.assertEqual(self.binary(other).put(b"remote", b"far value").status, OK)
        self.assertEqual(self.repl("query %s remote" % other.addr), ["far value"])
        self.assertEqual(self.repl("query %s nothing" % other.addr), ["(nil)"])
        self.assertEqual(self.repl("get remote"), ["(nil)"])  # not copied locally

    def test_query_errors(self):
        (line,) = self.repl("query 127.0.0.1:%d k" % free_port())
        self.assertTrue(line.startswith("error:"), line)
        (line,) = self.repl("query not-an-address k")
        self.assertTrue(line.startswith("error: invalid address"), line)

    def test_usage_errors(self):
        self.assertEqual(self.repl("get"), ["usage: get <key>"])
        self.assertEqual(self.repl("get a b"), ["usage: get <key>"])
        self.assertEqual(self.repl("del"), ["usage: del <key>"])
        self.assertEqual(self.repl("put"), ["usage: put <key> <value>"])
        self.assertEqual(self.repl("put onlykey"), ["usage: put <key> <value>"])
        self.assertEqual(self.repl("query"), ["usage: query <host:port> <key>"])
        self.assertEqual(self.repl("query 127.0.0.1:1"), ["usage: query <host:port> <key>"])

    def test_unknown_command(self):
        self.assertEqual(self.repl("frobnicate now"), ["unknown command 'frobnicate' (try 'help')"])

    def test_stats(self):
        self.repl("put a 1")
        out = self.repl("stats")
        self.assertIn("keys:1", out)
        self.assertIn("node_id:n1", out)
        self.assertFalse(any("\r" in line for line in out))

    def test_exit(self):
        self.node.send("exit\n")
        self.assertEqual(self.node.read_line(), "bye")
        self.assertEqual(self.node.wait(), 0)

    def test_last_line_without_newline_runs_at_eof(self):
        self.node.send("put tail end of input")
        self.node.stdin.close()
        self.assertEqual(self.node.read_line(), "OK")
        self.assertEqual(self.binary(self.node).get(b"tail").value, b"end of input")

    def test_eof_keeps_serving(self):
        self.node.stdin.close()
        self.assertTrue(self.node.wait_log("REPL ended"), self.node.log_text())
        self.assertTrue(self.node.alive())
        self.assertEqual(self.binary(self.node).ping(b"still here").value, b"still here")
        self.assertEqual(self.node.stop(signal.SIGTERM), 0)


class StdinKindsTest(NodeTestCase):
    def assert_serves_then_stops(self, node):
        self.assertEqual(self.binary(node).ping(b"up").value, b"up")
        self.assertEqual(self.resp(node).inline("PING"), b"+PONG\r\n")
        self.assertEqual(node.stop(signal.SIGTERM), 0)

    def test_dev_null(self):
        self.assert_serves_then_stops(self.start_node(stdin=subprocess.DEVNULL))

    def test_regular_file(self):
        path = os.path.join(self.tempdir(), "commands.txt")
        with open(path, "w") as f:
            f.write("exit\n")  # never read as a command: a file is not pollable
        with open(path) as f:
            node = self.start_node(stdin=f)
        self.assertTrue(node.wait_log("REPL off"), node.log_text())
        self.assert_serves_then_stops(node)

    def test_terminal(self):
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        node = self.start_node(stdin=slave)
        os.write(master, b"put a 1\n")
        self.assertEqual(node.read_line(), "> OK")  # a prompt on a terminal
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: EOF
        self.assertTrue(node.wait_log("REPL ended"), node.log_text())
        self.assertFalse(fcntl.fcntl(slave, fcntl.F_GETFL) & os.O_NONBLOCK,
                         "the terminal was left non-blocking")
        self.assert_serves_then_stops(node)

    def test_closed_stdin(self):
        node = self.start_node(close_stdin=True)
        self.assertEqual(os.readlink("/proc/%d/fd/0" % node.pid), "/dev/null")
        log_files = node.log_files()
        self.assertEqual(len(log_files), 1)
        for fd in os.listdir("/proc/%d/fd" % node.pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (node.pid, fd))
            except FileNotFoundError:
                continue  # closed since listdir (a file the node opened for a moment)
            if target == os.path.realpath(log_files[0]):
                self.assertGreater(int(fd), 2, "the log file took a standard fd")
        self.assertTrue(node.wait_log("serving on"), node.log_text())
        self.assert_serves_then_stops(node)
        self.assertIn("stopped", node.log_text())


if __name__ == "__main__":
    unittest.main()
