"""Webhook delivery throughput: N events to a local receiver, sent by 1 and 2 worker processes
(SKIP LOCKED on PostgreSQL), beside the floor — the same signed POSTs from a bare loop with no
database — in the same run. Target (issue 22): at least 500 deliveries a second with 2 workers.

    DATABASE_URL=postgresql://…/tandem_webhooks .venv/bin/python bench/webhooks.py

The database is emptied of webhooks first; it must be migrated (`manage.py migrate`).
"""

import http.server
import multiprocessing
import os
import statistics
import threading
import time

import common

common.setup()

from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.core import webhooks, workspace  # noqa: E402
from tandem.core.models import WebhookDelivery, WebhookEndpoint  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "4000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _receiver() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/hook"


def _fill(endpoint) -> None:
    WebhookDelivery.objects.all().delete()
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_id=f"msg_bench_{n}", event_type="person.created",
                        payload={"type": "person.created", "data": {"id": n}},
                        next_attempt_at=now)
        for n in range(EVENTS)
    )  # fmt: skip


def _worker(_) -> int:
    connections.close_all()  # a fresh connection in each process
    done = 0
    while True:
        sent = webhooks.deliver_due(limit=10_000)
        done += sent
        if not sent:
            return done


def _ours(endpoint, workers: int) -> float:
    _fill(endpoint)
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        total = sum(pool.map(_worker, range(workers)))
    seconds = time.perf_counter() - started
    assert total == EVENTS, total
    assert WebhookDelivery.objects.filter(status="delivered").count() == EVENTS
    return EVENTS / seconds


def _floor(endpoint) -> float:
    """The same POSTs, signed, on one kept-alive connection from one loop: no database, no
    bookkeeping, no address check."""
    delivery = WebhookDelivery(endpoint=endpoint, event_id="msg_floor", event_type="x",
                               payload={"type": "person.created", "data": {"id": 1}},
                               created_at=timezone.now())  # fmt: skip
    started, pool = time.perf_counter(), {}
    for _ in range(EVENTS):
        status, _ = webhooks._send(delivery, checked=True, pool=pool)
        assert status == 204
    return EVENTS / (time.perf_counter() - started)


def main() -> None:
    ws = workspace.get()
    ws.webhooks_allow_private = True
    ws.save()
    WebhookEndpoint.objects.all().delete()
    url = _receiver()
    endpoint = WebhookEndpoint.objects.create(url=url, secret=webhooks.new_secret())
    print(f"database: {connection.vendor}; {EVENTS:,} events to {url}; medians of {RUNS} runs, "
          f"alternating")  # fmt: skip
    figures = {"floor (1 loop, no database)": [], "1 worker": [], "2 workers": []}
    for _ in range(RUNS):
        figures["floor (1 loop, no database)"].append(_floor(endpoint))
        figures["1 worker"].append(_ours(endpoint, 1))
        figures["2 workers"].append(_ours(endpoint, 2))
    floor = statistics.median(figures["floor (1 loop, no database)"])
    for name, rates in figures.items():
        rate = statistics.median(rates)
        print(f"{name:<30}{rate:>10,.0f} deliveries/s   {rate / floor:5.2f}× the floor")
    two = statistics.median(figures["2 workers"])
    print(f"target ≥ 500/s with 2 workers: {'met' if two >= 500 else 'NOT met'}")
    WebhookEndpoint.objects.all().delete()


if __name__ == "__main__":
    main()
