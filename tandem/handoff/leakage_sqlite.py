"""The leakage report on SQLite: the same cohort, steps, stranded leads and median waits as
leakage.report_people, with SQLite working out each lead's flags and waits as numbers, so no
time is parsed in Python (the ORM's converters took most of 1.3 s for 52,588 leads); Python
only adds them up. tests/test_leakage.py checks it against report_people."""
# ruff: noqa: S608 - the statement is fixed text and the actor's scope compiled by Django

import statistics
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from tandem.accounts.models import User
from tandem.contacts.models import Person
from tandem.core import access, periods
from tandem.handoff.leakage import STEPS, STRANDED, WAITS, Row
from tandem.handoff.models import ScoringConfig
from tandem.marketing.models import Program

# A handoff's moments count only when the lead was handed off (as leakage.cohort reads them)
_MOMENTS = {
    "mql_at": "mql_at",
    "routed_at": "CASE WHEN handoff_id IS NOT NULL THEN routed_at END",
    "decided_at": "CASE WHEN handoff_id IS NOT NULL THEN decided_at END",
    "sql_at": "sql_since",  # the SQL and the win count from the MQL on
    "won_at": "won_since",
}

# Each lead's first MQL of the period (on a tie, the lower transition id, as the ORM's
# order_by("mql_at", "pk")), in the order of those MQLs; then the lead's rep, its flags in the
# order of FLAGS, and its waits in hours in the order of WAITS (NULL when a moment is missing).
LEADS = """
WITH firsts AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY mql_at, transition_id) AS nth
  FROM handoff_leadpath WHERE mql_at >= %s AND mql_at < %s {visible}
), leads AS (
  SELECT *, handoff_id IS NOT NULL AS handed_off,
    CASE WHEN sql_at >= mql_at THEN sql_at END AS sql_since,
    CASE WHEN won_at >= mql_at THEN won_at END AS won_since
  FROM firsts WHERE nth = 1
)
SELECT program_id, CASE WHEN handed_off THEN rep_id END,
  handed_off AND routed_at IS NOT NULL, handed_off AND accepted,
  handed_off AND (breached_at IS NOT NULL OR COALESCE(decided_at, %s) > due_at),
  sql_since IS NOT NULL, won_since IS NOT NULL,
  handed_off AND accepted AND decided_at IS NOT NULL AND won_since IS NULL
    AND julianday(%s) - julianday(MAX(decided_at, COALESCE(last_activity_at, decided_at))) > %s,
  {waits}
FROM leads ORDER BY mql_at, transition_id
"""
FLAGS = ("handed", "accepted", "late", "sql", "won", "idle")


def _waits() -> str:
    return ", ".join(
        f"ROUND((julianday({_MOMENTS[b]}) - julianday({_MOMENTS[a]})) * 24, 9)"
        for a, b in WAITS.values()
    )  # rounded past float noise: 2.25 h stays 2.25, which the median then rounds as Python does


def _visible(actor) -> tuple[str, tuple] | None:
    rule = access.rule(actor, "person", access.READ)
    if rule is None:
        return None  # no people at all
    if not rule:  # an empty rule is all of them
        return "", ()
    scoped = access.scope(actor, Person.objects.all(), "person").values("pk")
    text, params = scoped.query.sql_with_params()
    return f"AND person_id IN ({text})", tuple(params)


def report(*, actor, since: date, until: date, by: str = "program", now=None) -> list[Row]:
    now = now or timezone.now()
    visible = _visible(actor)
    if visible is None:
        return [Row("all", "All")]
    start, end = periods.days(since, until)
    stale = timedelta(days=ScoringConfig.get().stale_after_days).total_seconds() / 86400
    text = LEADS.format(visible=visible[0], waits=_waits())
    when = connection.ops.adapt_datetimefield_value
    params = [when(start), when(end), *visible[1], when(now), when(now), stale]
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        leads = cursor.fetchall()
    if by == "program":
        names = dict(Program.objects.values_list("pk", "name"))
        label = lambda key: names.get(key, "No program")  # noqa: E731
    else:
        names = dict(User.objects.values_list("pk", "username"))
        label = lambda key: names.get(key, "") or "—"  # noqa: E731
    rows: dict = {}
    total = _Tally()
    for program, rep, *figures in leads:
        key = program if by == "program" else rep
        tally = rows.get(key)
        if tally is None:
            tally = rows[key] = _Tally()
        tally.add(figures)
        total.add(figures)
    ordered = sorted(rows.items(), key=lambda item: -item[1].counts["mqls"])  # stable: first MQL
    return [*(t.row(key, label(key)) for key, t in ordered), total.row("all", "All")]


class _Tally:
    def __init__(self):
        self.counts = dict.fromkeys((*STEPS, *STRANDED), 0)
        self.waits: list[list[float]] = [[] for _ in WAITS]

    def add(self, figures) -> None:
        c = self.counts
        c["mqls"] += 1
        handed, accepted, late, sql_, won, idle = figures[:6]
        c["handed" if handed else "unassigned"] += 1
        c["accepted"] += bool(accepted)
        c["late"] += bool(late)  # NULL (no due time) is not late
        c["sql"] += bool(sql_)
        c["won"] += bool(won)
        c["idle"] += bool(idle)
        for waits, hours in zip(self.waits, figures[6:], strict=True):
            if hours is not None:
                waits.append(hours)

    def row(self, key, label) -> Row:
        row = Row(key, label)
        row.totals = {k: self.counts[k] for k in (*STEPS, *STRANDED)}
        row.median_hours = {
            name: round(statistics.median(w), 1) if w else None
            for name, w in zip(WAITS, self.waits, strict=True)
        }
        return row
