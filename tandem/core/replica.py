"""Reads from a PostgreSQL streaming replica, where they can be (DATABASE_REPLICA_URL).

Only what a view marks with `@replica_reads` (reports, dashboards, exports) reads from the
replica, and only while:
- the request has written nothing (after a write, its later reads go to the primary);
- the user wrote nothing in the last TANDEM_READ_YOUR_WRITES_SECONDS (a cookie holds the time
  of their last write, so the pages after it show it);
- the replica answers and has replayed the primary's log to within
  TANDEM_REPLICA_MAX_LAG_SECONDS (`pg_last_xact_replay_timestamp()`, checked at most once a
  second per process).
Anything else, and every read outside a marked view, goes to the primary. Without a replica
nothing here runs.
"""

import contextlib
import contextvars
import time
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
COOKIE = "tandem_wrote"
CHECK_EVERY = 1.0
_scope = contextvars.ContextVar("tandem_replica_scope", default=False)
_wrote = contextvars.ContextVar("tandem_replica_wrote", default=False)
_recent = contextvars.ContextVar("tandem_replica_recent", default=False)
_used = contextvars.ContextVar("tandem_replica_used", default=False)
_lag: dict = {"at": -CHECK_EVERY, "seconds": None}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _measure() -> float | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            (primary,) = cursor.fetchone()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                [primary],
            )
            recovering, caught_up, behind = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close()
        return None
    if not recovering:
        return None  # not a replica of anything: never read from it
    return 0.0 if caught_up else float(behind or 0.0)


def lag() -> float | None:
    """Seconds the replica's replay is behind the primary: 0 once it has replayed all the
    primary has written, None when it cannot be reached."""
    now = time.monotonic()
    if now - _lag["at"] >= CHECK_EVERY:
        seconds = _measure()
        # a replica that did not answer is asked again in 10 s, not on every request
        _lag.update(at=now + (9 * CHECK_EVERY if seconds is None else 0), seconds=seconds)
    return _lag["seconds"]


def _replica_down() -> None:
    _lag.update(at=time.monotonic() + 9 * CHECK_EVERY, seconds=None)
    _used.set(False)
    with contextlib.suppress(DatabaseError):  # a broken connection is dropped all the same
        connections[REPLICA].close()


def use_replica() -> bool:
    if not (_scope.get() and configured()) or _wrote.get() or _recent.get():
        return False
    if connections["default"].in_atomic_block:
        return False
    seconds = lag()
    return seconds is not None and seconds <= settings.TANDEM_REPLICA_MAX_LAG_SECONDS


def reading():
    """The connection a report's own SQL reads from: the replica where the router would read."""
    if use_replica():
        _used.set(True)
        return connections[REPLICA]
    return connections["default"]


class Router:
    def db_for_read(self, model, **hints):
        if use_replica():
            _used.set(True)
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


def _in_context(iterator, context: contextvars.Context):
    """A streamed body's rows, read with the request's routing (the server reads them after the
    middleware has returned)."""
    iterator = iter(iterator)
    while True:
        try:
            yield context.run(next, iterator)
        except StopIteration:
            return


def replica_reads(view):
    """A view whose GET reads may come from the replica (a streamed export's rows too)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        token = _scope.set(True)
        try:
            try:
                response = view(request, *args, **kwargs)
            except DatabaseError:
                if not _used.get():
                    raise
                # the replica went away since it was last checked: a GET reads again, from the
                # primary, and the replica is not asked for the next 10 s
                _replica_down()
                response = view(request, *args, **kwargs)
            if getattr(response, "streaming", False):
                if use_replica():
                    _used.set(True)
                context = contextvars.copy_context()
                response.streaming_content = _in_context(response.streaming_content, context)
        finally:
            _scope.reset(token)
        return response

    return wrapper


class ReadYourWrites:
    """Marks a request that wrote, and sends the reads of a user who wrote a moment ago to the
    primary. The response says where its reads came from (X-Tandem-Read-From: replica when any
    did), for operators and tests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        window = settings.TANDEM_READ_YOUR_WRITES_SECONDS
        try:
            recent = time.time() - float(request.COOKIES.get(COOKIE, "0")) < window
        except ValueError:
            recent = False
        names = (_recent, _wrote, _scope, _used)
        tokens = (_recent.set(recent), _wrote.set(False), _scope.set(False), _used.set(False))
        try:
            response = self.get_response(request)
            response["X-Tandem-Read-From"] = "replica" if _used.get() else "primary"
            if _wrote.get():
                response.set_cookie(
                    COOKIE, f"{time.time():.3f}", max_age=window, httponly=True,
                    samesite="Lax", secure=request.is_secure(),
                )  # fmt: skip
        finally:
            for var, token in zip(names, tokens, strict=True):
                var.reset(token)
        return response
