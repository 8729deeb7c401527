"""Lead leakage: where MQLs of a period go, per program and per rep, and where they get stuck.

The cohort is the people who became an MQL in the period (their first MQL transition in it).
For each: was it handed to a rep, accepted, qualified to SQL, won; and is it stranded:
not handed off, not decided within the SLA, or accepted with no activity for N days.
Every number comes with the people behind it (drill-down)."""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition, Person
from tandem.core import access, periods
from tandem.handoff.models import Handoff, HandoffStatus, ScoringConfig
from tandem.sales.models import Activity, Opportunity

STEPS = ("mqls", "handed", "accepted", "sql", "won")
STRANDED = ("unassigned", "late", "idle")
ACCEPTED = (HandoffStatus.ACCEPTED, HandoffStatus.CONVERTED)


@dataclass
class Lead:
    person_id: int
    program: str
    program_id: int | None
    mql_at: object
    rep: str = ""
    rep_id: int | None = None
    routed_at: object = None
    decided_at: object = None
    accepted: bool = False
    late: bool = False
    sql_at: object = None
    won_at: object = None
    idle: bool = False


@dataclass
class Row:
    key: object
    label: str
    people: dict = field(default_factory=lambda: {k: [] for k in (*STEPS, *STRANDED)})
    waits: dict = field(default_factory=lambda: {k: [] for k in WAITS})
    totals: dict | None = None  # counted in the database (leakage_sql): no people lists
    median_hours: dict | None = None

    def counts(self) -> dict:
        if self.totals is not None:
            return dict(self.totals)
        return {k: len(v) for k, v in self.people.items()}

    def cells(self) -> list[tuple[str, int]]:
        counts = self.counts()
        return [(k, counts[k]) for k in (*STEPS, *STRANDED)]

    def medians(self) -> dict:
        if self.median_hours is not None:
            return dict(self.median_hours)
        return {k: round(statistics.median(v), 1) if v else None for k, v in self.waits.items()}


WAITS = {
    "mql_to_handed": ("mql_at", "routed_at"),
    "handed_to_decided": ("routed_at", "decided_at"),
    "mql_to_sql": ("mql_at", "sql_at"),
    "sql_to_won": ("sql_at", "won_at"),
}  # hours between the two moments


def cohort(*, actor, since: date, until: date, now=None) -> list[Lead]:
    now = now or timezone.now()
    start, end = periods.days(since, until)
    visible = access.scope(actor, Person.objects.all(), "person").values("pk")
    firsts = (
        LifecycleTransition.objects.filter(to_stage="mql", at__gte=start, at__lt=end)
        .filter(person_id__in=visible)
        .values("person_id")
        .annotate(mql_at=Min("at"))
    )
    mql_at = {r["person_id"]: r["mql_at"] for r in firsts}
    # the cohort as a subquery: the database joins it, no list of 100,000 ids goes back and forth
    members = (
        LifecycleTransition.objects.filter(to_stage="mql", at__gte=start, at__lt=end)
        .filter(person_id__in=visible)
        .values("person_id")
    )
    people = Person.objects.filter(pk__in=members).values_list(
        "pk", "source_program_id", "source_program__name"
    )
    leads = {
        pk: Lead(pk, name or "No program", program_id, mql_at[pk])
        for pk, program_id, name in people
    }
    _handoffs(leads, members, now)
    _later_steps(leads, members)
    _idle(leads, members, now)
    return sorted(leads.values(), key=lambda lead: lead.mql_at)


def _handoffs(leads: dict, members, now) -> None:
    rows = (
        Handoff.objects.filter(person_id__in=members)
        .order_by("routed_at")
        .values_list(
            "person_id", "rep_id", "rep__username", "routed_at", "due_at", "decided_at",
            "status", "breached_at",
        )
    )  # fmt: skip
    for person_id, rep_id, rep, routed, due, decided, status, breached in rows:
        lead = leads[person_id]
        if lead.routed_at is not None or routed < lead.mql_at:
            continue  # the first handoff after this MQL counts
        lead.rep, lead.rep_id, lead.routed_at, lead.decided_at = rep, rep_id, routed, decided
        lead.accepted = status in ACCEPTED
        lead.late = bool(breached) or (decided or now) > due


