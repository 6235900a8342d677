"""Client authentication (--requirepass: RESP AUTH/HELLO, binary AUTH, the
pre-auth limits), protected mode, secrets kept out of ps/logs/INFO, and the
peer handshake (--cluster-secret): honest nodes join, nodes with a wrong or
missing secret are refused and told why, and 1,000 hostile handshakes
(wrong proofs, missing secrets, replays, peer opcodes without a handshake)
are all refused while the ring stays unchanged."""

import contextlib
import os
import random
import socket
import struct
import threading
import unittest

from auth_wire import (AUTH, AUTH_FAILED, AUTH_REQUIRED, FLAG_FORWARDED, GOSSIP, JOIN, MIGRATE,
                       MIGRATE_DONE, PEER_HELLO, PEER_PROOF, handshake, parse_peer_hello_reply,
                       peer_hello_body, proof)
from harness import (GET, HELLO, HOST, KVCTL, MALFORMED, NOT_ALLOWED, OK, PING, PUT, TOO_LARGE,
                     BinaryClient, NodeTestCase, RespClient, b, clean_env, cluster_state,
                     frame, free_port, hello_body, multibulk, poll, read_text, run,
                     run_node_once)

PASSWORD = "correct horse battery staple"
SECRET = "s3cret-of-the-test-cluster"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def authed_info(node, password=PASSWORD):
    with contextlib.closing(RespClient(node.port)) as c:
        assert c.cmd("AUTH", password) == b"+OK\r\n"
        return c.info()


class RespAuthTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node(env={"DKV_REQUIREPASS": PASSWORD})

    def test_only_auth_hello_ping_quit_before_auth(self):
        c = self.resp(self.node)
        for cmd in (["GET", "k"], ["SET", "k", "v"], ["DEL", "k"], ["MGET", "a"], ["INFO"],
                    ["DBSIZE"], ["CONFIG", "GET", "save"], ["ECHO", "x"]):
            self.assertEqual(c.cmd(*cmd), NOAUTH, cmd)
        self.assertEqual(c.cmd("PING"), b"+PONG\r\n")
        self.assertTrue(c.cmd("HELLO", "2").startswith(b"-NOAUTH HELLO must be called"))
        self.assertEqual(c.cmd("AUTH", "nope"), WRONGPASS)
        self.assertEqual(c.cmd("AUTH", "admin", PASSWORD), WRONGPASS)  # only the default user
        self.assertEqual(c.cmd("GET", "k"), NOAUTH)
        self.assertEqual(c.cmd("AUTH", PASSWORD), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "k", "v"), b"+OK\r\n")
        self.assertEqual(c.cmd("GET", "k"), b"$1\r\nv\r\n")
        self.assertEqual(c.cmd("QUIT"), b"+OK\r\n")
        info = authed_info(self.node)
        self.assertEqual(info["auth_failures"], "2")
        self.assertEqual(int(info["preauth_rejects"]), 10)
        self.assertEqual(info["requirepass"], "yes")

    def test_hello_with_auth_and_default_user(self):
        c = self.resp(self.node)
        reply = c.cmd("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "me")
        self.assertTrue(reply.startswith(b"*12\r\n$6\r\nserver\r\n$3\r\ndkv\r\n"), reply)
        self.assertEqual(c.cmd("SET", "h", "1"), b"+OK\r\n")
        c2 = self.resp(self.node)
        self.assertEqual(c2.cmd("HELLO", "3"), b"-NOPROTO sorry, this protocol version is "
                                               b"not supported.\r\n")
        self.assertEqual(c2.cmd("AUTH", "default", PASSWORD), b"+OK\r\n")
        self.assertEqual(c2.cmd("GET", "h"), b"$1\r\n1\r\n")

    def test_redis_cli_with_password(self):
        base = ["redis-cli", "-h", HOST, "-p", str(self.node.port)]
        r = run(base + ["SET", "rc", "1"])
        self.assertIn(b"NOAUTH", r.stdout + r.stderr)
        env = clean_env({"REDISCLI_AUTH": PASSWORD})
        self.assertEqual(run(base + ["SET", "rc", "1"], env=env).stdout, b"OK\n")
        self.assertEqual(run(base + ["GET", "rc"], env=env).stdout, b"1\n")

    def test_preauth_limits(self):
        # A bulk over --max-preauth-bytes (16384) before AUTH: error, close.
        c = self.resp(self.node)
        c.send(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n")
        self.assertTrue(c.read_reply().startswith(b"-ERR Protocol error"))
        self.assertTrue(c.is_closed())
        # Too many arguments before AUTH: error, close.
        c = self.resp(self.node)
        c.send(multibulk(*(["PING"] + ["x"] * 20)))
        self.assertTrue(c.read_reply().startswith(b"-ERR Protocol error"))
        self.assertTrue(c.is_closed())
        # An inline line over the limit before AUTH: error, close.
        c = self.resp(self.node)
        c.send(b"PING " + b"x" * 20000 + b"\r\n")
        self.assertTrue(c.read_reply().startswith(b"-ERR Protocol error"))
        self.assertTrue(c.is_closed())
        # After AUTH the normal limits apply.
        c = self.resp(self.node)
        self.assertEqual(c.cmd("AUTH", PASSWORD), b"+OK\r\n")
        self.assertEqual(c.cmd("SET", "big", "v" * 100000), b"+OK\r\n")
        self.assertEqual(len(c.cmd("GET", "big")), 100000 + len(b"$100000\r\n\r\n"))
        self.assertGreaterEqual(int(authed_info(self.node)["preauth_rejects"]), 3)


class BinaryAuthTest(NodeTestCase):
    def setUp(self):
        self.node = self.start_node(env={"DKV_REQUIREPASS": PASSWORD})

    def test_auth_required_then_auth(self):
        c = self.binary(self.node)
        self.assertEqual(c.request(PING).status, OK)
        self.assertEqual(c.request(HELLO, hello_body()).status, OK)
        for op, body in ((GET, b("k")), (PUT, b("k") + b("v"))):
            r = c.request(op, body)
            self.assertEqual((r.status, r.message), (AUTH_REQUIRED, "authentication required"))
        r = c.request(AUTH, b("wrong"))
        self.assertEqual((r.status, r.message), (AUTH_FAILED, "invalid password"))
        r = c.request(GOSSIP, b"")
        self.assertEqual(r.status, NOT_ALLOWED)
        self.assertEqual(c.request(AUTH, b(PASSWORD)).status, OK)
        self.assertEqual(c.put("k", "v").status, OK)
        self.assertEqual(c.get("k").value, b"v")
        # Client connections never get peer powers from the routing flags.
        self.assertEqual(c.request(GET, b("k"), flags=FLAG_FORWARDED).value, b"v")

    def test_preauth_frame_limit(self):
        c = self.binary(self.node)
        c.send(frame(AUTH, length=16385))
        r = c.read_reply()
        self.assertEqual(r.status, TOO_LARGE)
        self.assertTrue(c.is_closed())
        c = self.binary(self.node)
        self.assertEqual(c.request(AUTH, b(PASSWORD)).status, OK)
        self.assertEqual(c.put("big", b"x" * 100000).status, OK)

    def test_kvctl_password_sources(self):
        addr = ["-a", self.node.addr]
        r = run([KVCTL] + addr + ["put", "kc", "1"], env=clean_env())
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"requires a password", r.stderr)
        r = run([KVCTL] + addr + ["put", "kc", "1"], env=clean_env({"DKV_REQUIREPASS": "bad"}))
        self.assertEqual(r.returncode, 2)
        r = run([KVCTL] + addr + ["put", "kc", "1"],
                env=clean_env({"DKV_REQUIREPASS": PASSWORD}))
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(self.tempdir(), "pass")
        with open(path, "w") as f:
            f.write(PASSWORD + "\n")
        r = run([KVCTL] + addr + ["--pass-file", path, "get", "kc"], env=clean_env())
        self.assertEqual((r.returncode, r.stdout), (0, b"1"), r.stderr)
        r = run([KVCTL] + addr + ["health"], env=clean_env({"DKV_REQUIREPASS_FILE": path}))
        self.assertEqual(r.returncode, 0, r.stderr)


class NoPasswordTest(NodeTestCase):
    def test_auth_without_password_configured(self):
        node = self.start_node()
        c = self.resp(node)
        self.assertTrue(c.cmd("AUTH", "x").startswith(b"-ERR AUTH <password> called without"))
        self.assertEqual(c.cmd("SET", "k", "v"), b"+OK\r\n")
        r = self.binary(node).request(AUTH, b("x"))
        self.assertEqual((r.status, r.message), (NOT_ALLOWED, "no password is configured"))


class SecretsTest(NodeTestCase):
    def assert_hidden(self, node, *secrets):
        with open("/proc/%d/cmdline" % node.proc.pid, "rb") as f:
            cmdline = f.read()
        info = authed_info(node)
        text = node.log_text() + node.stderr_text()
        for s in secrets:
            self.assertNotIn(s.encode(), cmdline)
            self.assertNotIn(s, text)
            self.assertNotIn(s, repr(info))

    def test_command_line_secrets_are_scrubbed(self):
        node = self.start_node(requirepass=PASSWORD, cluster_secret=SECRET)
        self.assert_hidden(node, PASSWORD, SECRET)
        self.assertTrue(node.wait_log("a secret was given on the command line"))
        self.assertTrue(node.wait_log("peer authentication: cluster secret"))

    def test_secrets_from_files_and_environment(self):
        d = self.tempdir()
        with open(os.path.join(d, "pass"), "w") as f:
            f.write(PASSWORD + "\r\n")
        node = self.start_node(requirepass_file=os.path.join(d, "pass"),
                               env={"DKV_CLUSTER_SECRET": SECRET})
        self.assert_hidden(node, PASSWORD, SECRET)
        self.assertFalse(node.wait_log("on the command line", timeout=0.5))
        with contextlib.closing(RespClient(node.port)) as c:
            self.assertEqual(c.cmd("AUTH", PASSWORD), b"+OK\r\n")  # the CRLF was stripped

    def test_bad_secret_sources_are_usage_errors(self):
        d = self.tempdir()
        empty = os.path.join(d, "empty")
        open(empty, "w").close()
        cases = [
            (dict(requirepass_file=os.path.join(d, "missing")), "cannot read secret file"),
            (dict(cluster_secret_file=empty), "is empty"),
            (dict(requirepass="x", requirepass_file=empty), "not both"),
        ]
        for flags, message in cases:
            with self.subTest(flags=flags):
                r = run_node_once(d, **flags)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message.encode(), r.stderr)


