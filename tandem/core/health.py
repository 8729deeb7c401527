"""What `/healthz` reports: the database, the replica's lag, the cache and the task queue.

The process is healthy (200) while the primary database and the cache answer; a lagging or
stopped replica only sends reads to the primary, so it is reported, not failed.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django_tasks_db.models import DBTaskResult

from tandem.core import replica


def _database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _replica() -> dict | None:
    if not replica.configured():
        return None
    seconds = replica.lag()
    limit = settings.TANDEM_REPLICA_MAX_LAG_SECONDS
    if seconds is None:
        return {"ok": False, "lag_seconds": None, "reads_from": "primary"}
    ok = seconds <= limit
    return {
        "ok": ok,
        "lag_seconds": round(seconds, 3),
        "reads_from": "replica" if ok else "primary",
    }


def _cache() -> dict:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set("healthz", 1, timeout=10)
        ok = cache.get("healthz") == 1
    except Exception as exc:  # noqa: BLE001 - any cache failure is reported, not raised
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": ok, "backend": backend}


def _queue() -> dict:
    try:
        ready = DBTaskResult.objects.ready().count()
        running = DBTaskResult.objects.running().count()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ready": ready, "running": running}


def report() -> dict:
    checks = {"database": _database(), "cache": _cache()}
    if checks["database"]["ok"]:
        checks["queue"] = _queue()
    replica_check = _replica() if checks["database"]["ok"] else None
    if replica_check is not None:
        checks["replica"] = replica_check
    checks["ok"] = checks["database"]["ok"] and checks["cache"]["ok"]
    return checks
