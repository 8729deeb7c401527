"""The lifecycle funnel of a cohort or a period, by program, channel or segment.

A person reaches a stage when they first enter it or any stage after it (someone a rep turns
straight into an opportunity has passed MQL and SQL too), so the funnel never widens. Lead is
the first touch (DOMAIN.md: the leads of a program are the people whose first touch came from it).

- cohort: the people whose first touch fell in the period, followed to today;
- period: everyone counted at the stage they reached within the period.

Conversion is the share of the stage before; the time is the median of days from reaching the
stage before to reaching this one, over the people counted at this stage.
"""

from dataclasses import dataclass, replace
from datetime import date

from django.db import connection

from tandem.contacts.models import LifecycleStage, Person
from tandem.core import access, periods, replica
from tandem.insights import sql
from tandem.insights.tables import Column, Table, bar_chart, ratio
from tandem.marketing import segments
from tandem.marketing.models import Channel, Program, Segment

STAGES = [
    LifecycleStage.LEAD,
    LifecycleStage.MQL,
    LifecycleStage.SAL,
    LifecycleStage.SQL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.CUSTOMER,
]
INDEX = {s.value: i for i, s in enumerate(STAGES)}
MODES = {"cohort": "Cohort (first touch in the period)", "period": "Stage reached in the period"}
GROUPS = {"none": "All", "program": "Program", "channel": "Channel", "segment": "Segment"}
MAX_SEGMENTS = 12  # by segment runs the funnel once per segment


@dataclass
class Params:
    since: date
    until: date
    mode: str = "cohort"
    by: str = "none"
    segment: object = None  # a marketing Segment, or None


def _people(actor, p: Params):
    """The people this funnel may count, or None for everyone."""
    people = None
    if p.segment is not None:
        people = segments.people(p.segment.conditions, Person.objects.all())
    if not access.is_admin(actor) and access.function_of(actor) != "marketing":
        people = access.scope(actor, Person.objects.all() if people is None else people, "person")
    return people


def _reach_sql(actor, p: Params) -> tuple[str, list]:
    """SQL of r: one row per person, with id, group g, and r0..r5, when each stage was reached.

    It reads insights_reach, the first touch and the first time at each stage per person, which
    triggers keep. Cohort: the first touch fell in the period. Period: the first touch or a
    first time at a stage fell in it; a stage is reached at the earliest of its own first time
    and every later stage's, so any stage reached in the period is one of those times."""
    start, end = periods.days(p.since, p.until)
    bounds = [sql.when(start), sql.when(end)]
    moments = ["f.first_touch_at"] + [f"f.{s.value}_at" for s in STAGES]
    if p.mode == "cohort":
        where, params = "f.first_touch_at >= %s AND f.first_touch_at < %s", list(bounds)
    else:
        where = " OR ".join(f"({m} >= %s AND {m} < %s)" for m in moments)
        params = bounds * len(moments)
    people = _people(actor, p)
    if people is not None:
        text, people_params = people.values("id").query.sql_with_params()
        where = f"({where}) AND f.person_id IN ({text})"
        params += list(people_params)
    # r0 also counts the first touch (a lead is a first touch); moments[k + 1] is stage k's
    reach = ", ".join(
        f"{sql.least(moments if k == 0 else moments[k + 1 :])} AS r{k}" for k in range(len(STAGES))
    )
    group = {"program": "f.source_program_id", "channel": "mp.channel"}.get(p.by, "'all'")
    # Built from fixed fragments and numbers; every value goes in as a parameter.
    text = f"""
        WITH r AS (
            SELECT f.person_id AS id, {group} AS g, {reach}
            FROM insights_reach f LEFT JOIN marketing_program mp ON mp.id = f.source_program_id
            WHERE {where}
        )"""  # noqa: S608
    return text, params


_EMPTY = [(0, None)] * len(STAGES)


def _group_labels(by: str) -> dict:
    if by == "segment":
        return dict(Segment.objects.values_list("pk", "name"))
    if by == "program":
        return dict(Program.objects.values_list("pk", "name"))
    return dict(Channel.choices)


def _counted(p: Params, k: int) -> tuple[str, list]:
    """The condition, on a row of r, that the person is counted at stage k."""
    if p.mode == "period":
        start, end = periods.days(p.since, p.until)
        return f"r.r{k} >= %s AND r.r{k} < %s", [sql.when(start), sql.when(end)]
    return f"r.r{k} IS NOT NULL", []


def figures(actor, p: Params) -> dict:
    """group → [(people counted at stage k, median days from the stage before)] for k = 0..5."""
    if p.by == "segment":  # a person may be in several segments: one funnel per segment
        return {
            seg.pk: figures(actor, replace(p, by="none", segment=seg)).get("all", _EMPTY)
            for seg in Segment.objects.order_by("name")[:MAX_SEGMENTS]
        }
    text, params = _reach_sql(actor, p)
    if connection.vendor == "postgresql":
        return _figures_one_pass(text, params, p)
    parts = []
    for k in range(1, len(STAGES)):
        cond, cond_params = _counted(p, k)
        gap = sql.days_between(f"r.r{k}", f"r.r{k - 1}")
        parts.append(f"SELECT r.g AS g, {k} AS k, {gap} AS d FROM r WHERE {cond}")  # noqa: S608
        params += cond_params
    text += f", d AS ({' UNION ALL '.join(parts)}) {sql.median_by('g, k', 'd', 'd')}"
    # the first stage has no stage before it: counted without sorting its people for a median
    cond, cond_params = _counted(p, 0)
    text += f" UNION ALL SELECT r.g, 0, COUNT(*), 0.0 FROM r WHERE {cond} GROUP BY r.g"  # noqa: S608
    params += cond_params
    out: dict = {}
    with replica.reading().cursor() as cursor:
        cursor.execute(text, params)
        for g, k, n, days in cursor.fetchall():
            out.setdefault(g, [(0, None)] * len(STAGES))[k] = (n, days)
    return out


