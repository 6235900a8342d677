"""Shared helpers of scripts/bench and scripts/bench-resp (Python 3 stdlib only).

- Servers: starts redis-server, memcached and kv-node on free loopback
  ports and stops every one of them on exit, error, Ctrl-C or SIGTERM.
- Clients: redis-benchmark (RESP) and kv-bench (dkv binary) runs parsed into
  {"rps", "p50", "p99"} (latencies in ms), and `py_load`, a small asyncio
  load loop for the memcached text protocol (and RESP, to calibrate it
  against redis-benchmark): bounded in requests and time, loopback only.
- `bulk_set`: loads N sequential keys as fast as one socket allows (memory).
- /proc readers: CPU seconds and RSS of a server process.

All traffic goes to 127.0.0.1.
"""
import asyncio
import csv
import io
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")
KEY_FORMAT = b"key:%012d"  # redis-benchmark's -r key names, 16 bytes; kv-bench uses the same


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def fail(prog, msg):
    raise SystemExit(f"{prog}: {msg}")


# ---- setup -------------------------------------------------------------------

def ensure_packages(tools):
    """tools: {executable: debian package}. apt-get installs the missing ones."""
    missing = sorted({pkg for exe, pkg in tools.items() if not shutil.which(exe)})
    if not missing:
        return
    log(f"installing {' '.join(missing)} with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(sudo + ["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)


def build(*targets):
    """Builds the targets optimized with scripts/build; returns the bin dir."""
    done = subprocess.run([os.path.join(ROOT, "scripts", "build"), *targets],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        log(done.stdout[-6000:])
        raise SystemExit(f"scripts/build {' '.join(targets)} failed "
                         f"(exit status {done.returncode}); its output is above")
    return os.path.join(os.environ.get("DKV_BUILD_DIR", os.path.join(ROOT, "build")), "bin")


# ---- processes ---------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Server:
    def __init__(self, name, proc, port):
        self.name, self.proc, self.port = name, proc, port

    @property
    def pid(self):
        return self.proc.pid

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def rss(self):
        return rss_bytes(self.proc.pid)


class Servers:
    """Context manager owning every server process a benchmark starts.

    Servers run in their own session, so a Ctrl-C at the terminal reaches only
    the script, whose exit (normal, exception, SIGINT, SIGTERM, SIGHUP) stops
    them all: SIGTERM, then SIGKILL after 10 s. The work dir is removed.
    """

    def __init__(self, prog):
        self.prog = prog
        self.servers = []
        self.work = None

    def __enter__(self):
        self.work = tempfile.mkdtemp(prefix="dkv-bench-")
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        return self

    def _on_signal(self, signum, _frame):
        raise SystemExit(f"{self.prog}: stopped by signal {signum}")

    def __exit__(self, *exc):
        self.stop_all()
        shutil.rmtree(self.work, ignore_errors=True)
        return False

    def stop_all(self):
        for s in self.servers:
            if s.proc.poll() is None:
                s.proc.terminate()
        for s in self.servers:
            try:
                s.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                s.proc.kill()
                s.proc.wait()
        self.servers = []

    def start(self, name, argv, port):
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=self.work, start_new_session=True)
        server = Server(name, proc, port)
        self.servers.append(server)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                fail(self.prog, f"{name} exited with status {proc.returncode} at start")
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                return server
            except OSError:
                time.sleep(0.05)
        fail(self.prog, f"{name}: nothing listening on port {port} after 10 s")

    def redis(self, name="redis", extra=(), port=None):
        """redis-server without persistence; `extra` options override that."""
        port = port or free_port()
        os.makedirs(os.path.join(self.work, name), exist_ok=True)
        return self.start(name, ["redis-server", "--bind", HOST, "--port", str(port),
                                 "--save", "", "--appendonly", "no",
                                 "--dir", os.path.join(self.work, name), *extra], port)

    def memcached(self, name="memcached"):
        port = free_port()
        root = ["-u", "nobody"] if os.geteuid() == 0 else []  # it refuses to run as root
        return self.start(name, ["memcached", "-t", "1", "-l", HOST, "-p", str(port),
                                 "-m", "4096", *root], port)

    def kv_node(self, bin_dir, name="dkv", extra=(), port=None):
        """A kv-node whose data dir survives a restart under the same name."""
        port = port or free_port()
        return self.start(name, [os.path.join(bin_dir, "kv-node"), "--id", name,
                                 "--peer-addr", f"{HOST}:{port}", "--no-repl",
                                 "--data-dir", os.path.join(self.work, name, "data"),
                                 "--log-dir", os.path.join(self.work, name, "logs"),
                                 *extra], port)


