"""The lifecycle funnel of a cohort or a period, by program, channel or segment.

A person reaches a stage when they first enter it or any stage after it (someone a rep turns
straight into an opportunity has passed MQL and SQL too), so the funnel never widens. Lead is
the first touch (DOMAIN.md: the leads of a program are the people whose first touch came from it).

- cohort: the people whose first touch fell in the period, followed to today;
- period: everyone counted at the stage they reached within the period.

Conversion is the share of the stage before; the time is the median of days from reaching the
stage before to reaching this one, over the people counted at this stage.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import access, periods
from tandem.insights.tables import Column, Table, bar_chart, median_or_none, ratio
from tandem.marketing import segments
from tandem.marketing.models import Channel, Program

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
GROUPS = {"none": "All", "program": "Program", "channel": "Channel"}


@dataclass
class Params:
    since: date
    until: date
    mode: str = "cohort"
    by: str = "none"
    segment: object = None  # a marketing Segment, or None


def _people(actor, p: Params):
    start, end = periods.days(p.since, p.until)
    people = Person.objects.all()
    if p.segment is not None:
        people = segments.people(p.segment.conditions, people)
    if not access.is_admin(actor) and access.function_of(actor) != "marketing":
        people = access.scope(actor, people, "person")
    if p.mode == "cohort":
        return people.filter(first_touch_at__gte=start, first_touch_at__lt=end)
    moved = LifecycleTransition.objects.filter(at__gte=start, at__lt=end, to_stage__in=STAGES)
    return people.filter(
        Q(first_touch_at__gte=start, first_touch_at__lt=end) | Q(pk__in=moved.values("person_id"))
    )


def reach_times(actor, p: Params) -> dict[int, tuple[object, list]]:
    """person → (source program id, [time each stage was reached, or None])."""
    people = _people(actor, p)
    found: dict[int, tuple[object, list]] = {}
    for pk, program, first in people.values_list("pk", "source_program_id", "first_touch_at"):
        found[pk] = (program, [first, None, None, None, None, None])
    rows = LifecycleTransition.objects.filter(
        person_id__in=people.values("pk"), to_stage__in=STAGES
    ).values_list("person_id", "to_stage", "at")
    for person, stage, at in rows.iterator(chunk_size=50_000):
        times = found[person][1]
        k = INDEX[stage]
        if times[k] is None or at < times[k]:
            times[k] = at
    for _, times in found.values():  # reaching a later stage passes the ones before it
        for k in range(len(STAGES) - 2, -1, -1):
            later = times[k + 1]
            if later is not None and (times[k] is None or later < times[k]):
                times[k] = later
    return found


def _group_labels(by: str) -> dict:
    if by == "program":
        return dict(Program.objects.values_list("pk", "name"))
    return dict(Channel.choices)


def counted(actor, p: Params) -> dict[tuple, dict[int, list]]:
    """(group, stage index) → the people counted there, each with their reach times."""
    start, end = periods.days(p.since, p.until)
    channel_of = dict(Program.objects.values_list("pk", "channel")) if p.by == "channel" else {}
    cells: dict[tuple, dict[int, list]] = defaultdict(dict)
    for person, (program, times) in reach_times(actor, p).items():
        group = (
            program
            if p.by == "program"
            else channel_of.get(program)
            if p.by == "channel"
            else "all"
        )
        for k, at in enumerate(times):
            if at is None or (p.mode == "period" and not _within(at, start, end)):
                continue
            cells[(group, k)][person] = times
    return cells


def _within(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def _stage_figures(cells, group) -> list[dict]:
    figures, previous = [], None
    for k, stage in enumerate(STAGES):
        people = cells.get((group, k), {})
        days = [
            (t[k] - t[k - 1]).total_seconds() / 86400
            for t in people.values()
            if k and t[k - 1] is not None
        ]
        figures.append(
            {
                "stage": stage.label,
                "count": len(people),
                "rate": ratio(len(people), previous, 100, 1) if k else None,
                "days": median_or_none(days) if k else None,
            }
        )
        previous = len(people)
    return figures


def report(actor, p: Params) -> Table:
    cells = counted(actor, p)
    if p.by == "none":
        figures = _stage_figures(cells, "all")
        rows = [{"key": f"all:{k}", **f} for k, f in enumerate(figures)]
        columns = [
            Column("stage", "Stage", "text"),
            Column("count", "People", "int", drill=True),
            Column("rate", "Conversion from the stage before (%)", "pct"),
            Column("days", "Median days from the stage before", "days"),
        ]
        chart = bar_chart([f["stage"] for f in figures], {"People": [f["count"] for f in figures]})
        return Table("Funnel", columns, rows, chart=chart, notes=[MODES[p.mode]])
    labels = _group_labels(p.by)
    groups = sorted({g for g, _ in cells}, key=lambda g: str(labels.get(g, g or "")))
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
    cells = counted(actor, p)
    if p.by == "none":
        k = int(row.split(":")[1]) if ":" in row else 0
        group = "all"
    else:
        k = int(column.rsplit("_", 1)[1]) if column.startswith("count_") else 0
        group = _row_group(row, p.by)
    return "people", sorted(cells.get((group, k), {}))


def _row_group(row: str, by: str):
    if by == "program":
        return int(row) if row.isdigit() else None
    return row or None
