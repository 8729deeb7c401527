"""Scaling out on this machine: form capture with 1, 2 and 3 web processes, campaign send with
1, 2 and 4 task workers, side by side in one run, on the cluster of deploy/cluster.py
(PostgreSQL primary and replica, Redis, granian behind HAProxy).

Forms: BENCH_CLIENTS keep-alive clients post unique submissions through HAProxy for
BENCH_SECONDS (default 20) per run; accepted = stored is checked at the end. Send: a campaign to
BENCH_RECIPIENTS people (default 20,000) into an aiosmtpd sink in its own process, timed from
"send now" to the sink holding every message. BENCH_ROUNDS rounds (default 3), the process
counts alternating within each; before each timed run the tasks that are due run first (the
sweeps a deployment runs: scoring the people the last run touched), so each starts from the same
queue. Prints medians, the scaling against one process, and the per-core efficiency (scaling ÷
the cores the processes can use: os.cpu_count()).

    .venv/bin/python bench/cluster.py
"""

import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from campaign_send import free_port, sink  # noqa: E402
from forms_load import load  # noqa: E402

from deploy import cluster as clusters  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CORES = os.cpu_count() or 1
FORM_SETUP = (
    "from datetime import date\nfrom tandem.marketing import capture\n"
    "from tandem.marketing.models import LeadForm, Program\n"
    "p = Program.objects.create(name='Load test', channel='web', start_date=date.today())\n"
    "LeadForm.objects.create(program=p, name='Bench', key='benchform', fields=capture.clean_fields("
    "[{'name': 'first_name'}, {'name': 'last_name'}, {'name': 'custom:company'}]),"
    " consent_wording='Send me news.')\n"
    "from tandem.contacts.models import Person\n"
    f"Person.objects.bulk_create([Person(email=f'r{{i}}@sink.example', email_normalized="
    f"f'r{{i}}@sink.example', first_name=f'R{{i}}', consent='granted') for i in range({RECIPIENTS})"
    "], batch_size=5000)\n"
    "from tandem.marketing.models import Segment\nfrom tandem.accounts.models import User\n"
    "User.objects.create_user('bench', role='marketer')\n"
    "Segment.objects.create(name='Readers', conditions=[{'group': 1, 'field': 'email',"
    " 'op': 'contains', 'value': '@sink.example'}])\n"
)
SEND = (
    "from tandem.accounts.models import User\nfrom tandem.marketing import campaigns\n"
    "from tandem.marketing.models import Program, Segment\n"
    "m = User.objects.get(username='bench')\n"
    "c = campaigns.campaign_create(actor=m, data={'program': Program.objects.get(),"
    " 'segment': Segment.objects.get(), 'name': 'Bench @N@',"
    " 'subject': 'News for {{ first_name }}',"
    " 'body': 'Hi **{{ first_name }}**, read [the guide](https://example.com/guide).\\n\\n'"
    " + 'More text. ' * 80})\n"
    "import time\nprint(time.time())\n"  # "send now" from here: not the shell's start-up
    "campaigns.campaign_send(actor=m, campaign=c)\n"
)


def shell(cluster, code: str) -> str:
    import subprocess

    return subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                          env=cluster.env(), check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def forms(cluster, webs: int, n: int) -> float:
    drain(cluster)
    cluster.restart_web(webs)
    outcome = asyncio.run(load(cluster.port + 80, SECONDS, prefix=f"w{webs}r{n}-"))
    accepted = sum(1 for status, _ in outcome["results"] if status == 200)
    return accepted / outcome["elapsed"]


def drain(cluster) -> None:
    """Run the tasks that are due (the sweeps: scoring the people the last run touched, the
    predictive model's first training), so every timed run starts from the same queue."""
    import subprocess

    subprocess.run([sys.executable, "manage.py", "db_worker", "--batch", "--no-reload",
                    "--no-startup-delay", "-v0"], cwd=ROOT, env=cluster.env(),
                   check=True)  # fmt: skip


def send(cluster, count, workers: int, n: int) -> float:
    drain(cluster)
    count.value = 0
    pids = [cluster.start_worker() for _ in range(workers)]
    time.sleep(3)  # workers up and polling, as in a running deployment
    try:
        pressed = float(shell(cluster, SEND.replace("@N@", f"{workers}-{n}")).split()[-1])
        while count.value < RECIPIENTS:
            time.sleep(0.01)
            if time.time() - pressed > 1800:
                raise SystemExit("timed out")
        elapsed = time.time() - pressed
    finally:
        for pid in pids:
            cluster.kill(pid)
        cluster._reap(pids)
        cluster.state["workers"] = []
    return RECIPIENTS / elapsed


def table(title: str, unit: str, runs: dict[int, list[float]]) -> None:
    one = statistics.median(runs[1])
    print(f"\n{title}")
    print(f"{'processes':>10} {unit:>12} {'scaling':>8} {'per-core efficiency':>20}")
    for k, rates in runs.items():
        rate = statistics.median(rates)
        print(f"{k:>10} {rate:>12,.0f} {rate / one:>7.2f}x {rate / one / min(k, CORES):>19.0%}")


def main() -> None:
    port = free_port()
    count, ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    sink_process = multiprocessing.Process(target=sink, args=(port, count, ready), daemon=True)
    sink_process.start()
    ready.wait(10)
    cluster = clusters.Cluster(Path(tempfile.mkdtemp(prefix="tandem-bench-cluster-")), 59000)
    cluster.extra = {
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "TANDEM_FORM_RATE_PER_IP": "100000000",
        "TANDEM_FORM_RATE_GLOBAL": "100000000",
    }
    cluster.start(webs=1, workers=0)
    form_runs: dict[int, list[float]] = {1: [], 2: [], 3: []}
    send_runs: dict[int, list[float]] = {1: [], 2: [], 4: []}
    try:
        shell(cluster, FORM_SETUP)
        for n in range(ROUNDS):
            for k in form_runs:
                form_runs[k].append(forms(cluster, k, n))
                print(f"round {n + 1}: forms, {k} web: {form_runs[k][-1]:,.0f}/s", flush=True)
            for k in send_runs:
                send_runs[k].append(send(cluster, count, k, n))
                print(f"round {n + 1}: send, {k} workers: {send_runs[k][-1]:,.0f}/s", flush=True)
    finally:
        cluster.stop()
        sink_process.terminate()
    print(f"\n{CORES} cores; PostgreSQL primary + replica, Redis, HAProxy and the load on the same "
          f"machine; medians of {ROUNDS}")  # fmt: skip
    table(f"form capture through HAProxy, {SECONDS:.0f} s runs", "accepted/s", form_runs)
    table(f"campaign send to {RECIPIENTS:,} recipients", "messages/s", send_runs)


if __name__ == "__main__":
    main()
