#!/usr/bin/env python3
"""check_deploy.py ROOT CAPAD - structural check of capa's deployment files.

No Docker engine or Kubernetes cluster is needed: the files are parsed (YAML
for real, with PyYAML) and compared with what capad really does.

  * The CAPA_* variables capad reads and their defaults come from CAPAD
    itself (`capad config vars`, its one configuration table), and every
    value a file sets is checked by it (`capad config value NAME VALUE`). A
    deployment file that sets a name capad does not read, or a value capad
    would refuse at start-up, fails.
  * ROOT/deploy/Dockerfile, ROOT/docker-compose.yml, the nginx config that
    compose mounts (deploy/lb/), and ROOT/deploy/k8s/ (kustomization.yaml and
    the manifests it lists).

Every problem is printed as "FAIL <file>: <what is wrong>"; exit status 1 if
there is any, 0 otherwise. tests/deploy/check-deploy.sh runs it (ctest
deploy_files).
"""

import glob
import json
import os
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - check-deploy.sh tests this first
    sys.stderr.write("check_deploy: python3-yaml is missing (deploy/lib.sh installs it)\n")
    sys.exit(1)


class Checker:
    def __init__(self, root):
        self.root = root
        self.passed = 0
        self.problems = []

    def check(self, cond, where, msg):
        """Count one check; record msg for where when cond is false."""
        if cond:
            self.passed += 1
        else:
            self.problems.append("%s: %s" % (where, msg))
        return bool(cond)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def read(self, rel):
        try:
            with open(self.path(rel), encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            self.check(False, rel, "cannot read it (%s)" % e.strerror)
            return None


# ---------------------------------------------------------------------------
# What capad reads: its configuration table (`capad config vars`)
# ---------------------------------------------------------------------------

class CapadConfig:
    """capad's variables, from its own table; values checked by capad itself."""

    def __init__(self, ck, capad):
        self.capad = capad
        self.vars = {}
        self.verdicts = {}
        where = "capad config vars"
        try:
            out = subprocess.run([capad, "config", "vars"], check=True, capture_output=True,
                                 text=True).stdout
            self.vars = {v["name"]: v for v in json.loads(out)}
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            ck.check(False, where, "cannot read capad's configuration table (%s)" % e)
            return
        for required in ("CAPA_DATABASE_URL", "CAPA_KAFKA_BROKERS", "CAPA_HTTP_PORT"):
            ck.check(required in self.vars, where,
                     "%s is no longer read; the deployment files rely on it" % required)

    @property
    def names(self):
        return set(self.vars)

    def default(self, name):
        var = self.vars.get(name)
        return var["default"] if var else None

    def value_problem(self, name, value):
        """None if capad accepts value for name, else why not (`capad config value`)."""
        if name not in self.vars:
            return "%s is not a variable capad reads (capad config vars)" % name
        if value is None or "${" in value:
            return None  # from a Secret or interpolated: not checkable here
        if (name, value) not in self.verdicts:
            r = subprocess.run([self.capad, "config", "value", name, value], capture_output=True,
                               text=True)
            why = r.stderr.strip().replace("capad: configuration: ", "")
            self.verdicts[(name, value)] = None if r.returncode == 0 else why or "refused"
        return self.verdicts[(name, value)]


def scalar(v):
    """A YAML scalar as the string a container sees."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------------------
# deploy/Dockerfile
# ---------------------------------------------------------------------------

def dockerfile_instructions(text):
    """[(INSTRUCTION, arguments)] with continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in text.splitlines():
        s = line.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        parts = cur.split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        cur = ""
    if cur.strip():
        parts = cur.split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
    return out


def exec_form(args):
    """The argv of a JSON (exec) form, or the shell words of a shell form."""
    args = args.strip()
    if args.startswith("["):
        return re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    return shlex.split(args)


RUNTIME_LIBS = ["libulfius2.7", "libjansson4", "libmicrohttpd12", "libgnutls30", "libpq5", "librdkafka1"]


def check_dockerfile(ck):
    """Returns the image's uid (int) or None."""
    where = "deploy/Dockerfile"
    text = ck.read(where)
    if text is None:
        return None
    ins = dockerfile_instructions(text)
    stages, cur = [], None
    for op, args in ins:
        if op == "FROM":
            cur = {"from": args, "ins": []}
            stages.append(cur)
        elif cur is not None:
            cur["ins"].append((op, args))
    if not ck.check(len(stages) == 2, where,
                    "needs exactly two stages (build and runtime), has %d FROM" % len(stages)):
        if len(stages) < 2:
            return None
    build, runtime = stages[0], stages[-1]
    m = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", build["from"], re.I)
    build_image, build_name = (m.group(1), m.group(2)) if m else (build["from"], None)
    ck.check(build_image == "debian:12", where,
             "the build stage must be FROM debian:12, is FROM %s" % build["from"])
    ck.check(build_name, where, "the build stage needs a name (FROM debian:12 AS build)")
    m = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+\S+)?", runtime["from"], re.I)
    ck.check(m and m.group(1) == "debian:12-slim", where,
             "the runtime stage must be FROM debian:12-slim, is FROM %s" % runtime["from"])

    build_runs = " ".join(a for op, a in build["ins"] if op == "RUN")
    ck.check(re.search(r"-DCAPA_BUILD_TESTS=OFF\b", build_runs), where,
             "the build stage must configure with -DCAPA_BUILD_TESTS=OFF")
    ck.check(re.search(r"--target\s+capad\b", build_runs), where,
             "the build stage must build the target capad (cmake --build ... --target capad)")
    for pkg in ("libulfius-dev", "libjansson-dev", "libmicrohttpd-dev", "libgnutls28-dev",
                "libpq-dev", "librdkafka-dev", "cmake"):
        ck.check(re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(pkg), build_runs), where,
                 "the build stage does not install %s" % pkg)
    # The build context is never sent here: every COPY source must exist.
    for op, args in build["ins"]:
        if op == "COPY" and "--from" not in args:
            words = [w for w in exec_form(args) if not w.startswith("--")]
            for src in words[:-1]:
                ck.check(os.path.exists(ck.path(src.rstrip("/"))), where,
                         "COPY %s: no such file in the repository" % src)

    runtime_runs = " ".join(a for op, a in runtime["ins"] if op == "RUN")
    installs = " ".join(re.findall(r"apt-get\s+install\b(.*?)(?:&&|;|$)", runtime_runs))
    for lib in RUNTIME_LIBS + ["curl"]:
        ck.check(re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(lib), installs), where,
                 "the runtime stage does not install %s" % lib)
    ck.check(not re.search(r"\S+-dev\b", installs), where,
             "the runtime stage installs -dev packages: %s" % re.findall(r"\S+-dev\b", installs))
    copies = [a for op, a in runtime["ins"] if op == "COPY"]
    ck.check(any(re.search(r"--from=%s\b" % re.escape(build_name or "build"), c) and "capad" in c
                 for c in copies), where,
             "the runtime stage must COPY --from=%s the capad binary" % (build_name or "build"))

    users = [a.strip() for op, a in runtime["ins"] if op == "USER"]
    uid = None
    if ck.check(users, where, "no USER in the runtime stage: capad would run as root"):
        user = users[-1].split(":")[0]
        if re.fullmatch(r"\d+", user):
            uid = int(user)
        else:
            m = re.search(r"useradd\b[^&;]*--uid\s+(\d+)[^&;]*\b%s\b" % re.escape(user), runtime_runs)
            uid = int(m.group(1)) if m else None
            ck.check(uid is not None, where,
                     "USER %s: no useradd --uid for it, so the uid is not fixed" % user)
        ck.check(user not in ("root", "0") and uid != 0, where, "USER %s is root" % users[-1])
    hc = [a for op, a in runtime["ins"] if op == "HEALTHCHECK"]
    ck.check(hc and "/healthz" in hc[-1] and not re.match(r"NONE\b", hc[-1].strip(), re.I), where,
             "needs a HEALTHCHECK on /healthz")
    expose = " ".join(a for op, a in runtime["ins"] if op == "EXPOSE")
    ck.check(re.search(r"(?<!\d)8080(/tcp)?(?!\d)", expose), where, "needs EXPOSE 8080")
    ep = [exec_form(a) for op, a in runtime["ins"] if op == "ENTRYPOINT"]
    ck.check(ep and ep[-1] and os.path.basename(ep[-1][0]) == "capad", where,
             "ENTRYPOINT must be capad, is %s" % (ep[-1] if ep else "missing"))
    cmd = [exec_form(a) for op, a in runtime["ins"] if op == "CMD"]
    ck.check(cmd and cmd[-1] == ["serve"], where,
             "CMD must be [\"serve\"], is %s" % (cmd[-1] if cmd else "missing"))
    return uid


