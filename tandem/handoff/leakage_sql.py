"""The leakage report counted by PostgreSQL in one statement: the same cohort, steps,
stranded leads and median waits as leakage.report_people, without bringing 50,000 leads into
Python. It reads handoff_leadpath (models.LeadPath), where triggers keep each MQL's first
handoff, SQL, win and last activity. tests/test_leakage.py checks the two agree."""
# ruff: noqa: S608 - the statement is fixed text and the actor's scope compiled by Django

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tandem.core import periods
from tandem.handoff.leakage import ALL, NONE, STEPS, STRANDED, WAITS, Row, group_id, visible_sql
from tandem.handoff.models import ScoringConfig

_KEYS = {
    "program": ("program_id", "COALESCE(program_name, 'No program')"),
    "rep": ("rep_id", "COALESCE(rep_name, '—')"),
}
_HOURS = {
    "mql_to_handed": "routed_at - mql_at",
    "handed_to_decided": "decided_at - routed_at",
    "mql_to_sql": "sql_at - mql_at",
    "sql_to_won": "won_at - sql_at",
}
assert set(_HOURS) == set(WAITS)

FLAGGED = """
WITH firsts AS (  -- each lead's first MQL of the period, with where it went (handoff_leadpath)
  SELECT DISTINCT ON (person_id) * FROM handoff_leadpath
  WHERE mql_at >= %s AND mql_at < %s {visible}
  ORDER BY person_id, mql_at
), leads AS (
  SELECT f.person_id, f.mql_at, f.program_id, pr.name AS program_name, f.rep_id,
    u.username AS rep_name, f.routed_at, f.decided_at, f.accepted,
    (f.handoff_id IS NOT NULL
      AND (f.breached_at IS NOT NULL OR COALESCE(f.decided_at, %s) > f.due_at)) AS late,
    CASE WHEN f.sql_at >= f.mql_at THEN f.sql_at END AS sql_at,
    CASE WHEN f.won_at >= f.mql_at THEN f.won_at END AS won_at, f.last_activity_at
  FROM firsts f
  LEFT JOIN marketing_program pr ON pr.id = f.program_id
  LEFT JOIN accounts_user u ON u.id = f.rep_id
), flagged AS (
  SELECT l.*, (l.accepted AND l.decided_at IS NOT NULL AND l.won_at IS NULL
    AND %s - GREATEST(l.decided_at, l.last_activity_at) > %s) AS idle
  FROM leads l
)"""
LEADS = (
    FLAGGED
    + """
SELECT GROUPING({key}) AS total, {key}, {label}, COUNT(*), COUNT(routed_at),
  COUNT(*) FILTER (WHERE accepted), COUNT(sql_at), COUNT(won_at),
  COUNT(*) FILTER (WHERE routed_at IS NULL), COUNT(*) FILTER (WHERE late),
  COUNT(*) FILTER (WHERE idle), {medians}, MIN(mql_at)
FROM flagged GROUP BY GROUPING SETS (({key}, {label}), ())
"""
)


def _params(actor, since: date, until: date, now) -> tuple[str, list]:
    start, end = periods.days(since, until)
    visible, scope_params = visible_sql(actor)
    stale = timedelta(days=ScoringConfig.get().stale_after_days)
    return visible, [start, end, *scope_params, now, now, stale]


def report(*, actor, since: date, until: date, by: str = "program", now=None) -> list[Row]:
    now = now or timezone.now()
    visible, params = _params(actor, since, until, now)
    key, label = _KEYS["program" if by == "program" else "rep"]  # as report_people reads it
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {span})::float8 / 3600)"
        for span in _HOURS.values()
    )
    sql = LEADS.format(visible=visible, key=key, label=label, medians=medians)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '32MB'")  # the cohort's sorts, in memory
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows, total = [], Row("all", "All")
    for grand, row_key, row_label, *figures in found:
        counts = dict(zip((*STEPS, *STRANDED), figures[:8], strict=True))
        counts = {k: counts[k] for k in (*STEPS, *STRANDED)}
        waits = {name: None if v is None else round(v, 1)
                 for name, v in zip(_HOURS, figures[8:12], strict=True)}  # fmt: skip
        row = total if grand else Row(row_key, row_label)
        row.totals, row.median_hours = counts, waits
        if not grand:
            rows.append((-counts["mqls"], figures[12], row))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [*(r for _, _, r in rows), total]


_STEPS = {  # the leads behind each number, as report() counts them
    "mqls": "true",
    "handed": "routed_at IS NOT NULL",
    "accepted": "accepted",
    "sql": "sql_at IS NOT NULL",
    "won": "won_at IS NOT NULL",
    "unassigned": "routed_at IS NULL",
    "late": "late",
    "idle": "idle",
}
assert set(_STEPS) == {*STEPS, *STRANDED}


def people(*, actor, since: date, until: date, by: str, key: str, step: str, now=None):
    """SQL of the ids of the people behind one number (key: a group's id, "None" or "all";
    step: one of STEPS or STRANDED), and its parameters."""
    visible, params = _params(actor, since, until, now or timezone.now())
    column = _KEYS["program" if by == "program" else "rep"][0]
    group, named = "false", group_id(key)
    if key == ALL:
        group = "true"
    elif key == NONE:
        group = f"{column} IS NULL"
    elif named is not None:
        group = f"{column} = %s"
        params.append(named)
    step_is = _STEPS.get(step, "false")
    sql = FLAGGED.format(visible=visible)
    return f"{sql} SELECT person_id FROM flagged WHERE {group} AND {step_is}", params
