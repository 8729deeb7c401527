"""Journeys from the database: the program touches before each outcome of a period.

Two outcomes: a won opportunity closed in the period (value = its amount; the non-converting
journeys are the opportunities lost in the period) and an SQL reached in the period (value 1;
the non-converting journeys are the people who became leads in the period and have not reached
SQL). A journey holds its person's touches from a program up to the outcome's time, oldest first.
Touches without a program (a rep's call) are sales' work and not attributed to marketing.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import periods
from tandem.insights import attribution, sql
from tandem.marketing.models import Channel, Program
from tandem.sales.models import Opportunity, StageKind

OUTCOMES = {"won": "Won opportunities", "sql": "SQLs"}
DIMENSIONS = {"program": "Program", "channel": "Channel"}


@dataclass
class Outcomes:
    """The outcomes (and the journeys that did not convert) of a period, before touches."""

    keys: list  # opportunity or person ids, converting first
    people: list  # the person behind each key (None when an opportunity has none)
    at: list  # the outcome's time (a lost opportunity's close, a lead's latest moment)
    converted: list  # bool
    value: list  # float


def won_outcomes(since: date, until: date) -> Outcomes:
    start, end = periods.days(since, until)
    rows = (
        Opportunity.objects.filter(
            closed_at__gte=start,
            closed_at__lt=end,
            stage__kind__in=(StageKind.WON, StageKind.LOST),
        )
        .order_by("-stage__kind", "pk")  # WON sorts after LOST: descending puts it first
        .values_list("pk", "person_id", "closed_at", "stage__kind", "amount")
    )
    o = Outcomes([], [], [], [], [])
    for pk, person, at, kind, amount in list(rows):
        won = kind == StageKind.WON
        o.keys.append(pk)
        o.people.append(person)
        o.at.append(at)
        o.converted.append(won)
        o.value.append(float(amount or 0) if won else 0.0)
    return o


def sql_outcomes(since: date, until: date) -> Outcomes:
    start, end = periods.days(since, until)
    first_sql = dict(
        LifecycleTransition.objects.filter(to_stage=LifecycleStage.SQL, at__gte=start, at__lt=end)
        .values_list("person_id")
        .annotate(at=Min("at"))
    )
    ever_sql = LifecycleTransition.objects.filter(
        person_id=OuterRef("pk"), to_stage=LifecycleStage.SQL
    )
    not_converted = (  # NOT EXISTS: PostgreSQL runs NOT IN over a subquery twice as slowly
        Person.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .filter(~Exists(ever_sql))
        .values_list("pk", flat=True)
    )
    o = Outcomes([], [], [], [], [])
    for person, at in sorted(first_sql.items()):
        o.keys.append(person)
        o.people.append(person)
        o.at.append(at)
        o.converted.append(True)
        o.value.append(1.0)
    for person in list(not_converted):  # one fetch: a server-side cursor runs without workers
        o.keys.append(person)
        o.people.append(person)
        o.at.append(end)
        o.converted.append(False)
        o.value.append(0.0)
    return o


def states(dimension: str) -> tuple[dict[int, int], list[tuple[str, str]]]:
    """Program id → state number, and each state's (key, label)."""
    programs = list(Program.objects.order_by("name", "pk").values_list("pk", "name", "channel"))
    if dimension == "channel":
        channels = [c for c, _ in Channel.choices]
        number = {c: i for i, c in enumerate(channels)}
        return {pk: number[ch] for pk, _, ch in programs}, [
            (c, label) for c, label in Channel.choices
        ]
    return {pk: i for i, (pk, _, _) in enumerate(programs)}, [
        (str(pk), name) for pk, name, _ in programs
    ]


