"""Shared helpers for the black-box integration tests of kv-node and kvctl.

Everything here talks to 127.0.0.1 only. Binaries come from $DKV_BIN
(default: ../../build/bin relative to this file). Every wait is bounded.

- start_node(**flags) launches kv-node in a fresh temp dir and waits for its
  `READY host:port` line; NodeTestCase.start_node does the same and registers
  the cleanup. start_node(workdir=d) runs it in an existing dir instead, so a
  node restarted on the same workdir finds its data dir (d/data) again;
  run_node_once(d) runs one that is expected to refuse to start.
- BinaryClient speaks the binary frames of protocol/PROTOCOL.md.
- RespClient sends raw bytes and reads RESP2 replies back as raw bytes.
- Clusters: NodeTestCase.start_cluster(n) starts n nodes that join through
  the first; wait_settled(nodes) waits until their INFO agrees (members,
  epoch, nothing arriving or leaving); cluster_state(node) reads the numbers.
"""

import contextlib
import os
import queue
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
WAIT = 10.0  # upper bound of every wait, in seconds
SETTLE = 30.0  # upper bound for a cluster to settle after a change, in seconds

BIN_DIR = os.environ.get("DKV_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")
KV_NODE = os.path.join(BIN_DIR, "kv-node")
KVCTL = os.path.join(BIN_DIR, "kvctl")


def clean_env(extra=None):
    """The test's environment without DKV_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DKV_")}
    env.update(extra or {})
    return env


def poll(predicate, timeout=WAIT, interval=0.02):
    """Calls predicate() until it returns a truthy value or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def free_port():
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(cmd, timeout=WAIT, **kwargs):
    """subprocess.run with captured output, a clean env and a timeout;
    raises when the process's stderr holds a sanitizer report."""
    kwargs.setdefault("env", clean_env())
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    result = subprocess.run(cmd, capture_output=True, timeout=timeout, **kwargs)
    check_sanitizers(os.path.basename(cmd[0]), result.stderr.decode("utf-8", "replace"))
    return result


# --------------------------------------------------------------------------
# Sanitizers (scripts/test-sanitize): a report from AddressSanitizer,
# LeakSanitizer or UndefinedBehaviorSanitizer in the output of any process a
# test started fails that test. A test running them only fails when the
# report breaks what it checks, and a leak is only reported at a graceful
# exit, when the test is done with the process: so the harness reads every
# process's stderr.

SANITIZED = os.environ.get("DKV_SANITIZED") == "1"
# AddressSanitizer holds freed memory back before reusing it (its
# quarantine, 256 MiB by default) and adds redzones and shadow memory to
# it, so a sanitized kv-node's RSS grows by up to ~1.5x that for nothing
# (test_hostile: +335 MiB). Every bound on RSS growth adds this; there,
# leaks are LeakSanitizer's to find.
RSS_SLACK_MIB = 384 if SANITIZED else 0
SANITIZER_REPORT = re.compile(r"^.*(ERROR: \w+Sanitizer|runtime error:)", re.M)


def check_sanitizers(what, output):
    """Raises AssertionError with the report when `output` (a process's
    stderr) holds one."""
    m = SANITIZER_REPORT.search(output)
    if m:
        raise AssertionError("sanitizer report from %s:\n%s" % (what, output[m.start():][:20000]))


def flag_args(flags):
    """{'max_frame': 1024, 'no_repl': True, 'port': None} -> ['--max-frame', '1024', '--no-repl']"""
    args = []
    for name, value in flags.items():
        if value is not None:
            args += ["--" + name.replace("_", "-")] + ([] if value is True else [str(value)])
    return args


# --------------------------------------------------------------------------
# kv-node processes


