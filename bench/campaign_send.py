"""Campaign send beside its floor, in one run, on PostgreSQL.

Loads BENCH_RECIPIENTS people (default 20,000) with consent into a fresh database and starts an
SMTP sink (aiosmtpd, in its own process). Then, alternating, BENCH_ROUNDS times (default 3):

- the floor: the very messages Tandem sends, rendered to bytes beforehand, sent by a plain
  smtplib loop over one connection per process, with 1 and 2 processes;
- Tandem: "send now" on a new campaign to the same people, with 1 and 2 task workers
  (`manage.py db_worker`), timed until the sink holds every message: choosing the recipients,
  claiming each batch, rendering each message with its own tokens, SMTP, and recording each
  send (recipient status and a touch).

Prints the medians (messages a second), the ratio and the data size.

    .venv/bin/python bench/campaign_send.py
"""

import multiprocessing
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("TANDEM_BENCH_CAMPAIGN_DB", "postgresql://postgres@127.0.0.1:5432/tandem_mail")
RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SENDER = "Tandem <tandem@localhost>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sink(port: int, count, ready) -> None:
    """Accept every message and count it; nothing is kept."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def fresh_database(env: dict) -> None:
    import psycopg

    name = DB.rsplit("/", 1)[1]
    with psycopg.connect(DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def people(n: int) -> None:
    from datetime import date

    from tandem.contacts.models import Person
    from tandem.marketing.models import Program

    Program.objects.create(name="Newsletter", channel="email", start_date=date.today())
    batch = []
    for i in range(n):
        email = f"reader{i}@sink.example"
        batch.append(
            Person(
                email=email,
                email_normalized=email,
                first_name=f"Reader{i}",
                last_name="Bench",
                country="DE",
                consent="granted",
            )
        )
        if len(batch) == 10_000:
            Person.objects.bulk_create(batch)
            batch = []
    Person.objects.bulk_create(batch)


def campaign(marketer, n: int):
    from tandem.marketing import campaigns
    from tandem.marketing.models import Program, Segment

    return campaigns.campaign_create(
        actor=marketer,
        data={
            "program": Program.objects.get(),
            "segment": Segment.objects.get(),
            "name": f"Bench {n}",
            "subject": "News for {{ first_name }}",
            "body": "Hi **{{ first_name }}**,\n\nread [the guide](https://example.com/guide) and "
            "[the price list](https://example.com/prices).\n\n" + "More text. " * 80,
        },
    )


def rendered(marketer) -> list[tuple[str, bytes]]:
    """What Tandem sends to each person, as bytes, with a token each (for the floor)."""
    import secrets

    from tandem.contacts.models import Person
    from tandem.marketing import mailer, wire

    draft = campaign(marketer, 0)
    batch = wire.Batch(
        mailer.compile_body(draft.body, draft.body_format), {"": draft.subject, "a": ""}
    )
    return [
        (p.email, batch.bytes_for(p, secrets.token_urlsafe(16), ""))
        for p in Person.objects.select_related("organization").order_by("pk")
    ]


def floor_sender(port: int, messages) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, data in messages:
            smtp.sendmail("tandem@localhost", [to], data)


def wait_for(count, n: int, started: float) -> float:
    while count.value < n:
        time.sleep(0.005)
        if time.perf_counter() - started > 3600:
            raise SystemExit("timed out")
    return time.perf_counter() - started


def run_floor(port: int, count, messages, processes: int) -> float:
    count.value = 0
    shares = [messages[i::processes] for i in range(processes)]
    senders = [multiprocessing.Process(target=floor_sender, args=(port, s)) for s in shares]
    started = time.perf_counter()
    for p in senders:
        p.start()
    elapsed = wait_for(count, len(messages), started)
    for p in senders:
        p.join()
    return len(messages) / elapsed


def _sessions() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _wait_polling(sessions: int) -> None:
    """Until every worker has started (imports, checks: seconds on a slow machine) and holds
    its database connection, then one more poll interval: a fixed sleep timed the slower
    starts as sending."""
    deadline = time.monotonic() + 120
    while _sessions() < sessions:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.1)
    time.sleep(0.5)


def run_tandem(env: dict, count, marketer, workers: int, n: int) -> float:
    from tandem.marketing import campaigns
    from tandem.marketing.models import Campaign

    count.value = 0
    draft = campaign(marketer, n)
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.05",
               "--no-startup-delay", "-v0"]  # fmt: skip
    before = _sessions()
    procs = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(workers)]
    _wait_polling(before + workers)  # workers up and polling, as in a running deployment
    try:
        started = time.perf_counter()
        campaigns.campaign_send(actor=marketer, campaign=draft)
        elapsed = wait_for(count, RECIPIENTS, started)
        while Campaign.objects.values_list("status", flat=True).get(pk=draft.pk) != "sent":
            time.sleep(0.05)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    stats = campaigns.stats(draft)
    if count.value != RECIPIENTS or stats["sent"] != RECIPIENTS:
        raise SystemExit(f"not every message was delivered once: {count.value}, {stats}")
    return RECIPIENTS / elapsed


def main() -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": DB,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnop",
        "SECURE_SSL_REDIRECT": "0",
        "TANDEM_BASE_URL": "https://crm.example",
        "TANDEM_POSTAL_ADDRESS": "Bench Inc., 1 Loop Road, Springfield",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
    }
    os.environ.update(env)
    fresh_database(env)
    import django

    django.setup()
    from tandem.accounts.models import User
    from tandem.marketing.models import Segment

    people(RECIPIENTS)
    marketer = User.objects.create_user("bench", role="marketer")
    Segment.objects.create(
        name="Germany", conditions=[{"group": 1, "field": "country", "op": "in", "value": "DE"}]
    )
    messages = rendered(marketer)
    count, ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    sink_process = multiprocessing.Process(target=sink, args=(port, count, ready), daemon=True)
    sink_process.start()
    ready.wait(10)
    from django.db import connection

    connection.close()  # the forked floor senders must not share it
    runs: dict[str, list[float]] = {}
    try:
        for n in range(ROUNDS):
            for k in (1, 2):
                runs.setdefault(f"floor {k}", []).append(run_floor(port, count, messages, k))
                rate = run_tandem(env, count, marketer, k, n * 2 + k)
                runs.setdefault(f"tandem {k}", []).append(rate)
                print(f"round {n + 1}, {k}: floor {runs[f'floor {k}'][-1]:,.0f}/s, "
                      f"Tandem {rate:,.0f}/s", flush=True)  # fmt: skip
    finally:
        sink_process.terminate()
    size = len(messages[0][1])
    print(f"\n{RECIPIENTS:,} recipients, messages of {size:,} bytes, SMTP sink on loopback, "
          f"medians of {ROUNDS}")  # fmt: skip
    print(f"{'processes':>10} {'floor /s':>10} {'Tandem /s':>10} {'ratio':>7}")
    for k in (1, 2):
        floor, ours = statistics.median(runs[f"floor {k}"]), statistics.median(runs[f"tandem {k}"])
        print(f"{k:>10} {floor:>10,.0f} {ours:>10,.0f} {floor / ours:>6.2f}x")


if __name__ == "__main__":
    main()
