"""kv-node as a process: flags, environment, exit codes, directories, log
format and signals."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from harness import HOST, KV_NODE, SANITIZED, Node, NodeTestCase, clean_env, poll, run

LOG_LINE = r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[(trace|debug|info|warning|error)\] " \
           r"\[%s\] \[[^\]]+\] .+"


class ConfigErrorsTest(NodeTestCase):
    def run_node(self, args, env=None):
        return run([KV_NODE] + args, cwd=self.tempdir(), env=clean_env(env))

    def assert_usage_error(self, r, needle):
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(needle, lines[0])
        self.assertEqual(r.stdout, b"")

    def test_missing_id(self):
        self.assert_usage_error(self.run_node(["--peer-addr", "127.0.0.1:8001", "--port", "0"]),
                                "--id")

    def test_missing_peer_addr(self):
        self.assert_usage_error(self.run_node(["--id", "n1", "--port", "0"]), "--peer-addr")

    def test_malformed_peer_addr(self):
        for bad in ["127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", ":8001",
                    "host name:1", "[::1"]:
            with self.subTest(peer_addr=bad):
                r = self.run_node(["--id", "n1", "--peer-addr", bad, "--port", "0"])
                self.assert_usage_error(r, "--peer-addr")

    def test_other_bad_flags(self):
        base = ["--peer-addr", "127.0.0.1:7"]
        for args, needle in [(["--id", "n1", "--bogus"], "--bogus"),
                             (["--id", "n1", "--port", "65536"], "--port"),
                             (["--id", "n1", "--port", "0", "--port", "0"], "--port"),
                             (["--id", "bad/id"], "--id"),
                             (["--id", "n1", "--max-frame", "x"], "--max-frame"),
                             (["--id", "n1", "--log-level", "loud"], "--log-level"),
                             (["--id", "n1", "stray"], "stray")]:
            with self.subTest(args=args):
                self.assert_usage_error(self.run_node(base + args), needle)

    def test_help_and_version(self):
        r = self.run_node(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--peer-addr", r.stdout)
        r = self.run_node(["--version"])
        self.assertEqual((r.returncode, r.stdout.startswith(b"kv-node ")), (0, True))

    def test_port_in_use(self):
        with socket.socket() as taken:
            taken.bind((HOST, 0))
            taken.listen()
            port = taken.getsockname()[1]
            r = self.run_node(["--id", "n1", "--peer-addr", "%s:%d" % (HOST, port)])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot listen on %s:%d" % (HOST, port), r.stderr.decode())
        self.assertIn("in use", r.stderr.decode())

    def test_unusable_directories(self):
        tmp = self.tempdir()
        blocker = os.path.join(tmp, "a-file")
        open(blocker, "w").close()
        base = ["--id", "n1", "--peer-addr", "127.0.0.1:7", "--port", "0"]
        for flag, needle in [("--log-dir", "cannot create log directory"),
                             ("--data-dir", "cannot create data dir")]:
            with self.subTest(flag=flag):
                r = self.run_node(base + [flag, os.path.join(blocker, "sub")])
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("kv-node: " + needle, r.stderr.decode())


class StartupTest(NodeTestCase):
    def test_environment_variables(self):
        node = self.start_node(None, peer_addr=None, port=None,
                               env={"DKV_ID": "envnode", "DKV_PEER_ADDR": "127.0.0.1:7",
                                    "DKV_PORT": "0"})
        self.assertIn("node_id:envnode\r\n", self.binary(node).stats())

    def test_command_line_beats_environment(self):
        node = self.start_node("cli", env={"DKV_ID": "envnode"})
        self.assertIn("node_id:cli\r\n", self.binary(node).stats())

    def test_default_directories_and_log_format(self):
        day_before = time.strftime("%Y-%m-%d")
        node = self.start_node("n7", data_dir=None, log_dir=None)
        self.assertTrue(os.path.isdir(os.path.join(node.dir, "data", "n7")))
        self.assertEqual(self.binary(node).ping(b"x").value, b"x")
        self.assertEqual(node.stop(), 0)
        day_after = time.strftime("%Y-%m-%d")

        log_dir = os.path.join(node.dir, "logs", "n7")
        names = os.listdir(log_dir)
        self.assertTrue(set(names) <= {day_before + ".log", day_after + ".log"}, names)
        lines = node.log_text().splitlines()
        self.assertGreaterEqual(len(lines), 3)
        for line in lines:
            self.assertRegex(line, LOG_LINE % "n7")
        self.assertTrue(any("serving on 127.0.0.1:%d" % node.port in l for l in lines), lines)
        self.assertIn("[n7] [%s]" % node.addr, lines[-1])  # advertised address once bound

    def test_stderr_gets_the_log_too(self):
        node = self.start_node()
        self.assertEqual(node.stop(), 0)
        self.assertIn("serving on", node.stderr_text())
        self.assertRegex(node.stderr_text().splitlines()[0], LOG_LINE % "n1")


def thp_enabled():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return "[never]" not in f.read()
    except OSError:
        return False


def process_env(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)


@unittest.skipUnless(thp_enabled(), "the kernel's transparent huge pages are off")
def thread_policies(pid):
    """{tid: scheduling policy} of the process's threads (/proc stat field 41:
    0 SCHED_OTHER, 3 SCHED_BATCH)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            out[int(tid)] = int(f.read().rsplit(")", 1)[1].split()[38])
    return out


