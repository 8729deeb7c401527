"""The rep scorecard of a period, by DOMAIN.md's definitions.

- SQLs accepted: handoffs the rep accepted in the period; sales conversion is the share of those
  people who became a won opportunity of the rep's.
- Win rate = won / (won + lost) opportunities closed in the period.
- Sales cycle = mean days from creation to close of those closed opportunities.
- Quota attainment = closed-won amount in the period / the rep's quotas that lie in the period.
- Pipeline velocity = open opportunities × win rate × average won amount / average cycle days.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Sum

from tandem.core import access, periods
from tandem.handoff.models import Handoff, HandoffStatus
from tandem.insights.tables import Column, Table, bar_chart, ratio
from tandem.sales.models import Activity, Opportunity, Quota, StageKind

ACCEPTED = (HandoffStatus.ACCEPTED, HandoffStatus.CONVERTED)


@dataclass
class Params:
    since: date
    until: date


def _scoped(actor, queryset, resource: str):
    """What the actor may read; everything for None (a plan measures the whole company)."""
    return queryset if actor is None else access.scope(actor, queryset, resource)


def _opps(actor):
    return _scoped(actor, Opportunity.objects.all(), "opportunity")


def accepted_handoffs(actor, p: Params):
    start, end = periods.days(p.since, p.until)
    return _scoped(actor, Handoff.objects.all(), "handoff").filter(
        status__in=ACCEPTED, decided_at__gte=start, decided_at__lt=end
    )


def _won_by_rep():
    return Opportunity.objects.filter(
        person_id=OuterRef("person_id"), owner_id=OuterRef("rep_id"), stage__kind=StageKind.WON
    )


def closed(actor, p: Params):
    start, end = periods.days(p.since, p.until)
    return _opps(actor).filter(
        closed_at__gte=start, closed_at__lt=end, stage__kind__in=(StageKind.WON, StageKind.LOST)
    )


def figures(actor, p: Params) -> dict[int, dict]:
    out: dict[int, dict] = {}

    def cell(rep):
        return out.setdefault(
            rep,
            {
                "sqls": 0,
                "sqls_won": 0,
                "won": 0,
                "lost": 0,
                "won_amount": Decimal(0),
                "cycle_days_total": 0.0,
                "open": 0,
                "open_amount": Decimal(0),
                "quota": None,
                "activities": 0,
            },
        )

    handoffs = accepted_handoffs(actor, p).annotate(won=Exists(_won_by_rep()))
    for rep, won, n in handoffs.values_list("rep_id", "won").annotate(n=Count("pk")):
        c = cell(rep)
        c["sqls"] += n
        c["sqls_won"] += n if won else 0
    grouped = (  # one row per rep and outcome: the database sums, Python does not loop
        closed(actor, p)
        .values_list("owner_id", "stage__kind")
        .annotate(n=Count("pk"), total=Sum("amount"), cycle=Sum(F("closed_at") - F("created_at")))
    )
    for rep, kind, n, total, cycle in grouped:
        c = cell(rep)
        c["won" if kind == StageKind.WON else "lost"] += n
        c["cycle_days_total"] += cycle.total_seconds() / 86400 if cycle else 0.0
        if kind == StageKind.WON:
            c["won_amount"] += total or 0
    open_rows = (
        _opps(actor)
        .filter(stage__kind=StageKind.OPEN)
        .values_list("owner_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    for rep, n, total in open_rows:
        c = cell(rep)
        c["open"], c["open_amount"] = n, total or Decimal(0)
    quotas = Quota.objects.filter(
        user_id__in=list(out), period_start__gte=p.since, period_end__lte=p.until
    )
    for rep, total in quotas.values_list("user_id").annotate(total=Sum("amount")):
        cell(rep)["quota"] = total
    start, end = periods.days(p.since, p.until)
    done = _scoped(actor, Activity.objects.all(), "activity").filter(
        done_at__gte=start, done_at__lt=end
    )
    for rep, n in done.values_list("owner_id").annotate(n=Count("pk")):
        if rep in out:
            out[rep]["activities"] = n
    for c in out.values():
        closed_n = c["won"] + c["lost"]
        c["conversion"] = ratio(c["sqls_won"], c["sqls"], 100, 1)
        c["win_rate"] = ratio(c["won"], closed_n, 100, 1)
        c["cycle_days"] = ratio(c["cycle_days_total"], closed_n, 1, 1)
        c["avg_won"] = ratio(c["won_amount"], c["won"])
        c["attainment"] = ratio(c["won_amount"], c["quota"], 100, 1)
        c["velocity"] = _velocity(c)
    return out


def plan_figures(p: Params) -> dict[int, dict]:
    """What a plan reads per rep — SQLs accepted, won, lost, won amount — for the whole
    company, in two grouped queries (the scorecard's figures also walk every closed deal)."""
    out: dict[int, dict] = {}

    def cell(rep):
        return out.setdefault(rep, {"sqls": 0, "won": 0, "lost": 0, "won_amount": Decimal(0)})

    for rep, n in accepted_handoffs(None, p).values_list("rep_id").annotate(n=Count("pk")):
        cell(rep)["sqls"] = n
    rows = (
        closed(None, p)
        .values_list("owner_id", "stage__kind")
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    for rep, kind, n, total in rows:
        c = cell(rep)
        if kind == StageKind.WON:
            c["won"], c["won_amount"] = n, total or Decimal(0)
        else:
            c["lost"] = n
    return out


def _velocity(c: dict) -> float | None:
    """Expected won revenue a day from the open pipeline."""
    if not c["open"] or not c["won"] or not c["cycle_days"]:
        return None
    rate = c["won"] / (c["won"] + c["lost"])
    return round(c["open"] * rate * float(c["avg_won"]) / c["cycle_days"], 2)


COLUMNS = [
    Column("rep", "Rep", "text"),
    Column("sqls", "SQLs accepted", "int", drill=True),
    Column("sqls_won", "SQLs won", "int", drill=True),
    Column("conversion", "Sales conversion (%)", "pct"),
    Column("won", "Won", "int", drill=True),
    Column("lost", "Lost", "int", drill=True),
    Column("win_rate", "Win rate (%)", "pct"),
    Column("won_amount", "Won revenue", "money", drill=True),
    Column("quota", "Quota", "money"),
    Column("attainment", "Attainment (%)", "pct"),
    Column("cycle_days", "Sales cycle (days)", "days"),
    Column("avg_won", "Average won deal", "money"),
    Column("open", "Open deals", "int", drill=True),
    Column("open_amount", "Open pipeline", "money"),
    Column("velocity", "Pipeline velocity (a day)", "money"),
    Column("activities", "Activities done", "int"),
]


def report(actor, p: Params) -> Table:
    data = figures(actor, p)
    users = (
        get_user_model()
        .objects.filter(pk__in=list(data))
        .order_by("last_name", "first_name", "username")
    )
    rows = [{"key": str(u.pk), "rep": u.get_full_name() or u.username, **data[u.pk]} for u in users]
    chart = bar_chart(
        [r["rep"] for r in rows],
        {"Won revenue": [r["won_amount"] for r in rows], "Quota": [r["quota"] for r in rows]},
        format="money",
    )
    return Table("Rep scorecard", COLUMNS, rows, chart=chart)


def drill(actor, p: Params, row: str, column: str) -> tuple[str, list[int]]:
    if not row.isdigit():
        return "opportunities", []
    rep = int(row)
    if column in ("sqls", "sqls_won"):
        handoffs = accepted_handoffs(actor, p).filter(rep_id=rep)
        if column == "sqls_won":
            handoffs = handoffs.filter(Exists(_won_by_rep()))
        return "people", sorted(set(handoffs.values_list("person_id", flat=True)))
    if column == "open":
        opps = _opps(actor).filter(owner_id=rep, stage__kind=StageKind.OPEN)
    else:
        kind = StageKind.LOST if column == "lost" else StageKind.WON
        opps = closed(actor, p).filter(owner_id=rep, stage__kind=kind)
    return "opportunities", list(opps.order_by("pk").values_list("pk", flat=True))
