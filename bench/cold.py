"""The first request of every main page after a restart, served by granian over HTTP.

For each page: start a fresh granian process (one worker, as `make run`'s deployment notes
say), wait until it serves a static file (the app is loaded, no view has run), then time one GET
of the page as its usual reader, and stop the server. Beside it, in the same run, the page's
median once warm (5 more GETs on the same process) and the cold time of `/livez`, the floor of
any first request. Target: no page's first request past 1 s.

    DATABASE_URL=postgresql://…/tandem_bench .venv/bin/python bench/cold.py
    BENCH_ONLY=people,person .venv/bin/python bench/cold.py
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common

os.environ.setdefault("TANDEM_ADMIN_MFA_REQUIRED", "0")
common.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from main_pages import PAGES, record_link  # noqa: E402

from tandem.accounts.models import User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRANIAN = str(Path(sys.executable).parent / "granian")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, cookie: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "testserver"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    return response.status, elapsed


def serve(port: int) -> subprocess.Popen:
    command = [GRANIAN, "--interface", "wsgi", "--workers", "1", "--blocking-threads", "1",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
               "config.wsgi:application"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "ALLOWED_HOSTS": "testserver"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/static/favicon.svg", "")[0] == 200:
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("granian did not start")


def cookie_for(username: str | None) -> str:
    if not username:
        return ""
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def path_of(username: str | None, path: str) -> str:
    if not path.startswith("first:"):
        return path
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    _, listing, pattern = path.split(":", 2)
    return record_link(client.get(listing).content.decode(), pattern)


def main() -> None:
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    pages = {"livez (floor)": (None, "/livez")}
    pages.update({k: v for k, v in PAGES.items() if not only or k in only})
    print(f"{'page':26} {'first request':>14} {'warm median':>12}")
    worst = 0.0
    for name, (username, path) in pages.items():
        cookie, url = cookie_for(username), path_of(username, path)
        port = free_port()
        server = serve(port)
        try:
            status, first = get(port, url, cookie)
            warm = [get(port, url, cookie)[1] for _ in range(5)]
        finally:
            server.terminate()
            server.wait(30)
        if status != 200:
            raise SystemExit(f"{name}: {url} answered {status}")
        if name in PAGES:
            worst = max(worst, first)
        print(f"{name:26} {first:11.0f} ms {statistics.median(warm):9.0f} ms", flush=True)
    print(f"\nslowest first request of a page: {worst:.0f} ms (target under 1,000 ms)")


if __name__ == "__main__":
    main()