class ProtectedModeTest(NodeTestCase):
    def test_no_password_no_listen_means_loopback_only(self):
        port = free_port()
        node = self.start_node(peer_addr="kv-0.example.invalid:%d" % port, port=None,
                               no_repl=True)
        self.assertEqual(node.addr, "%s:%d" % (HOST, port))
        self.assertTrue(node.wait_log("protected mode: no --requirepass, so listening on "
                                      "loopback only"))

    def test_explicit_listen_is_obeyed(self):
        port = free_port()
        node = self.start_node(peer_addr="kv-0.example.invalid:%d" % port, port=None,
                               listen="0.0.0.0:%d" % port, no_repl=True)
        self.assertEqual(node.addr, "0.0.0.0:%d" % port)
        self.assertFalse(node.wait_log("protected mode", timeout=0.5))


class PeerAuthTest(NodeTestCase):
    """Three nodes sharing SECRET; strangers try to get in."""

    def setUp(self):
        self.nodes = self.start_cluster(3, env={"DKV_CLUSTER_SECRET": SECRET})
        rng = random.Random(7)
        self.items = {"key-%d" % i: b"value-%d" % i for i in range(300)}
        self.put_all(self.nodes, self.items, rng)
        self.before = [cluster_state(n) for n in self.nodes]

    def assert_ring_unchanged(self):
        self.assertEqual([cluster_state(n) for n in self.nodes], self.before)
        for n in self.nodes:
            self.assertEqual(self.info(n)["members"], "3")
        self.assert_values(self.nodes[1], self.items)

    def test_secret_cluster_forwards_and_counts_peers(self):
        info = self.info(self.nodes[0])
        self.assertEqual(info["cluster_auth"], "secret")
        self.assertGreaterEqual(int(info["peers_authenticated"]), 2)
        self.assertEqual(info["peer_auth_failures"], "0")

    def test_wrong_secret_cannot_join_and_is_told_why(self):
        n1 = self.nodes[0]
        wrong = self.start_node("w1", join_addr=n1.addr, no_repl=True,
                                env={"DKV_CLUSTER_SECRET": "not-the-secret"})
        self.assertTrue(wrong.wait_log("cluster secret mismatch"), wrong.log_text())
        none = self.start_node("w2", join_addr=n1.addr, no_repl=True)
        self.assertTrue(none.wait_log("AUTH_FAILED: this node requires a cluster secret"),
                        none.log_text())
        self.assertTrue(n1.wait_log("refused a peer handshake from node w2: this node requires "
                                    "a cluster secret"))
        for stranger in (wrong, none):
            r = run([KVCTL, "-a", stranger.addr, "health"])
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"not joined", r.stderr)
        self.assert_ring_unchanged()

    def test_node_without_secret_is_refused_by_a_secret_joiner(self):
        # The joiner has a secret, the member has none: the joiner refuses.
        lone = self.start_node("open1", no_repl=True)
        joiner = self.start_node("j1", join_addr=lone.addr, no_repl=True,
                                 env={"DKV_CLUSTER_SECRET": SECRET})
        self.assertTrue(joiner.wait_log("AUTH_FAILED: this node has no cluster secret"))
        self.assertTrue(lone.wait_log("refused a peer handshake from node j1"))
        self.assertEqual(self.info(lone)["members"], "1")

    def test_a_thousand_hostile_handshakes(self):
        target_ports = [n.port for n in self.nodes]
        # One honest handshake, recorded, to replay later (it sends nothing after).
        with contextlib.closing(BinaryClient(target_ports[0])) as c:
            hello, verdict, recorded = handshake(c, "spy", SECRET)
            self.assertEqual(verdict.status, OK)
        membership_frame = frame(GOSSIP, b"\x00" * 16, rid=9)
        accepted, refused, errors = [], [], []
        lock = threading.Lock()

        def attempt(i):
            kind = i % 8
            port = target_ports[i % len(target_ports)]
            c = BinaryClient(port, timeout=5)
            try:
                if kind == 0:  # wrong secret, proof sent anyway
                    r = c.request(PEER_HELLO, peer_hello_body("evil%d" % i), rid=0)
                    _, _, nonce_r, _ = parse_peer_hello_reply(r.rest)
                    mac = proof("guess-%d" % i, "initiator", b"\x00" * 32, nonce_r,
                                "evil%d" % i, "x")
                    r = c.request(PEER_PROOF, mac, rid=0)
                    want = AUTH_FAILED
                elif kind == 1:  # no secret at all
                    r = c.request(PEER_HELLO, peer_hello_body("evil%d" % i, has_secret=False),
                                  rid=0)
                    want = AUTH_FAILED
                elif kind == 2:  # replay the recorded PEER_HELLO and PEER_PROOF
                    c.request(PEER_HELLO, peer_hello_body("spy", nonce=recorded["nonce_i"]),
                              rid=0)
                    r = c.request(PEER_PROOF, recorded["mac_i"], rid=0)
                    want = AUTH_FAILED
                elif kind == 3:  # reflect the responder's own proof back
                    r = c.request(PEER_HELLO, peer_hello_body("evil%d" % i), rid=0)
                    _, _, _, mac_r = parse_peer_hello_reply(r.rest)
                    r = c.request(PEER_PROOF, mac_r, rid=0)
                    want = AUTH_FAILED
                elif kind == 4:  # PEER_PROOF with no PEER_HELLO
                    r = c.request(PEER_PROOF, recorded["mac_i"], rid=0)
                    want = NOT_ALLOWED
                elif kind == 5:  # JOIN without any handshake
                    r = c.request(JOIN, b("evil%d" % i) + b("127.0.0.1:1"))
                    want = NOT_ALLOWED
                elif kind == 6:  # GOSSIP / MIGRATE_DONE without a handshake
                    c.send(membership_frame)
                    r = c.read_reply()
                    want = NOT_ALLOWED
                else:  # a PEER_HELLO naming another cluster, then JOIN on the same connection
                    r = c.request(PEER_HELLO, peer_hello_body("evil%d" % i, cluster="other"),
                                  rid=0)
                    want = NOT_ALLOWED
                with lock:
                    (refused if r.status == want else accepted).append((i, kind, r))
                if kind in (0, 1, 2, 3, 4, 7):  # handshake failures close the connection
                    if not c.is_closed(timeout=1):
                        with lock:
                            accepted.append((i, kind, "connection left open"))
            except OSError as e:
                with lock:
                    errors.append((i, kind, e))
            finally:
                c.close()

        threads = []
        for start in range(0, 1000, 50):
            batch = [threading.Thread(target=attempt, args=(i,))
                     for i in range(start, start + 50)]
            for t in batch:
                t.start()
            threads += batch
            for t in batch:
                t.join()
        self.assertEqual(errors, [])
        self.assertEqual(accepted, [])
        self.assertEqual(len(refused), 1000)
        self.assert_ring_unchanged()
        failures = sum(int(self.info(n)["peer_auth_failures"]) for n in self.nodes)
        self.assertEqual(failures, 125 * 6)  # kinds 0-4 and 7; 5 and 6 are peer opcodes

    def test_no_byte_before_the_responder_proves_itself(self):
        # An impostor member: the joining node must send only its PEER_HELLO
        # and give up when the proof is wrong.
        server = socket.socket()
        server.bind((HOST, 0))
        server.listen(4)
        self.addCleanup(server.close)
        got = []

        def impostor():
            conn, _ = server.accept()
            with conn:
                conn.settimeout(5)
                data = conn.recv(65536)
                got.append(data)
                body = b("boss") + b("dkv") + os.urandom(32) + os.urandom(32)
                conn.sendall(frame(PEER_HELLO, b"\x00" + body, rid=0, flags=0x01))
                while True:
                    more = conn.recv(65536)
                    if not more:
                        break
                    got.append(more)

        t = threading.Thread(target=impostor)
        t.start()
        joiner = self.start_node("j2", join_addr="%s:%d" % server.getsockname(), no_repl=True,
                                 env={"DKV_CLUSTER_SECRET": SECRET})
        t.join(timeout=15)
        self.assertTrue(joiner.wait_log("cluster secret mismatch"))
        sent = b"".join(got)
        (length,) = struct.unpack(">I", sent[8:12])
        self.assertEqual(sent[2], PEER_HELLO)
        self.assertEqual(len(sent), 12 + length, "bytes after the PEER_HELLO: %r" % sent[12 + length:])


if __name__ == "__main__":
    unittest.main()