def _touches(people: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Program touches of these people, by person then time: (person, program, epoch seconds).

    PostgreSQL copies them out in binary, read straight into numpy (the ids go as one array);
    SQLite takes the ids in chunks."""
    wanted = sorted({int(p) for p in people if p is not None})
    if not wanted:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    if connection.vendor == "postgresql":
        return _touches_copied(wanted)
    # SQLite: plain SQL on the driver in chunks of 20,000 ids (its limit is 32,766 values); the
    # ORM's IN over a foreign key normalizes each id in Python, which cost more than the query
    connection.ensure_connection()
    rows: list = []
    for i in range(0, len(wanted), 20_000):
        chunk = wanted[i : i + 20_000]
        rows += connection.connection.execute(
            f"SELECT person_id, program_id, {sql.SQLITE_EPOCH.format('occurred_at')} "  # noqa: S608
            "FROM marketing_touch WHERE program_id IS NOT NULL "
            f"AND person_id IN ({','.join('?' * len(chunk))}) ORDER BY person_id, occurred_at",
            chunk,
        ).fetchall()
    table = np.array(rows, dtype=float).reshape(-1, 3)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2]


# One row of COPY … (FORMAT binary) of three 8-byte columns: the field count, then the length
# and the big-endian value of each. A timestamptz is microseconds since 2000-01-01 UTC.
_COPIED = np.dtype([("n", ">i2"), ("l0", ">i4"), ("person", ">i8"), ("l1", ">i4"),
                    ("program", ">i8"), ("l2", ">i4"), ("at", ">i8")])  # fmt: skip
_PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds


def _touches_copied(wanted: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The touches come out of the index alone (touch_journey_idx holds person, time and
    program); reading 600,000 rows as Python tuples cost more than finding them."""
    query = (
        "COPY (SELECT person_id::int8, program_id::int8, occurred_at FROM marketing_touch "
        "WHERE program_id IS NOT NULL AND person_id = ANY(ARRAY(SELECT id FROM journey_people)) "
        "ORDER BY person_id, occurred_at) TO STDOUT (FORMAT binary)"
    )
    data = bytearray()
    with transaction.atomic(), connection.cursor() as cursor:
        # the ids go in by COPY too: as a parameter, quoting 200,000 of them took 0.4 s
        cursor.execute("DROP TABLE IF EXISTS journey_people")  # inside a longer transaction
        cursor.execute("CREATE TEMP TABLE journey_people (id int8) ON COMMIT DROP")
        with cursor.cursor.copy("COPY journey_people (id) FROM STDIN") as copy:
            copy.write("\n".join(map(str, wanted)) + "\n")
        with cursor.cursor.copy(query) as copy:
            for block in copy:
                data += block
    header = 19 + int.from_bytes(data[15:19], "big")  # signature, flags, extension length
    rows = np.frombuffer(bytes(data[header:-2]), dtype=_COPIED)  # -2: the end marker
    at = rows["at"].astype(float) / 1e6 + _PG_EPOCH
    return rows["person"].astype(np.int64), rows["program"].astype(np.int64), at


def journeys(outcomes: Outcomes, dimension: str) -> tuple[attribution.Journeys, list, np.ndarray]:
    """The journeys, the states' (key, label), and which outcomes had no touch at all.

    Touches come sorted by person and time, so each outcome's journey is one slice of them:
    from its person's first touch up to the last one at or before the outcome. The slice ends
    are found by sorting outcomes in among the touches (a touch at the outcome's very time
    sorts before it)."""
    state_of, labels = states(dimension)
    t_person, t_program, t_at = _touches(outcomes.people)
    o_person = np.array([-1 if p is None else p for p in outcomes.people], dtype=np.int64)
    o_at = np.array([a.timestamp() for a in outcomes.at], dtype=float)
    n = len(t_person)
    kind = np.concatenate([np.zeros(n, dtype=np.int8), np.ones(len(o_person), dtype=np.int8)])
    order = np.lexsort((kind, np.concatenate([t_at, o_at]), np.concatenate([t_person, o_person])))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    outcomes_up_to = np.cumsum(kind[order])  # outcomes at or before each sorted place
    o_rank = rank[n:]
    hi = o_rank - (outcomes_up_to[o_rank] - 1)  # touches sorted before the outcome
    lo = np.searchsorted(t_person, o_person, side="left")
    hi = np.where(o_person < 0, lo, np.maximum(hi, lo))
    lengths = hi - lo
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    journey = np.repeat(np.arange(len(lengths)), lengths)
    index = lo[journey] + (np.arange(offsets[-1]) - offsets[journey])
    lookup = np.zeros(int(t_program.max()) + 1 if len(t_program) else 1, dtype=np.int64)
    for program, state in state_of.items():
        if program < len(lookup):
            lookup[program] = state
    converted = np.array(outcomes.converted, dtype=bool)
    built = attribution.Journeys(
        states=lookup[t_program[index]],
        offsets=offsets,
        age_days=(o_at[journey] - t_at[index]) / 86400,
        conversions=converted.astype(float),
        nulls=(~converted).astype(float),
        value=np.array(outcomes.value, dtype=float),
        n_states=len(labels),
    )
    return built, labels, lengths == 0
