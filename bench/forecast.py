"""A quarter's forecast on the large demo (target: under 2 s), for a manager and a rep.

DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/forecast.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.sales.models import Opportunity, StageHistory  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def main() -> None:
    print(
        f"database: {connection.vendor}; opportunities {Opportunity.objects.count():,}, "
        f"stage history {StageHistory.objects.count():,}"
    )
    for username in ("sam", "rita"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in (
            ("forecast page", "/sales/forecast/"),
            ("forecast API", "/api/forecast"),
        ):
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            print(
                f"  {label:<14} as {username:<5} median {statistics.median(times):7.1f} ms"
                f"  max {max(times):7.1f} ms"
            )


if __name__ == "__main__":
    main()
