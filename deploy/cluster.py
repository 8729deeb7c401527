"""Tandem scaled out on one machine, on real engines: `make cluster` / `make cluster-stop`.

    python deploy/cluster.py start [--web 3] [--workers 2] [--dir var/cluster] [--port 57000]
    python deploy/cluster.py stop  [--dir var/cluster]
    python deploy/cluster.py status [--dir var/cluster]

Starts, each on its own loopback port counted from --port:
  +0   a PostgreSQL primary (a cluster of its own, made with initdb, WAL for streaming)
  +1   its streaming replica (a second cluster made with pg_basebackup -R)
  +2   Redis (the shared cache: rate limits, throttles)
  +10… N granian web processes (one worker each), all with DATABASE_URL, DATABASE_REPLICA_URL
       and CACHE_URL set
  +80  HAProxy in front of them (health checks on /healthz; a request that finds a process
       gone is retried on another)
and M task workers (`manage.py db_worker`). What it started is written to <dir>/cluster.json,
and `stop` ends exactly that, nothing else. PostgreSQL will not run as root: as root the
database clusters belong to the `postgres` user.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GRANIAN = str(ROOT / ".venv" / "bin" / "granian")
SECRET = "cluster-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found and name not in ("initdb", "pg_ctl", "postgres"):
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version / "bin" / name
        if candidate.exists():
            return str(candidate)
    if found:
        return found
    raise SystemExit(f"cluster: {name} not found (install PostgreSQL's server package)")


def missing() -> list[str]:
    """What this machine lacks to run the cluster (empty when it can)."""
    lacks = []
    for name in ("initdb", "pg_ctl", "pg_basebackup"):
        try:
            pg_bin(name)
        except SystemExit:
            lacks.append(name)
    for name in ("redis-server", "haproxy"):
        if not (shutil.which(name) or Path("/usr/sbin", name).exists()):
            lacks.append(name)
    if not Path(GRANIAN).exists():
        lacks.append("granian (make install)")
    return lacks


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run(command: list[str], **kwargs) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"cluster: nothing answered on port {port}")


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"cluster: {url} did not answer 200")


class Cluster:
    def __init__(self, directory: Path, port: int = 57000):
        self.dir = directory.resolve()
        self.state_file = self.dir / "cluster.json"
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        self.port = self.state.get("port", port)
        self.verbose, self.started = False, time.monotonic()
        self.extra: dict = {}  # more environment for the processes it starts

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/tandem"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port + 1}/tandem"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.port + 2}/0"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port + 80}"

    def env(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.primary_url,
            "DATABASE_REPLICA_URL": self.replica_url,
            "CACHE_URL": self.cache_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY", SECRET),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "TANDEM_BASE_URL": self.url,
            "TANDEM_POSTAL_ADDRESS": os.environ.get("TANDEM_POSTAL_ADDRESS", "Cluster Co, 1 Loop"),
            "TANDEM_ADMIN_MFA_REQUIRED": "0",
            **self.extra,
        }

    def save(self) -> None:
        self.state_file.write_text(json.dumps(self.state, indent=2))

    # --- PostgreSQL ----------------------------------------------------------------------

    def _pg_dir(self, name: str) -> Path:
        return self.dir / name

    def _pg_ctl(self, name: str, action: str, port: int | None = None) -> None:
        command = [pg_bin("pg_ctl"), "-D", str(self._pg_dir(name)), "-w", "-t", "60", action]
        if action == "start":
            log = self.dir / f"{name}.log"
            command += [
                "-l",
                str(log),
                "-o",
                f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1",
            ]
        if action == "stop":
            command += ["-m", "fast"]
        run(as_postgres(command))

    def start_databases(self) -> None:
        primary, replica = self._pg_dir("primary"), self._pg_dir("replica")
        run(as_postgres([pg_bin("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--no-instructions", "--no-sync"]))  # fmt: skip
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                       "max_connections = 200\nshared_buffers = 128MB\n")  # fmt: skip
        self._pg_ctl("primary", "start", self.port)
        self.state["primary"] = str(primary)
        self.save()
        run(
            [
                pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "tandem",
            ]
        )
        run(as_postgres([pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "postgres", "-D", str(replica), "-R", "-X", "stream",
                         "--checkpoint=fast"]))  # fmt: skip
        self._pg_ctl("replica", "start", self.port + 1)
        self.state["replica"] = str(replica)
        self.save()

    def stop_replica(self) -> None:
        self._pg_ctl("replica", "stop")

    def start_replica(self) -> None:
        self._pg_ctl("replica", "start", self.port + 1)

    # --- processes -----------------------------------------------------------------------

    def _spawn(self, kind: str, command: list[str], log: str) -> int:
        out = open(self.dir / log, "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=out, stderr=out,
                                start_new_session=True)  # fmt: skip
        self.state.setdefault(kind, []).append(proc.pid)
        self.save()
        return proc.pid

    def start_redis(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._spawn("redis", [server, "--port", str(self.port + 2), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                    "redis.log")  # fmt: skip
        wait_port(self.port + 2)

    def web_port(self, index: int) -> int:
        return self.port + 10 + index

    def start_web(self, index: int) -> int:
        command = [GRANIAN, "--interface", "wsgi", "--workers", "1", "--blocking-threads", "2",
                   "--host", "127.0.0.1", "--port", str(self.web_port(index)),
                   "--log-level", "warning", "config.wsgi:application"]  # fmt: skip
        pid = self._spawn("web", command, f"web-{index}.log")
        self.state.setdefault("web_ports", {})[str(pid)] = self.web_port(index)
        self.save()
        return pid

    def stop_web(self) -> None:
        pids = self.state.get("web", [])
        for pid in pids:
            self.kill(pid)
        self._reap(pids)
        self.state["web"], self.state["web_ports"] = [], {}
        self.save()

    def restart_web(self, webs: int) -> None:
        """New web processes (with the current `extra` environment), behind the same HAProxy."""
        self.stop_web()
        for i in range(webs):
            self.start_web(i)
        for i in range(webs):
            wait_http(f"http://127.0.0.1:{self.web_port(i)}/healthz")
        wait_http(self.url + "/healthz")

    def start_worker(self) -> int:
        command = [PY, "manage.py", "db_worker", "--no-reload", "--interval", "0.1",
                   "--no-startup-delay", "-v0"]  # fmt: skip
        return self._spawn("workers", command, "workers.log")

    def start_balancer(self, webs: int) -> None:
        servers = "\n".join(
            f"    server web{i} 127.0.0.1:{self.web_port(i)} check inter 500 fall 2 rise 1"
            for i in range(webs)
        )
        config = f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend tandem
    bind 127.0.0.1:{self.port + 80}
    default_backend web
backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
{servers}
"""
        (self.dir / "haproxy.cfg").write_text(config)
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self._spawn("balancer", [binary, "-f", str(self.dir / "haproxy.cfg"), "-db"],
                    "haproxy.log")  # fmt: skip
        wait_port(self.port + 80)

    def step(self, what: str) -> None:
        now = time.monotonic()
        if self.verbose:
            print(f"  {what} ({now - self.started:.1f} s)", flush=True)

    def start(self, webs: int, workers: int) -> None:
        if self.state.get("running"):
            raise SystemExit(f"cluster: already running from {self.dir} (stop it first)")
        lacks = missing()
        if lacks:
            raise SystemExit("cluster: this machine lacks " + ", ".join(lacks))
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.state = {"port": self.port, "running": True}
        self.save()
        self.started = time.monotonic()
        try:
            self.start_databases()
            self.step("primary and replica")
            self.start_redis()
            run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env())
            run([PY, "manage.py", "sweeps"], cwd=ROOT, env=self.env())
            self.step("redis, migrations")
            for i in range(webs):
                self.start_web(i)
            for i in range(webs):
                wait_http(f"http://127.0.0.1:{self.web_port(i)}/healthz")
            self.start_balancer(webs)
            wait_http(self.url + "/healthz")
            self.step(f"{webs} web processes behind HAProxy")
            for _ in range(workers):
                self.start_worker()
        except BaseException:
            self.stop()
            raise

    def kill(self, pid: int, sig: int = signal.SIGTERM) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)

    def _reap(self, pids: list[int], seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        for pid in pids:
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.05)
            else:
                self.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        pids = [pid for kind in ("balancer", "web", "workers", "redis")
                for pid in self.state.get(kind, [])]  # fmt: skip
        for pid in pids:
            self.kill(pid)
        self._reap(pids)
        for name in ("replica", "primary"):
            if self.state.get(name) and (self._pg_dir(name) / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self._pg_ctl(name, "stop")
        self.state["running"] = False
        if self.dir.exists():
            self.save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", default=os.environ.get("TANDEM_CLUSTER_DIR", "var/cluster"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("TANDEM_CLUSTER_PORT", 57000))
    )
    parser.add_argument("--web", type=int, default=int(os.environ.get("TANDEM_CLUSTER_WEB", 3)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("TANDEM_WORKERS", 2)))
    args = parser.parse_args()
    cluster = Cluster(ROOT / args.dir, args.port)
    cluster.verbose = True
    if args.action == "start":
        cluster.start(args.web, args.workers)
        print(f"Tandem cluster at {cluster.url}  ({args.web} web processes, {args.workers} task "
              f"workers)\n  primary  {cluster.primary_url}\n  replica  {cluster.replica_url}\n"
              f"  cache    {cluster.cache_url}\n  stop it with: make cluster-stop")  # fmt: skip
    elif args.action == "stop":
        cluster.stop()
        print("cluster stopped")
    else:
        print(json.dumps(cluster.state, indent=2))


if __name__ == "__main__":
    main()
