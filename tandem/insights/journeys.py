"""Journeys from the database: the program touches before each outcome of a period.

Two outcomes: a won opportunity closed in the period (value = its amount; the non-converting
journeys are the opportunities lost in the period) and an SQL reached in the period (value 1;
the non-converting journeys are the people who became leads in the period and have not reached
SQL). A journey holds its person's touches from a program up to the outcome's time, oldest first;
a deal's journey holds the touches of every person on it (its contact person and the others with
a role), merged by time. Touches without a program (a rep's call) are sales' work and not
attributed to marketing.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection, connections, transaction
from django.db.models import Exists, FloatField, Min, OuterRef
from django.db.models.functions import Cast

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import alongside, periods
from tandem.insights import attribution, sql
from tandem.marketing.models import Channel, Program
from tandem.sales.models import Opportunity, OpportunityContact, StageKind

OUTCOMES = {"won": "Won opportunities", "sql": "SQLs"}
DIMENSIONS = {"program": "Program", "channel": "Channel"}


@dataclass
class Outcomes:
    """The outcomes (and the journeys that did not convert) of a period, before touches."""

    keys: list  # opportunity or person ids, converting first
    people: list  # the person behind each key (None when an opportunity has none)
    at: list  # the outcome's time in epoch seconds (a lost deal's close, a lead's latest moment)
    converted: list  # bool
    value: list  # float
    others: dict | None = None  # outcome index → other people whose touches join its journey


def won_outcomes(since: date, until: date) -> Outcomes:
    start, end = periods.days(since, until)
    rows = (
        Opportunity.objects.filter(
            closed_at__gte=start,
            closed_at__lt=end,
            stage__kind__in=(StageKind.WON, StageKind.LOST),
        )
        .order_by("-stage__kind", "pk")  # WON sorts after LOST: descending puts it first
        .values_list("pk", "person_id", sql.Epoch("closed_at"), "stage__kind",
                     Cast("amount", FloatField()))
    )  # fmt: skip
    # one fetch, no per-row converters: the ORM's iteration took 40 of the 70 ms for 24,000 deals
    query, params = rows.query.get_compiler(rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:  # the router's choice (a replica's reads)
        cursor.execute(query, params)
        fetched = cursor.fetchall()
    keys, people, at, kinds, amounts = (
        (list(c) for c in zip(*fetched, strict=True)) if fetched else ([] for _ in range(5))
    )
    converted = [kind == StageKind.WON for kind in kinds]
    value = [(a or 0.0) if won else 0.0 for a, won in zip(amounts, converted, strict=True)]
    o = Outcomes(keys, people, [float(t) for t in at], converted, value)
    o.others = _deal_people(o, start, end)
    return o


def _deal_people(o: Outcomes, start, end) -> dict:
    """{outcome index: [person ids]} of the deals that have people besides their contact."""
    rows = OpportunityContact.objects.filter(
        opportunity__closed_at__gte=start,
        opportunity__closed_at__lt=end,
        opportunity__stage__kind__in=(StageKind.WON, StageKind.LOST),
    ).values_list("opportunity_id", "person_id")
    found: dict = {}
    index = None
    for deal, person in rows.iterator(5000):
        if index is None:
            index = {pk: i for i, pk in enumerate(o.keys)}
        i = index.get(deal)
        if i is not None and person != o.people[i]:
            found.setdefault(i, []).append(person)
    return found


def converting(o: Outcomes) -> Outcomes:
    """Only the outcomes that converted (the rule-based models give the others nothing)."""
    keep = [i for i, c in enumerate(o.converted) if c]
    if len(keep) == len(o.keys):
        return o
    renumber = {old: new for new, old in enumerate(keep)}
    pick = lambda values: [values[i] for i in keep]  # noqa: E731
    others = {renumber[i]: people for i, people in (o.others or {}).items() if i in renumber}
    return Outcomes(pick(o.keys), pick(o.people), pick(o.at), pick(o.converted), pick(o.value),
                    others or None)  # fmt: skip


def sql_outcomes(since: date, until: date) -> Outcomes:
    start, end = periods.days(since, until)
    first_sql = dict(
        LifecycleTransition.objects.filter(to_stage=LifecycleStage.SQL, at__gte=start, at__lt=end)
        .values_list("person_id")
        .annotate(at=sql.Epoch(Min("at")))
    )
    ever_sql = LifecycleTransition.objects.filter(
        person_id=OuterRef("pk"), to_stage=LifecycleStage.SQL
    )
    not_converted = (  # NOT EXISTS: PostgreSQL runs NOT IN over a subquery twice as slowly
        Person.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .filter(~Exists(ever_sql))
        .values_list("pk", flat=True)
    )
    converting = sorted(first_sql)
    others = list(not_converted)  # one fetch: a server-side cursor runs without workers
    people = converting + others
    return Outcomes(
        keys=people,
        people=people,
        at=[first_sql[p] for p in converting] + [end.timestamp()] * len(others),
        converted=[True] * len(converting) + [False] * len(others),
        value=[1.0] * len(converting) + [0.0] * len(others),
    )


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


def _touches(people) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Program touches of these people, by person then time: (person, program, epoch seconds).

    `people` holds person ids; None or a negative number stands for no person."""
    if not isinstance(people, np.ndarray):
        people = np.array([-1 if p is None else p for p in people], dtype=np.int64)
    ids = people
    wanted = np.unique(ids[ids >= 0])
    if not len(wanted):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    if connection.vendor == "postgresql":
        return _touches_packed(wanted)
    # SQLite: plain SQL on the driver in chunks of 20,000 ids (its limit is 32,766 values); the
    # ORM's IN over a foreign key normalizes each id in Python, which cost more than the query
    connection.ensure_connection()
    rows: list = []
    for i in range(0, len(wanted), 20_000):
        chunk = wanted[i : i + 20_000].tolist()
        rows += connection.connection.execute(
            f"SELECT person_id, program_id, {sql.SQLITE_EPOCH.format('occurred_at')} "  # noqa: S608
            "FROM marketing_touch WHERE program_id IS NOT NULL "
            f"AND person_id IN ({','.join('?' * len(chunk))}) ORDER BY person_id, occurred_at",
            chunk,
        ).fetchall()
    table = np.array(rows, dtype=float).reshape(-1, 3)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2]


