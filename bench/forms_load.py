"""The form endpoint under sustained load on loopback, on PostgreSQL, against its floor.

Starts granian (the WSGI server Tandem deploys with) on a fresh database, then an asyncio
client posts unique submissions (new people, with consent and UTM values) for BENCH_SECONDS
(default 30) from BENCH_CLIENTS concurrent keep-alive connections. The floor is
bench/forms_floor.py, a bare WSGI app writing the same rows, served by the same granian
configuration; the two alternate, for 1 and 2 web processes, BENCH_ROUNDS times (default 3).
Prints the medians of accepted submissions a second, the ratio, latency, and checks after
every run that the stored rows equal the accepted responses.

    .venv/bin/python bench/forms_load.py
"""

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB = os.environ.get("TANDEM_BENCH_FORMS_DB", "postgresql://postgres@127.0.0.1:5432/tandem_forms")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "12"))
WORKER_COUNTS = os.environ.get("BENCH_WORKERS", "1,2").split(",")
THREADS = os.environ.get("BENCH_THREADS", "2")
SERVER = os.environ.get("BENCH_SERVER", "granian")
BIN = ROOT / ".venv" / "bin"
APPS = {"tandem": "config.wsgi:application", "floor": "bench.forms_floor:application"}


def server_command(app: str, workers: str) -> list[str]:
    return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port",
            str(PORT), "--workers", workers, "--blocking-threads", THREADS,
            "--log-level", "warning", APPS[app]]  # fmt: skip


ENV = {
    **os.environ,
    "DATABASE_URL": DB,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnop",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "TANDEM_BASE_URL": f"http://127.0.0.1:{PORT}",
    "TANDEM_POSTAL_ADDRESS": "Bench Inc., 1 Loop Road",
    "TANDEM_FORM_RATE_PER_IP": "10000000",
    "TANDEM_FORM_RATE_GLOBAL": "10000000",
}


def manage(*args: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def fresh_database() -> str:
    import psycopg

    name = DB.rsplit("/", 1)[1]
    with psycopg.connect(DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "-v0")
    return manage(
        "shell",
        "--no-imports",
        "-c",
        "from datetime import date;"
        "from tandem.marketing.models import Program;"
        "from tandem.marketing import capture;"
        "from tandem.marketing.models import LeadForm;"
        "p = Program.objects.create(name='Load test', channel='web', start_date=date.today());"
        "f = LeadForm.objects.create(program=p, name='Bench', key='benchform',"
        " fields=capture.clean_fields([{'name': 'first_name'}, {'name': 'last_name'},"
        " {'name': 'custom:company'}]), consent_wording='Send me news.');"
        "print(f.pk, p.pk)",
    )


class Connection:
    """One keep-alive HTTP/1.1 connection, as a browser holds it; reopened when closed."""

    def __init__(self, port: int = PORT, path: str = "/f/benchform/"):
        self.reader = self.writer = None
        self.port, self.path = port, path

    async def post(self, body: bytes) -> tuple[int, float]:
        started = time.perf_counter()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return status, time.perf_counter() - started


async def load(port: int = PORT, seconds: float = SECONDS, prefix: str = "visitor") -> dict:
    counter, results = iter(range(10**9)), []
    deadline = time.perf_counter() + seconds

    async def client(worker: int):
        connection = Connection(port)
        while time.perf_counter() < deadline:
            n = next(counter)
            body = urlencode(
                {
                    "email": f"{prefix}{n}@bench.example",
                    "first_name": f"V{n}",
                    "last_name": "Visitor",
                    "custom:company": f"Company {n % 997}",
                    "consent": "yes",
                    "utm_source": "bench",
                    "utm_campaign": f"c{worker}",
                    "referrer": "https://search.example/?q=crm",
                }
            ).encode()
            try:
                results.append(await connection.post(body))
            except (OSError, asyncio.IncompleteReadError, IndexError):
                connection = Connection(port)
                results.append((0, 0.0))

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return {"elapsed": time.perf_counter() - started, "results": results}


def stored() -> tuple[int, ...]:
    import psycopg

    with psycopg.connect(DB) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM marketing_touch), (SELECT count(*) FROM "
            "marketing_submission), (SELECT count(*) FROM contacts_person), (SELECT count(*) "
            "FROM contacts_consentrecord), (SELECT count(*) FROM core_timelineentry "
            "WHERE verb = 'consent_granted')"
        ).fetchone()


def wait_listening(seconds: float = 30) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", PORT)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def one_run(app: str, workers: str, env: dict, prefix: str) -> dict:
    before = stored()
    server = subprocess.Popen(server_command(app, workers), cwd=ROOT, env=env)
    try:
        wait_listening()
        time.sleep(1)  # the processes import the app
        outcome = asyncio.run(load(prefix=prefix))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    results, elapsed = outcome["results"], outcome["elapsed"]
    accepted = sorted(t for code, t in results if code == 200)
    added = [a - b for a, b in zip(stored(), before, strict=True)]
    if len(set(added)) != 1 or added[0] != len(accepted):
        sys.exit(f"{app}: stored {added} rows of each kind for {len(accepted)} accepted")
    others = len(results) - len(accepted)
    return {
        "rate": len(accepted) / elapsed,
        "median_ms": statistics.median(accepted) * 1000,
        "p95_ms": accepted[int(len(accepted) * 0.95)] * 1000,
        "refused": others,
    }


def main() -> None:
    form_id, program_id = fresh_database().split()
    env = {**ENV, "BENCH_FLOOR_DB": DB, "BENCH_FLOOR_FORM": f"{form_id},{program_id}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    runs = {(app, w): [] for w in WORKER_COUNTS for app in APPS}
    for round_ in range(ROUNDS):
        for workers in WORKER_COUNTS:
            order = list(APPS) if round_ % 2 == 0 else list(reversed(APPS))
            for app in order:
                result = one_run(app, workers, env, prefix=f"r{round_}w{workers}{app}")
                runs[app, workers].append(result)
                print(f"  round {round_ + 1}, {workers} process(es), {app:6s} "
                      f"{result['rate']:7.0f}/s  median {result['median_ms']:.1f} ms  "
                      f"refused {result['refused']}", flush=True)  # fmt: skip
    print(
        f"\nform capture on PostgreSQL: granian, {THREADS} threads a process, {CLIENTS} "
        f"keep-alive clients, {SECONDS:.0f} s runs, medians of {ROUNDS}; new people"
    )
    print("processes  floor/s  tandem/s  ratio  tandem median latency  stored = accepted")
    for workers in WORKER_COUNTS:
        floor = statistics.median(r["rate"] for r in runs["floor", workers])
        ours = statistics.median(r["rate"] for r in runs["tandem", workers])
        latency = statistics.median(r["median_ms"] for r in runs["tandem", workers])
        print(f"{workers:>9}  {floor:7.0f}  {ours:8.0f}  {floor / ours:4.2f}x  "
              f"{latency:17.1f} ms  yes")  # fmt: skip


if __name__ == "__main__":
    main()