class HelperThreadTest(NodeTestCase):
    """The helper thread (fdatasync, page cache steps, snapshot writes) runs
    as SCHED_BATCH, which never preempts the loop when it wakes up, unless
    --fsync always makes every acknowledgement wait for it (src/node/node.cpp)."""

    def helper_policy(self, node):
        def settled():
            policies = thread_policies(node.pid)
            helpers = [p for tid, p in policies.items() if tid != node.pid]
            return len(helpers) == 1 and helpers[0] != 0 and policies
        policies = poll(settled, timeout=2) or thread_policies(node.pid)
        self.assertEqual(policies[node.pid], 0, "the loop keeps the default policy")
        self.assertEqual(len(policies), 2, policies)
        return [p for tid, p in policies.items() if tid != node.pid][0]

    def test_helper_is_a_batch_thread(self):
        for fsync in ("everysec", "no"):
            self.assertEqual(self.helper_policy(self.start_node(fsync=fsync)), 3, fsync)

    def test_helper_keeps_the_default_under_fsync_always(self):
        self.assertEqual(self.helper_policy(self.start_node(fsync="always")), 0)


class HugePagesTest(NodeTestCase):
    """kv-node re-executes itself once with glibc.malloc.hugetlb=1 so that
    malloc's heap sits on transparent huge pages (apps/kv-node/huge_pages.hpp)."""

    def test_heap_is_on_huge_pages_by_default(self):
        node = self.start_node()
        # Same process (exec keeps the pid), now with the tunable.
        self.assertEqual(process_env(node.pid).get(b"GLIBC_TUNABLES"), b"glibc.malloc.hugetlb=1")
        self.assertIn("heap on transparent huge pages", node.log_text())
        with open("/proc/%d/comm" % node.pid) as f:
            self.assertEqual(f.read().strip(), "kv-node")  # ps, pidof, pkill still find it
        c = self.binary(node)
        value = os.urandom(8192)
        for i in range(4000):  # 32 MiB of values
            self.assertEqual(c.put("k%d" % i, value).status, 0)
        self.assertEqual(c.get("k3999").value, value)
        if not SANITIZED:  # ASan's allocator replaces malloc's heap
            with open("/proc/%d/smaps_rollup" % node.pid) as f:
                huge_kib = int(re.search(r"^AnonHugePages:\s+(\d+) kB", f.read(), re.M).group(1))
            self.assertGreater(huge_kib, 0)

    def test_given_tunables_are_kept(self):
        node = self.start_node(env={"GLIBC_TUNABLES": "glibc.malloc.perturb=0"})
        self.assertIn("heap on transparent huge pages", node.log_text())
        # (glibc 2.36 cuts the variable's first copy at each ':' as it parses
        # it, so /proc may show the two tunables apart.)
        with open("/proc/%d/environ" % node.pid, "rb") as f:
            raw = f.read()
        self.assertIn(b"GLIBC_TUNABLES=glibc.malloc.perturb=0", raw)
        self.assertIn(b"glibc.malloc.hugetlb=1", raw)
        # The user's own choice of the tunable wins: no re-execution.
        other = self.start_node("n2", env={"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})
        self.assertEqual(process_env(other.pid).get(b"GLIBC_TUNABLES"), b"glibc.malloc.hugetlb=0")
        self.assertIn("heap pages as GLIBC_TUNABLES sets", other.log_text())

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setcap"),
                         "needs root and setcap to give a copy of kv-node a file capability")
    def test_process_with_file_capabilities_is_not_re_executed(self):
        # glibc erases GLIBC_TUNABLES in such a process: re-executing it
        # would never see the tunable set, and re-execute forever.
        tmp = self.tempdir()
        os.chmod(tmp, 0o777)
        binary = os.path.join(tmp, "kv-node")
        shutil.copy(KV_NODE, binary)
        self.assertEqual(run(["setcap", "cap_net_bind_service+ep", binary]).returncode, 0)
        cmd = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", binary,
               "--id", "cap", "--peer-addr", HOST + ":7", "--port", "0", "--no-repl",
               "--data-dir", os.path.join(tmp, "data"), "--log-dir", os.path.join(tmp, "logs")]
        with open(os.path.join(tmp, "stderr.txt"), "wb") as err:
            proc = subprocess.Popen(cmd, cwd=tmp, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=err, env=clean_env())
        node = Node(proc, tmp, "cap")
        self.addCleanup(node.close)
        node.wait_ready()
        if "heap on transparent huge pages" in node.log_text():
            self.skipTest("file capabilities do not apply here (a nosuid mount?)")
        self.assertIn("glibc ignores GLIBC_TUNABLES in a process with setuid or file "
                      "capabilities", node.log_text())
        self.assertEqual(self.binary(node).ping(b"x").value, b"x")

    def test_off(self):
        node = self.start_node(huge_pages="off")
        self.assertNotIn(b"GLIBC_TUNABLES", process_env(node.pid))
        self.assertIn("heap on normal pages (--huge-pages off)", node.log_text())
        self.assertEqual(self.binary(node).ping(b"x").value, b"x")