# ---------------------------------------------------------------------------
# docker-compose.yml and the load balancer's config
# ---------------------------------------------------------------------------

def env_dict(env):
    """Compose environment (a mapping or a list of NAME=value) as {name: str|None}."""
    if env is None:
        return {}
    if isinstance(env, dict):
        return {str(k): scalar(v) for k, v in env.items()}
    out = {}
    for item in env:
        k, eq, v = str(item).partition("=")
        out[k] = v if eq else None
    return out


def as_list(cmd):
    if cmd is None:
        return None
    if isinstance(cmd, str):
        return shlex.split(cmd)
    return [str(c) for c in cmd]


def published_ports(svc):
    """[(host_port or None, container_port)] of a compose service."""
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            out.append((str(p.get("published")) if p.get("published") is not None else None,
                        str(p.get("target"))))
            continue
        s = str(p).split("/")[0]
        parts = s.rsplit(":", 2)
        if len(parts) == 1:
            out.append((None, parts[0]))
        else:
            out.append((parts[-2], parts[-1]))
    return out


def compose_seconds(d):
    """A compose duration ("25s", "1m30s", "1h") in seconds, or None."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)", str(d))
    if not parts or "".join(n + u for n, u in parts) != str(d):
        return None
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    return sum(float(n) * unit[u] for n, u in parts)


def depends(svc):
    d = svc.get("depends_on") or {}
    if isinstance(d, list):
        return {k: "service_started" for k in d}
    return {k: (v or {}).get("condition", "service_started") for k, v in d.items()}


def healthcheck_test(svc):
    hc = svc.get("healthcheck")
    if not hc or hc.get("disable"):
        return None
    t = hc.get("test")
    if isinstance(t, list):
        if t and t[0] == "NONE":
            return None
        return " ".join(str(x) for x in t)
    return str(t) if t else None


def is_capad(svc):
    b = svc.get("build")
    dockerfile = b.get("dockerfile") if isinstance(b, dict) else None
    return dockerfile == "deploy/Dockerfile" or str(svc.get("image", "")).startswith("capa/capad")


def parse_listeners(s):
    """'NAME://host:port,...' -> {NAME: (host, port)}."""
    out = {}
    for item in (s or "").split(","):
        m = re.fullmatch(r"\s*([A-Za-z0-9_]+)://([^:]*):(\d+)\s*", item)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


SERVICES = {
    "postgres": "PostgreSQL 15",
    "kafka": "Apache Kafka in KRaft mode",
    "kafka-init": "the one-shot topic creation",
    "migrate": "the one-shot capad migrate",
    "capad-1": "the first capad replica",
    "capad-2": "the second capad replica",
    "lb": "the load balancer",
}
REPLICAS = ["capad-1", "capad-2"]
TOPIC_PARTITIONS = 6


def check_compose(ck, cfg):
    """Returns (lb config path relative to ROOT or None, lb container port, replica ports)."""
    where = "docker-compose.yml"
    text = ck.read(where)
    if text is None:
        return None, None, {}
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        ck.check(False, where, "not valid YAML: %s" % e)
        return None, None, {}
    services = (doc or {}).get("services") or {}
    for name, what in SERVICES.items():
        ck.check(name in services, where, "no service %s (%s)" % (name, what))
    svc = lambda n: services.get(n) or {}

    # every depends_on points at a service that can satisfy its condition
    for name, s in services.items():
        for dep, cond in depends(s).items():
            if not ck.check(dep in services, where, "%s depends on %s, which does not exist" % (name, dep)):
                continue
            if cond == "service_healthy":
                ck.check(healthcheck_test(services[dep]) is not None, where,
                         "%s waits for %s to be healthy, but %s has no healthcheck" % (name, dep, dep))
            elif cond == "service_completed_successfully":
                restart = scalar(services[dep].get("restart", "no"))
                ck.check(restart in ("no", "false") or restart.startswith("on-failure"), where,
                         "%s waits for %s to complete, but %s restarts (%s)"
                         % (name, dep, dep, services[dep].get("restart")))

    # host ports are unique, and only the load balancer publishes capad's port
    seen = {}
    for name, s in services.items():
        for host, _ in published_ports(s):
            if host:
                ck.check(host not in seen, where,
                         "host port %s is published by both %s and %s" % (host, seen.get(host), name))
                seen[host] = name

    # PostgreSQL
    pg = svc("postgres")
    ck.check(str(pg.get("image", "")).startswith("postgres:15"), where,
             "postgres must use the image postgres:15, uses %s" % pg.get("image"))
    ck.check("pg_isready" in (healthcheck_test(pg) or ""), where,
             "postgres needs a healthcheck with pg_isready")
    pg_env = env_dict(pg.get("environment"))

    # Kafka, KRaft
    k = svc("kafka")
    kimage = str(k.get("image", ""))
    ck.check(kimage.startswith("apache/kafka:"), where,
             "kafka must use the official image apache/kafka:<version>, uses %s" % k.get("image"))
    kenv = env_dict(k.get("environment"))
    roles = set((kenv.get("KAFKA_PROCESS_ROLES") or "").replace(" ", "").split(","))
    ck.check(roles == {"broker", "controller"}, where,
             "kafka: KAFKA_PROCESS_ROLES must be broker,controller (KRaft, one node), is %s"
             % kenv.get("KAFKA_PROCESS_ROLES"))
    node = kenv.get("KAFKA_NODE_ID")
    ck.check(node and node.isdigit(), where, "kafka: KAFKA_NODE_ID must be set")
    voters = kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS") or ""
    ck.check(re.search(r"(^|,)%s@[^,:]+:\d+" % re.escape(node or "?"), voters), where,
             "kafka: KAFKA_CONTROLLER_QUORUM_VOTERS must name node %s (%s@host:port), is %r"
             % (node, node, voters))
    listeners = parse_listeners(kenv.get("KAFKA_LISTENERS"))
    advertised = parse_listeners(kenv.get("KAFKA_ADVERTISED_LISTENERS"))
    ctrl = (kenv.get("KAFKA_CONTROLLER_LISTENER_NAMES") or "").split(",")[0]
    ck.check(ctrl and ctrl in listeners, where,
             "kafka: KAFKA_CONTROLLER_LISTENER_NAMES (%r) must be one of KAFKA_LISTENERS" % ctrl)
    if voters and ctrl in listeners:
        ck.check(any(v.endswith(":" + listeners[ctrl][1]) for v in voters.split(",")), where,
                 "kafka: the quorum voter's port must be the controller listener's (%s)"
                 % listeners[ctrl][1])
    ck.check(ctrl not in advertised, where, "kafka: the controller listener must not be advertised")
    proto = {p.split(":")[0].strip()
             for p in (kenv.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP") or "").split(",") if p}
    for lname in listeners:
        ck.check(lname in proto or lname in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"), where,
                 "kafka: listener %s has no entry in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP" % lname)
    ck.check(re.search(r"kafka-(topics|broker-api-versions)\.sh", healthcheck_test(k) or ""), where,
             "kafka needs a healthcheck with kafka-topics.sh --list or kafka-broker-api-versions.sh")
    # Another container reaches the broker at an address it advertises under
    # the service's name (not localhost: that one is for the host).
    internal = {"%s:%s" % (h, p) for h, p in advertised.values() if h in ("kafka", k.get("hostname"))}
    ck.check(internal, where, "kafka advertises no listener at kafka:<port> for the other containers")

    # kafka-init: creates the topic with the image's kafka-topics.sh
    ki = svc("kafka-init")
    ck.check(str(ki.get("image", "")) == kimage, where,
             "kafka-init must use the kafka image (%s) for its kafka-topics.sh, uses %s" % (kimage, ki.get("image")))
    argv = (as_list(ki.get("entrypoint")) or []) + (as_list(ki.get("command")) or [])
    line = " ".join(argv)
    if len(argv) >= 2 and argv[0] in ("bash", "sh", "/bin/sh", "/bin/bash") and argv[1] == "-c":
        argv = shlex.split(" ".join(argv[2:]))
    opt = lambda o: argv[argv.index(o) + 1] if o in argv and argv.index(o) + 1 < len(argv) else None
    ck.check("kafka-topics.sh" in line and "--create" in argv, where,
             "kafka-init must run kafka-topics.sh --create")
    topic = opt("--topic")
    ck.check(topic == "capa.case-events", where,
             "kafka-init must create the topic capa.case-events, creates %s" % topic)
    ck.check(opt("--partitions") == str(TOPIC_PARTITIONS), where,
             "kafka-init must create %d partitions, creates %s" % (TOPIC_PARTITIONS, opt("--partitions")))
    ck.check(opt("--bootstrap-server") in internal, where,
             "kafka-init: --bootstrap-server %s is none of kafka's advertised listeners %s"
             % (opt("--bootstrap-server"), sorted(internal)))
    ck.check(depends(ki).get("kafka") == "service_healthy", where,
             "kafka-init must depend on kafka with condition service_healthy")

    # capad containers: migrate and the replicas
    def check_capad_env(name, s, serving):
        env = env_dict(s.get("environment"))
        for var, value in env.items():
            if var.startswith("CAPA_"):
                problem = cfg.value_problem(var, value)
                ck.check(problem is None, where, "%s: %s" % (name, problem))
        url = env.get("CAPA_DATABASE_URL")
        if ck.check(url, where, "%s: CAPA_DATABASE_URL must be set (the default is a local "
                                "socket, which a container does not have)" % name):
            m = re.match(r"postgres(?:ql)?://(?:([^:@/]*)(?::([^@/]*))?@)?([^:/?]+)(?::(\d+))?/([^?]*)", url)
            ok = bool(m) and m.group(3) == "postgres" and (m.group(4) or "5432") == "5432"
            ck.check(ok, where, "%s: CAPA_DATABASE_URL must point at postgres:5432, is %s" % (name, url))
            if m and pg_env:
                ck.check((m.group(1), m.group(2), m.group(5)) ==
                         (pg_env.get("POSTGRES_USER"), pg_env.get("POSTGRES_PASSWORD"),
                          pg_env.get("POSTGRES_DB") or pg_env.get("POSTGRES_USER")), where,
                         "%s: CAPA_DATABASE_URL's user, password and database must be postgres' "
                         "POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB" % name)
        ck.check(is_capad(s), where, "%s must run the capad image (build deploy/Dockerfile)" % name)
        b = s.get("build")
        if isinstance(b, dict):
            ck.check(os.path.isfile(ck.path(os.path.join(b.get("context", "."), b.get("dockerfile", "Dockerfile")))),
                     where, "%s: build.dockerfile %s does not exist" % (name, b.get("dockerfile")))
        if serving:
            brokers = env.get("CAPA_KAFKA_BROKERS")
            if ck.check(brokers and brokers != "mock", where,
                        "%s: CAPA_KAFKA_BROKERS must name the kafka service (unset: no relay)" % name):
                for b in brokers.split(","):
                    ck.check(b in internal, where,
                             "%s: CAPA_KAFKA_BROKERS %s is none of kafka's advertised listeners %s"
                             % (name, b, sorted(internal)))
            t = env.get("CAPA_KAFKA_TOPIC") or cfg.default("CAPA_KAFKA_TOPIC")
            ck.check(t == topic, where, "%s publishes to %s but kafka-init creates %s" % (name, t, topic))
            stop_s = int(env.get("CAPA_SHUTDOWN_TIMEOUT_S") or cfg.default("CAPA_SHUTDOWN_TIMEOUT_S") or 0)
            grace = compose_seconds(s.get("stop_grace_period", "10s"))
            ck.check(grace is not None and grace > stop_s, where,
                     "%s: stop_grace_period %s must exceed CAPA_SHUTDOWN_TIMEOUT_S (%d s), within which "
                     "capad stops (else it is killed with events unflushed)"
                     % (name, s.get("stop_grace_period", "10s (the default)"), stop_s))
        return env

    mg = svc("migrate")
    check_capad_env("migrate", mg, False)
    ck.check(as_list(mg.get("command")) == ["migrate"], where,
             "migrate must run command [\"migrate\"], runs %s" % mg.get("command"))
    ck.check(depends(mg).get("postgres") == "service_healthy", where,
             "migrate must depend on postgres with condition service_healthy")

    replica_ports = {}
    for name in REPLICAS:
        s = svc(name)
        env = check_capad_env(name, s, True)
        ck.check(as_list(s.get("command")) in (["serve"], None), where,
                 "%s must run command [\"serve\"], runs %s" % (name, s.get("command")))
        port = env.get("CAPA_HTTP_PORT") or cfg.default("CAPA_HTTP_PORT")
        replica_ports[name] = port
        ck.check(port == "8080", where, "%s: CAPA_HTTP_PORT must be 8080, is %s" % (name, port))
        test = healthcheck_test(s)
        ck.check(test and re.search(r"/(healthz|readyz)\b", test) and ":%s/" % port in test, where,
                 "%s needs a healthcheck on http://...:%s/readyz or /healthz" % (name, port))
        deps = depends(s)
        ck.check(deps.get("postgres") == "service_healthy", where,
                 "%s must depend on postgres with condition service_healthy" % name)
        ck.check(deps.get("migrate") == "service_completed_successfully", where,
                 "%s must depend on migrate with condition service_completed_successfully" % name)
        ck.check(deps.get("kafka-init") == "service_completed_successfully"
                 or deps.get("kafka") == "service_healthy", where,
                 "%s must depend on kafka-init (service_completed_successfully) or kafka "
                 "(service_healthy)" % name)
        ck.check(not published_ports(s), where,
                 "%s publishes ports %s: only the load balancer is published"
                 % (name, s.get("ports")))

    # the load balancer
    lb = svc("lb")
    ck.check(re.match(r"(nginx:1\.25|haproxy:)", str(lb.get("image", ""))), where,
             "lb must use the image nginx:1.25 (or haproxy), uses %s" % lb.get("image"))
    ports = published_ports(lb)
    lb_port = None
    for host, target in ports:
        if host == "8080":
            lb_port = target
    ck.check(lb_port, where, "lb must publish host port 8080 (the README's http://localhost:8080), "
                             "publishes %s" % lb.get("ports"))
    deps = depends(lb)
    for name in REPLICAS:
        ck.check(deps.get(name) == "service_healthy", where,
                 "lb must depend on %s with condition service_healthy" % name)
    conf = None
    for v in lb.get("volumes") or []:
        src = v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
        if src and src.startswith(("./deploy/lb/", "deploy/lb/")):
            conf = os.path.normpath(src)
            ck.check(os.path.isfile(ck.path(conf)), where, "lb mounts %s, which does not exist" % src)
    ck.check(conf, where, "lb must mount its config from deploy/lb/")
    return conf, lb_port, replica_ports


def check_nginx(ck, rel, lb_port, replica_ports):
    text = ck.read(rel)
    if text is None:
        return
    text = re.sub(r"#[^\n]*", "", text)
    ck.check(text.count("{") == text.count("}"), rel, "unbalanced braces")
    upstreams = {m.group(1): m.group(2) for m in re.finditer(r"\bupstream\s+(\S+)\s*\{([^}]*)\}", text)}
    passes = re.findall(r"\bproxy_pass\s+https?://([^/;\s]+)", text)
    if not ck.check(passes, rel, "no proxy_pass"):
        return
    target = passes[0]
    ck.check(target in upstreams, rel, "proxy_pass http://%s: no upstream %s" % (target, target))
    servers = re.findall(r"\bserver\s+([^;\s]+)([^;]*);", upstreams.get(target, ""))
    addrs = {s for s, _ in servers}
    for name, port in replica_ports.items():
        ck.check("%s:%s" % (name, port) in addrs, rel,
                 "upstream %s does not balance to %s:%s" % (target, name, port))
    for addr, params in servers:
        ck.check("max_fails=" in params or "fail_timeout=" in params, rel,
                 "server %s: no passive health check (max_fails=/fail_timeout=)" % addr)
    ck.check(re.search(r"\bproxy_set_header\s+X-Request-Id\s", text, re.I), rel,
             "X-Request-Id is not passed to capad (proxy_set_header X-Request-Id ...)")
    ck.check(re.search(r"\bproxy_next_upstream\b", text), rel,
             "no proxy_next_upstream: a dead replica's requests are not retried elsewhere")
    listens = re.findall(r"\blisten\s+(?:[^;\s]*:)?(\d+)", text)
    ck.check(lb_port in listens, rel, "nginx listens on %s, but compose publishes its port %s"
             % (listens, lb_port))


# ---------------------------------------------------------------------------
# deploy/k8s
# ---------------------------------------------------------------------------

KINDS = ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Job"]


def effective(pod_sc, c_sc, key):
    if key in (c_sc or {}):
        return c_sc[key]
    return (pod_sc or {}).get(key)


def probe_port(probe, container):
    port = ((probe or {}).get("httpGet") or {}).get("port")
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or []:
            if p.get("name") == port:
                return p.get("containerPort")
        return None
    return int(port) if port is not None else None


def check_pod(ck, cfg, where, what, pod, uid, configmaps, verb):
    """The capad container of a pod template: image, command, env, security."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    capads = [c for c in containers if "capa/capad" in str(c.get("image", ""))]
    if not ck.check(capads, where, "%s: no container with the image capa/capad" % what):
        return None, spec
    c = capads[0]
    argv = (c.get("command") or [])[1:] + (c.get("args") or []) if c.get("command") else (c.get("args") or [])
    ck.check(argv[:1] == [verb], where, "%s: the container must run capad %s, args are %s" % (what, verb, argv))
    # environment
    env_names = set()
    for e in c.get("env") or []:
        n = e.get("name", "")
        env_names.add(n)
        if n.startswith("CAPA_"):
            problem = cfg.value_problem(n, scalar(e.get("value")) if "value" in e else None)
            ck.check(problem is None, where, "%s: env %s" % (what, problem))
    db = [e for e in c.get("env") or [] if e.get("name") == "CAPA_DATABASE_URL"]
    ref = ((db[0].get("valueFrom") or {}).get("secretKeyRef") or {}) if db else {}
    ck.check(ref.get("name") == "capa-database" and ref.get("key") == "url" and not ref.get("optional"),
             where, "%s: CAPA_DATABASE_URL must come from the Secret capa-database, key url "
                    "(secretKeyRef, not optional)" % what)
    from_cm = {}
    for ef in c.get("envFrom") or []:
        cm = (ef.get("configMapRef") or {}).get("name")
        if cm:
            if ck.check(cm in configmaps, where, "%s: envFrom ConfigMap %s is not among the manifests" % (what, cm)):
                from_cm.update(configmaps[cm])
    # security
    psc, csc = spec.get("securityContext") or {}, c.get("securityContext") or {}
    ck.check(effective(psc, csc, "runAsNonRoot") is True, where, "%s: runAsNonRoot must be true" % what)
    run_uid = effective(psc, csc, "runAsUser")
    if uid is not None:
        ck.check(run_uid == uid, where, "%s: runAsUser must be the image's uid %s (deploy/Dockerfile), is %s"
                 % (what, uid, run_uid))
    ck.check(csc.get("readOnlyRootFilesystem") is True, where, "%s: readOnlyRootFilesystem must be true" % what)
    ck.check(csc.get("allowPrivilegeEscalation") is False, where,
             "%s: allowPrivilegeEscalation must be false" % what)
    ck.check("ALL" in ((csc.get("capabilities") or {}).get("drop") or []), where,
             "%s: capabilities must drop ALL" % what)
    ck.check((effective(psc, csc, "seccompProfile") or {}).get("type") == "RuntimeDefault", where,
             "%s: seccompProfile must be RuntimeDefault" % what)
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            ck.check((res.get(kind) or {}).get(r), where, "%s: resources.%s.%s is not set" % (what, kind, r))
    return c, spec, from_cm, env_names


