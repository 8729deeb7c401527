"""The form endpoint under sustained load on loopback, on PostgreSQL.

Starts granian (the WSGI server Tandem deploys with) on a fresh database, then an asyncio
client posts unique submissions (new people, with consent and UTM values) for BENCH_SECONDS
(default 60) from BENCH_CLIENTS concurrent keep-alive connections. Prints accepted submissions
a second, latency percentiles, and checks that the stored touches and submissions equal the
accepted responses.

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
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "12"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
THREADS = os.environ.get("BENCH_THREADS", "2")
SERVER = os.environ.get("BENCH_SERVER", "granian")
BIN = ROOT / ".venv" / "bin"
SERVERS = {
    "granian": [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port",
                str(PORT), "--workers", WORKERS, "--blocking-threads", THREADS,
                "--log-level", "warning", "config.wsgi:application"],
}  # fmt: skip
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
        "print(f.key)",
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


def stored() -> tuple[int, int, int]:
    out = manage(
        "shell",
        "--no-imports",
        "-c",
        "from tandem.marketing.models import Touch, Submission;"
        "from tandem.contacts.models import Person, ConsentRecord;"
        "print(Touch.objects.count(), Submission.objects.count(), Person.objects.count(),"
        " ConsentRecord.objects.count())",
    )
    return tuple(int(x) for x in out.split())


def main() -> None:
    fresh_database()
    server = subprocess.Popen(SERVERS[SERVER], cwd=ROOT, env=ENV)
    try:
        time.sleep(3)
        outcome = asyncio.run(load())
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    results, elapsed = outcome["results"], outcome["elapsed"]
    accepted = [t for code, t in results if code == 200]
    codes = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    touches, submissions, people, consents = stored()
    latencies = sorted(accepted)
    print(
        f"form endpoint on PostgreSQL, {SERVER} {WORKERS} workers x {THREADS} threads, "
        f"{CLIENTS} keep-alive clients"
    )
    print(f"  duration              {elapsed:8.1f} s")
    print(f"  responses by status   {codes}")
    print(f"  accepted              {len(accepted):8d}  ({len(accepted) / elapsed:.0f} a second)")
    print(
        f"  latency               median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms"
    )
    print(f"  stored                {touches} touches, {submissions} submissions, {people} people,"
          f" {consents} consent records")  # fmt: skip
    ok = touches == submissions == people == consents == len(accepted)
    print(f"  stored touches equal accepted responses: {'yes' if ok else 'NO'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