def _figures_one_pass(text: str, params: list, p: Params) -> dict:
    """PostgreSQL: every stage's count and median in one pass over r, each an aggregate with
    its own FILTER (a median is an ordered-set aggregate, which takes one)."""
    columns = []
    for k in range(len(STAGES)):
        cond, cond_params = _counted(p, k)
        if not k:  # the first stage has no stage before it: no median to sort for
            columns.append(f"COUNT(*) FILTER (WHERE {cond}), 0.0::float8")
            params += cond_params
            continue
        gap = sql.days_between(f"r.r{k}", f"r.r{k - 1}")
        columns.append(
            f"COUNT(*) FILTER (WHERE {cond}), "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {gap}) FILTER (WHERE {cond})"
        )
        params += cond_params + cond_params
    text += f" SELECT r.g, {', '.join(columns)} FROM r GROUP BY r.g"  # noqa: S608
    out: dict = {}
    with replica.reading().cursor() as cursor:
        cursor.execute(text, params)
        for g, *found in cursor.fetchall():
            if any(found[0::2]):  # a group with nobody counted at any stage is left out
                out[g] = [(found[2 * k], found[2 * k + 1] if found[2 * k] else None)
                          for k in range(len(STAGES))]  # fmt: skip
    return out


def _stage_figures(found: dict, group) -> list[dict]:
    cells = found.get(group, [(0, None)] * len(STAGES))
    figures, previous = [], None
    for k, stage in enumerate(STAGES):
        n, days = cells[k]
        figures.append(
            {
                "stage": stage.label,
                "count": n,
                "rate": ratio(n, previous, 100, 1) if k else None,
                "days": round(float(days), 1) if k and days is not None else None,
            }
        )
        previous = n
    return figures


def report(actor, p: Params) -> Table:
    cells = figures(actor, p)
    if p.by == "none":
        stages = _stage_figures(cells, "all")
        rows = [{"key": f"all:{k}", **f} for k, f in enumerate(stages)]
        columns = [
            Column("stage", "Stage", "text"),
            Column("count", "People", "int", drill=True),
            Column("rate", "Conversion from the stage before (%)", "pct"),
            Column("days", "Median days from the stage before", "days"),
        ]
        chart = bar_chart([f["stage"] for f in stages], {"People": [f["count"] for f in stages]})
        return Table("Funnel", columns, rows, chart=chart, notes=[MODES[p.mode]])
    labels = _group_labels(p.by)
    groups = sorted(cells, key=lambda g: str(labels.get(g, g or "")))
    columns = [Column("group", GROUPS[p.by], "text")]
    for k, stage in enumerate(STAGES):
        columns.append(Column(f"count_{k}", stage.label, "int", drill=True))
        if k:
            columns.append(Column(f"rate_{k}", f"→ {stage.label} (%)", "pct"))
            columns.append(Column(f"days_{k}", f"→ {stage.label} (median days)", "days"))
    rows = []
    for g in groups:
        row = {"key": g if g is not None else "", "group": labels.get(g, g or "(no program)")}
        for k, f in enumerate(_stage_figures(cells, g)):
            row[f"count_{k}"] = f["count"]
            if k:
                row[f"rate_{k}"], row[f"days_{k}"] = f["rate"], f["days"]
        rows.append(row)
    chart = bar_chart(
        [r["group"] for r in rows],
        {s.label: [r[f"count_{k}"] for r in rows] for k, s in enumerate(STAGES)},
    )
    return Table(
        f"Funnel by {GROUPS[p.by].lower()}", columns, rows, chart=chart, notes=[MODES[p.mode]]
    )


def drill(actor, p: Params, row: str, column: str) -> tuple[str, list[int]]:
    """The people behind one count."""
    if p.by == "none":
        k = int(row.split(":")[1]) if ":" in row and row.split(":")[1].isdigit() else 0
        group = "all"
    else:
        tail = column.rsplit("_", 1)[-1]
        k = int(tail) if column.startswith("count_") and tail.isdigit() else 0
        group = _row_group(row, p.by)
        if p.by == "segment":
            segment = Segment.objects.filter(pk=group).first() if group is not None else None
            if segment is None:
                return "people", []
            p, group = replace(p, by="none", segment=segment), "all"
    k = min(k, len(STAGES) - 1)
    text, params = _reach_sql(actor, p)
    cond, cond_params = _counted(p, k)
    where = "r.g IS NULL" if group is None else "r.g = %s"
    text += f" SELECT r.id FROM r WHERE {where} AND {cond} ORDER BY r.id"  # noqa: S608
    params += ([] if group is None else [group]) + cond_params
    with replica.reading().cursor() as cursor:
        cursor.execute(text, params)
        return "people", [pk for (pk,) in cursor.fetchall()]


def _row_group(row: str, by: str):
    if by in ("program", "segment"):
        return int(row) if row.isdigit() else None
    return row or None
