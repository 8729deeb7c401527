# ruff: noqa: S608 - identifiers are the code's own (tables, columns, step names); values are params
"""Rows that hang off a new parent, written in one round trip (PostgreSQL).

A hot path that creates a record and the rows that point at it (a form submission writes a
person, its first lifecycle step, a touch, the submission, the consent proof and two timeline
entries) can send them as one statement: each INSERT is a data-modifying CTE whose foreign
keys read the id an earlier one RETURNED. The values are the ORM's own, prepared field by
field from unsaved model instances (defaults, auto_now, JSON), so a field added to a model is
written here as it is by .save(). Only the SQL compilation and the round trips are saved.

If the first step inserts nothing (its guard is false or ON CONFLICT skipped the row), no
step does, and run() returns None: the caller takes its ordinary path.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    EmailField,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SlugField,
    SmallIntegerField,
    TextField,
)
from django.db.models.fields import AutoFieldMixin

# Fields whose preparation gives back a str, int or bool (or None) unchanged: for those values
# the ORM's pre_save/get_db_prep_save calls are skipped. Exactly these classes, not subclasses,
# which may prepare differently; every other field and value goes through the ORM's calls.
_PLAIN = {CharField, TextField, EmailField, SlugField, BooleanField, IntegerField,
          BigIntegerField, SmallIntegerField, PositiveIntegerField, PositiveSmallIntegerField,
          ForeignKey}  # fmt: skip
# Not core.bulk's set: that one passes floats too, which an IntegerField would convert.
_AS_IS = {str, int, bool, type(None)}
_PLAIN_KIND, _AWARE_KIND = 1, 2
_UNSET = object()


@dataclass
class Step:
    name: str  # the CTE's name, and what later steps link to
    objs: list[Model]  # unsaved rows of one model
    links: dict[str, str] = field(default_factory=dict)  # attname -> the step whose id it takes
    guard: str = ""  # SQL that must hold for the row(s) to go in (first step only)
    guard_params: tuple = ()
    on_conflict: str = ""  # e.g. "ON CONFLICT DO NOTHING"


@cache
def _shape(model, vendor: str) -> tuple[list, str, list[str]]:
    """The model's inserted fields, their quoted names and each one's cast, worked out once."""
    fields = [f for f in model._meta.local_concrete_fields if not isinstance(f, AutoFieldMixin)]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # The type without length or precision: a row of a UNION needs its types spelled out (a
    # NULL is text otherwise), and a longer value must still fail as it does in .save().
    casts = [re.sub(r"\(.*\)$", "", f.db_type(connection)) for f in fields]
    return fields, names, casts


@cache
def _plan(model, vendor: str, links: tuple) -> list[tuple]:
    """(field, attname, kind) for each inserted field not linked to an earlier step: the kind
    says which values pass as they are (see _values)."""
    return [(f, f.attname, _kind(f, vendor)) for f in _shape(model, vendor)[0]
            if f.attname not in links]  # fmt: skip


def _kind(f, vendor: str) -> int:
    if type(f) in _PLAIN:
        return _PLAIN_KIND
    # A given aware datetime is what DateTimeField prepares for PostgreSQL (adapt_datetimefield
    # _value returns it); auto_now fields take theirs in pre_save.
    if type(f) is DateTimeField and vendor == "postgresql" and not (f.auto_now or f.auto_now_add):
        return _AWARE_KIND
    return 0


def _key(steps: list[Step]) -> tuple:
    return tuple(
        (type(s.objs[0]), len(s.objs), tuple(sorted(s.links.items())), s.guard, s.on_conflict,
         s.name)
        for s in steps
    )  # fmt: skip


@lru_cache(maxsize=64)
def _statement(key: tuple, vendor: str) -> str:
    """The statement for steps of this shape, with PostgreSQL's own $n placeholders: the same
    text each time, so the server parses and plans it once per connection (prepared)."""
    ctes, n = [], 0
    for i, (model, rows, links, guard, on_conflict, name) in enumerate(key):
        fields, names, casts = _shape(model, vendor)
        links = dict(links)
        linked = sorted(set(links.values()))
        source = f" FROM {', '.join(f'"{x}"' for x in linked)}" if linked else ""
        selects = []
        for _ in range(rows):
            parts = []
            for f, cast in zip(fields, casts, strict=True):
                if f.attname in links:
                    parts.append(f'"{links[f.attname]}".id')
                else:
                    n += 1
                    parts.append(f"${n}::{cast}")
            where = ""
            if i == 0 and guard:
                pieces = guard.split("%s")
                where = " WHERE " + pieces[0]
                for piece in pieces[1:]:
                    n += 1
                    where += f"${n}{piece}"
            selects.append(f"SELECT {', '.join(parts)}{source}{where}")
        table = connection.ops.quote_name(model._meta.db_table)
        ctes.append(
            f'"{name}" AS (INSERT INTO {table} ({names}) {" UNION ALL ".join(selects)} '
            f"{on_conflict} RETURNING id)"
        )
    tail = " UNION ALL ".join(f'SELECT {i}, id FROM "{k[-1]}"' for i, k in enumerate(key))
    return f"WITH {', '.join(ctes)} {tail}"


def _values(steps: list[Step], conn) -> list:
    params = []
    append = params.append
    for i, step in enumerate(steps):
        plan = _plan(type(step.objs[0]), conn.vendor, tuple(sorted(step.links)))
        for obj in step.objs:
            values = obj.__dict__
            for f, attname, kind in plan:
                value = values.get(attname, _UNSET) if kind else _UNSET
                if (kind == _PLAIN_KIND and type(value) in _AS_IS) or (
                    kind == _AWARE_KIND and type(value) is datetime and value.tzinfo is not None
                ):
                    append(value)
                else:
                    append(f.get_db_prep_save(f.pre_save(obj, True), conn))
            if i == 0 and step.guard:
                params += step.guard_params
    return params


@cache
def _prepared_class():
    import psycopg

    class Prepared(psycopg.RawCursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    return Prepared


def _prepared_cursor(conn):
    """psycopg's raw cursor ($n placeholders: no rewriting of the query) that prepares its
    statement: PostgreSQL parses and plans each shape once per connection instead of each
    time (Django's own cursors bind client-side, unprepared). One cursor is kept for each
    database connection: a new one would look up the parameters' dumpers afresh each time
    (70 µs of CPU a submission)."""
    conn.ensure_connection()
    raw = conn.connection
    kept = getattr(conn, "_chain_cursor", None)
    if kept is None or kept[0] is not raw or kept[1].closed:
        kept = conn._chain_cursor = (raw, _prepared_class()(raw))
    return kept[1]


def _wrapped(conn, raw):
    """Django's cursor wrapper around our own cursor: its errors, and its query log when one is
    kept (tests count queries through it)."""
    conn.validate_thread_sharing()
    return conn.make_debug_cursor(raw) if conn.queries_logged else conn.make_cursor(raw)


def run(steps: list[Step]) -> dict[str, list[int]] | None:
    """Insert every step's rows in one statement; {step name: [ids]}, or None when the first
    step inserted nothing. Sets each object's pk. A guard holds one %s per guard parameter."""
    conn = connections[DEFAULT_DB_ALIAS]
    sql = _statement(_key(steps), conn.vendor)
    cursor = _wrapped(conn, _prepared_cursor(conn))  # not closed: kept for the next run
    cursor.execute(sql, _values(steps, conn))
    rows = cursor.fetchall()
    ids: dict[str, list[int]] = {s.name: [] for s in steps}
    for index, pk in rows:
        ids[steps[index].name].append(pk)
    if not ids[steps[0].name]:
        return None
    for step in steps:
        meta = step.objs[0]._meta
        pk_name = None if meta.parents else meta.pk.attname  # obj.pk = pk, without the property
        for obj, pk in zip(step.objs, sorted(ids[step.name]), strict=True):
            if pk_name:
                obj.__dict__[pk_name] = pk
            else:
                obj.pk = pk
            obj._state.adding = False
            for attname, link in step.links.items():
                setattr(obj, attname, ids[link][0])
    return ids
