"""The leakage report on SQLite: the same cohort, steps, stranded leads and median waits as
leakage.report_people, with SQLite working out each lead's flags and waits as numbers, so no
time is parsed in Python (the ORM's converters took most of 1.3 s for 52,588 leads); numpy
adds them up per program or rep. tests/test_leakage.py checks it against report_people."""
# ruff: noqa: S608 - the statement is fixed text and the actor's scope compiled by Django

from datetime import date, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core import periods
from tandem.handoff.leakage import ALL, NONE, STEPS, STRANDED, WAITS, Row, group_id, visible_sql
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

# Each lead's first MQL of the period: no MQL of the person before it in the period (on a tie,
# none with a lower transition id, as the ORM's order_by("mql_at", "pk")). Then per lead its
# group (its program or its rep), a flag per FLAGS and its waits in hours in the order of WAITS
# (NULL when a moment is missing).
FLAGGED = """
WITH leads AS (
  SELECT *, handoff_id IS NOT NULL AS handed_off,
    CASE WHEN sql_at >= mql_at THEN sql_at END AS sql_since,
    CASE WHEN won_at >= mql_at THEN won_at END AS won_since
  FROM handoff_leadpath l
  WHERE mql_at >= %s AND mql_at < %s {visible} AND NOT EXISTS (
    SELECT 1 FROM handoff_leadpath e WHERE e.person_id = l.person_id AND e.mql_at >= %s
      AND (e.mql_at < l.mql_at OR (e.mql_at = l.mql_at AND e.transition_id < l.transition_id)))
), flagged AS (
  SELECT person_id, mql_at, transition_id, {key} AS grp,
    handed_off AND routed_at IS NOT NULL AS f_handed, handed_off AND accepted AS f_accepted,
    handed_off AND (breached_at IS NOT NULL OR COALESCE(decided_at, %s) > due_at) AS f_late,
    sql_since IS NOT NULL AS f_sql, won_since IS NOT NULL AS f_won,
    handed_off AND accepted AND decided_at IS NOT NULL AND won_since IS NULL AND
      julianday(%s) - julianday(MAX(decided_at, COALESCE(last_activity_at, decided_at))) > %s
      AS f_idle,
    {waits}
  FROM leads
)"""
FLAGS = ("handed", "accepted", "late", "sql", "won", "idle")
# The rows come in the order of the MQL index, which holds (mql_at, transition_id): no sort.
LEADS = (
    FLAGGED
    + f"""
SELECT grp, {", ".join(f"f_{f}" for f in FLAGS)}, {", ".join(f"w_{w}" for w in WAITS)}
FROM flagged ORDER BY mql_at, transition_id"""
)
# The people behind one number: f_<step>, or for "unassigned" not f_handed, or every lead
PEOPLE = FLAGGED + " SELECT person_id FROM flagged WHERE {group} AND {step}"


def _waits() -> str:
    return ", ".join(
        f"ROUND((julianday({_MOMENTS[b]}) - julianday({_MOMENTS[a]})) * 24, 9) AS w_{name}"
        for name, (a, b) in WAITS.items()
    )  # rounded past float noise: 2.25 h stays 2.25, which the median then rounds as Python does


def _statement(template: str, *, actor, since, until, by, now, **parts):
    """The statement and its parameters for the cohort of the people the actor may read."""
    visible = visible_sql(actor)
    start, end = periods.days(since, until)
    stale = timedelta(days=ScoringConfig.get().stale_after_days).total_seconds() / 86400
    key = "program_id" if by == "program" else "CASE WHEN handed_off THEN rep_id END"
    text = template.format(key=key, visible=visible[0], waits=_waits(), **parts)
    when = connection.ops.adapt_datetimefield_value
    return text, [when(start), when(end), *visible[1], when(start), when(now), when(now), stale]


def report(*, actor, since: date, until: date, by: str = "program", now=None) -> list[Row]:
    now = now or timezone.now()
    found = _statement(LEADS, actor=actor, since=since, until=until, by=by, now=now)
    with connection.cursor() as cursor:
        cursor.execute(*found)
        # one row a lead: its group, its flags, its waits; NULL is NaN
        leads = np.array(cursor.fetchall(), dtype=float).reshape(-1, 1 + len(FLAGS) + len(WAITS))
    if by == "program":
        names = dict(Program.objects.values_list("pk", "name"))
        label = lambda key: names.get(key, "No program")  # noqa: E731
    else:
        names = dict(User.objects.values_list("pk", "username"))
        label = lambda key: names.get(key, "") or "—"  # noqa: E731
    # the groups, each with its leads' places; a missing program or rep (NaN) is one group
    keys, first, group = np.unique(leads[:, 0], return_index=True, return_inverse=True)
    rows = []
    for g, k in enumerate(keys):
        key = None if np.isnan(k) else int(k)
        rows.append((first[g], _row(key, label(key), leads[group == g])))
    rows.sort(key=lambda r: (-r[1].totals["mqls"], r[0]))  # the most MQLs, then the first MQL
    return [*(row for _, row in rows), _row("all", "All", leads)]


def _row(key, label, leads: np.ndarray) -> Row:
    """A row's counts and median waits, from its leads' flags and waits."""
    row = Row(key, label)
    flags = dict(zip(FLAGS, (leads[:, 1 : 1 + len(FLAGS)] == 1).sum(axis=0).tolist(), strict=True))
    counts = {"mqls": len(leads), **flags, "unassigned": len(leads) - flags["handed"]}
    row.totals = {k: counts[k] for k in (*STEPS, *STRANDED)}
    row.median_hours = {}
    for j, name in enumerate(WAITS, start=1 + len(FLAGS)):
        hours = leads[:, j][~np.isnan(leads[:, j])]
        row.median_hours[name] = round(float(np.median(hours)), 1) if len(hours) else None
    return row


def people(*, actor, since: date, until: date, by: str, key: str, step: str, now=None):
    """SQL of the ids of the people behind one number (key: a group's id, "None" or "all";
    step: one of STEPS or STRANDED), and its parameters."""
    group, extra, named = "0", [], group_id(key)
    if key == ALL:
        group = "1"
    elif key == NONE:
        group = "grp IS NULL"
    elif named is not None:
        group, extra = "grp = %s", [named]
    flag = {"mqls": "1", "unassigned": "NOT f_handed"}.get(step, f"f_{step}")
    if step not in (*STEPS, *STRANDED):
        flag = "0"
    text, params = _statement(PEOPLE, actor=actor, since=since, until=until, by=by,
                              now=now or timezone.now(), group=group, step=flag)  # fmt: skip
    return text, params + extra