# ---- clients -----------------------------------------------------------------

def redis_benchmark(port, test, n, pipeline, value_size=16, clients=50, keyspace=1_000_000):
    """One redis-benchmark run; latencies in ms (p50, p99, max)."""
    return redis_benchmark_result(
        redis_benchmark_start(port, test, n, pipeline, value_size, clients, keyspace), test, n)


def redis_benchmark_start(port, test, n, pipeline, value_size=16, clients=50,
                          keyspace=1_000_000):
    """Starts a redis-benchmark run in the background (its CSV to a pipe)."""
    return subprocess.Popen(
        ["redis-benchmark", "-h", HOST, "-p", str(port), "-t", test, "-n", str(n),
         "-c", str(clients), "-P", str(pipeline), "-r", str(keyspace), "-d", str(value_size),
         "--csv"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def redis_benchmark_result(proc, test, n):
    """Waits for a run redis_benchmark_start began and parses its CSV."""
    try:
        out, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["test"] == test.upper())
    return {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
            "p99": float(row["p99_latency_ms"]), "max": float(row["max_latency_ms"]),
            "requests": n}


def kv_bench(bin_dir, ports, test, n, pipeline, value_size=16, clients=50, keyspace=1_000_000,
             seed=1, pattern="random", timeout=600):
    """One kv-bench run over one or more loopback ports; latencies in ms."""
    ratio = {"set": "0:1", "get": "1:0"}[test]
    argv = [os.path.join(bin_dir, "kv-bench"), "-c", str(clients), "-P", str(pipeline),
            "-n", str(n), "-r", str(keyspace), "-d", str(value_size), "--ratio", ratio,
            "--seed", str(seed), "--key-pattern", pattern, "--json", "--timeout", str(timeout)]
    for port in ports:
        argv += ["-a", f"{HOST}:{port}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 30)
    if done.returncode != 0:
        raise RuntimeError(f"kv-bench failed ({done.returncode}): {done.stderr.strip()}")
    r = json.loads(done.stdout)
    return {"rps": r["ops_per_sec"], "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000,
            "requests": r["requests"]}


def client_cpu_seconds():
    """CPU time of this script and of the clients it ran and waited for
    (redis-benchmark, kv-bench; the py asyncio client runs in-process)."""
    own, done = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime


def with_cpu(servers, run):
    """Calls run() and adds the servers' and the client's CPU time per
    request, in us."""
    before, client_before = sum(s.cpu() for s in servers), client_cpu_seconds()
    r = run()
    r["cpu_us"] = (sum(s.cpu() for s in servers) - before) / r["requests"] * 1e6
    r["client_us"] = (client_cpu_seconds() - client_before) / r["requests"] * 1e6
    return r


# The Python load loop. One asyncio.Protocol per connection keeps `pipeline`
# requests in flight; both protocols answer in order, so a FIFO of send times
# matches replies to requests. It is a plain-Python client: at high rates it
# is the bottleneck, not the server (calibrate with protocol="resp" on Redis).

def _mc_request(test, key, value):
    if test == "set":
        return b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)
    return b"get %s\r\n" % key


def _resp_request(test, key, value):
    if test == "set":
        return b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)
    return b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key)


