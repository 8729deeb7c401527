"""Plans: the Ought of a period, measured against the Is, with pace and a traffic light.

Is comes from the same functions the scorecards use, so a plan and a scorecard of the same
period never disagree. Cumulative metrics (leads, MQLs, cost, SQLs, revenue) are projected to the
period's end at the pace so far; rates and unit costs are projected as they stand."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone

from tandem.accounts.models import Team
from tandem.contacts.models import LifecycleStage, LifecycleTransition
from tandem.core import periods
from tandem.core.errors import Forbidden, Invalid
from tandem.insights import programs, reps
from tandem.insights.models import (
    CUMULATIVE,
    LOWER_IS_BETTER,
    PROGRAM_METRICS,
    SALES_METRICS,
    ControlAction,
    Metric,
    Plan,
    PlanKind,
    SalesCost,
    Target,
)
from tandem.insights.tables import ratio
from tandem.marketing.models import Program, ProgramCost

EDITORS = ("marketing_manager", "sales_manager", "admin")
SCOPE_METRICS = {
    "program": PROGRAM_METRICS,
    "team": SALES_METRICS,
    "rep": SALES_METRICS,
    "company": tuple(Metric),
}


def can_edit(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and (
        actor.is_superuser or actor.role in EDITORS
    )


def require_edit(actor) -> None:
    if not can_edit(actor):
        raise Forbidden("Only a manager sets plan targets and records control actions.")


def period_bounds(kind: str, start: date) -> tuple[date, date]:
    """The month or quarter that starts on `start` (which must be its first day)."""
    if kind == PlanKind.MONTH:
        if start.day != 1:
            raise Invalid("A monthly plan starts on the first of a month.", field="period_start")
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    elif kind == PlanKind.QUARTER:
        if start.day != 1 or start.month not in (1, 4, 7, 10):
            raise Invalid(
                "A quarterly plan starts on 1 January, April, July or October.",
                field="period_start",
            )
        following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    else:
        raise Invalid("A plan covers a month or a quarter.", field="kind")
    return start, following - timedelta(days=1)


def default_name(kind: str, start: date) -> str:
    if kind == PlanKind.MONTH:
        return f"Plan {start:%B %Y}"
    return f"Plan {start.year} Q{(start.month - 1) // 3 + 1}"


def plan_create(*, actor, kind: str, period_start: date, name: str = "") -> Plan:
    require_edit(actor)
    start, end = period_bounds(kind, period_start)
    try:
        with transaction.atomic():
            return Plan.objects.create(
                name=(name or default_name(kind, start))[:200],
                kind=kind,
                period_start=start,
                period_end=end,
                owner=actor,
            )
    except IntegrityError:
        raise Invalid("There is already a plan for that period.", field="period_start") from None


def next_plan(*, actor, plan: Plan) -> Plan:
    """The plan of the period after this one, created when missing."""
    start = plan.period_end + timedelta(days=1)
    found = Plan.objects.filter(kind=plan.kind, period_start=start).first()
    return found or plan_create(actor=actor, kind=plan.kind, period_start=start)


def previous_plan(plan: Plan) -> Plan | None:
    return (
        Plan.objects.filter(kind=plan.kind, period_end__lt=plan.period_start)
        .order_by("-period_start")
        .first()
    )


def _scope(program=None, team=None, rep=None) -> str:
    given = [
        name for name, v in (("program", program), ("team", team), ("rep", rep)) if v is not None
    ]
    if len(given) > 1:
        raise Invalid("A target is for the company, or one program, team or rep.")
    return given[0] if given else "company"


def target_set(
    *, actor, plan: Plan, metric: str, value, program=None, team=None, rep=None
) -> Target:
    require_edit(actor)
    scope = _scope(program, team, rep)
    if metric not in SCOPE_METRICS[scope]:
        raise Invalid(
            f"{Metric(metric).label if metric in Metric.values else metric!r} "
            f"is not a target for a {scope}.",
            field="metric",
        )
    try:
        value = Decimal(str(value))
    except Exception:
        raise Invalid("The target must be a number.", field="value") from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise Invalid("The target must be a number from 0 up.", field="value")
    target, _ = Target.objects.update_or_create(
        plan=plan, metric=metric, program=program, team=team, rep=rep, defaults={"value": value}
    )
    return target


def target_delete(*, actor, target: Target) -> None:
    require_edit(actor)
    target.delete()


def action_add(*, actor, plan: Plan, note: str, on: date | None = None) -> ControlAction:
    require_edit(actor)
    note = (note or "").strip()
    if not note:
        raise Invalid("Write what you decided.", field="note")
    if len(note) > 2000:
        raise Invalid("Keep the note under 2,000 characters.", field="note")
    return ControlAction.objects.create(
        plan=plan, note=note, on=on or timezone.localdate(), author=actor
    )


# --- the Is ---------------------------------------------------------------------------------


@dataclass
class Actuals:
    program: dict  # program id → programs.figures row
    rep: dict  # rep id → reps.plan_figures row
    new_customers: int
    marketing_cost: Decimal
    sales_cost: Decimal


def actuals(plan: Plan, *, model: str = "linear") -> Actuals:
    since, until = plan.period_start, plan.period_end
    start, end = periods.days(since, until)
    customers = (
        LifecycleTransition.objects.filter(to_stage=LifecycleStage.CUSTOMER)
        .values("person_id")
        .annotate(first=Min("at"))
        .filter(first__gte=start, first__lt=end)
        .count()
    )
    return Actuals(
        program=programs.figures(programs.Params(since, until, model), attributed=False),
        rep=reps.plan_figures(reps.Params(since, until)),
        new_customers=customers,
        marketing_cost=ProgramCost.objects.filter(
            incurred_on__gte=since, incurred_on__lte=until
        ).aggregate(t=Sum("amount"))["t"]
        or Decimal(0),
        sales_cost=SalesCost.objects.filter(
            incurred_on__gte=since, incurred_on__lte=until
        ).aggregate(t=Sum("amount"))["t"]
        or Decimal(0),
    )


def _sum(rows, key) -> float:
    return sum(float(r.get(key) or 0) for r in rows)


def _sales_is(metric: str, rows: list[dict]):
    if metric == Metric.SQLS_ACCEPTED:
        return _sum(rows, "sqls")
    if metric == Metric.REVENUE:
        return _sum(rows, "won_amount")
    won, lost = _sum(rows, "won"), _sum(rows, "lost")
    return ratio(won, won + lost, 100, 1)


def _marketing_is(metric: str, rows: list[dict]):
    leads, mqls, cost = _sum(rows, "leads"), _sum(rows, "mqls"), _sum(rows, "cost")
    return {
        Metric.LEADS: leads,
        Metric.MQLS: mqls,
        Metric.COST: cost,
        Metric.BUDGET: cost,
        Metric.COST_PER_LEAD: ratio(cost, leads),
        Metric.MQL_TO_SQL_RATE: ratio(_sum(rows, "sqls"), mqls, 100, 1),
    }[metric]


def is_value(target: Target, a: Actuals):
    metric = target.metric
    if target.program_id:
        return _marketing_is(metric, [a.program.get(target.program_id, {})])
    if target.rep_id:
        return _sales_is(metric, [a.rep.get(target.rep_id, {})])
    if target.team_id:
        members = target.team.members.values_list("pk", flat=True)
        return _sales_is(metric, [a.rep[m] for m in members if m in a.rep])
    if metric in SALES_METRICS:
        return _sales_is(metric, list(a.rep.values()))
    if metric == Metric.CAC:
        return ratio(a.marketing_cost + a.sales_cost, a.new_customers)
    return _marketing_is(metric, list(a.program.values()))


def pace(plan: Plan, today: date) -> float | None:
    """The share of the period gone by (None before it starts)."""
    total = (plan.period_end - plan.period_start).days + 1
    gone = (min(today, plan.period_end) - plan.period_start).days + 1
    return None if gone <= 0 else gone / total


def light(metric: str, projected, ought: Decimal) -> str:
    if projected is None:
        return "grey"
    ought = float(ought)
    if metric in LOWER_IS_BETTER:
        if projected <= ought:
            return "green"
        return "amber" if projected <= ought * 1.1 else "red"
    if projected >= ought:
        return "green"
    return "amber" if projected >= ought * 0.9 else "red"


UNITS = {
    **dict.fromkeys(
        (Metric.COST, Metric.COST_PER_LEAD, Metric.BUDGET, Metric.REVENUE, Metric.CAC), "money"
    ),
    **dict.fromkeys((Metric.MQL_TO_SQL_RATE, Metric.WIN_RATE), "pct"),
}


def measure(plan: Plan, *, today: date | None = None, model: str = "linear") -> list[dict]:
    today = today or timezone.localdate()
    share = pace(plan, today)
    a = actuals(plan, model=model)
    rows = []
    targets = plan.targets.select_related("program", "team", "rep").order_by(
        "program__name", "team__name", "rep__last_name", "metric"
    )
    for t in targets:
        value = None if share is None else is_value(t, a)
        projected = value
        if value is not None and t.metric in CUMULATIVE:
            projected = round(value / share, 2)
        variance = None if projected is None else round(projected - float(t.value), 2)
        rows.append(
            {
                "target": t,
                "scope": t.scope,
                "subject": t.program
                or t.team
                or (t.rep.get_full_name() if t.rep else None)
                or "Company",
                "metric": Metric(t.metric).label,
                "unit": UNITS.get(t.metric, "count"),
                "ought": t.value,
                "is": value,
                "projected": projected,
                "variance": variance,
                "variance_pct": ratio(variance, t.value, 100, 1) if variance is not None else None,
                "light": light(t.metric, projected, t.value),
            }
        )
    return rows


def subjects() -> dict:
    from django.contrib.auth import get_user_model

    return {
        "programs": Program.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "reps": get_user_model()
        .objects.filter(role__in=("sales_rep", "sales_manager"), is_active=True)
        .order_by("last_name", "first_name"),
    }