def check_k8s(ck, cfg, uid):
    kdir = "deploy/k8s"
    kust_rel = os.path.join(kdir, "kustomization.yaml")
    kust_text = ck.read(kust_rel)
    listed = []
    if kust_text is not None:
        try:
            kust = yaml.safe_load(kust_text) or {}
            listed = [os.path.normpath(r) for r in kust.get("resources") or []]
            ck.check(kust.get("kind") == "Kustomization", kust_rel, "kind must be Kustomization")
            ck.check("namespace" not in kust, kust_rel, "sets a namespace: the manifests are namespace-agnostic")
        except yaml.YAMLError as e:
            ck.check(False, kust_rel, "not valid YAML: %s" % e)
    files = sorted(os.path.relpath(p, ck.path(kdir))
                   for p in glob.glob(ck.path(kdir + "/*.yaml")) + glob.glob(ck.path(kdir + "/*.yml"))
                   if os.path.basename(p) not in ("kustomization.yaml", "kustomization.yml"))
    for f in files:
        ck.check(f in listed, kust_rel, "does not list %s" % f)
    for f in listed:
        ck.check(f in files, kust_rel, "lists %s, which does not exist" % f)

    docs = []  # (file, doc)
    for f in files:
        rel = os.path.join(kdir, f)
        try:
            for d in yaml.safe_load_all(ck.read(rel) or ""):
                if d:
                    docs.append((rel, d))
        except yaml.YAMLError as e:
            ck.check(False, rel, "not valid YAML: %s" % e)
    by_kind = {}
    for rel, d in docs:
        by_kind.setdefault(d.get("kind"), []).append((rel, d))
        meta = d.get("metadata") or {}
        ck.check("namespace" not in meta, rel, "%s %s sets metadata.namespace: the manifests must be "
                 "namespace-agnostic" % (d.get("kind"), meta.get("name")))
        ck.check(d.get("kind") != "Secret", rel,
                 "a Secret (%s) is committed: reference capa-database, never commit its value" % meta.get("name"))
    for kind in KINDS:
        ck.check(kind in by_kind, kdir, "no %s among the manifests" % kind)

    # ConfigMaps
    configmaps = {}
    for rel, d in by_kind.get("ConfigMap", []):
        data = {str(k): scalar(v) for k, v in (d.get("data") or {}).items()}
        configmaps[(d.get("metadata") or {}).get("name")] = data
        for k, v in data.items():
            if k.startswith("CAPA_"):
                problem = cfg.value_problem(k, v)
                ck.check(problem is None, rel, "ConfigMap: %s" % problem)
        ck.check("CAPA_DATABASE_URL" not in data, rel,
                 "ConfigMap holds CAPA_DATABASE_URL: it has a password, it belongs in the Secret capa-database")

    # Deployment
    pod_labels, http_port, dep_name = {}, None, None
    for rel, d in by_kind.get("Deployment", [])[:1]:
        dep_name = d["metadata"].get("name")
        spec = d.get("spec") or {}
        ck.check(spec.get("replicas") == 3, rel, "Deployment: replicas must be 3, is %s" % spec.get("replicas"))
        tmpl = spec.get("template") or {}
        pod_labels = (tmpl.get("metadata") or {}).get("labels") or {}
        sel = (spec.get("selector") or {}).get("matchLabels") or {}
        ck.check(sel and all(pod_labels.get(k) == v for k, v in sel.items()), rel,
                 "Deployment: selector.matchLabels %s do not match the pod labels %s" % (sel, pod_labels))
        r = check_pod(ck, cfg, rel, "Deployment", tmpl, uid, configmaps, "serve")
        if not r or r[0] is None:
            continue
        c, pspec, from_cm, env_names = r
        ports = [p.get("containerPort") for p in c.get("ports") or []]
        http_port = int(from_cm.get("CAPA_HTTP_PORT") or cfg.default("CAPA_HTTP_PORT") or 8080)
        ck.check(http_port in ports, rel, "Deployment: containerPort %s (CAPA_HTTP_PORT) is not declared, "
                 "ports are %s" % (http_port, ports))
        ck.check(8080 in ports, rel, "Deployment: container port must be 8080, ports are %s" % ports)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            p = c.get(probe) or {}
            got = (p.get("httpGet") or {}).get("path")
            ck.check(got == path, rel, "Deployment: %s must GET %s, gets %s" % (probe, path, got))
            ck.check(probe_port(p, c) == http_port, rel, "Deployment: %s must use port %s" % (probe, http_port))
        sp = c.get("startupProbe") or {}
        ck.check(sp.get("httpGet") or sp.get("exec") or sp.get("tcpSocket"), rel,
                 "Deployment: no startupProbe")
        brokers = from_cm.get("CAPA_KAFKA_BROKERS")
        ck.check(brokers and brokers != "mock" or "CAPA_KAFKA_BROKERS" in env_names, rel,
                 "Deployment: CAPA_KAFKA_BROKERS is not set (ConfigMap or env): no relay would run")
        # graceful stop: preStop sleep, then capad's own drain within the grace period
        pre = ((c.get("lifecycle") or {}).get("preStop") or {})
        cmd = (pre.get("exec") or {}).get("command") or []
        sleep_s = (pre.get("sleep") or {}).get("seconds")
        if sleep_s is None and cmd and os.path.basename(str(cmd[0])) == "sleep" and len(cmd) > 1:
            sleep_s = int(float(cmd[1]))
        ck.check(sleep_s, rel, "Deployment: needs a preStop sleep so that load balancers drain the pod")
        grace = pspec.get("terminationGracePeriodSeconds", 30)
        stop_s = int(from_cm.get("CAPA_SHUTDOWN_TIMEOUT_S") or cfg.default("CAPA_SHUTDOWN_TIMEOUT_S") or 0)
        ck.check(sleep_s is None or grace > sleep_s + stop_s, rel,
                 "Deployment: terminationGracePeriodSeconds %s must exceed the preStop sleep (%s s) + "
                 "CAPA_SHUTDOWN_TIMEOUT_S (%s s), within which capad stops" % (grace, sleep_s, stop_s))

    match = lambda sel: bool(sel) and all(pod_labels.get(k) == v for k, v in sel.items())

    for rel, d in by_kind.get("Service", []):
        spec = d.get("spec") or {}
        ck.check(spec.get("type", "ClusterIP") == "ClusterIP", rel, "Service must be ClusterIP")
        ck.check(match(spec.get("selector")), rel, "Service selector %s does not select the Deployment's pods %s"
                 % (spec.get("selector"), pod_labels))
        ports = spec.get("ports") or []
        ok = any(p.get("port") == 80 and (p.get("targetPort") in (http_port, "http")) for p in ports)
        ck.check(ok, rel, "Service must map port 80 to the pods' %s" % http_port)

    for rel, d in by_kind.get("PodDisruptionBudget", []):
        spec = d.get("spec") or {}
        ck.check(d.get("apiVersion") == "policy/v1", rel, "PodDisruptionBudget must be policy/v1")
        ck.check(spec.get("minAvailable") == 2, rel, "PodDisruptionBudget: minAvailable must be 2, is %s"
                 % spec.get("minAvailable"))
        ck.check(match((spec.get("selector") or {}).get("matchLabels")), rel,
                 "PodDisruptionBudget selector does not select the Deployment's pods")

    for rel, d in by_kind.get("HorizontalPodAutoscaler", []):
        spec = d.get("spec") or {}
        ck.check(d.get("apiVersion") == "autoscaling/v2", rel, "HorizontalPodAutoscaler must be autoscaling/v2")
        ref = spec.get("scaleTargetRef") or {}
        ck.check(ref.get("kind") == "Deployment" and ref.get("name") == dep_name, rel,
                 "HorizontalPodAutoscaler must scale the Deployment %s" % dep_name)
        ck.check((spec.get("minReplicas"), spec.get("maxReplicas")) == (3, 10), rel,
                 "HorizontalPodAutoscaler must scale 3..10, scales %s..%s"
                 % (spec.get("minReplicas"), spec.get("maxReplicas")))
        cpu = [m for m in spec.get("metrics") or []
               if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"]
        target = ((cpu[0].get("resource") or {}).get("target") or {}) if cpu else {}
        ck.check(target.get("type") == "Utilization" and target.get("averageUtilization") == 70, rel,
                 "HorizontalPodAutoscaler must target 70 %% CPU utilization, targets %s" % target)

    for rel, d in by_kind.get("Job", []):
        spec = d.get("spec") or {}
        ck.check("backoffLimit" in spec, rel, "Job: backoffLimit is not set")
        ck.check("ttlSecondsAfterFinished" in spec, rel, "Job: ttlSecondsAfterFinished is not set")
        tmpl = spec.get("template") or {}
        ck.check((tmpl.get("spec") or {}).get("restartPolicy") in ("Never", "OnFailure"), rel,
                 "Job: restartPolicy must be Never or OnFailure")
        check_pod(ck, cfg, rel, "Job", tmpl, uid, configmaps, "migrate")


def check_readme(ck):
    rel = "deploy/README.md"
    text = ck.read(rel)
    if text is None:
        return
    for pattern, why in ((r"docker compose up", "how to run with compose"),
                         (r"kubectl\b.*\bcreate secret generic capa-database", "how to create the Secret"),
                         (r"kubectl\b.*\bwait\b.*job/capa-migrate", "to wait for the migration Job"),
                         (r"advisory lock", "how only one relay publishes")):
        ck.check(re.search(pattern, text), rel, "does not say %s (/%s/)" % (why, pattern))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: check_deploy.py ROOT CAPAD\n")
        return 2
    ck = Checker(os.path.abspath(argv[1]))
    cfg = CapadConfig(ck, os.path.abspath(argv[2]))
    uid = check_dockerfile(ck)
    conf, lb_port, replica_ports = check_compose(ck, cfg)
    if conf:
        check_nginx(ck, conf, lb_port, replica_ports)
    check_k8s(ck, cfg, uid)
    check_readme(ck)
    for p in ck.problems:
        print("FAIL %s" % p)
    print("deploy files (%d CAPA_* variables of capad): %d passed, %d failed"
          % (len(cfg.names), ck.passed, len(ck.problems)))
    return 1 if ck.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
