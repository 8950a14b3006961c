#!/usr/bin/env python3
"""selftest_deploy.py ROOT CAPAD - prove that check_deploy.py catches broken files.

Copies the files the check reads from ROOT into a temporary directory, makes
sure the unbroken copy passes, then for each breakage below: copies again,
breaks one thing, runs check_deploy.py on the copy (with CAPAD, or with a
stand-in for it that the breakage wrote as fake-capad) and requires that it
exits non-zero with a FAIL line containing the expected words. A breakage that no
longer applies (the file changed shape) is a failure too, so this list stays
true to the files. ROOT itself is never modified.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_deploy.py")
CAPAD = None  # the real capad, from the command line
# What check_deploy.py reads, with the Dockerfile's COPY sources.
COPIED = ["docker-compose.yml", "deploy", "service", "api", "cmake", "sql",
          "CMakeLists.txt", "openapi.yaml"]


class NotApplied(Exception):
    pass


def yaml_edit(rel, fn):
    """Load rel (all documents, aliases expanded), let fn change them, write back."""
    def apply(root):
        p = os.path.join(root, rel)
        with open(p, encoding="utf-8") as f:
            docs = [json.loads(json.dumps(d)) for d in yaml.safe_load_all(f)]
        fn(docs)
        with open(p, "w", encoding="utf-8") as f:
            yaml.safe_dump_all(docs, f, sort_keys=False)
    return apply


def text_sub(rel, pattern, repl, flags=re.M):
    def apply(root):
        p = os.path.join(root, rel)
        with open(p, encoding="utf-8") as f:
            text = f.read()
        text, n = re.subn(pattern, repl, text, flags=flags)
        if n == 0:
            raise NotApplied("%s: no match for %r" % (rel, pattern))
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    return apply


def remove(rel):
    def apply(root):
        os.remove(os.path.join(root, rel))
    return apply


def capad_renames(old, new):
    """A capad whose configuration table calls old new (the service renamed a variable)."""
    def apply(root):
        p = os.path.join(root, "fake-capad")
        with open(p, "w", encoding="utf-8") as f:
            f.write('#!/bin/sh\nif [ "$1 $2" = "config vars" ]; then\n'
                    '  "%s" config vars | sed "s/\\"%s\\"/\\"%s\\"/"\nelse\n  exec "%s" "$@"\nfi\n'
                    % (CAPAD, old, new, CAPAD))
        os.chmod(p, 0o755)
    return apply


def both(*fns):
    def apply(root):
        for fn in fns:
            fn(root)
    return apply


def svc(name):
    return lambda docs: docs[0]["services"][name]


def k8s(kind, docs):
    for d in docs:
        if d.get("kind") == kind:
            return d
    raise NotApplied("no %s" % kind)


def pod_container(d):
    return d["spec"]["template"]["spec"]["containers"][0]


def set_(getter, key, value):
    def fn(docs):
        getter(docs)[key] = value
    return fn


def del_(getter, key):
    def fn(docs):
        obj = getter(docs)
        if key not in obj:
            raise NotApplied("no key %s" % key)
        del obj[key]
    return fn


COMPOSE = "docker-compose.yml"
DEP = "deploy/k8s/deployment.yaml"
CM = "deploy/k8s/configmap.yaml"
NGINX = "deploy/lb/nginx.conf"
DOCKERFILE = "deploy/Dockerfile"

env = lambda name: (lambda docs: docs[0]["services"][name]["environment"])
deps = lambda name, dep: (lambda docs: docs[0]["services"][name]["depends_on"][dep])
dep_pod = lambda docs: docs[0]["spec"]["template"]["spec"]
dep_c = lambda docs: pod_container(docs[0])

BREAKAGES = [
    ("compose: a CAPA_* name capad does not read",
     yaml_edit(COMPOSE, set_(env("capad-2"), "CAPA_KAFKA_BROKER", "kafka:9092")),
     "CAPA_KAFKA_BROKER is not a variable capad reads"),
    ("compose: a value outside capad's range",
     yaml_edit(COMPOSE, set_(env("capad-1"), "CAPA_DB_POOL_SIZE", "0")),
     "CAPA_DB_POOL_SIZE must be an integer from 1 to 500, got \"0\""),
    ("compose: migrate without CAPA_DATABASE_URL",
     yaml_edit(COMPOSE, del_(env("migrate"), "CAPA_DATABASE_URL")),
     "migrate: CAPA_DATABASE_URL must be set"),
    ("compose: a replica that does not wait for the migrations",
     yaml_edit(COMPOSE, set_(deps("capad-1", "migrate"), "condition", "service_started")),
     "capad-1 must depend on migrate with condition service_completed_successfully"),
    ("compose: the load balancer on another host port",
     yaml_edit(COMPOSE, set_(svc("lb"), "ports", ["8081:8080"])),
     "lb must publish host port 8080"),
    ("compose: Kafka not in KRaft combined mode",
     yaml_edit(COMPOSE, set_(env("kafka"), "KAFKA_PROCESS_ROLES", "broker")),
     "KAFKA_PROCESS_ROLES must be broker,controller"),
    ("compose: the topic with 3 partitions",
     yaml_edit(COMPOSE, lambda d: d[0]["services"]["kafka-init"].__setitem__(
         "command", [("3" if a == "6" else a) for a in d[0]["services"]["kafka-init"]["command"]])),
     "kafka-init must create 6 partitions"),
    ("compose: a replica without healthcheck",
     yaml_edit(COMPOSE, del_(svc("capad-2"), "healthcheck")),
     "capad-2 needs a healthcheck"),
    ("compose: a replica publishing to the host's Kafka address",
     yaml_edit(COMPOSE, set_(env("capad-1"), "CAPA_KAFKA_BROKERS", "localhost:29092")),
     "is none of kafka's advertised listeners"),
    ("compose: not YAML",
     text_sub(COMPOSE, r"\Z", "\n  broken: [\n", flags=0),
     "not valid YAML"),
    ("nginx: capad-2 missing from the upstream",
     text_sub(NGINX, r"^\s*server\s+capad-2:8080[^;]*;\n", ""),
     "does not balance to capad-2:8080"),
    ("nginx: X-Request-Id not passed",
     text_sub(NGINX, r"^\s*proxy_set_header\s+X-Request-Id[^;]*;\n", ""),
     "X-Request-Id is not passed"),
    ("Dockerfile: no USER",
     text_sub(DOCKERFILE, r"^USER .*\n", ""),
     "no USER in the runtime stage"),
    ("Dockerfile: runtime stage on the full debian:12",
     text_sub(DOCKERFILE, r"^FROM debian:12-slim", "FROM debian:12"),
     "the runtime stage must be FROM debian:12-slim"),
    ("Dockerfile: no HEALTHCHECK",
     text_sub(DOCKERFILE, r"^HEALTHCHECK .*\\\n.*\n", ""),
     "needs a HEALTHCHECK on /healthz"),
    ("Dockerfile: EXPOSE 9090",
     text_sub(DOCKERFILE, r"^EXPOSE 8080", "EXPOSE 9090"),
     "needs EXPOSE 8080"),
    ("Dockerfile: tests built into the image",
     text_sub(DOCKERFILE, r"-DCAPA_BUILD_TESTS=OFF", "-DCAPA_BUILD_TESTS=ON"),
     "-DCAPA_BUILD_TESTS=OFF"),
    ("capad renames a variable the files set",
     capad_renames("CAPA_EVENT_SOURCE", "CAPA_EVENT_SOURCE_URI"),
     "CAPA_EVENT_SOURCE is not a variable capad reads"),
    ("compose: a text value capad refuses",
     yaml_edit(COMPOSE, set_(env("capad-1"), "CAPA_KAFKA_TOPIC", "case events")),
     "CAPA_KAFKA_TOPIC must be a Kafka topic name"),
    ("compose: stopped before capad's shutdown timeout",
     yaml_edit(COMPOSE, set_(svc("capad-1"), "stop_grace_period", "15s")),
     "capad-1: stop_grace_period 15s must exceed CAPA_SHUTDOWN_TIMEOUT_S (20 s)"),
    ("k8s: killed before capad's shutdown timeout",
     yaml_edit(DEP, set_(dep_pod, "terminationGracePeriodSeconds", 24)),
     "terminationGracePeriodSeconds 24 must exceed the preStop sleep (5 s) + CAPA_SHUTDOWN_TIMEOUT_S (20 s)"),
    ("k8s: 2 replicas",
     yaml_edit(DEP, set_(lambda d: d[0]["spec"], "replicas", 2)),
     "replicas must be 3"),
    ("k8s: writable root file system",
     yaml_edit(DEP, set_(lambda d: dep_c(d)["securityContext"], "readOnlyRootFilesystem", False)),
     "readOnlyRootFilesystem must be true"),
    ("k8s: readiness on /healthz",
     yaml_edit(DEP, set_(lambda d: dep_c(d)["readinessProbe"]["httpGet"], "path", "/healthz")),
     "readinessProbe must GET /readyz"),
    ("k8s: runAsNonRoot gone",
     yaml_edit(DEP, lambda d: (dep_pod(d)["securityContext"].pop("runAsNonRoot"),
                               dep_c(d)["securityContext"].pop("runAsNonRoot"))),
     "runAsNonRoot must be true"),
    ("k8s: runAsUser not the image's uid",
     yaml_edit(DEP, lambda d: (dep_pod(d)["securityContext"].__setitem__("runAsUser", 1000),
                               dep_c(d)["securityContext"].__setitem__("runAsUser", 1000))),
     "runAsUser must be the image's uid"),
    ("k8s: no memory limit",
     yaml_edit(DEP, del_(lambda d: dep_c(d)["resources"]["limits"], "memory")),
     "resources.limits.memory is not set"),
    ("k8s: a namespace in a manifest",
     yaml_edit(DEP, set_(lambda d: d[0]["metadata"], "namespace", "prod")),
     "sets metadata.namespace"),
    ("k8s: the database URL in the ConfigMap",
     yaml_edit(CM, set_(lambda d: d[0]["data"], "CAPA_DATABASE_URL", "postgresql://capa:secret@db/capa")),
     "ConfigMap holds CAPA_DATABASE_URL"),
    ("k8s: a log level capad refuses",
     yaml_edit(CM, set_(lambda d: d[0]["data"], "CAPA_LOG_LEVEL", "verbose")),
     "CAPA_LOG_LEVEL must be debug, info, warn or error, got \"verbose\""),
    ("k8s: the HorizontalPodAutoscaler deleted",
     remove("deploy/k8s/hpa.yaml"),
     "no HorizontalPodAutoscaler"),
    ("k8s: a committed Secret",
     both(lambda root: open(os.path.join(root, "deploy/k8s/secret.yaml"), "w").write(
              "apiVersion: v1\nkind: Secret\nmetadata:\n  name: capa-database\n"
              "stringData:\n  url: postgresql://capa:secret@db/capa\n"),
          text_sub("deploy/k8s/kustomization.yaml", r"^resources:\n", "resources:\n  - secret.yaml\n")),
     "a Secret (capa-database) is committed"),
    ("k8s: HPA aiming at 90 % CPU",
     yaml_edit("deploy/k8s/hpa.yaml", lambda d: d[0]["spec"]["metrics"][0]["resource"]["target"].__setitem__(
         "averageUtilization", 90)),
     "must target 70 % CPU"),
]


def run_check(root):
    fake = os.path.join(root, "fake-capad")
    r = subprocess.run([sys.executable, CHECK, root, fake if os.path.exists(fake) else CAPAD],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return r.returncode, r.stdout


def main(argv):
    global CAPAD
    if len(argv) != 3:
        sys.stderr.write("usage: selftest_deploy.py ROOT CAPAD\n")
        return 2
    src, CAPAD = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory(prefix="capa-deploy-selftest.") as tmp:
        pristine = os.path.join(tmp, "pristine")
        os.mkdir(pristine)
        for rel in COPIED:
            s, d = os.path.join(src, rel), os.path.join(pristine, rel)
            if os.path.isdir(s):
                shutil.copytree(s, d)
            elif os.path.exists(s):
                shutil.copy2(s, d)
        rc, out = run_check(pristine)
        if rc != 0:
            print("FAIL the unbroken copy does not pass, so the self-test proves nothing:")
            print(out, end="")
            return 1
        for i, (what, breakage, expected) in enumerate(BREAKAGES, 1):
            work = os.path.join(tmp, "case%02d" % i)
            shutil.copytree(pristine, work)
            try:
                breakage(work)
            except (NotApplied, KeyError, IndexError, TypeError) as e:
                print("FAIL %s: the breakage no longer applies (%s): update %s"
                      % (what, e, os.path.basename(__file__)))
                failed += 1
                continue
            rc, out = run_check(work)
            hits = [l for l in out.splitlines() if l.startswith("FAIL ") and expected in l]
            if rc != 0 and hits:
                print("caught  %-58s %s" % (what, hits[0]))
                passed += 1
            else:
                print("FAIL %s: check exited %d without a FAIL line containing %r; it printed:\n%s"
                      % (what, rc, expected, out))
                failed += 1
            shutil.rmtree(work)
    print("deploy self-test: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