# The server packs each touch into 24 bytes, big-endian: person, program, and the moment as
# microseconds since 2000-01-01 UTC (timestamptz_send), one value per block of people, read
# straight into numpy. 600,000 rows as Python tuples, or as COPY's one message per row, cost
# more than finding them.
_PACKED = np.dtype([("person", ">i8"), ("program", ">i8"), ("at", ">i8")])
_PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds
_BLOCK = 65_536  # people per packed value: each stays far below PostgreSQL's 1 GB limit
PARALLEL_FROM = 50_000  # people: fewer are fetched faster on one connection
# COPY … FROM STDIN (FORMAT binary) of one int8 column: a header, then per row the field
# count, the length and the value, and -1 at the end
_ID_ROW = np.dtype([("n", ">i2"), ("length", ">i4"), ("id", ">i8")])
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)


def _copy_ids(cursor, ids: np.ndarray) -> None:
    rows = np.empty(len(ids), dtype=_ID_ROW)
    rows["n"], rows["length"], rows["id"] = 1, 8, ids
    with cursor.cursor.copy("COPY journey_people (id) FROM STDIN (FORMAT binary)") as copy:
        copy.write(_COPY_HEADER + rows.tobytes() + b"\xff\xff")


def _touches_packed(wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The touches come out of the index alone (touch_journey_idx holds person, time and
    program). Many people are split in two halves fetched at once on two connections, so two
    server processes share the work; inside a transaction the other connection could not see
    its writes, so it stays on one."""
    if len(wanted) < PARALLEL_FROM:
        packed = [_packed(wanted)]
    else:
        packed = alongside.each(_packed, np.array_split(wanted, 2))
    rows = np.frombuffer(b"".join(packed), dtype=_PACKED)
    person, program = rows["person"].astype(np.int64), rows["program"].astype(np.int64)
    micros = rows["at"].astype(np.int64)
    step, later = np.diff(person), np.diff(micros)
    if ((step < 0) | ((step == 0) & (later < 0))).any():  # the scan gives them in order
        order = np.lexsort((micros, person))
        person, program, micros = person[order], program[order], micros[order]
    return person, program, micros / 1e6 + _PG_EPOCH


def _packed(wanted: np.ndarray) -> bytes:
    """The packed touches of these people, in blocks of people by id. An ordered aggregate
    would sort them once more on the server."""
    query = (
        "SELECT person_id / %s, string_agg(int8send(person_id) || int8send(program_id)"
        " || timestamptz_send(occurred_at), ''::bytea) "
        "FROM marketing_touch WHERE program_id IS NOT NULL "
        "AND person_id = ANY(ARRAY(SELECT id FROM journey_people)) GROUP BY 1 ORDER BY 1"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS journey_people")  # inside a longer transaction
        cursor.execute("CREATE TEMP TABLE journey_people (id int8) ON COMMIT DROP")
        _copy_ids(cursor, wanted)  # as a parameter, quoting 200,000 ids took 0.4 s
        cursor.execute(query, [_BLOCK])
        return b"".join(bytes(packed) for _, packed in cursor.fetchall())


def _with_others(o_person: np.ndarray, others: dict):
    """Touches where each outcome with other people has a key of its own (past every person
    id) holding the touches of all its people, so that its journey is still one slice."""
    extra = np.array([p for people in others.values() for p in people], dtype=np.int64)
    t_person, t_program, t_at = _touches(np.concatenate([o_person, extra]))
    key = max(int(o_person.max(initial=0)), int(extra.max(initial=0))) + 1
    o_person = o_person.copy()
    parts = [(t_person, t_program, t_at)]
    for i, people in others.items():
        members = [p for p in (o_person[i], *people) if p >= 0]
        mask = np.isin(t_person, members)
        parts.append((np.full(int(mask.sum()), key, dtype=np.int64), t_program[mask], t_at[mask]))
        o_person[i] = key
        key += 1
    t_person, t_program, t_at = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((t_at, t_person))
    return o_person, t_person[order], t_program[order], t_at[order]


def journeys(outcomes: Outcomes, dimension: str) -> tuple[attribution.Journeys, list, np.ndarray]:
    """The journeys, the states' (key, label), and which outcomes had no touch at all.

    Touches come sorted by person and time, so each outcome's journey is one slice of them:
    from its person's first touch up to the last one at or before the outcome. The slice ends
    are found by sorting outcomes in among the touches (a touch at the outcome's very time
    sorts before it)."""
    state_of, labels = states(dimension)
    o_person = np.array([-1 if p is None else p for p in outcomes.people], dtype=np.int64)
    if outcomes.others:
        o_person, t_person, t_program, t_at = _with_others(o_person, outcomes.others)
    else:
        t_person, t_program, t_at = _touches(o_person)
    o_at = np.array(outcomes.at, dtype=float)
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
