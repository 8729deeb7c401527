"""Two database reads of one page at once, each on its own connection.

A report that needs two independent reads (a grouped count and the journeys of attribution) can
let two PostgreSQL processes work at the same time. The second read runs on a thread with a
connection of its own, closed when it ends. Inside a transaction the other connection could not
see the transaction's writes, so there, and on SQLite (one writer, and little to gain), both
run in turn on the caller's connection.
"""

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, connections
from django.utils import timezone


def _carried(fn):
    """fn, to run on another thread as it would on this one: in this thread's time zone (the
    reader's, which Django keeps per thread) and context (the replica's routing), on a
    connection of that thread's own, closed when it ends."""
    zone, context = timezone.get_current_timezone(), contextvars.copy_context()

    def zoned(*args):
        with timezone.override(zone):
            return fn(*args)

    def run(*args):
        try:
            return context.copy().run(zoned, *args)
        finally:
            connections.close_all()  # that thread's connections only

    return run


def can_split() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def both(first, second):
    """(first(), second()): `second` on a connection of its own where it can be."""
    if not can_split():
        return first(), second()
    with ThreadPoolExecutor(1) as pool:
        other: Future = pool.submit(_carried(second))
        return first(), other.result()


def each(fn, parts: list) -> list:
    """[fn(part) for part in parts], the parts on connections of their own where they can be."""
    if not can_split():
        return [fn(part) for part in parts]
    with ThreadPoolExecutor(len(parts)) as pool:
        return list(pool.map(_carried(fn), parts))
