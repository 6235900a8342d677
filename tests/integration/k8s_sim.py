"""A StatefulSet of kv-node pods as Kubernetes would run k8s/base, on loopback.

Used by test_statefulset_sim.py from inside a private network namespace
that has only `lo` up: pod kv-store-N is 127.0.0.(N+1), and the namespace's
/etc/hosts maps kv-store-N.kv-store to it, as the headless Service's DNS
does in a cluster. Everything comes from the manifests themselves:

- the container's environment: the image's ENV (Dockerfile runtime stage),
  then the container's `env` (fieldRef metadata.name etc. filled in), with
  $(VAR) references expanded as Kubernetes does;
- its command: the image's ENTRYPOINT (kv-node, from $DKV_BIN) plus `args`,
  $(VAR)-expanded;
- its probes (startup, readiness), run as exec probes with kvctl from
  $DKV_BIN.

Only what a shared network namespace forces is changed: every pod would
bind 0.0.0.0:7000, which collides when all pods share one namespace, so
0.0.0.0 becomes the pod's own address, and so does 127.0.0.1 in the probes
(a pod's loopback is its own); paths under a volumeMount move to the pod's
own directory (the PersistentVolumeClaim or emptyDir), which outlives the
process like a volume outlives its container.
"""

import contextlib
import os
import re
import shlex
import subprocess
import sys
import time

try:
    import yaml  # Debian: python3-yaml
except ImportError:  # an interpreter that is not Debian's: use Debian's module
    sys.path.append("/usr/lib/python3/dist-packages")
    import yaml

import harness
from harness import BinaryClient, RespClient, poll

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PARTITIONS = 4096


