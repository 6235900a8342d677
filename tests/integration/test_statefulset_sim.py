"""The StatefulSet of k8s/base run for real, without Kubernetes.

k8s_sim.py reads k8s/base/statefulset.yaml and the Dockerfile and runs each
pod's kv-node with the manifest's own args, env and probes (see there for
the little it changes). All pods live in one private network namespace,
dkv-sim-<pid>, that has only its loopback interface up and no route: pod
kv-store-N is 127.0.0.(N+1), its name kv-store-N.kv-store resolves through
/etc/netns/<ns>/hosts (`ip netns exec` mounts it over /etc/hosts), and
DNS goes to 127.0.0.1, so no packet can leave 127.0.0.0/8. The test body
runs inside the namespace too (this file, run as a script under
`ip netns exec`), so every client is in there with the pods.

The steps are what the StatefulSet controller and the kubelet do, in the
order podManagementPolicy gives: start the replicas, load 100,000 keys,
scale down to 3 (SIGTERM, highest ordinal first, each waited for up to
terminationGracePeriodSeconds and expected to exit 0), scale back up to the
replicas (the old volumes), a rolling restart (each pod from the highest
ordinal: SIGTERM, exit, start with its volume, ready), a kill -9 and
restart. After every step: one settled cluster of the pods that run, and
every key readable with its value through random pods.

Needs root (ip netns); skipped otherwise.
"""

import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

KEYS = 100_000
SCALED_DOWN = 3
TIMEOUT = 540  # the whole simulation; ctest gives the file 600 s


# --------------------------------------------------------------------------
# Inside the namespace


def simulate(workdir, seed):
    import harness
    import k8s_sim
    from k8s_sim import check, dataset, load, settled

    sts = k8s_sim.StatefulSet(workdir)
    rng = random.Random(seed)
    data = dataset(KEYS, b"%d" % seed)
    stored = {}  # what the cluster must hold: nothing until the load step
    parallel = sts.policy == "Parallel"
    ready = set()  # the pods the client Service would send to
    print("StatefulSet %s: %d replicas, podManagementPolicy %s, grace %ds, seed %d"
          % (sts.name, sts.replicas, sts.policy, sts.grace, seed), flush=True)

    def start(pod, wait=True):
        started = time.monotonic()
        pod.start()
        if wait:
            pod.wait_ready()
            ready.add(pod)
            print("  %s started, ready in %.1fs" % (pod.name, time.monotonic() - started),
                  flush=True)

    def scale_up(ordinals):
        # OrderedReady: the next pod starts once the previous is ready.
        for n in ordinals:
            start(sts.pod(n), wait=not parallel)
        for n in ordinals:
            sts.pod(n).wait_ready()

    def stop(pod):
        started = time.monotonic()
        ready.discard(pod)  # a terminating pod leaves the Service's endpoints
        code = pod.terminate()
        assert code == 0, "%s exited %s after SIGTERM (%.1fs):\n%s" % (
            pod.name, code, time.monotonic() - started, pod.log_tail())
        print("  %s SIGTERM: handed off, exit 0 in %.1fs" % (pod.name, time.monotonic() - started),
              flush=True)

    def scale_down(ordinals):
        # OrderedReady: the next pod gets SIGTERM once the previous has
        # terminated; Parallel: all at once.
        if parallel:
            for n in ordinals:
                sts.pod(n).proc.terminate()
        for n in ordinals:
            stop(sts.pod(n))

    def rolling_restart():
        # A client reads all along through the ready pods (the client
        # Service's endpoints): no key may be missing at any time.
        reader = Reader(ready, stored, random.Random(seed + 1))
        reader.start()
        try:
            for n in reversed(range(sts.replicas)):
                stop(sts.pod(n))
                start(sts.pod(n))
        finally:
            reader.stop()
        print("  meanwhile, through ready pods: %s" % reader.summary(), flush=True)
        assert not reader.missing, "keys missing during the rolling restart: %r" % (
            reader.missing[:3],)

    def kill_and_restart(n):
        ready.discard(sts.pod(n))
        sts.pod(n).kill()
        start(sts.pod(n))

    victim = rng.randrange(sts.replicas)
    steps = [
        ("start %d pods" % sts.replicas, lambda: scale_up(range(sts.replicas))),
        ("load %d keys" % KEYS, lambda: (load(sts.running(), data, rng), stored.update(data))),
        ("scale %d->%d" % (sts.replicas, SCALED_DOWN),
         lambda: scale_down(reversed(range(SCALED_DOWN, sts.replicas)))),
        ("scale %d->%d" % (SCALED_DOWN, sts.replicas),
         lambda: scale_up(range(SCALED_DOWN, sts.replicas))),
        ("rolling restart", rolling_restart),
        ("kill -9 %s, restart" % sts.pod_name(victim), lambda: kill_and_restart(victim)),
    ]
    try:
        for name, action in steps:
            t0 = time.monotonic()
            action()
            t1 = time.monotonic()
            pods = sts.running()
            view = settled(pods)
            t2 = time.monotonic()
            good, wrong = check(pods, stored, rng)
            print("step %-28s %5.1fs, settled %4.1fs later; pods %s, %d members; "
                  "%d/%d keys read back in %.1fs"
                  % (name, t1 - t0, t2 - t1, ",".join(str(p.ordinal) for p in pods),
                     next(iter(view.values()))[0], good, len(stored), time.monotonic() - t2),
                  flush=True)
            assert not wrong, "after %s: %d keys lost or wrong, e.g. %r" % (
                name, len(wrong), wrong[:3])
    except BaseException:
        for pod in sts.pods.values():
            print("--- %s (%s):\n%s" % (pod.name, "running" if pod.alive() else "stopped",
                                       pod.log_tail(15)), flush=True)
        raise
    finally:
        for pod in sts.pods.values():
            if pod.alive():
                pod.kill()
    for pod in sts.pods.values():
        harness.check_sanitizers(pod.name, pod.log_text())


