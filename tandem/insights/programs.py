"""The program scorecard of a period, by DOMAIN.md's definitions, for every program.

Leads are the people whose first touch came from the program in the period; MQLs, SQLs and
customers are those leads that reached the stage (or a later one) by today. Cost is the program's
cost entries dated in the period. Revenue is the won revenue of the period attributed to the
program by the chosen model, and ROI = (attributed won revenue − cost) / cost."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import alongside, periods
from tandem.insights import attribution, attribution_report
from tandem.insights.models import Reach
from tandem.insights.tables import Column, Table, bar_chart, ratio
from tandem.marketing.models import Program, ProgramCost

LATER = {
    "mqls": [
        LifecycleStage.MQL,
        LifecycleStage.SAL,
        LifecycleStage.SQL,
        LifecycleStage.OPPORTUNITY,
        LifecycleStage.CUSTOMER,
    ],
    "sqls": [LifecycleStage.SQL, LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER],
    "customers": [LifecycleStage.CUSTOMER],
}


@dataclass
class Params:
    since: date
    until: date
    model: str = "linear"


def _leads(p: Params):
    start, end = periods.days(p.since, p.until)
    return Person.objects.filter(
        first_touch_at__gte=start, first_touch_at__lt=end, source_program__isnull=False
    )


def reached(leads) -> dict[int, dict]:
    """Source program id → how many of these leads there are and how many of them reached MQL,
    SQL and customer, each counting a later stage too (the funnel never widens)."""
    out = {
        program: {"leads": n, "mqls": 0, "sqls": 0, "customers": 0}
        for program, n in leads.values_list("source_program_id").annotate(n=Count("pk"))
    }
    counted = (
        LifecycleTransition.objects.filter(person__in=leads, to_stage__in=LATER["mqls"])
        .values_list("person__source_program_id")
        .annotate(
            **{
                name: Count("person_id", distinct=True, filter=Q(to_stage__in=stages))
                for name, stages in LATER.items()
            }
        )
    )
    for program, *counts in counted:
        out[program].update(zip(LATER, counts, strict=True))
    return out


def reached_in(p: Params) -> dict[int, dict]:
    """reached() for the leads of the period, from insights_reach in one grouped pass: the
    table already holds each person's source program, first touch and first time at each
    stage (the transitions joined back to every person cost 20 times more at 1M people)."""
    start, end = periods.days(p.since, p.until)
    later = {name: Q() for name in LATER}
    for name, stages in LATER.items():
        for stage in stages:
            later[name] |= Q(**{f"{stage}_at__isnull": False})
    rows = (
        Reach.objects.filter(
            first_touch_at__gte=start, first_touch_at__lt=end, source_program_id__isnull=False
        )
        .values_list("source_program_id")
        .annotate(leads=Count("pk"), **{n: Count("pk", filter=q) for n, q in later.items()})
    )
    return {
        program: {"leads": leads, **dict(zip(LATER, counts, strict=True))}
        for program, leads, *counts in rows
    }


def figures(p: Params, *, attributed: bool = True) -> dict[int, dict]:
    """program id → its figures for the period."""
    out: dict[int, dict] = {}

    def cell(program):
        return out.setdefault(
            program, {"leads": 0, "mqls": 0, "sqls": 0, "customers": 0, "cost": Decimal(0)}
        )

    revenue = {}
    if attributed:  # a plan's targets need no revenue by program: it skips the journeys
        period = attribution_report.Params(p.since, p.until, "won", "program")
        revenue, reached = alongside.both(
            lambda: attribution_report.program_values(period, p.model), lambda: reached_in(p)
        )
    else:
        reached = reached_in(p)
    for program, counts in reached.items():
        cell(program).update(counts)
    spent = (
        ProgramCost.objects.filter(incurred_on__gte=p.since, incurred_on__lte=p.until)
        .values_list("program_id")
        .annotate(total=Sum("amount"))
    )
    for program, total in spent:
        cell(program)["cost"] = total
    for program, (deals, value) in revenue.items():
        if deals or program in out:
            c = cell(program)
            c["won_deals"], c["revenue"] = deals, value
    for c in out.values():
        cost, leads_n = c["cost"], c["leads"]
        c.setdefault("won_deals", 0.0)
        c.setdefault("revenue", 0.0)
        c["cpl"] = ratio(cost, leads_n)
        c["cost_per_mql"] = ratio(cost, c["mqls"])
        c["mql_rate"] = ratio(c["mqls"], leads_n, 100, 1)
        c["sql_rate"] = ratio(c["sqls"], leads_n, 100, 1)
        c["customer_rate"] = ratio(c["customers"], leads_n, 100, 1)
        c["roi"] = ratio(c["revenue"] - float(cost), cost, 100, 1)
    return out


COLUMNS = [
    Column("program", "Program", "text"),
    Column("channel", "Channel", "text"),
    Column("leads", "Leads", "int", drill=True),
    Column("mqls", "MQLs", "int", drill=True),
    Column("mql_rate", "Lead → MQL (%)", "pct"),
    Column("sqls", "SQLs", "int", drill=True),
    Column("sql_rate", "Lead → SQL (%)", "pct"),
    Column("customers", "Customers", "int", drill=True),
    Column("customer_rate", "Lead → customer (%)", "pct"),
    Column("cost", "Cost", "money", drill=True),
    Column("cpl", "Cost per lead", "money"),
    Column("cost_per_mql", "Cost per MQL", "money"),
    Column("revenue", "Attributed won revenue", "money", drill=True),
    Column("roi", "ROI (%)", "pct"),
]


def report(actor, p: Params, *, attributed: bool = True) -> Table:
    """The scorecard; without attribution, no revenue or ROI columns (and no journeys read)."""
    data = figures(p, attributed=attributed)
    programs = Program.objects.filter(pk__in=list(data)).order_by("name")
    rows = []
    unshown = () if attributed else ("won_deals", "revenue", "roi")  # none computed
    for program in programs:
        figures_ = {k: v for k, v in data[program.pk].items() if k not in unshown}
        rows.append(
            {
                "key": str(program.pk),
                "program": program.name,
                "channel": program.get_channel_display(),
                **figures_,
            }
        )
    notes = [f"Revenue attributed by the {attribution.LABELS[p.model].lower()} model."]
    columns = COLUMNS
    if not attributed:
        notes, columns = [], [c for c in COLUMNS if c.key not in ("revenue", "roi")]
    chart = bar_chart(
        [r["program"] for r in rows],
        {"Leads": [r["leads"] for r in rows], "MQLs": [r["mqls"] for r in rows]},
    )
    return Table("Program scorecard", columns, rows, notes=notes, chart=chart)


def card(actor, p: Params) -> Table:
    """The Insights card: its chart shows leads and MQLs per program, so the revenue's
    attribution (the journeys of every deal of the period) is not computed for it."""
    return report(actor, p, attributed=False)


def drill(actor, p: Params, row: str, column: str) -> tuple[str, list[int]]:
    if not row.isdigit():
        return "people", []
    program = int(row)
    if column == "cost":
        ids = ProgramCost.objects.filter(
            program_id=program, incurred_on__gte=p.since, incurred_on__lte=p.until
        )
        return "costs", list(ids.order_by("incurred_on", "pk").values_list("pk", flat=True))
    if column == "revenue":
        return attribution_report.drill(
            actor, attribution_report.Params(p.since, p.until, "won", "program"), row, column
        )
    leads = _leads(p).filter(source_program_id=program)
    if column in LATER:
        leads = leads.filter(
            pk__in=LifecycleTransition.objects.filter(to_stage__in=LATER[column]).values(
                "person_id"
            )
        )
    return "people", list(leads.order_by("pk").values_list("pk", flat=True))