def read_yaml(relpath):
    with open(os.path.join(ROOT, relpath)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def image_config(dockerfile=os.path.join(ROOT, "Dockerfile")):
    """(ENV dict, ENTRYPOINT list) of the Dockerfile's last stage."""
    with open(dockerfile) as f:
        text = re.sub(r"\\\n", " ", f.read())  # join continuation lines
    stages = re.split(r"^FROM\s.*$", text, flags=re.M)
    env, entrypoint = {}, None
    for line in stages[-1].splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
        elif word == "ENTRYPOINT":
            entrypoint = yaml.safe_load(rest)  # the exec form is a JSON array
    return env, entrypoint


def expand(text, env):
    """Kubernetes' $(VAR) expansion: $(VAR) of a known variable becomes its
    value, $$ becomes $, anything else stays as written."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", sub, text)


class StatefulSet:
    """The StatefulSet of k8s/base/statefulset.yaml, pods run from workdir."""

    def __init__(self, workdir):
        (self.spec_doc,) = [d for d in read_yaml("k8s/base/statefulset.yaml")
                            if d["kind"] == "StatefulSet"]
        self.name = self.spec_doc["metadata"]["name"]
        spec = self.spec_doc["spec"]
        self.service = spec["serviceName"]
        self.replicas = spec["replicas"]
        self.policy = spec.get("podManagementPolicy", "OrderedReady")
        pod = spec["template"]["spec"]
        (self.container,) = pod["containers"]
        self.volumes = {v["name"]: v for v in pod.get("volumes", [])}
        # Secret volumes: what `kubectl create secret` would have stored, one
        # random value per key, the same for every pod (README "Kubernetes").
        self.secrets = {}
        self.grace = pod.get("terminationGracePeriodSeconds", 30)
        self.image_env, self.entrypoint = image_config()
        self.workdir = workdir
        self.pods = {}

    def pod_name(self, ordinal):
        return "%s-%d" % (self.name, ordinal)

    def pod(self, ordinal):
        if ordinal not in self.pods:
            self.pods[ordinal] = Pod(self, ordinal)
        return self.pods[ordinal]

    def hosts_lines(self, count):
        """/etc/hosts lines of the headless Service's pod names."""
        return ["127.0.0.%d %s.%s" % (n + 1, self.pod_name(n), self.service)
                for n in range(count)]

    def running(self):
        return [p for _, p in sorted(self.pods.items()) if p.alive()]


class Pod:
    def __init__(self, sts, ordinal):
        self.sts, self.ordinal = sts, ordinal
        self.name = sts.pod_name(ordinal)
        self.ip = "127.0.0.%d" % (ordinal + 1)
        self.dir = os.path.join(sts.workdir, self.name)
        self.proc = None
        self.starts = 0
        c = sts.container
        self.port = next(p["containerPort"] for p in c["ports"])
        # Volumes: mountPath -> this pod's directory for it.
        self.mounts = {m["mountPath"]: os.path.join(self.dir, m["name"])
                       for m in c.get("volumeMounts", [])}

    @property
    def addr(self):
        return "%s:%d" % (self.ip, self.port)

    # -- what Kubernetes would run

    def field(self, path):
        values = {"metadata.name": self.name, "metadata.namespace": "default",
                  "status.podIP": self.ip, "spec.nodeName": "sim"}
        if path not in values:
            raise ValueError("unsupported fieldRef %s" % path)
        return values[path]

    def localize(self, value):
        """0.0.0.0 and 127.0.0.1 (in a pod: the pod's own interfaces) -> the
        pod's IP; a path under a volume -> the pod's directory for it."""
        value = value.replace("0.0.0.0", self.ip).replace("127.0.0.1", self.ip)
        for mount, local in self.mounts.items():
            value = re.sub(r"(^|=)%s(?=/|$)" % re.escape(mount),
                           lambda m: m.group(1) + local, value)
        return value

    def container_env(self):
        """The container's `env`, as Kubernetes fills it in: fieldRefs, and
        $(VAR) in a value naming a variable defined above it."""
        env = {}
        for var in self.sts.container.get("env", []):
            if "value" in var:
                env[var["name"]] = expand(str(var["value"]), env)
            else:
                env[var["name"]] = self.field(var["valueFrom"]["fieldRef"]["fieldPath"])
        return env

    def environment(self):
        """What the process sees: the image's ENV, then the container's."""
        env = dict(self.sts.image_env, **self.container_env())
        return {k: self.localize(v) for k, v in env.items()}

    def command(self):
        """The image's ENTRYPOINT (unless `command` replaces it) + `args`,
        whose $(VAR) name variables of the container's env (not the image's)."""
        env = self.container_env()
        c = self.sts.container
        entry = c.get("command") or self.sts.entrypoint
        assert entry == ["kv-node"], "unexpected entrypoint %r" % entry
        return [harness.KV_NODE] + [self.localize(expand(a, env)) for a in c.get("args", [])]

    def probe(self, kind):
        """Runs the container's exec probe `kind` once; True on exit 0."""
        spec = self.sts.container.get(kind)
        if spec is None:
            return True
        cmd = [self.localize(a) for a in spec["exec"]["command"]]
        tools = {"kvctl": harness.KVCTL, "kv-node": harness.KV_NODE}
        cmd[0] = tools.get(cmd[0], cmd[0])
        env = dict(harness.clean_env(), **self.environment())
        try:
            return harness.run(cmd, timeout=spec.get("timeoutSeconds", 1) + 5,
                               env=env).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def write_secrets(self):
        """Fills every mounted secret volume with its items' files."""
        for m in self.sts.container.get("volumeMounts", []):
            secret = self.sts.volumes.get(m["name"], {}).get("secret")
            if secret is None:
                continue
            values = self.sts.secrets.setdefault(secret["secretName"], {})
            for item in secret["items"]:
                value = values.setdefault(item["key"], os.urandom(24).hex())
                path = os.path.join(self.mounts[m["mountPath"]], item["path"])
                with open(path, "w") as f:
                    f.write(value + "\n")
                os.chmod(path, secret.get("defaultMode", 0o644))

    # -- lifecycle

    def start(self):
        assert not self.alive(), "%s is running" % self.name
        for local in self.mounts.values():
            os.makedirs(local, exist_ok=True)
        self.write_secrets()
        env = dict(harness.clean_env(), **self.environment())
        self.starts += 1
        with open(os.path.join(self.dir, "container.log"), "ab") as out:
            out.write(b"--- start %d: %s\n" % (self.starts, shlex.join(self.command()).encode()))
            out.flush()
            self.proc = subprocess.Popen(self.command(), env=env, cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def wait_ready(self, timeout=120):
        """Startup probe until it passes, then the readiness probe: what
        makes Kubernetes count the pod ready. Probes every 0.2 s (not each
        periodSeconds), so the simulation runs fast."""
        deadline = time.monotonic() + timeout
        for kind in ("startupProbe", "readinessProbe"):
            while not self.probe(kind):
                if not self.alive():
                    raise AssertionError("%s exited %s:\n%s" % (self.name, self.proc.returncode,
                                                                self.log_tail()))
                if time.monotonic() > deadline:
                    raise AssertionError("%s not ready within %ds:\n%s"
                                         % (self.name, timeout, self.log_tail()))
                time.sleep(0.2)

    def terminate(self):
        """SIGTERM, then what the kubelet waits: terminationGracePeriodSeconds,
        then SIGKILL. Returns the exit code (negative: killed by a signal)."""
        self.proc.terminate()
        try:
            return self.proc.wait(self.sts.grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self):
        self.proc.kill()
        return self.proc.wait()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        """What every start of the container printed (stdout and stderr)."""
        return harness.read_text(os.path.join(self.dir, "container.log"))

    def log_tail(self, lines=30):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- talking to it

    def binary(self):
        return BinaryClient(self.port, timeout=30, host=self.ip)

    def info(self):
        with contextlib.closing(RespClient(self.port, timeout=10, host=self.ip)) as c:
            return c.info()


# --------------------------------------------------------------------------
# Cluster checks and data


def cluster_view(pods):
    """Each pod's (members, epoch, owned, incoming, outgoing, leaving)."""
    fields = ("members", "epoch", "partitions_owned", "partitions_incoming",
              "partitions_outgoing", "leaving")
    view = {}
    for p in pods:
        try:
            info = p.info()
            view[p.name] = tuple(int(info[f]) for f in fields)
        except (OSError, KeyError) as e:
            view[p.name] = repr(e)
    return view


def settled(pods, timeout=120):
    """Waits until `pods` form one settled cluster: all count len(pods)
    members, agree on the epoch, own all partitions between them and have
    nothing arriving, leaving or to hand off. Returns the last view."""
    last = {}

    def check():
        last.clear()
        last.update(cluster_view(pods))
        views = list(last.values())
        return (all(isinstance(v, tuple) for v in views)
                and len({v[1] for v in views}) == 1
                and sum(v[2] for v in views) == PARTITIONS
                and all(v[0] == len(pods) and v[3:] == (0, 0, 0) for v in views))

    if not poll(check, timeout, interval=0.2):
        raise AssertionError("not one settled cluster of %d within %ds "
                             "(members, epoch, owned, incoming, outgoing, leaving): %s"
                             % (len(pods), timeout, last))
    return last


def dataset(count, tag):
    return {b"key:%06d" % i: b"value-%d-%s" % (i, tag) for i in range(count)}


def load(pods, data, rng, batch=1000):
    """Writes `data` with RESP MSET, each batch through a random pod."""
    items = list(data.items())
    for i in range(0, len(items), batch):
        pod = rng.choice(pods)
        with contextlib.closing(RespClient(pod.port, timeout=30, host=pod.ip)) as c:
            args = [x for kv in items[i:i + batch] for x in kv]
            reply = c.cmd("MSET", *args)
            assert reply == b"+OK\r\n", "MSET through %s: %r" % (pod.name, reply)


def check(pods, data, rng, batch=1000, unavailable_for=5.0):
    """Reads every key of `data` with MGET, each batch through a random
    pod; returns (keys read correctly, [(key, expected, got)] wrong).
    Right after a pod was killed and restarted, another pod's link to it may
    still wait out its reconnect backoff (at most 2 s) and answer
    UNAVAILABLE ("node ... unreachable"), which clients retry: so does this,
    for `unavailable_for` seconds at most."""
    keys, good, wrong = list(data), 0, []
    for i in range(0, len(keys), batch):
        part = keys[i:i + batch]
        pod = rng.choice(pods)
        with contextlib.closing(pod.binary()) as c:
            r = c.mget(part)
            deadline = time.monotonic() + unavailable_for
            while r.status == harness.UNAVAILABLE and time.monotonic() < deadline:
                time.sleep(0.1)
                r = c.mget(part)
            assert r.status == harness.OK, "MGET through %s: %r" % (pod.name, r)
            for k, v in zip(part, r.mget_values()):
                if v == data[k]:
                    good += 1
                else:
                    wrong.append((k, data[k], v))
    return good, wrong
