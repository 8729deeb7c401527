"""Server time of the pipeline board on the large demo (target: 5,000 open deals under 500 ms).

DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/board.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings: template debugging off, as a deployment runs.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.sales.models import Opportunity  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def main() -> None:
    open_deals = Opportunity.objects.filter(stage__kind="open")
    print(
        f"database: {connection.vendor}; opportunities {Opportunity.objects.count():,}, "
        f"open {open_deals.count():,}"
    )
    for username in ("sam", "admin", "rita"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        times, size = [], 0
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get("/sales/board/")
            times.append((time.perf_counter() - start) * 1000)
            size = response.content.count(b"data-opp=")
        print(
            f"  board as {username:<6} {size:>6,} cards  median {statistics.median(times):7.1f} ms"
            f"  max {max(times):7.1f} ms"
        )


if __name__ == "__main__":
    main()
