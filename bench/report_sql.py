"""Reports against hand-written SQL that computes exactly the same figures.

DATABASE_URL=postgresql://…/tandem_bench .venv/bin/python bench/report_sql.py

For each report, the report's own function (what its page and the API call) and one SQL
statement written by hand for the same figures run alternately, BENCH_RUNS times each; the
figures are compared (counts exactly, money to the cent) before any time is printed, and the
medians and their ratio are printed with the data size. Target (issue 29): within 1.5× of the
SQL on PostgreSQL, 2× on SQLite. The period is the last 90 days, as bench/insights.py.
"""

import statistics
import time
from datetime import timedelta
from decimal import Decimal

import common

common.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.contacts.models import Person  # noqa: E402
from tandem.core import periods  # noqa: E402
from tandem.insights import attribution_report, funnel, plans, programs, reps  # noqa: E402
from tandem.insights.models import Plan, PlanKind  # noqa: E402
from tandem.insights.sql import when  # noqa: E402
from tandem.marketing.models import Touch  # noqa: E402
from tandem.sales.models import Opportunity  # noqa: E402

UNTIL = timezone.localdate()
SINCE = UNTIL - timedelta(days=89)
PG = connection.vendor == "postgresql"


def days(later: str, earlier: str) -> str:
    """Days between two moments, as each database spells it."""
    if PG:
        return f"(EXTRACT(EPOCH FROM {later} - {earlier})::float8 / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


REACHED = """
SELECT source_program_id,
       COUNT(*),
       COUNT(*) FILTER (WHERE COALESCE(mql_at, sal_at, sql_at, opportunity_at, customer_at)
                        IS NOT NULL),
       COUNT(*) FILTER (WHERE COALESCE(sql_at, opportunity_at, customer_at) IS NOT NULL),
       COUNT(*) FILTER (WHERE customer_at IS NOT NULL)
FROM insights_reach
WHERE first_touch_at >= %s AND first_touch_at < %s AND source_program_id IS NOT NULL
GROUP BY 1"""
COSTS = """
SELECT program_id, SUM(amount) FROM marketing_programcost
WHERE incurred_on >= %s AND incurred_on <= %s GROUP BY 1"""
# Linear attribution: each won deal of the period splits its amount evenly over the program
# touches of its person at or before the close.
LINEAR = """
WITH won AS (
  SELECT o.id, o.person_id, o.closed_at, o.amount
  FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
  WHERE s.kind = 'won' AND o.closed_at >= %s AND o.closed_at < %s AND o.person_id IS NOT NULL
), t AS (
  SELECT w.id, w.amount, t.program_id, COUNT(*) OVER (PARTITION BY w.id) AS n
  FROM won w JOIN marketing_touch t
    ON t.person_id = w.person_id AND t.program_id IS NOT NULL AND t.occurred_at <= w.closed_at
)
SELECT program_id, SUM(1.0 / n), SUM(amount * 1.0 / n) FROM t GROUP BY 1"""
# The five rule-based models of the attribution report (Markov's reference is ChannelAttribution,
# bench/attribution.py): each won deal of the period splits its amount over the program touches
# of its people (its contact and the others with a role) at or before the close, oldest first.
RULE_BASED = """
WITH won AS (
  SELECT o.id, o.person_id, o.closed_at, CAST(COALESCE(o.amount, 0) AS {real}) AS amount
  FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
  WHERE s.kind = 'won' AND o.closed_at >= %s AND o.closed_at < %s
), people AS (
  SELECT id AS deal, person_id FROM won WHERE person_id IS NOT NULL
  UNION
  SELECT c.opportunity_id, c.person_id FROM sales_opportunitycontact c
  JOIN won ON won.id = c.opportunity_id
), t AS (
  SELECT w.id AS deal, w.amount, t.program_id,
    ROW_NUMBER() OVER (PARTITION BY w.id ORDER BY t.occurred_at, t.person_id, t.program_id) AS k,
    COUNT(*) OVER (PARTITION BY w.id) AS n,
    power(CAST(2.0 AS {real}), -{greatest}({age}, 0) / %s) AS decay
  FROM won w JOIN people p ON p.deal = w.id
  {join} marketing_touch t ON t.person_id = p.person_id AND t.program_id IS NOT NULL
    AND t.occurred_at <= w.closed_at
)
SELECT program_id,
  COALESCE(SUM(amount) FILTER (WHERE k = 1), 0),
  COALESCE(SUM(amount) FILTER (WHERE k = n), 0),
  SUM(amount / n),
  SUM(amount * decay / total),
  SUM(amount * CASE WHEN n = 1 THEN 1 WHEN n = 2 THEN 0.5
                    WHEN k = 1 OR k = n THEN 0.4 ELSE 0.2 / (n - 2) END)
FROM (SELECT *, SUM(decay) OVER (PARTITION BY deal) AS total FROM t) d
GROUP BY 1"""
SQLS = """
SELECT rep_id, COUNT(*) FROM handoff_handoff
WHERE status IN ('accepted', 'converted') AND decided_at >= %s AND decided_at < %s
GROUP BY 1"""
CLOSED = """
SELECT o.owner_id, s.kind, COUNT(*), SUM(o.amount)
FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
WHERE o.closed_at >= %s AND o.closed_at < %s AND s.kind IN ('won', 'lost')
GROUP BY 1, 2"""
CUSTOMERS = """
SELECT COUNT(*) FROM (
  SELECT person_id FROM contacts_lifecycletransition WHERE to_stage = 'customer'
  GROUP BY person_id HAVING MIN(at) >= %s AND MIN(at) < %s) x"""