class Reader(threading.Thread):
    """Reads random keys with MGET through random ready pods until stopped;
    counts replies, keys read right, keys missing or wrong, and errors."""

    def __init__(self, ready, data, rng):
        super().__init__(daemon=True)
        self.ready, self.data, self.rng = ready, data, rng
        self.keys, self.done = list(data), threading.Event()
        self.requests, self.good, self.missing, self.errors = 0, 0, [], {}

    def run(self):
        while not self.done.wait(0.02):
            pods = list(self.ready)
            if not pods:
                continue
            pod, keys = self.rng.choice(pods), self.rng.sample(self.keys, 100)
            try:
                with contextlib.closing(pod.binary()) as c:
                    r = c.mget(keys)
            except OSError as e:  # the pod went away under us
                self.errors[type(e).__name__] = self.errors.get(type(e).__name__, 0) + 1
                continue
            self.requests += 1
            if r.status != 0:
                self.errors[r.message] = self.errors.get(r.message, 0) + 1
                continue
            for k, v in zip(keys, r.mget_values()):
                if v == self.data[k]:
                    self.good += 1
                else:
                    self.missing.append((k, v))

    def stop(self):
        self.done.set()
        self.join(30)

    def summary(self):
        return "%d MGETs, %d keys right, %d missing or wrong, errors %s" % (
            self.requests, self.good, len(self.missing), self.errors or "none")


# --------------------------------------------------------------------------
# Outside: the namespace, and this file run inside it


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30,
                          check=check)


class StatefulSetSimTest(unittest.TestCase):
    def setUp(self):
        if shutil.which("ip") is None:
            self.skipTest("no `ip` command (Debian package iproute2)")
        if os.geteuid() != 0:
            self.skipTest("needs root for `ip netns add` (private network namespace)")
        self.ns = "dkv-sim-%d" % os.getpid()
        if os.path.exists(os.path.join("/run/netns", self.ns)):
            self.remove_namespace()  # left by a killed run that had this pid
        added = ip("netns", "add", self.ns, check=False)
        if added.returncode != 0:
            self.skipTest("`ip netns add` not permitted here: %s" % added.stderr.strip())
        self.addCleanup(self.remove_namespace)
        ip("-n", self.ns, "link", "set", "lo", "up")
        links = ip("-n", self.ns, "-o", "link", "show").stdout.splitlines()
        self.assertEqual([l.split(":")[1].strip() for l in links], ["lo"])
        self.assertEqual(ip("-n", self.ns, "-4", "route", "show").stdout.strip(), "")

        self.workdir = tempfile.mkdtemp(prefix="dkv-sim-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        import k8s_sim
        sts = k8s_sim.StatefulSet(self.workdir)
        etc = os.path.join("/etc/netns", self.ns)
        os.makedirs(etc)
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write("\n".join(["127.0.0.1 localhost"] + sts.hosts_lines(sts.replicas + 3)) + "\n")
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")

    def remove_namespace(self):
        # Whatever still runs in the namespace was started by this test.
        pids = ip("netns", "pids", self.ns, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
        ip("netns", "del", self.ns, check=False)
        shutil.rmtree(os.path.join("/etc/netns", self.ns), ignore_errors=True)
        try:
            os.rmdir("/etc/netns")  # only when no other namespace uses it
        except OSError:
            pass

    def test_statefulset_lifecycle(self):
        seed = int(time.time() * 1000) % 1_000_000
        cmd = ["ip", "netns", "exec", self.ns, sys.executable, os.path.abspath(__file__),
               self.workdir, str(seed)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                cwd=os.path.dirname(os.path.abspath(__file__)))
        output = []

        def relay():  # shows each step as it ends
            for line in proc.stdout:
                print(line, end="", flush=True)
                output.append(line)

        reader = threading.Thread(target=relay, daemon=True)
        reader.start()
        why = "failed"
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            why = "did not end within %ds" % TIMEOUT
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        proc.stdout.close()
        self.assertEqual(proc.returncode, 0, "simulation %s:\n%s" % (why, "".join(output[-60:])))


if __name__ == "__main__":
    simulate(sys.argv[1], int(sys.argv[2]))