class Node:
    """A running kv-node. stdout lines are read by a thread into a queue."""

    def __init__(self, proc, workdir, node_id, tmp=None):
        self.proc, self.pid, self.stdin = proc, proc.pid, proc.stdin
        self.tmp, self.dir, self.id = tmp, workdir, node_id  # tmp: removed by close()
        self.host, self.port, self._marker = None, None, 0
        self.lines = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)  # EOF

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    def read_line(self, timeout=WAIT):
        """Next stdout line; None at EOF; raises TimeoutError."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("no stdout line from kv-node within %.1fs" % timeout)

    def wait_ready(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.read_line(max(0.0, deadline - time.monotonic()))
                m = re.fullmatch(r"READY (\S+):(\d+)", line or "")
            except TimeoutError:
                line = None
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                return
            if line is None:
                raise RuntimeError("kv-node did not print READY (exit %s); stderr:\n%s"
                                   % (self.proc.poll(), self.stderr_text()))

    # -- the REPL

    def send(self, text):
        self.stdin.write(text.encode())
        self.stdin.flush()

    def repl(self, command, timeout=WAIT):
        """Runs one REPL command and returns its output lines. A unique
        unknown-command marker after it tells where the output ends."""
        self._marker += 1
        marker = "__end_%d__" % self._marker
        self.send(command + "\n" + marker + "\n")
        out, deadline = [], time.monotonic() + timeout
        while True:
            line = self.read_line(max(0.0, deadline - time.monotonic()))
            if line is None:
                raise AssertionError("stdout closed; got %r" % out)
            if marker in line:
                return out
            out.append(line)

    # -- files and process state

    def stderr_text(self):
        return read_text(os.path.join(self.dir, "stderr.txt"))

    def log_files(self):
        d = os.path.join(self.dir, "logs", self.id)
        return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []

    def log_text(self):
        return "".join(read_text(path) for path in self.log_files())

    def wait_log(self, needle, timeout=WAIT):
        return poll(lambda: needle in self.log_text(), timeout)

    def rss_kib(self):
        status = read_text("/proc/%d/status" % self.pid)
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def alive(self):
        return self.proc.poll() is None

    # -- stopping

    def send_signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout=WAIT):
        """Exit code, or raises subprocess.TimeoutExpired."""
        return self.proc.wait(timeout=timeout)

    def kill(self):
        """kill -9, and wait for the process to be gone."""
        return self.stop(signal.SIGKILL)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT):
        """Signals the node, waits; kills it if it does not exit in time."""
        self.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def close(self):
        """Cleanup: stop the process, close pipes, remove its own temp dir.
        Raises when its stderr holds a sanitizer report."""
        try:
            self.stop(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # killed
        finally:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f and f.close()
                except OSError:
                    pass  # a REPL pipe the node no longer reads
            self._reader.join(timeout=WAIT)
            stderr = self.stderr_text()
            if self.tmp:
                self.tmp.cleanup()
        check_sanitizers("kv-node %s" % self.id, stderr)


def node_command(workdir, node_id, flags):
    """kv-node with --id, --peer-addr, --port 0, and --data-dir, --log-dir in
    workdir; keyword flags become options (max_frame=1024 -> --max-frame 1024;
    a None value drops a default flag)."""
    flags = dict(dict(id=node_id, peer_addr=HOST + ":7", port=0,
                      data_dir=os.path.join(workdir, "data"),
                      log_dir=os.path.join(workdir, "logs")), **flags)
    return [KV_NODE] + flag_args(flags)


def start_node(node_id="n1", stdin=subprocess.DEVNULL, env=None, close_stdin=False,
               workdir=None, **flags):
    """Launches kv-node (see node_command) in workdir, or a fresh temp dir
    that close() removes, with that dir as its cwd, and waits for READY.
    stdin: DEVNULL (default), PIPE (for the REPL), or a file.
    close_stdin=True starts it with fd 0 closed (sh -c 'exec ... <&-')."""
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="dkv-it-")
        workdir = tmp.name
    cmd = node_command(workdir, node_id, flags)
    if close_stdin:
        cmd = ["sh", "-c", 'exec "$@" <&-', "sh"] + cmd
        stdin = subprocess.DEVNULL
    try:
        # Appended: a node restarted on the same workdir keeps the output
        # (and any sanitizer report) of the one before for its close().
        with open(os.path.join(workdir, "stderr.txt"), "ab") as err:
            proc = subprocess.Popen(cmd, cwd=workdir, stdin=stdin, stdout=subprocess.PIPE,
                                    stderr=err, env=clean_env(env))
    except BaseException:
        if tmp:
            tmp.cleanup()
        raise
    node = Node(proc, workdir, node_id, tmp)
    try:
        node.wait_ready()
    except BaseException:
        node.close()
        raise
    return node


def run_node_once(workdir, node_id="n1", timeout=WAIT, **flags):
    """Runs kv-node (see node_command) in workdir when it is expected to
    refuse to start: returns the CompletedProcess (stdout, stderr bytes).
    A node that starts after all is killed when timeout passes
    (subprocess.TimeoutExpired)."""
    return run(node_command(workdir, node_id, flags), timeout=timeout, cwd=workdir)


class NodeTestCase(unittest.TestCase):
    """start_node / clients whose cleanup is registered with the test."""

    def start_node(self, *args, **kwargs):
        node = start_node(*args, **kwargs)
        self.addCleanup(node.close)
        return node

    def binary(self, node, **kwargs):
        c = BinaryClient(node.port, **kwargs)
        self.addCleanup(c.close)
        return c

    def resp(self, node):
        c = RespClient(node.port)
        self.addCleanup(c.close)
        return c

    def info(self, node):
        """INFO over a fresh RESP connection, as a dict of str."""
        return node_info(node)

    def assert_values(self, node, expected, batch=500):
        """Checks with MGET that every key of `expected` ({key: value, or
        None for absent}) holds its value."""
        with contextlib.closing(BinaryClient(node.port)) as c:
            keys = list(expected)
            for i in range(0, len(keys), batch):
                part = keys[i:i + batch]
                got = c.mget(part).mget_values()
                wrong = [(k, expected[k], v) for k, v in zip(part, got) if v != expected[k]]
                self.assertEqual(wrong[:5], [], "%d of %d keys wrong (key, expected, got)"
                                 % (len(wrong), len(part)))

    def tempdir(self):
        tmp = tempfile.TemporaryDirectory(prefix="dkv-it-")
        self.addCleanup(tmp.cleanup)
        return tmp.name

    def put_all(self, nodes, items, rng, chunk=500):
        """PUTs {key: value} in chunks, each pipelined through a node picked
        by rng from `nodes`; every PUT must be acknowledged."""
        keys = list(items)
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            replies = self.binary(rng.choice(nodes)).batch(
                [(PUT, b(k) + b(items[k])) for k in part])
            bad = [(k, r) for k, r in zip(part, replies) if r.status != OK]
            self.assertEqual(bad[:3], [], "%d PUTs failed" % len(bad))

    def get_all(self, node, keys):
        """GETs `keys` through one node, pipelined: {key: Reply}."""
        with contextlib.closing(BinaryClient(node.port)) as c:
            return dict(zip(keys, c.batch([(GET, b(k)) for k in keys])))

    # -- clusters

    def start_cluster(self, count, prefix="n", **flags):
        """Starts `count` nodes (ids prefix1..prefixN, no REPL unless
        flags say otherwise); the others join through the first. Waits
        until the cluster has settled."""
        flags.setdefault("no_repl", True)
        nodes = [self.start_node(prefix + "1", **flags)]
        for i in range(2, count + 1):
            nodes.append(self.start_node(prefix + str(i), join_addr=nodes[0].addr, **flags))
        self.wait_settled(nodes)
        return nodes

    def wait_settled(self, nodes, timeout=SETTLE):
        """Waits until `nodes` form a settled cluster (see settled());
        returns their cluster_state()s."""
        last = []

        def check():
            last[:] = [cluster_state(n) for n in nodes]
            return settled(last)

        if not poll(check, timeout, interval=0.1):
            self.fail("cluster of %s not settled within %.0fs: %s"
                      % ([n.id for n in nodes], timeout, last))
        return last


def node_info(node):
    """INFO over a fresh RESP connection, as a dict of str."""
    with contextlib.closing(RespClient(node.port)) as c:
        return c.info()


# --------------------------------------------------------------------------
# Clusters (DESIGN.md sections 5-7; INFO "# Cluster")

PARTITIONS = 4096

CLUSTER_FIELDS = dict(epoch="epoch", members="members", owned="partitions_owned",
                      incoming="partitions_incoming", outgoing="partitions_outgoing",
                      leaving="leaving", keys="keys", received="migrated_keys_received",
                      sent="migrated_keys_sent", mismatches="digest_mismatches",
                      joining="joining")


def cluster_state(node):
    """The cluster numbers of a node's INFO as a dict of ints (keys of
    CLUSTER_FIELDS), plus its id; None when it does not answer."""
    try:
        info = node_info(node)
    except OSError:
        return None
    state = {name: int(info[field]) for name, field in CLUSTER_FIELDS.items()}
    state["id"] = node.id
    return state


def settled(states):
    """True when these cluster_state()s are those of a settled cluster made
    of exactly these nodes: all answer, agree on the epoch, count them all
    as members, own all partitions between them, and have nothing arriving,
    leaving or still to hand off."""
    return (all(states) and len({s["epoch"] for s in states}) == 1
            and sum(s["owned"] for s in states) == PARTITIONS
            and all(s["members"] == len(states) and s["incoming"] == 0 and s["outgoing"] == 0
                    and s["leaving"] == 0 and s["joining"] == 0 for s in states))


# --------------------------------------------------------------------------
# Connections


class Conn:
    """A buffered TCP connection to 127.0.0.1 (or another loopback `host`)
    with a timeout on every call."""

    def __init__(self, port, timeout=WAIT, host=HOST):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed by the node")
        self.buf += chunk

    def read_exact(self, n):
        if len(self.buf) < n:
            chunks, have = [self.buf], len(self.buf)
            while have < n:  # joined once: appending chunk by chunk is quadratic
                chunk = self.sock.recv(max(1 << 20, n - have))
                if not chunk:
                    self.buf = b"".join(chunks)
                    raise ConnectionError("connection closed by the node")
                chunks.append(chunk)
                have += len(chunk)
            self.buf = b"".join(chunks)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_line(self):
        """Up to and including CRLF."""
        while b"\r\n" not in self.buf:
            self._fill()
        return self.read_exact(self.buf.index(b"\r\n") + 2)

    def is_closed(self, timeout=WAIT):
        """True when the node closes the connection (EOF or reset) with no
        more bytes to read, within timeout."""
        if self.buf:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


# -- binary protocol (protocol/PROTOCOL.md)

MAGIC, VERSION, FLAG_REPLY = 0xDB, 0x01, 0x01
HELLO, PING, GET, PUT, DEL, MGET, STATS = range(1, 8)
OK, NOT_FOUND = 0x00, 0x01
MALFORMED, UNKNOWN_OPCODE, TOO_LARGE, BAD_VERSION, BAD_MAGIC, NOT_ALLOWED = range(0x10, 0x16)
UNAVAILABLE, INTERNAL, IO_ERROR = range(0x20, 0x23)

HEADER = struct.Struct(">BBBBII")


def frame(opcode, body=b"", rid=0, version=VERSION, flags=0, magic=MAGIC, length=None):
    """One frame; `length` overrides the body_length field."""
    n = len(body) if length is None else length
    return HEADER.pack(magic, version, opcode, flags, rid, n) + body


def b(data):
    """A `bytes` field."""
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">I", len(data)) + data


def take_bytes(data):
    """Splits a `bytes` field off the front of data: (value, rest)."""
    (n,) = struct.unpack(">I", data[:4])
    assert len(data) >= 4 + n, "bytes field runs past the body"
    return data[4:4 + n], data[4 + n:]


def hello_body(node_id=b"", cluster=b"", version=VERSION):
    return bytes([version]) + b(node_id) + b(cluster)


def mget_body(keys):
    return struct.pack(">I", len(keys)) + b"".join(b(k) for k in keys)


class Reply:
    def __init__(self, header, body):
        (self.magic, self.version, self.opcode, self.flags,
         self.rid, self.length) = HEADER.unpack(header)
        self.raw = header + body
        self.body = body
        self.status = body[0] if body else None
        self.rest = body[1:]

    def fields(self):
        """self.rest as a list of `bytes` fields (replies made only of them)."""
        out, rest = [], self.rest
        while rest:
            value, rest = take_bytes(rest)
            out.append(value)
        return out

    @property
    def message(self):
        """The error message of an error reply (exactly one `bytes` field)."""
        (message,) = self.fields()
        return message.decode()

    @property
    def value(self):
        (v,) = self.fields()
        return v

    def mget_values(self):
        data = self.rest
        (count,), pos, values = struct.unpack_from(">I", data), 4, []
        for _ in range(count):  # by offset: slicing off the front would be quadratic
            present, pos = data[pos], pos + 1
            if not present:
                values.append(None)
                continue
            (n,), pos = struct.unpack_from(">I", data, pos), pos + 4
            assert pos + n <= len(data), "bytes field runs past the body"
            values.append(data[pos:pos + n])
            pos += n
        assert pos == len(data), "trailing bytes in MGET reply"
        return values

    def __repr__(self):
        return "Reply(op=%#x rid=%d status=%s body=%r)" % (
            self.opcode, self.rid, self.status, self.body[:64])


class BinaryClient(Conn):
    """Binary-protocol client: request() sends one frame and reads its reply."""

    next_rid = 0

    def read_reply(self):
        header = self.read_exact(HEADER.size)
        (n,) = struct.unpack(">I", header[8:12])
        return Reply(header, self.read_exact(n))

    def request(self, opcode, body=b"", **kwargs):
        self.next_rid += 1
        rid = kwargs.pop("rid", self.next_rid)
        self.send(frame(opcode, body, rid=rid, **kwargs))
        r = self.read_reply()
        assert (r.magic, r.version, r.opcode, r.flags, r.rid) == (
            MAGIC, VERSION, opcode, FLAG_REPLY, rid), "reply header mismatch: %r" % r
        return r

    def ping(self, payload=None):
        return self.request(PING, b"" if payload is None else b(payload))

    def put(self, key, value):
        return self.request(PUT, b(key) + b(value))

    def get(self, key):
        return self.request(GET, b(key))

    def delete(self, key):
        return self.request(DEL, b(key))

    def mget(self, keys):
        return self.request(MGET, mget_body(keys))

    def stats(self):
        return self.request(STATS).value.decode()

    def batch(self, requests, window=256):
        """Sends [(opcode, body)] with up to `window` requests in flight and
        matches the replies by request id (a node may answer out of order);
        returns them in request order."""
        base, replies, sent, got = self.next_rid, [None] * len(requests), 0, 0
        self.next_rid += len(requests)
        while got < len(requests):
            n = min(len(requests) - sent, window - (sent - got))
            if n:
                self.send(b"".join(frame(op, body, rid=(base + sent + i + 1) & 0xFFFFFFFF)
                                   for i, (op, body) in enumerate(requests[sent:sent + n])))
                sent += n
            r = self.read_reply()
            i = (r.rid - base - 1) & 0xFFFFFFFF
            assert i < sent and replies[i] is None, "unexpected reply: %r" % r
            replies[i] = r
            got += 1
        return replies

    def pipeline(self, requests, window=256):
        """Sends [(opcode, body)] with up to `window` requests in flight;
        returns their replies in order."""
        replies, sent = [], 0
        while len(replies) < len(requests):
            batch = requests[sent:sent + window - (sent - len(replies))]
            self.send(b"".join(frame(op, body, rid=sent + i + 1)
                               for i, (op, body) in enumerate(batch)))
            sent += len(batch)
            r = self.read_reply()
            assert r.rid == len(replies) + 1, "reply out of order: %r" % r
            replies.append(r)
        return replies


# -- RESP2


def multibulk(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class RespClient(Conn):
    """Raw RESP2: send bytes, read each reply back as its exact bytes."""

    def read_reply(self):
        line = self.read_line()
        kind = line[:1]
        if kind in (b"+", b"-", b":"):
            return line
        n = int(line[1:-2])
        if kind == b"$":
            return line if n < 0 else line + self.read_exact(n + 2)
        if kind == b"*":
            return line + b"".join(self.read_reply() for _ in range(max(n, 0)))
        raise AssertionError("not a RESP reply: %r" % line)

    def replies(self, n):
        return [self.read_reply() for _ in range(n)]

    def cmd(self, *args):
        """Sends one multibulk command and returns its raw reply."""
        self.send(multibulk(*args))
        return self.read_reply()

    def inline(self, line):
        self.send(line.encode() + b"\r\n" if isinstance(line, str) else line)
        return self.read_reply()

    def info(self):
        """INFO as a dict of str (the `key:value` lines)."""
        body = self.cmd("INFO").split(b"\r\n", 1)[1].decode()
        return dict(line.split(":", 1) for line in body.splitlines() if ":" in line)
