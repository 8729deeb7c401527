"""The leakage report counted by PostgreSQL in one statement: the same cohort, steps,
stranded leads and median waits as leakage.report_people, without bringing 50,000 leads into
Python. tests/test_handoff.py checks the two agree."""
# ruff: noqa: S608 - the statement is fixed text and the actor's scope compiled by Django

from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core import access, periods
from tandem.handoff.leakage import STEPS, STRANDED, WAITS, Row
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

LEADS = """
WITH firsts AS (
  SELECT person_id, MIN(at) AS mql_at FROM contacts_lifecycletransition
  WHERE to_stage = 'mql' AND at >= %s AND at < %s {visible}
  GROUP BY person_id
), handed AS (  -- each lead's first handoff after its MQL, by one join over the handoffs
  SELECT DISTINCT ON (h.person_id) h.person_id, h.id, h.rep_id, h.routed_at, h.decided_at,
    h.status, h.due_at, h.breached_at
  FROM handoff_handoff h JOIN firsts f ON f.person_id = h.person_id AND h.routed_at >= f.mql_at
  ORDER BY h.person_id, h.routed_at
), won AS (
  SELECT o.person_id, MIN(o.closed_at) AS first_at FROM sales_opportunity o
  JOIN sales_stage st ON st.id = o.stage_id
  WHERE st.kind = 'won' AND o.person_id IS NOT NULL GROUP BY 1
), leads AS (
  -- insights_reach holds each person's source program and first time at SQL (kept by triggers)
  SELECT f.person_id, f.mql_at, r.source_program_id AS program_id, pr.name AS program_name,
    h.rep_id, u.username AS rep_name, h.routed_at, h.decided_at,
    COALESCE(h.status IN ('accepted', 'converted'), false) AS accepted,
    (h.id IS NOT NULL AND (h.breached_at IS NOT NULL OR COALESCE(h.decided_at, %s) > h.due_at))
      AS late,
    CASE WHEN r.sql_at >= f.mql_at THEN r.sql_at END AS sql_at,
    CASE WHEN w.first_at >= f.mql_at THEN w.first_at END AS won_at
  FROM firsts f
  JOIN insights_reach r ON r.person_id = f.person_id
  LEFT JOIN marketing_program pr ON pr.id = r.source_program_id
  LEFT JOIN handed h ON h.person_id = f.person_id
  LEFT JOIN accounts_user u ON u.id = h.rep_id
  LEFT JOIN won w ON w.person_id = f.person_id
), flagged AS (
  SELECT l.*, (l.accepted AND l.decided_at IS NOT NULL AND l.won_at IS NULL AND %s - GREATEST(
      l.decided_at,
      (SELECT MAX(a.created_at) FROM sales_activity a WHERE a.person_id = l.person_id)
    ) > %s) AS idle
  FROM leads l
)
SELECT GROUPING({key}) AS total, {key}, {label}, COUNT(*), COUNT(routed_at),
  COUNT(*) FILTER (WHERE accepted), COUNT(sql_at), COUNT(won_at),
  COUNT(*) FILTER (WHERE routed_at IS NULL), COUNT(*) FILTER (WHERE late),
  COUNT(*) FILTER (WHERE idle), {medians}, MIN(mql_at)
FROM flagged GROUP BY GROUPING SETS (({key}, {label}), ())
"""


def report(*, actor, since: date, until: date, by: str = "program", now=None) -> list[Row]:
    now = now or timezone.now()
    start, end = periods.days(since, until)
    visible, scope_params = "", ()
    rule = access.rule(actor, "person", access.READ)
    if rule is None:
        visible = "AND false"  # no people at all
    elif rule:  # some people (an empty rule is all of them): the cohort keeps those
        scoped = access.scope(actor, Person.objects.all(), "person").values("pk")
        sql, scope_params = scoped.query.sql_with_params()
        visible = f"AND person_id IN ({sql})"
    key, label = _KEYS["program" if by == "program" else "rep"]  # as report_people reads it
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {span})::float8 / 3600)"
        for span in _HOURS.values()
    )
    sql = LEADS.format(visible=visible, key=key, label=label, medians=medians)
    stale = timedelta(days=ScoringConfig.get().stale_after_days)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, *scope_params, now, now, stale])
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
