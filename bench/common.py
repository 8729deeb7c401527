"""Shared set-up for the page benchmarks: production settings, in-process client, timing."""

import os
import statistics
import sys
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def setup() -> None:
    """Django with production settings (template debugging off), as a deployment runs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def client_for(username: str):
    from django.test import Client

    from tandem.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def timed_get(client, url: str, runs: int = RUNS) -> tuple[list[float], object]:
    """Server time of `runs` GETs in ms, and the last response (asserted 200)."""
    times, response = [], None
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times, response


def line(times: list[float]) -> str:
    return f"median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms"
