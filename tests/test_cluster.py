"""Tandem scaled out on real engines (deploy/cluster.py): a PostgreSQL primary and streaming
replica, Redis, three granian web processes behind HAProxy, task workers, an SMTP sink.

They run in the PostgreSQL pass of `make test` and skip, saying why, where the machine lacks a
part (`initdb`, `pg_basebackup`, `redis-server`, `haproxy`).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from aiosmtpd.controller import Controller

from deploy import cluster as clusters
from tandem.marketing import sending

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the cluster tests run in the PostgreSQL pass of make test",
)
FORM = "/f/demo-contact-us/"


class Sink:
    """An SMTP server that keeps each message's recipients."""

    def __init__(self):
        self.recipients: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_base() -> int:
    """A block of 100 ports the cluster can take (its servers use base + 0…2, 10…19, 80), below
    Linux's ephemeral range (32768 and up), where a client socket could hold one of them."""
    start = os.getpid() % 50
    for k in range(50):
        base = 20000 + (start + k) % 50 * 100
        wanted = [base, base + 1, base + 2, *range(base + 10, base + 20), base + 80]
        if all(_port_free(port) for port in wanted):
            return base
    pytest.fail("no free block of ports for the cluster between 20000 and 25000")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def cluster(sink):
    lacks = clusters.missing()
    if lacks:
        pytest.skip("the cluster needs " + ", ".join(lacks) + " (apt-get install them)")
    base = _free_base()
    # not under pytest's own temporary directory: PostgreSQL runs as `postgres` and must reach it
    made = clusters.Cluster(Path(tempfile.mkdtemp(prefix="tandem-cluster-")), base)
    made.extra = {
        "EMAIL_URL": f"smtp://127.0.0.1:{sink[1]}",
        "TANDEM_FORM_RATE_PER_IP": "1000000",
        "TANDEM_FORM_RATE_GLOBAL": "1000000",
        "TANDEM_SEND_STALL_SECONDS": "3",
        "TANDEM_REPLICA_MAX_LAG_SECONDS": "8",
        "TANDEM_READ_YOUR_WRITES_SECONDS": "30",
    }
    made.start(webs=3, workers=0)
    try:
        manage(made, "demo", "--size", "small")
        yield made
    finally:
        made.stop()
        shutil.rmtree(made.dir, ignore_errors=True)


