"""Lead leakage: where MQLs of a period go, per program and per rep, and where they get stuck.

The cohort is the people who became an MQL in the period (their first MQL transition in it).
For each: was it handed to a rep, accepted, qualified to SQL, won; and is it stranded:
not handed off, not decided within the SLA, or accepted with no activity for N days.
Every number comes with the people behind it (drill-down)."""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tandem.accounts.models import User
from tandem.contacts.models import Person
from tandem.core import access, periods
from tandem.handoff.models import LeadPath, ScoringConfig
from tandem.marketing.models import Program

STEPS = ("mqls", "handed", "accepted", "sql", "won")
STRANDED = ("unassigned", "late", "idle")


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
    """Each lead of the period with where it went, from handoff_leadpath (models.LeadPath):
    triggers keep there, per MQL step, the first handoff after it, the person's first SQL
    and first win, and their last activity."""
    now = now or timezone.now()
    start, end = periods.days(since, until)
    paths = LeadPath.objects.filter(mql_at__gte=start, mql_at__lt=end)
    rule = access.rule(actor, "person", access.READ)
    if rule is None:
        return []  # no people at all
    if rule:  # some people (an empty rule is all of them): the cohort keeps those
        visible = access.scope(actor, Person.objects.all(), "person").values("pk")
        paths = paths.filter(person_id__in=visible)
    paths = (
        paths.order_by("mql_at", "pk")
        .values_list(
            "person_id", "program_id", "mql_at", "rep_id", "routed_at", "due_at", "decided_at",
            "breached_at", "accepted", "sql_at", "won_at", "last_activity_at", "handoff_id",
        )
    )  # fmt: skip
    programs = dict(Program.objects.values_list("pk", "name"))
    reps = dict(User.objects.values_list("pk", "username"))
    stale = timedelta(days=ScoringConfig.get().stale_after_days)
    leads: dict[int, Lead] = {}
    for person_id, program_id, mql_at, rep_id, routed, due, decided, breached, accepted, \
            sql_at, won_at, last_activity, handoff in paths:  # fmt: skip
        if person_id in leads:
            continue  # the person's first MQL of the period counts
        lead = leads[person_id] = Lead(
            person_id, programs.get(program_id, "No program"), program_id, mql_at
        )
        if handoff is not None:
            lead.rep, lead.rep_id, lead.routed_at, lead.decided_at = (
                reps.get(rep_id, ""),
                rep_id,
                routed,
                decided,
            )
            lead.accepted = accepted
            lead.late = bool(breached) or (decided or now) > due
        lead.sql_at = sql_at if sql_at and sql_at >= mql_at else None
        lead.won_at = won_at if won_at and won_at >= mql_at else None
        if lead.accepted and decided and lead.won_at is None:
            latest = max(filter(None, [last_activity, decided]))
            lead.idle = now - latest > stale
    return list(leads.values())


ALL, NONE = "all", "None"  # the drill's keys for the total row and for no program or rep


def group_id(key: str) -> int | None:
    """The id a drill's key names (a program's or a rep's), or None when it names none: the
    total (ALL), no group (NONE) or anything else, which matches no row."""
    if key.isascii() and key.isdigit() and len(key) <= 18:  # fits a 64-bit id
        return int(key)
    return None


def visible_sql(actor) -> tuple[str, tuple]:
    """The condition on person_id (after AND) that keeps the cohort to the people the actor
    may read, for the statements in leakage_sql and leakage_sqlite."""
    rule = access.rule(actor, "person", access.READ)
    if rule is None:
        return "AND false", ()  # no people at all
    if rule:  # some people (an empty rule is all of them): the cohort keeps those
        scoped = access.scope(actor, Person.objects.all(), "person").values("pk")
        text, params = scoped.query.sql_with_params()
        return f"AND person_id IN ({text})", tuple(params)
    return "", ()


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
    PostgreSQL counts them in one statement (leakage_sql), SQLite works out each lead's flags
    and waits (leakage_sqlite). report_people follows each lead in Python, with the people
    behind each number: the tests hold the two against each other."""
    if connection.vendor == "postgresql":
        from tandem.handoff import leakage_sql

        return leakage_sql.report(actor=actor, since=since, until=until, by=by, now=now)
    from tandem.handoff import leakage_sqlite

    return leakage_sqlite.report(actor=actor, since=since, until=until, by=by, now=now)


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
    """The people behind one number of the report, by id. The database picks them out with
    the report's own statement (leakage_sql, leakage_sqlite): following 52,588 leads in
    Python took seconds."""
    if step not in (*STEPS, *STRANDED):
        return Person.objects.none()
    if connection.vendor == "postgresql":
        from tandem.handoff import leakage_sql as counted
    else:
        from tandem.handoff import leakage_sqlite as counted
    text, params = counted.people(
        actor=actor, since=since, until=until, by=by, key=key, step=step, now=now
    )
    column = f"{connection.ops.quote_name(Person._meta.db_table)}.{connection.ops.quote_name('id')}"
    # PostgreSQL: an array computed once, each person read by id in the id index's order. As
    # IN over the statement, each worker computed it again and joined it to every person.
    held = f"= ANY(ARRAY({text}))" if connection.vendor == "postgresql" else f"IN ({text})"
    picked = RawSQL(f"{column} {held}", params, output_field=BooleanField())  # noqa: S611 - fixed text, values are params
    return Person.objects.filter(picked).select_related("organization").order_by("pk")