def _mc_reply(buf, pos):
    """(end, ok) of the reply at pos, or None when incomplete."""
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        return None
    line = bytes(buf[pos:eol])
    if line in (b"STORED", b"END"):
        return eol + 2, True
    if line.startswith(b"VALUE "):
        size = int(line.rsplit(b" ", 1)[1])
        end = eol + 2 + size + 2 + 5  # data, \r\n, END\r\n
        if len(buf) < end:
            return None
        return end, bytes(buf[end - 5:end]) == b"END\r\n"
    return eol + 2, False  # ERROR, SERVER_ERROR ..., NOT_STORED


def _resp_reply(buf, pos):
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        return None
    kind = buf[pos]
    if kind == 0x24:  # '$'
        size = int(buf[pos + 1:eol])
        if size < 0:
            return eol + 2, True
        end = eol + 2 + size + 2
        return (end, True) if len(buf) >= end else None
    return eol + 2, kind == 0x2B  # '+OK' vs '-ERR'


class _LoadConnection(asyncio.Protocol):
    def __init__(self, job, rng):
        self.job, self.rng = job, rng
        self.buf = bytearray()
        self.sent = deque()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fill(self, now):
        job = self.job
        out = []
        while len(self.sent) < job.pipeline and job.issued < job.n:
            if job.sequential:
                k = job.issued % job.keyspace
            else:
                k = self.rng.randrange(job.keyspace)
            out.append(job.encode(job.test, KEY_FORMAT % k, job.value))
            job.issued += 1
            self.sent.append(now)
        if out:
            self.transport.write(b"".join(out))

    def data_received(self, data):
        now = time.perf_counter()
        job = self.job
        buf = self.buf
        buf += data
        pos = 0
        while self.sent:
            r = job.parse(buf, pos)
            if r is None:
                break
            pos, ok = r
            job.latencies.append(now - self.sent.popleft())
            if not ok:
                job.errors += 1
        del buf[:pos]
        job.done_at = now
        if len(job.latencies) >= job.n and not job.finished.done():
            job.finished.set_result(None)
        self.fill(now)

    def connection_lost(self, exc):
        if self.sent and not self.job.finished.done():
            self.job.finished.set_exception(
                ConnectionError(f"connection lost with {len(self.sent)} requests in flight"))


class _LoadJob:
    def __init__(self, protocol, test, n, pipeline, value_size, keyspace, sequential):
        self.encode = {"memcache": _mc_request, "resp": _resp_request}[protocol]
        self.parse = {"memcache": _mc_reply, "resp": _resp_reply}[protocol]
        self.test, self.n, self.pipeline = test, n, pipeline
        self.value = b"x" * value_size
        self.keyspace, self.sequential = keyspace, sequential
        self.issued = self.errors = 0
        self.latencies = []
        self.done_at = 0.0
        self.finished = None


async def _py_load(port, job, clients, seed, timeout):
    loop = asyncio.get_running_loop()
    job.finished = loop.create_future()
    transports = []
    try:
        conns = []
        for i in range(clients):
            t, p = await loop.create_connection(
                lambda i=i: _LoadConnection(job, random.Random(seed * 1_000_003 + i)),
                HOST, port)
            transports.append(t)
            conns.append(p)
        start = time.perf_counter()  # every connection is up: go
        for p in conns:
            p.fill(start)
        await asyncio.wait_for(job.finished, timeout)
        return start
    finally:
        for t in transports:
            t.close()


def py_load(port, protocol, test, n, pipeline, value_size=16, clients=50, keyspace=1_000_000,
            seed=1, sequential=False, timeout=300):
    """Runs the asyncio load loop against a loopback port; latencies in ms."""
    job = _LoadJob(protocol, test, n, pipeline, value_size, keyspace, sequential)
    start = asyncio.run(_py_load(port, job, clients, seed, timeout))
    if job.errors:
        raise RuntimeError(f"{job.errors} error replies from port {port}")
    lat = sorted(job.latencies)
    pick = lambda q: lat[min(len(lat) - 1, max(0, int(q * len(lat) + 0.999999) - 1))]
    return {"rps": n / (job.done_at - start), "p50": pick(0.50) * 1000,
            "p99": pick(0.99) * 1000, "requests": n}


