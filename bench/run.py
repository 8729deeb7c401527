"""`make bench`: load the large demo on SQLite and PostgreSQL, then time the pages on both.

Each step prints its own figures and data sizes. Set BENCH_SKIP_LOAD=1 to reuse loaded
databases (var/bench-large.sqlite3 and TANDEM_BENCH_POSTGRES).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SQLITE = f"sqlite:///{ROOT / 'var' / 'bench-large.sqlite3'}"
POSTGRES = os.environ.get(
    "TANDEM_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/tandem_bench"
)


def run(args: list[str], url: str, **extra) -> None:
    env = {**os.environ, "DATABASE_URL": url, **extra}
    env.setdefault("DEBUG", "1")
    subprocess.run([PY, *args], cwd=ROOT, env=env, check=True)


def fresh_postgres() -> None:
    import psycopg

    name = POSTGRES.rsplit("/", 1)[1]
    admin = POSTGRES.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        fresh_postgres()
    run(["manage.py", "migrate", "-v0"], url)
    started = time.perf_counter()
    run(["manage.py", "demo", "--size", "large"], url)
    print(
        f"large demo load on {url.split(':')[0]}: {time.perf_counter() - started:.0f} s wall clock"
    )


def main() -> None:
    targets = [SQLITE, POSTGRES]
    if os.environ.get("BENCH_SKIP_LOAD") != "1":
        for url in targets:
            load(url)
    for url in targets:
        print(f"\n=== pages on {url.split(':')[0]} ===")
        run(["bench/pages.py"], url, DEBUG="0")
        run(["bench/board.py"], url, DEBUG="0")
        run(["bench/forecast.py"], url, DEBUG="0")
        run(["bench/rescore.py"], url, DEBUG="0")
        run(["bench/insights.py"], url, DEBUG="0")
    print("\n=== Markov attribution over 1,000,000 journeys (CA_PYTHON to compare) ===")
    subprocess.run([PY, "bench/markov.py", *filter(None, [os.environ.get("CA_PYTHON")])],
                   cwd=ROOT, check=True)  # fmt: skip
    print("\n=== the predictive score on X Education, beside two reference models ===")
    subprocess.run([PY, "bench/x_education.py"], cwd=ROOT, check=True)
    print("\n=== marketing: form endpoint and a 100,000-recipient campaign, PostgreSQL ===")
    subprocess.run([PY, "bench/forms_load.py"], cwd=ROOT, check=True)
    subprocess.run([PY, "bench/campaign_send.py"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
