"""A campaign to 100,000 recipients into a local SMTP sink, end to end, on PostgreSQL.

Loads BENCH_RECIPIENTS people (default 100,000) with consent into a fresh database, starts an
SMTP sink (aiosmtpd, in its own process) and BENCH_WORKERS task workers (`manage.py
db_worker`), presses "send now", and times until the sink has every message: choosing the
recipients, rendering each message with its own tokens, and SMTP delivery.

    .venv/bin/python bench/campaign_send.py
"""

import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("TANDEM_BENCH_CAMPAIGN_DB", "postgresql://postgres@127.0.0.1:5432/tandem_mail")
RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "100000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


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
    from tandem.marketing import campaigns
    from tandem.marketing.models import Campaign, Program, Segment

    started = time.perf_counter()
    people(RECIPIENTS)
    print(f"loaded {RECIPIENTS:,} people in {time.perf_counter() - started:.1f} s")
    marketer = User.objects.create_user("bench", role="marketer")
    segment = Segment.objects.create(
        name="Germany", conditions=[{"group": 1, "field": "country", "op": "in", "value": "DE"}]
    )
    campaign = campaigns.campaign_create(
        actor=marketer,
        data={
            "program": Program.objects.get(),
            "segment": segment,
            "name": "Bench",
            "subject": "News for {{ first_name }}",
            "body": "Hi **{{ first_name }}**,\n\nread [the guide](https://example.com/guide) and "
            "[the price list](https://example.com/prices).\n\n" + "More text. " * 80,
        },
    )

    count, ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    sink_process = multiprocessing.Process(target=sink, args=(port, count, ready), daemon=True)
    sink_process.start()
    ready.wait(10)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "-v0",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
        )
        for _ in range(WORKERS)
    ]
    time.sleep(2)  # workers up and polling, as in a running deployment
    try:
        started = time.perf_counter()
        campaigns.campaign_send(actor=marketer, campaign=campaign)
        dispatched = None
        while True:
            time.sleep(0.2)
            status = Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
            if dispatched is None and status == "sending":
                dispatched = time.perf_counter() - started
            if status == "sent" and count.value >= RECIPIENTS:
                break
            if time.perf_counter() - started > 3600:
                raise SystemExit("timed out")
        elapsed = time.perf_counter() - started
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)
        sink_process.terminate()
    stats = campaigns.stats(campaign)
    print(f"campaign to {RECIPIENTS:,} recipients, {WORKERS} task workers, SMTP sink on loopback")
    print(f"  recipients chosen and queued   {dispatched or 0:6.1f} s")
    print(f"  send to last message received  {elapsed:6.1f} s")
    print(f"  messages received by the sink  {count.value:,}")
    print(f"  recorded sent                  {stats['sent']:,}  failed {stats['failed']}")
    print(f"  end to end                     {count.value / elapsed:6.0f} messages a second")
    if count.value != RECIPIENTS or stats["sent"] != RECIPIENTS:
        raise SystemExit("not every message was delivered")


if __name__ == "__main__":
    main()