def bulk_set(port, protocol, count, value_size, clients=4, pipeline=256):
    """Stores keys 0..count-1 once each (sequential), pipelined; for loading."""
    return py_load(port, protocol, "set", count, pipeline, value_size, clients, count,
                   sequential=True, timeout=600)


def command(port, *args, timeout=10):
    """One RESP command over a fresh connection; the raw reply line(s)."""
    req = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() if isinstance(x, str) else x
                                                 for x in args))
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(req)
        return s.recv(1 << 20)


def info(port, timeout=10):
    """INFO over a fresh RESP connection (Redis and dkv), as a dict of str."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(b"*1\r\n$4\r\nINFO\r\n")
        data = b""
        while b"\r\n" not in data or len(data) < _bulk_end(data):
            chunk = s.recv(1 << 16)
            if not chunk:
                raise RuntimeError(f"port {port}: connection closed in the middle of INFO")
            data += chunk
    text = data[data.index(b"\r\n") + 2:_bulk_end(data) - 2].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _bulk_end(data):
    """Where the RESP bulk string starting `data` ends (after its CRLF)."""
    if not data.startswith(b"$"):
        raise RuntimeError(f"INFO: not a bulk string reply: {data[:80]!r}")
    head = data.index(b"\r\n")
    return head + 2 + int(data[1:head]) + 2


def wait_settled(prog, nodes, timeout=60):
    """Waits until the kv-nodes `nodes` form one settled cluster: each counts
    all of them as members at one epoch, and no partition is still arriving
    or to be handed off (INFO "# Cluster")."""
    deadline = time.monotonic() + timeout
    while True:
        states = [info(s.port) for s in nodes]
        if (len({st["epoch"] for st in states}) == 1
                and all(int(st["members"]) == len(nodes) and st["partitions_incoming"] == "0"
                        and st["partitions_outgoing"] == "0" and st["joining"] == "0"
                        for st in states)):
            return states
        if time.monotonic() > deadline:
            fail(prog, f"cluster of {[s.name for s in nodes]} not settled after {timeout} s")
        time.sleep(0.1)


def snapshot_marks(port):
    """(snapshots taken, one in progress) of a kv-node: compare two to tell
    whether a snapshot overlapped what ran between them."""
    i = info(port)
    return int(i["snapshots_taken"]), i["snapshot_in_progress"] != "0"


def snapshot_overlapped(before, after):
    return before[1] or after[1] or after[0] != before[0]


def wait_snapshot_done(prog, port, timeout=300):
    """Waits until a kv-node is not taking a snapshot, after giving one made
    due by the writes just done the second its snapshotter waits between
    checks."""
    time.sleep(1.5)
    deadline = time.monotonic() + timeout
    while info(port)["snapshot_in_progress"] != "0":
        if time.monotonic() > deadline:
            fail(prog, f"port {port}: snapshot still running after {timeout} s")
        time.sleep(0.2)


def memcached_stat(port, name, timeout=10):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(b"stats\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
    for line in data.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == name:
            return int(parts[2])
    raise RuntimeError(f"memcached stat {name} not found")


# ---- results -----------------------------------------------------------------

def load_average():
    """The 1-minute load average: how busy the machine was besides us."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def medians(runs):
    """[{metric: value}, ...] -> {metric: median}, plus "spread": half the
    range of ops/s over the runs, in % of the median (the noise to expect)."""
    med = {m: statistics.median(r[m] for r in runs) for m in runs[0]}
    rps = [r["rps"] for r in runs]
    med["spread"] = (max(rps) - min(rps)) / 2 / med["rps"] * 100 if med["rps"] else 0.0
    return med


def rotated(items, k):
    """items turned left by k: who runs first changes from one repetition to
    the next, so a system is not always measured in the same slot."""
    items = list(items)
    k %= len(items)
    return items[k:] + items[:k]


def fmt_ratio(a, b):
    return f"{a / b:.2f}" if b else "-"
