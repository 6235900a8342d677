"""The deployment files, checked without Docker or Kubernetes.

- Every YAML document of k8s/base and k8s/kind type-checks against the
  Kubernetes API types (tests/k8s/typecheck.py: kubernetes-types + tsc with
  excess property checks; hand-written types for kind and kustomize), and
  the check does catch mistakes.
- The Dockerfile passes dockerfilelint; its runtime stage installs a package
  for every shared library kv-node and kvctl link (ldd + dpkg -S); kv-node
  starts with the image's environment and the README's `docker run` flags.
- The manifests agree with each other (names, selectors, ports, volumes),
  with the image (user, entrypoint) and with kv-node's flags.

tests/k8s is installed with `npm ci` when its node_modules is missing.
"""

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

try:
    import yaml  # Debian: python3-yaml
except ImportError:  # an interpreter that is not Debian's: use Debian's module
    sys.path.append("/usr/lib/python3/dist-packages")
    import yaml

import harness
from k8s_sim import ROOT, image_config

K8S_TOOLS = os.path.join(ROOT, "tests", "k8s")
MANIFESTS = sorted(glob.glob(os.path.join(ROOT, "k8s", "base", "*.yaml"))
                   + glob.glob(os.path.join(ROOT, "k8s", "kind", "*.yaml")))
# In debian:bookworm-slim already (the C and C++ runtimes).
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}


def read(relpath):
    with open(os.path.join(ROOT, relpath)) as f:
        return f.read()


def documents():
    """{kind: [doc]} of k8s/base."""
    out = {}
    for path in glob.glob(os.path.join(ROOT, "k8s", "base", "*.yaml")):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    out.setdefault(doc["kind"], []).append(doc)
    return out