class SignalTest(NodeTestCase):
    def stop_with_open_connections(self, sig):
        node = self.start_node()
        client = self.binary(node)
        self.assertEqual(client.ping().status, 0)
        idle_resp = self.resp(node)
        self.assertEqual(idle_resp.inline("PING"), b"+PONG\r\n")
        half = self.binary(node)
        half.send(b"\xdb\x01\x02")  # a frame cut inside its header
        undecided = socket.create_connection((HOST, node.port), timeout=5)
        self.addCleanup(undecided.close)  # sent nothing: protocol not chosen yet

        started = time.monotonic()
        node.send_signal(sig)
        self.assertEqual(node.wait(timeout=5), 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(client.is_closed(timeout=1))
        self.assertIn("received signal %d" % sig, node.log_text())

    def test_sigterm_with_open_connections(self):
        self.stop_with_open_connections(signal.SIGTERM)

    def test_sigint_with_open_connections(self):
        self.stop_with_open_connections(signal.SIGINT)

    def test_second_signal_exits_at_once(self):
        node = self.start_node(stdin=subprocess.PIPE)
        with socket.socket() as silent:  # accepts connections, never answers
            silent.bind((HOST, 0))
            silent.listen()
            silent.settimeout(10)
            node.send("query %s:%d k\n" % silent.getsockname())
            conn, _ = silent.accept()  # the REPL query is now in flight (5 s timeout)
            self.addCleanup(conn.close)
            node.send_signal(signal.SIGTERM)
            self.assertTrue(node.wait_log("shutting down"))
            self.assertTrue(node.alive())  # draining: waits for the REPL query
            node.send_signal(signal.SIGTERM)
            self.assertEqual(node.wait(timeout=2), 1)
        self.assertIn("second signal", node.log_text())

    def test_port_is_free_after_exit(self):
        node = self.start_node()
        port = node.port
        self.assertEqual(node.stop(), 0)
        again = self.start_node(port=port)
        self.assertEqual(again.port, port)


if __name__ == "__main__":
    unittest.main()