def _later_steps(leads: dict, members) -> None:
    sqls = (
        LifecycleTransition.objects.filter(person_id__in=members, to_stage="sql")
        .values("person_id")
        .annotate(at=Min("at"))
    )
    for row in sqls:
        lead = leads[row["person_id"]]
        if row["at"] >= lead.mql_at:
            lead.sql_at = row["at"]
    won = (
        Opportunity.objects.filter(person_id__in=members, stage__kind="won")
        .values("person_id")
        .annotate(at=Min("closed_at"))
    )
    for row in won:
        lead = leads[row["person_id"]]
        if row["at"] and row["at"] >= lead.mql_at:
            lead.won_at = row["at"]


def _idle(leads: dict, members, now) -> None:
    days = ScoringConfig.get().stale_after_days
    accepted = [lead for lead in leads.values() if lead.accepted and lead.decided_at]
    taken = Handoff.objects.filter(person_id__in=members, status__in=ACCEPTED).values("person_id")
    last = dict(
        Activity.objects.filter(person_id__in=taken)
        .values("person_id")
        .annotate(at=Max("created_at"))
        .values_list("person_id", "at")
    )
    for lead in accepted:
        latest = max(filter(None, [last.get(lead.person_id), lead.decided_at]))
        lead.idle = lead.won_at is None and now - latest > timedelta(days=days)


def _steps(lead: Lead) -> list[str]:
    steps = ["mqls"]
    steps += ["handed"] if lead.routed_at else ["unassigned"]
    steps += ["accepted"] if lead.accepted else []
    steps += ["late"] if lead.late else []
    steps += ["sql"] if lead.sql_at else []
    steps += ["won"] if lead.won_at else []
    steps += ["idle"] if lead.idle else []
    return steps


def report(*, actor, since: date, until: date, by: str = "program", now=None) -> list[Row]:
    """One row per program (or rep), and a last row for all: the counts and median waits.
    PostgreSQL counts them in one statement (leakage_sql); elsewhere, and for the people
    behind a number (drill), each lead is followed in Python (report_people)."""
    if connection.vendor == "postgresql":
        from tandem.handoff import leakage_sql

        return leakage_sql.report(actor=actor, since=since, until=until, by=by, now=now)
    return report_people(actor=actor, since=since, until=until, by=by, now=now)


def report_people(*, actor, since: date, until: date, by: str = "program", now=None):
    """The report with the people behind each number, lead by lead."""
    rows: dict = {}
    total = Row("all", "All")
    for lead in cohort(actor=actor, since=since, until=until, now=now):
        key, label = (
            (lead.program_id, lead.program) if by == "program" else (lead.rep_id, lead.rep or "—")
        )
        row = rows.setdefault(key, Row(key, label))
        for step in _steps(lead):
            row.people[step].append(lead.person_id)
            total.people[step].append(lead.person_id)
        for name, (a, b) in WAITS.items():
            start, stop = getattr(lead, a), getattr(lead, b)
            if start and stop:
                hours = (stop - start).total_seconds() / 3600
                row.waits[name].append(hours)
                total.waits[name].append(hours)
    ordered = sorted(rows.values(), key=lambda r: -len(r.people["mqls"]))
    return [*ordered, total]


def drill(*, actor, since: date, until: date, by: str, key: str, step: str, now=None):
    """The people behind one number of the report."""
    if step not in (*STEPS, *STRANDED):
        return Person.objects.none()
    for row in report_people(actor=actor, since=since, until=until, by=by, now=now):
        if str(row.key) == key:
            return Person.objects.filter(pk__in=row.people[step]).select_related("organization")
    return Person.objects.none()
