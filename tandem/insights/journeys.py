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
from django.db.models import Min

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import periods
from tandem.insights import attribution
from tandem.marketing.models import Channel, Program, Touch
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
    for pk, person, at, kind, amount in rows.iterator(chunk_size=20_000):
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
    ever_sql = LifecycleTransition.objects.filter(to_stage=LifecycleStage.SQL).values("person_id")
    not_converted = (
        Person.objects.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .exclude(pk__in=ever_sql)
        .values_list("pk", flat=True)
    )
    o = Outcomes([], [], [], [], [])
    for person, at in sorted(first_sql.items()):
        o.keys.append(person)
        o.people.append(person)
        o.at.append(at)
        o.converted.append(True)
        o.value.append(1.0)
    for person in not_converted.iterator(chunk_size=20_000):
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


def _touches_by_person(people: list) -> dict[int, tuple[list, list]]:
    """Each person's program touches, oldest first: (program ids, times)."""
    found: dict[int, tuple[list, list]] = {}
    wanted = sorted({p for p in people if p is not None})
    for i in range(0, len(wanted), 5_000):
        rows = (
            Touch.objects.filter(person_id__in=wanted[i : i + 5_000], program_id__isnull=False)
            .order_by("person_id", "occurred_at", "pk")
            .values_list("person_id", "program_id", "occurred_at")
        )
        for person, program, at in rows.iterator(chunk_size=20_000):
            programs, times = found.setdefault(person, ([], []))
            programs.append(program)
            times.append(at)
    return found


def journeys(outcomes: Outcomes, dimension: str) -> tuple[attribution.Journeys, list, np.ndarray]:
    """The journeys, the states' (key, label), and which outcomes had no touch at all."""
    state_of, labels = states(dimension)
    touches = _touches_by_person(outcomes.people)
    paths, ages, empty = [], [], []
    for person, at in zip(outcomes.people, outcomes.at, strict=True):
        programs, times = touches.get(person, ((), ()))
        path, age = [], []
        for program, when in zip(programs, times, strict=True):
            if when > at:
                break
            path.append(state_of[program])
            age.append((at - when).total_seconds() / 86400)
        paths.append(path)
        ages.append(age)
        empty.append(not path)
    converted = np.array(outcomes.converted, dtype=bool)
    built = attribution.build(
        paths,
        conversions=converted.astype(float),
        nulls=(~converted).astype(float),
        value=outcomes.value,
        ages=ages,
        n_states=len(labels),
    )
    return built, labels, np.array(empty, dtype=bool)
