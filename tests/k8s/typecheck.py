#!/usr/bin/env python3
"""Type-checks Kubernetes manifests with TypeScript.

Every YAML document becomes generated/<set>/<file>_<n>.ts:

    import type { StatefulSet } from "kubernetes-types/apps/v1";
    const statefulset_0: StatefulSet = { ...the document as JSON... };

and `tsc --noEmit` checks them all (strict, and with TypeScript's excess
property checks on object literals: a misspelt or misplaced field fails,
not only a wrong type). The type comes from the document's apiVersion and
kind: kubernetes-types for Kubernetes' own kinds, types/*.ts for kind's
cluster config and kustomize's Kustomization.

Usage: typecheck.py [--set NAME] [YAML...]   (default: k8s/base/*.yaml and
k8s/kind/*.yaml). Needs `npm ci` in this directory first. Exit 0 when all
documents type-check; tsc's messages otherwise.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

try:
    import yaml  # Debian: python3-yaml
except ImportError:  # an interpreter that is not Debian's: use Debian's module
    sys.path.append("/usr/lib/python3/dist-packages")
    import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

# apiVersion/kind without a kubernetes-types module: our own types/*.ts
LOCAL_TYPES = {
    ("kind.x-k8s.io/v1alpha4", "Cluster"): ("../../types/kind", "Cluster"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"):
        ("../../types/kustomize", "Kustomization"),
}


def type_of(doc):
    """(module, type name) for a document, from its apiVersion and kind."""
    api, kind = doc.get("apiVersion"), doc.get("kind")
    if (api, kind) in LOCAL_TYPES:
        return LOCAL_TYPES[(api, kind)]
    if not isinstance(api, str) or not isinstance(kind, str):
        raise ValueError("document without apiVersion/kind")
    group, _, version = api.rpartition("/")
    # "v1" is the core group; "apps/v1" -> apps; "policy/v1" -> policy;
    # "networking.k8s.io/v1" -> networking
    module = "core" if not group else group.split(".")[0]
    path = os.path.join(HERE, "node_modules", "kubernetes-types", module, version + ".d.ts")
    if not os.path.exists(path):
        raise ValueError("no kubernetes-types module for apiVersion %s" % api)
    with open(path) as f:
        if not re.search(r"^export interface %s \{" % re.escape(kind), f.read(), re.M):
            raise ValueError("kubernetes-types has no %s in %s" % (kind, api))
    return "kubernetes-types/%s/%s" % (module, version), kind


def generate(files, out):
    """Writes one .ts file per document of `files` into `out`; returns
    (count, errors) where errors are documents that map to no type."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(out, "tsconfig.json"), "w") as f:
        json.dump({"extends": "../../tsconfig.json", "include": ["*.ts"]}, f)
    count, errors = 0, []
    for path in files:
        rel = os.path.relpath(path, ROOT)
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for n, doc in enumerate(docs):
            name = "%s_%d" % (re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0]), n)
            try:
                module, type_name = type_of(doc)
            except ValueError as e:
                errors.append("%s document %d: %s" % (rel, n + 1, e))
                continue
            with open(os.path.join(out, "%s__%s.ts" % (re.sub(r"\W", "_", rel), n)), "w") as f:
                f.write("// %s, document %d\n" % (rel, n + 1))
                f.write('import type { %s } from "%s";\n\n' % (type_name, module))
                f.write("const %s: %s = %s;\n\nexport {};\n"
                        % (name, type_name, json.dumps(doc, indent=2)))
            count += 1
    return count, errors


def main(argv):
    args = list(argv)
    set_name = "manifests"
    if args[:1] == ["--set"]:
        set_name, args = args[1], args[2:]
    files = args or sorted(glob.glob(os.path.join(ROOT, "k8s", "base", "*.yaml"))
                           + glob.glob(os.path.join(ROOT, "k8s", "kind", "*.yaml")))
    tsc = os.path.join(HERE, "node_modules", "typescript", "bin", "tsc")
    if not os.path.exists(tsc):
        print("typecheck: run `npm ci` in %s first" % HERE, file=sys.stderr)
        return 2
    out = os.path.join(HERE, "generated", set_name)
    count, errors = generate(files, out)
    for e in errors:
        print("typecheck: " + e, file=sys.stderr)
    r = subprocess.run(["node", tsc, "-p", out], cwd=HERE, capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    print("typecheck: %d documents from %d files, tsc exit %d" % (count, len(files), r.returncode))
    return 1 if errors or r.returncode else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