SALES_COST = """
SELECT COALESCE(SUM(amount), 0) FROM insights_salescost
WHERE incurred_on >= %s AND incurred_on <= %s"""


def _rows(sql: str, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def scorecard_sql() -> dict:
    start, end = periods.days(SINCE, UNTIL)
    bounds = [when(start), when(end)]
    out: dict = {}

    def cell(program):
        return out.setdefault(program, {"leads": 0, "mqls": 0, "sqls": 0, "customers": 0,
                                        "cost": Decimal(0), "revenue": 0.0})  # fmt: skip

    for program, leads, mqls, sqls, customers in _rows(REACHED, bounds):
        cell(program).update(leads=leads, mqls=mqls, sqls=sqls, customers=customers)
    for program, total in _rows(COSTS, [SINCE, UNTIL]):
        cell(program)["cost"] = Decimal(total)
    for program, _, value in _rows(LINEAR, bounds):
        cell(program)["revenue"] = float(value)
    return out


def scorecard_ours() -> dict:
    return programs.figures(programs.Params(SINCE, UNTIL, "linear"))


def same_scorecard(ours: dict, theirs: dict) -> None:
    for program, mine in ours.items():
        if not any(mine[k] for k in ("leads", "cost", "revenue")):
            continue
        ref = theirs.get(program, {})
        for key in ("leads", "mqls", "sqls", "customers"):
            assert mine[key] == ref.get(key, 0), (program, key, mine[key], ref.get(key))
        assert round(Decimal(mine["cost"]), 2) == round(ref.get("cost", Decimal(0)), 2), program
        assert abs(mine["revenue"] - ref.get("revenue", 0.0)) < 0.01, (program, "revenue")


REPS = """
WITH h AS (
  SELECT h.rep_id AS rep, COUNT(*) AS sqls,
         COUNT(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
           WHERE o.person_id = h.person_id AND o.owner_id = h.rep_id AND s.kind = 'won'))
           AS sqls_won
  FROM handoff_handoff h
  WHERE h.status IN ('accepted', 'converted') AND h.decided_at >= %s AND h.decided_at < %s
  GROUP BY 1
), c AS (
  SELECT o.owner_id AS rep, COUNT(*) FILTER (WHERE s.kind = 'won') AS won,
         COUNT(*) FILTER (WHERE s.kind = 'lost') AS lost,
         COALESCE(SUM(o.amount) FILTER (WHERE s.kind = 'won'), 0) AS won_amount,
         SUM({cycle}) AS cycle
  FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
  WHERE o.closed_at >= %s AND o.closed_at < %s AND s.kind IN ('won', 'lost')
  GROUP BY 1
), q AS (
  SELECT user_id AS rep, SUM(amount) AS quota FROM sales_quota
  WHERE period_start >= %s AND period_end <= %s GROUP BY 1
), a AS (
  SELECT owner_id AS rep, COUNT(*) AS activities FROM sales_activity
  WHERE done_at >= %s AND done_at < %s GROUP BY 1
), op AS (
  SELECT o.owner_id AS rep, COUNT(*) AS open, COALESCE(SUM(o.amount), 0) AS open_amount
  FROM sales_opportunity o JOIN sales_stage s ON s.id = o.stage_id
  WHERE s.kind = 'open' GROUP BY 1
)
SELECT r.rep, COALESCE(h.sqls, 0), COALESCE(h.sqls_won, 0), COALESCE(c.won, 0),
       COALESCE(c.lost, 0), COALESCE(c.won_amount, 0), COALESCE(c.cycle, 0),
       COALESCE(op.open, 0), COALESCE(op.open_amount, 0), q.quota, COALESCE(a.activities, 0)
FROM (SELECT rep FROM h UNION SELECT rep FROM c UNION SELECT rep FROM op) r
LEFT JOIN h ON h.rep = r.rep LEFT JOIN c ON c.rep = r.rep LEFT JOIN op ON op.rep = r.rep
LEFT JOIN q ON q.rep = r.rep LEFT JOIN a ON a.rep = r.rep"""
REP_KEYS = ("sqls", "sqls_won", "won", "lost", "won_amount", "cycle_days_total", "open",
            "open_amount", "quota", "activities")  # fmt: skip


def reps_sql() -> dict:
    start, end = periods.days(SINCE, UNTIL)
    moments = [when(start), when(end)]
    params = moments * 2 + [SINCE, UNTIL] + moments
    text = REPS.format(cycle=days("o.closed_at", "o.created_at"))
    return {row[0]: dict(zip(REP_KEYS, row[1:], strict=True)) for row in _rows(text, params)}


def reps_ours() -> dict:
    return reps.figures(None, reps.Params(SINCE, UNTIL))


def same_reps(ours: dict, theirs: dict) -> None:
    for rep, mine in ours.items():
        ref = theirs.get(rep, dict.fromkeys(REP_KEYS, 0))
        for key in REP_KEYS:
            a, b = mine[key], ref[key]
            if a is None or b is None:
                assert a is None and b is None, (rep, key, a, b)
            else:
                assert abs(Decimal(str(a)) - Decimal(str(b))) < Decimal("0.01"), (rep, key, a, b)


def plan_sql(plan: Plan) -> tuple:
    since, until = plan.period_start, plan.period_end
    start, end = periods.days(since, until)
    bounds = [when(start), when(end)]
    leads = mqls = sqls = 0
    for _, n, m, s, _ in _rows(REACHED, bounds):
        leads, mqls, sqls = leads + n, mqls + m, sqls + s
    cost = sum((Decimal(t) for _, t in _rows(COSTS, [since, until])), Decimal(0))
    accepted = sum(n for _, n in _rows(SQLS, bounds))
    won = lost = 0
    won_amount = Decimal(0)
    for _, kind, n, total in _rows(CLOSED, bounds):
        if kind == "won":
            won, won_amount = won + n, won_amount + Decimal(total or 0)
        else:
            lost += n
    customers = _rows(CUSTOMERS, bounds)[0][0]
    sales_cost = Decimal(_rows(SALES_COST, [since, until])[0][0])
    return leads, mqls, sqls, cost, accepted, won, lost, won_amount, customers, sales_cost


def plan_ours(plan: Plan) -> tuple:
    a = plans.actuals(plan)
    p, r = list(a.program.values()), list(a.rep.values())
    total = lambda rows, key: sum((x.get(key) or 0) for x in rows)  # noqa: E731
    return (total(p, "leads"), total(p, "mqls"), total(p, "sqls"),
            sum((Decimal(x["cost"]) for x in p), Decimal(0)), total(r, "sqls"), total(r, "won"),
            total(r, "lost"), sum((Decimal(x["won_amount"]) for x in r), Decimal(0)),
            a.new_customers, a.sales_cost)  # fmt: skip


# The cohort funnel by hand: each person whose first touch fell in the period, the first time
# they reached each stage or any later one, then per group the count at each stage and the
# median days from the stage before.
FUNNEL = """
WITH r AS (
  SELECT {group} AS g,
    LEAST(f.first_touch_at, f.lead_at, f.mql_at, f.sal_at, f.sql_at, f.opportunity_at,
          f.customer_at) AS s0,
    LEAST(f.mql_at, f.sal_at, f.sql_at, f.opportunity_at, f.customer_at) AS s1,
    LEAST(f.sal_at, f.sql_at, f.opportunity_at, f.customer_at) AS s2,
    LEAST(f.sql_at, f.opportunity_at, f.customer_at) AS s3,
    LEAST(f.opportunity_at, f.customer_at) AS s4,
    f.customer_at AS s5
  FROM insights_reach f LEFT JOIN marketing_program mp ON mp.id = f.source_program_id
  WHERE f.first_touch_at >= %s AND f.first_touch_at < %s
)
SELECT g, COUNT(s0), COUNT(s1), COUNT(s2), COUNT(s3), COUNT(s4), COUNT(s5),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s1 - s0) / 86400.0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s2 - s1) / 86400.0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s3 - s2) / 86400.0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s4 - s3) / 86400.0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s5 - s4) / 86400.0)
FROM r GROUP BY g"""
# SQLite has neither a LEAST that skips NULLs nor a median: the earliest is MIN over the
# moments with a missing one read as the far future, and each stage's median is the middle
# one or two of its gaps, numbered by a window over (group, stage).
_NEVER = "'9999-12-31'"
FUNNEL_SQLITE = """
WITH f AS (
  SELECT {group} AS g, {moments}
  FROM insights_reach f LEFT JOIN marketing_program mp ON mp.id = f.source_program_id
  WHERE f.first_touch_at >= %s AND f.first_touch_at < %s
), r AS (
  SELECT g, {earliest} FROM f
), d AS (
  {gaps}
), o AS (
  SELECT g, k, gap, ROW_NUMBER() OVER (PARTITION BY g, k ORDER BY gap) AS rn,
    COUNT(*) OVER (PARTITION BY g, k) AS n
  FROM d
)
SELECT g, k, MAX(n), AVG(gap) FROM o WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g, k"""
_MOMENTS = ["first_touch_at", "lead_at", "mql_at", "sal_at", "sql_at", "opportunity_at",
            "customer_at"]  # fmt: skip


def funnel_sqlite(group: str) -> str:
    moments = ", ".join(f"COALESCE(f.{m}, {_NEVER}) AS {m}" for m in _MOMENTS)
    # stage 0 is the earliest of every moment, stage k of mql_at on for k = 1, and so on
    earliest = ", ".join(
        f"NULLIF(MIN({', '.join(_MOMENTS[0 if k == 0 else k + 1 :])}, {_NEVER}), {_NEVER}) AS s{k}"
        for k in range(6)
    )
    gaps = " UNION ALL ".join(
        f"SELECT g, {k} AS k, {days(f's{k}', f's{k - 1}') if k else '0.0'} AS gap FROM r "
        f"WHERE s{k} IS NOT NULL"
        for k in range(6)
    )
    return FUNNEL_SQLITE.format(group=group, moments=moments, earliest=earliest, gaps=gaps)


def funnel_sql(group: str) -> dict:
    start, end = periods.days(SINCE, UNTIL)
    out = {}
    if not PG:
        for g, k, n, median in _rows(funnel_sqlite(group), [when(start), when(end)]):
            out.setdefault(g, [(0, None)] * 6)[k] = (n, median)
        return out
    for g, *figures in _rows(FUNNEL.format(group=group), [when(start), when(end)]):
        counts, medians = figures[:6], [0.0 if figures[0] else None, *figures[6:]]
        out[g] = [(n, m if n else None) for n, m in zip(counts, medians, strict=True)]
    return out


def funnel_ours(by: str) -> dict:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.filter(role="admin").order_by("pk").first()
    return funnel.figures(admin, funnel.Params(SINCE, UNTIL, by=by))


def same_funnel(ours: dict, theirs: dict) -> None:
    assert set(ours) == set(theirs), set(ours) ^ set(theirs)
    for g, stages in ours.items():
        for k, ((n, d), (m, e)) in enumerate(zip(stages, theirs[g], strict=True)):
            assert n == m, (g, k, n, m)
            assert (d is None) == (e is None) and (d is None or abs(d - e) < 1e-6), (g, k, d, e)


RULE_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position")


def attribution_sql() -> dict:
    start, end = periods.days(SINCE, UNTIL)
    text = RULE_BASED.format(real="float8" if PG else "REAL", greatest="GREATEST" if PG else "MAX",
                             age=days("w.closed_at", "t.occurred_at"),
                             join="JOIN" if PG else "CROSS JOIN")  # fmt: skip
    # SQLite's CROSS JOIN keeps the order written: each deal's people, then their touches by
    # person (it searched the time index for every touch before each close, or scanned them)
    rows = _rows(text, [when(start), when(end), attribution_report.DEFAULT_HALF_LIFE])
    return {program: tuple(float(v) for v in values) for program, *values in rows}


def attribution_ours() -> dict:
    r = attribution_report.compute(attribution_report.Params(SINCE, UNTIL), RULE_MODELS)
    out = {}
    for i, (key, _) in enumerate(r.labels):
        values = tuple(float(r.value[m][i]) for m in RULE_MODELS)
        if any(values):
            out[int(key)] = values
    return out


def same_attribution(ours: dict, theirs: dict) -> None:
    assert set(ours) == set(theirs), set(ours) ^ set(theirs)
    for program, values in ours.items():
        for model, a, b in zip(RULE_MODELS, values, theirs[program], strict=True):
            assert abs(a - b) < 0.005, (program, model, a, b)  # to the cent


def race(name: str, ours, theirs, check) -> tuple[str, float, float]:
    check(ours(), theirs())  # the figures first: a fast wrong answer is no answer
    mine, ref = [], []
    for _ in range(common.RUNS):
        start = time.perf_counter()
        theirs()
        ref.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        ours()
        mine.append((time.perf_counter() - start) * 1000)
    a, b = statistics.median(mine), statistics.median(ref)
    print(f"{name:<44}{a:>10.0f}{b:>10.0f}{a / b:>8.2f}×")
    return name, a, b


def main() -> None:
    print(f"database: {connection.vendor}; people {Person.objects.count():,}, touches "
          f"{Touch.objects.count():,}, opportunities {Opportunity.objects.count():,}; "
          f"{SINCE} to {UNTIL}; medians of {common.RUNS} alternating runs")  # fmt: skip
    print(f"{'report':<44}{'ours ms':>10}{'SQL ms':>10}{'ratio':>9}")
    race("program scorecard, all programs (linear)", scorecard_ours, scorecard_sql,
         same_scorecard)  # fmt: skip
    race("rep scorecard, the figures of its columns", reps_ours, reps_sql, same_reps)
    race("funnel, cohort (6 stages, counts, medians)", lambda: funnel_ours("none"),
         lambda: funnel_sql("'all'"), same_funnel)  # fmt: skip
    race("attribution of won revenue, 5 rule-based models", attribution_ours,
         attribution_sql, same_attribution)  # fmt: skip
    race("funnel, cohort, by channel", lambda: funnel_ours("channel"),
         lambda: funnel_sql("mp.channel"), same_funnel)  # fmt: skip
    plan = Plan.objects.filter(kind=PlanKind.QUARTER).order_by("-period_start").first()
    if plan is None:
        print("no quarterly plan in this workspace: the plan's row is skipped")
        return
    race(f"plan {plan.period_start}: the Is of every target", lambda: plan_ours(plan),
         lambda: plan_sql(plan), _same_plan)  # fmt: skip


def _same_plan(ours: tuple, theirs: tuple) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert round(Decimal(a), 2) == round(Decimal(b), 2), (i, a, b)


if __name__ == "__main__":
    main()