def npm_ready():
    """Installs tests/k8s from its lock file if needed; None or why not."""
    if os.path.exists(os.path.join(K8S_TOOLS, "node_modules", ".package-lock.json")):
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm not found (scripts/setup --test installs Debian's nodejs npm)"
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=K8S_TOOLS,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("npm ci failed:\n" + r.stdout + r.stderr)
    return None


def kv_node_options():
    out = harness.run([harness.KV_NODE, "--help"]).stdout.decode()
    return set(re.findall(r"^\s+--([a-z][a-z-]+)", out, re.M))


def flag_names(args):
    """['--id=x', '--peer-addr', 'y', '--no-repl'] -> {'id', 'peer-addr', 'no-repl'}"""
    return {a[2:].split("=", 1)[0] for a in args if a.startswith("--")}


class NodeTools(unittest.TestCase):
    """dockerfilelint and tsc from tests/k8s."""

    @classmethod
    def setUpClass(cls):
        why = npm_ready()
        if why:
            raise unittest.SkipTest(why)

    def typecheck(self, files, name):
        return subprocess.run([sys.executable, os.path.join(K8S_TOOLS, "typecheck.py"),
                               "--set", name] + files,
                              capture_output=True, text=True, timeout=300)

    def test_manifests_have_the_kubernetes_types(self):
        r = self.typecheck(MANIFESTS, "manifests")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        count = 0
        for path in MANIFESTS:
            with open(path) as f:
                count += sum(1 for d in yaml.safe_load_all(f) if d)
        self.assertIn("%d documents from %d files" % (count, len(MANIFESTS)), r.stdout)

    def test_typecheck_catches_mistakes(self):
        mistakes = {
            "excess": "kind: StatefulSet\napiVersion: apps/v1\nmetadata: {name: x}\nspec:\n"
                      "  serviceName: x\n  selector: {}\n  template:\n    spec:\n"
                      "      terminationGracePeriodSecond: 300\n"
                      "      containers: [{name: c, image: i}]\n",
            "type": "kind: PodDisruptionBudget\napiVersion: policy/v1\nspec:\n"
                    "  maxUnavailable: [1]\n",
            "missing": "kind: Service\napiVersion: v1\nspec:\n  ports: [{name: kv}]\n",
            "kind": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
                    "nodes: [{role: master}]\n",
            "kustomize": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                         "resource: [a.yaml]\n",
        }
        tmp = tempfile.mkdtemp(prefix="dkv-tc-")
        self.addCleanup(shutil.rmtree, tmp)
        files = []
        for name, text in sorted(mistakes.items()):
            files.append(os.path.join(tmp, name + ".yaml"))
            with open(files[-1], "w") as f:
                f.write(text)
        r = self.typecheck(files, "mistakes")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        for name in mistakes:  # one error per document
            self.assertRegex(r.stdout, r"_%s_yaml__0\.ts\(\d+,\d+\): error TS" % name)

    def test_dockerfilelint(self):
        lint = os.path.join(K8S_TOOLS, "node_modules", ".bin", "dockerfilelint")
        r = subprocess.run([lint, "-o", "json", os.path.join(ROOT, "Dockerfile")],
                           capture_output=True, text=True, timeout=60)
        report = json.loads(r.stdout)
        self.assertEqual([f["issues"] for f in report["files"]], [[]])
        self.assertEqual(r.returncode, 0)
        # ... and it does find problems
        bad = os.path.join(tempfile.mkdtemp(prefix="dkv-lint-"), "Dockerfile")
        self.addCleanup(shutil.rmtree, os.path.dirname(bad))
        with open(bad, "w") as f:
            f.write("FROM debian\nRUN apt-get install libxxhash0\nEXPOSE 70000\n")
        r = subprocess.run([lint, bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout)


class Dockerfile(unittest.TestCase):
    def setUp(self):
        text = re.sub(r"\\\n", " ", read("Dockerfile"))
        self.stages = [s for s in re.split(r"^(?=FROM\s)", text, flags=re.M) if s.startswith("FROM")]
        self.env, self.entrypoint = image_config()

    def test_stages(self):
        builder, runtime = self.stages
        self.assertRegex(builder, r"^FROM debian:bookworm AS builder")
        self.assertRegex(builder, r"RUN scripts/build kv-node kvctl")
        self.assertRegex(runtime, r"^FROM debian:bookworm-slim\s")
        self.assertRegex(runtime, r"(?m)^USER 10001:10001$")  # numeric: runAsNonRoot can verify it
        self.assertRegex(runtime, r"(?m)^EXPOSE 7000$")
        self.assertEqual(self.entrypoint, ["kv-node"])
        self.assertIn("/usr/local/bin/", re.search(r"COPY --from=builder .*", runtime).group(0))

    @unittest.skipIf(harness.SANITIZED, "the image ships the Release build, not the "
                     "sanitizer build's libasan/libubsan")
    def test_runtime_packages_cover_the_linked_libraries(self):
        runtime = self.stages[-1]
        install = re.search(r"apt-get install (.*?)(&&|$)", runtime, re.M).group(1)
        packages = {w for w in install.split() if not w.startswith("-")}
        libs = set()
        for binary in (harness.KV_NODE, harness.KVCTL):
            libs |= set(re.findall(r"=> (/\S+)", harness.run(["ldd", binary]).stdout.decode()))
        # dpkg -S knows each file by the path its package installs it at:
        # /usr/lib/... or, for some, /lib/... (usrmerge), so ask for both.
        paths = {os.path.realpath(l): l for l in libs}
        paths.update({"/usr" + p[4:]: l for p, l in list(paths.items()) if p.startswith("/lib/")})
        paths.update({p[4:]: l for p, l in list(paths.items()) if p.startswith("/usr/lib/")})
        owners = subprocess.run(["dpkg", "-S"] + sorted(paths), capture_output=True, text=True)
        needed, owned = {}, set()
        for line in owners.stdout.splitlines():
            package, path = line.split(": ", 1)
            needed[package.split(":")[0]] = paths[path]
            owned.add(paths[path])
        self.assertEqual(libs - owned, set(), "libraries no package owns")
        missing = {p: lib for p, lib in needed.items()
                   if p not in packages and p not in BASE_PACKAGES}
        self.assertEqual(missing, {}, "libraries the runtime stage does not install")
        self.assertEqual(packages - set(needed), set(), "packages no binary needs")

    def test_environment_names_kv_node_options(self):
        options = kv_node_options()
        for name in self.env:
            if name != "DKV_ADDR":  # kvctl's
                self.assertIn(name[4:].lower().replace("_", "-"), options, name)

    def test_node_starts_with_the_image_defaults_and_readme_flags(self):
        readme = read("README.md")
        runs = re.findall(r"^docker run -d .*? kv-node (.*)$", readme, re.M)
        self.assertEqual(len(runs), 3, "README: three `docker run` of kv-node")
        for args in runs:
            self.assertLessEqual(flag_names(shlex.split(args)), kv_node_options())
        self.assertIn("docker build -t kv-node .", readme)
        tmp = tempfile.mkdtemp(prefix="dkv-img-")
        self.addCleanup(shutil.rmtree, tmp)
        env = {k: v.replace("/data", tmp + "/data").replace("/logs", tmp + "/logs")
               .replace("0.0.0.0:7000", "127.0.0.1") for k, v in self.env.items()}
        env["DKV_PORT"] = "0"  # any free port, not the image's 7000
        cmd = [harness.KV_NODE] + shlex.split(runs[0])  # node1: alone
        proc = subprocess.Popen(cmd, env=harness.clean_env(env), cwd=tmp,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            line = proc.stdout.readline().decode()
            if not re.fullmatch(r"READY 127\.0\.0\.1:\d+\n", line):
                proc.kill()
                self.fail("kv-node did not start: %r\n%s" % (line, proc.stderr.read().decode()))
            self.assertTrue(os.path.exists(os.path.join(tmp, "data", "node.json")))
            self.assertTrue(os.path.isdir(os.path.join(tmp, "logs", "node1")))
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=harness.WAIT)
            harness.check_sanitizers("kv-node", stderr.decode("utf-8", "replace"))
            self.assertEqual(proc.returncode, 0)

    def test_dockerignore(self):
        ignored = read(".dockerignore").split()
        for pattern in ("build*", "data", "logs", "cluster", "**/node_modules", ".git"):
            self.assertIn(pattern, ignored)


class Manifests(unittest.TestCase):
    def setUp(self):
        self.docs = documents()
        (self.sts,) = self.docs["StatefulSet"]
        self.pod = self.sts["spec"]["template"]["spec"]
        (self.container,) = self.pod["containers"]
        self.port = self.container["ports"][0]["containerPort"]
        self.labels = self.sts["spec"]["template"]["metadata"]["labels"]

    def service(self, headless):
        (svc,) = [s for s in self.docs["Service"] if (s["spec"].get("clusterIP") == "None") == headless]
        return svc

    def test_kustomization_lists_every_manifest(self):
        (k,) = self.docs["Kustomization"]
        here = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "k8s", "base", "*.yaml"))}
        self.assertEqual(set(k["resources"]), here - {"kustomization.yaml"})

    def test_statefulset(self):
        spec = self.sts["spec"]
        self.assertEqual(self.sts["metadata"]["name"], "kv-store")
        self.assertEqual(spec["replicas"], 5)
        # Deliberate (README "Kubernetes"): one leave at a time on scale-down.
        self.assertEqual(spec["podManagementPolicy"], "OrderedReady")
        self.assertEqual(spec["selector"]["matchLabels"], self.labels)
        self.assertGreaterEqual(self.pod["terminationGracePeriodSeconds"], 120)
        self.assertTrue(self.pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(self.pod["securityContext"]["runAsUser"], 10001)  # the image's USER
        self.assertEqual(self.container["image"].split(":")[0], "kv-node")  # docker build -t kv-node
        for kind in ("requests", "limits"):
            self.assertEqual(set(self.container["resources"][kind]), {"cpu", "memory"})

    def test_args_make_a_cluster_through_the_headless_service(self):
        svc = self.service(headless=True)["metadata"]["name"]
        self.assertEqual(self.sts["spec"]["serviceName"], svc)
        env = {e["name"]: e for e in self.container["env"]}
        self.assertEqual(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name")
        args = dict(a[2:].split("=", 1) if "=" in a else (a[2:], True)
                    for a in self.container["args"])
        self.assertEqual(args["id"], "$(POD_NAME)")
        self.assertEqual(args["peer-addr"], "$(POD_NAME).%s:%d" % (svc, self.port))
        self.assertEqual(args["join-addr"], "%s-0.%s:%d" % (self.sts["metadata"]["name"], svc,
                                                           self.port))
        self.assertEqual(args["listen"], "0.0.0.0:%d" % self.port)
        self.assertLessEqual(set(args), kv_node_options())
        for name in env:
            if name.startswith("DKV_"):
                self.assertIn(name[4:].lower().replace("_", "-"), kv_node_options(), name)
        # The data dir is the volume claim's mount.
        mounts = {m["mountPath"]: m["name"] for m in self.container["volumeMounts"]}
        (claim,) = self.sts["spec"]["volumeClaimTemplates"]
        self.assertEqual(mounts[args["data-dir"]], claim["metadata"]["name"])
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "1Gi")
        self.assertIn(args["log-dir"], mounts)  # readOnlyRootFilesystem: logs on a volume

    def test_probes_use_kvctl_on_the_pods_own_port(self):
        probes = {k: self.container[k]["exec"]["command"]
                  for k in ("readinessProbe", "livenessProbe", "startupProbe")}
        for cmd in probes.values():
            self.assertEqual(cmd[:3], ["kvctl", "-a", "127.0.0.1:%d" % self.port])
        self.assertEqual(probes["readinessProbe"][-1], "health")
        self.assertEqual(probes["livenessProbe"][-1], "ping")

    def test_services_and_budget_select_the_pods(self):
        headless, client = self.service(True), self.service(False)
        self.assertEqual(headless["metadata"]["name"], "kv-store")
        self.assertTrue(headless["spec"]["publishNotReadyAddresses"])
        self.assertNotIn("publishNotReadyAddresses", client["spec"])  # ready pods only
        (pdb,) = self.docs["PodDisruptionBudget"]
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        for selector in (headless["spec"]["selector"], client["spec"]["selector"],
                         pdb["spec"]["selector"]["matchLabels"]):
            self.assertLessEqual(selector.items(), self.labels.items())
        for svc in (headless, client):
            (port,) = svc["spec"]["ports"]
            self.assertEqual((port["port"], port["targetPort"]),
                             (self.port, self.container["ports"][0]["name"]))

    def test_readme_commands_name_real_files(self):
        readme = read("README.md")
        self.assertIn("kubectl apply -k k8s/base", readme)
        self.assertIn("kind create cluster --config k8s/kind/kind-config.yaml", readme)
        self.assertIn("kubectl port-forward svc/%s 7000" % self.service(False)["metadata"]["name"],
                      readme)
        with open(os.path.join(ROOT, "k8s", "kind", "kind-config.yaml")) as f:
            kind = yaml.safe_load(f)
        self.assertIn("kind load docker-image kv-node:latest --name %s" % kind["name"], readme)
        self.assertEqual(self.container["imagePullPolicy"], "IfNotPresent")  # a loaded image


if __name__ == "__main__":
    unittest.main()