def manage(cluster, *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=cluster.env(),
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def shell(cluster, code: str):
    """Run Django code against the cluster's primary; returns what it prints as JSON."""
    return json.loads(manage(cluster, "shell", "-c", code).strip().splitlines()[-1])


def sql(url: str, query: str, params=()):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def request(cluster, method: str, path: str, body: dict | None = None, cookie: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", cluster.port + 80, timeout=60)
    headers = {"Host": "localhost", "Cookie": cookie}
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()  # names in any case
    finally:
        conn.close()


def submission(email: str) -> dict:
    return {"email": email, "first_name": "Load", "consent": "on"}


def session_of(cluster, username: str) -> str:
    key = shell(cluster, (
        "import json; from django.test import Client; from tandem.accounts.models import User\n"
        f"c = Client(); c.force_login(User.objects.get(username='{username}'))\n"
        "print(json.dumps(c.cookies['sessionid'].value))"
    ))  # fmt: skip
    return f"sessionid={key}"


def wait_until(check, seconds: float = 120, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def mid_batch(workers: list[int], port: int) -> list[int]:
    """The workers holding an SMTP connection to the sink right now (mid-batch)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"dport = :{port}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    holding = {int(pid) for pid in re.findall(r"pid=(\d+)", out)}
    return [pid for pid in workers if pid in holding]


def test_the_form_rate_limit_is_one_count_across_three_web_processes(cluster):
    # A day's window: the 90 submissions (about a second) all fall in one unless they straddle
    # midnight UTC, where a minute's window turned every minute.
    cluster.extra.update(TANDEM_FORM_RATE_GLOBAL="40", TANDEM_FORM_RATE_WINDOW="86400")
    try:
        cluster.restart_web(3)
        statuses = [
            request(cluster, "POST", FORM, submission(f"rate{i}@limit.test"))[0] for i in range(90)
        ]
    finally:
        cluster.extra.update(TANDEM_FORM_RATE_GLOBAL="1000000", TANDEM_FORM_RATE_WINDOW="60")
        cluster.restart_web(3)
    assert statuses.count(200) == 40, statuses  # per process, 3 × 40 would have gone in
    assert statuses.count(429) == 50
    stored = sql(cluster.primary_url, "SELECT count(*) FROM contacts_person WHERE email LIKE %s",
                 ("%@limit.test",))  # fmt: skip
    assert stored[0][0] == 40


def test_a_web_process_killed_under_load_loses_no_accepted_submission(cluster):
    victim = cluster.state["web"][1]
    accepted, refused = [], []

    def post(i: int):
        email = f"load{i}-{uuid.uuid4().hex[:6]}@kill.test"
        try:
            status = request(cluster, "POST", FORM, submission(email))[0]
        except OSError:
            status = 0
        (accepted if status == 200 else refused).append((email, status))

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(post, i) for i in range(600)]
        wait_until(lambda: len(accepted) >= 150, what="150 accepted submissions")
        cluster.kill(victim, signal.SIGKILL)
        for future in futures:
            future.result()
    stored = {row[0] for row in sql(cluster.primary_url, (
        "SELECT p.email FROM marketing_submission s JOIN contacts_person p ON p.id = s.person_id"
        " WHERE p.email LIKE %s"), ("%@kill.test",))}  # fmt: skip
    assert {email for email, _ in accepted} <= stored  # accepted = stored
    assert len(stored) == len(accepted) + len([e for e, _ in refused if e in stored])
    assert len(accepted) >= 590, refused  # HAProxy sent the killed process's requests on
    cluster.restart_web(3)


def test_reports_read_from_the_replica_and_a_writer_reads_their_write(cluster):
    cookie = session_of(cluster, "maria")
    report = "/insights/r/funnel/?format=csv"
    wait_until(lambda: request(cluster, "GET", "/healthz")[2].count(b'"reads_from": "replica"'),
               what="the replica to catch up")  # fmt: skip
    status, headers, from_replica = request(cluster, "GET", report, cookie=cookie)
    assert status == 200 and headers["X-Tandem-Read-From"] == "replica"
    wrote = f"tandem_wrote={time.time():.3f}"  # as if maria had just written
    status, headers, from_primary = request(cluster, "GET", report, cookie=f"{cookie}; {wrote}")
    assert status == 200 and headers["X-Tandem-Read-From"] == "primary"
    assert from_replica == from_primary and from_replica.count(b"\n") > 3

    # The replica stops replaying: a writer reads their write, others a replica behind it.
    other = session_of(cluster, "admin")
    wait_until(lambda: request(cluster, "GET", "/healthz")[2].count(b'"lag_seconds": 0.0'),
               what="the replica to replay the sessions")  # fmt: skip
    sql(cluster.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        page = request(cluster, "GET", "/contacts/people/new", cookie=cookie)[2].decode()
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        token = hidden["csrfmiddlewaretoken"]
        fields = {**hidden, "email": "fresh@replica.test", "first_name": "Fresh"}
        status, headers, _ = request(cluster, "POST", "/contacts/people/new", fields,
                                     cookie=f"{cookie}; csrftoken={token}")  # fmt: skip
        assert status == 302, status
        made = "SELECT count(*) FROM contacts_person WHERE email = 'fresh@replica.test'"
        assert sql(cluster.primary_url, made) == [(1,)], headers["Location"]
        wrote = headers["Set-Cookie"].split("tandem_wrote=")[1].split(";")[0]
        export = "/contacts/people/export?format=csv"
        _, headers, mine = request(cluster, "GET", export, cookie=f"{cookie}; tandem_wrote={wrote}")
        assert headers["X-Tandem-Read-From"] == "primary" and b"fresh@replica.test" in mine
        _, headers, theirs = request(cluster, "GET", export, cookie=other)
        assert headers["X-Tandem-Read-From"] == "replica" and b"fresh@replica.test" not in theirs

        # once TANDEM_REPLICA_MAX_LAG_SECONDS behind, every read goes to the primary
        def from_primary():
            _, headers, body = request(cluster, "GET", export, cookie=other)
            return (headers["X-Tandem-Read-From"] == "primary") and body

        theirs = wait_until(from_primary, seconds=60, what="reads to leave the lagging replica")
        assert b"fresh@replica.test" in theirs
    finally:
        sql(cluster.replica_url, "SELECT pg_wal_replay_resume()")


def test_with_the_replica_stopped_reports_answer_from_the_primary(cluster):
    cookie = session_of(cluster, "maria")
    cluster.stop_replica()
    try:
        # at once: a process that still took the replica for up reads again from the primary
        for _ in range(6):  # each of the three processes, twice
            status, headers, body = request(cluster, "GET", "/insights/r/funnel/?format=csv",
                                            cookie=cookie)  # fmt: skip
            assert status == 200 and headers["X-Tandem-Read-From"] == "primary"
            assert body.count(b"\n") > 3
        health = json.loads(request(cluster, "GET", "/healthz")[2])
        assert health["ok"] and health["replica"]["ok"] is False
    finally:
        cluster.start_replica()


@pytest.mark.skipif(not shutil.which("ss"), reason="needs ss (iproute2) to find a worker mid-batch")
def test_a_campaign_sent_by_four_workers_survives_one_killed(cluster, sink):
    handler, port = sink
    handler.recipients.clear()
    made = shell(cluster, (
        "import json\nfrom tandem.contacts.models import Person\n"
        "Person.objects.bulk_create([Person(email=f'r{i}@crowd.test', email_normalized="
        "f'r{i}@crowd.test', first_name=f'R{i}', country='IS', consent='granted')"
        " for i in range(20000)], batch_size=5000)\n"
        "from tandem.accounts.models import User\nfrom tandem.marketing import campaigns\n"
        "from tandem.marketing.models import Program, Segment\n"
        "m = User.objects.get(username='maria')\n"
        "s = Segment.objects.create(name='Crowd', conditions=[{'group': 1, 'field': 'email',"
        " 'op': 'contains', 'value': '@crowd.test'}])\n"
        "c = campaigns.campaign_create(actor=m, data={'program': Program.objects.first(),"
        " 'segment': s, 'name': 'Crowd', 'subject': 'Hi {{ first_name }}',"
        " 'body': 'Hello **{{ first_name }}**, [read](https://example.com/a)'})\n"
        "print(json.dumps(c.pk))"
    ))  # fmt: skip
    workers = [cluster.start_worker() for _ in range(4)]
    shell(cluster, (
        "from tandem.accounts.models import User\nfrom tandem.marketing import campaigns\n"
        "from tandem.marketing.models import Campaign\n"
        f"campaigns.campaign_send(actor=User.objects.get(username='maria'),"
        f" campaign=Campaign.objects.get(pk={made}))\nprint(1)"
    ))  # fmt: skip
    wait_until(lambda: len(handler.recipients) >= 6000, what="6,000 messages")
    victim = wait_until(lambda: mid_batch(workers, port), what="a worker mid-batch")[0]
    cluster.kill(victim, signal.SIGKILL)
    status = f"SELECT status FROM marketing_campaign WHERE id = {int(made)}"
    wait_until(lambda: sql(cluster.primary_url, status)[0][0] == "sent", seconds=300,
               what="the campaign to finish")  # fmt: skip
    counts = dict(sql(cluster.primary_url, (
        "SELECT status, count(*) FROM marketing_recipient WHERE campaign_id = %s GROUP BY status"
    ), (made,)))  # fmt: skip
    received = list(handler.recipients)
    assert len(received) == len(set(received))  # none twice
    sent, in_doubt = counts.get("sent", 0), counts.get("failed", 0)
    assert sent + in_doubt == 20000 and in_doubt <= sending.WINDOW
    # the sink holds every recorded send, and perhaps some in doubt: they were on the wire
    assert sent <= len(received) <= sent + in_doubt
    recovered = sql(cluster.primary_url, (
        "SELECT summary FROM core_timelineentry WHERE verb = 'send_recovered' AND target_id = %s"
    ), (made,))  # fmt: skip
    assert len(recovered) == 1, recovered  # the killed worker's batch was sent on
    for pid in workers:
        cluster.kill(pid)
