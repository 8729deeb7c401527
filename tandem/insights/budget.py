"""A budget proposal: move money toward the programs with the higher marginal attributed ROI.

Each program's attributed revenue R at its spend s is taken to follow a curve of diminishing
returns, R(x) = R · (x / s)^b with b = 1/2: doubling a program's spend brings about 41 % more,
not 100 %. The marginal return of a program is then b · R(x) / x. The proposal keeps the total the
same (or the total the marketer gives) and spends it where the marginal returns are equal, within
each program's minimum and maximum (the usual water-filling): x_i = clamp((b·k_i/λ)^(1/(1−b)),
min_i, max_i) with k_i = R / s^b, and λ found by bisection. A program with no spend in the period
has no curve to read, so it keeps its minimum."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from tandem.core.errors import Forbidden, Invalid
from tandem.insights import attribution, attribution_report, plans
from tandem.insights.models import BudgetBound, Metric, Plan
from tandem.insights.tables import Column, Table, bar_chart, ratio
from tandem.marketing.models import Program

ELASTICITY = 0.5
CENT = Decimal("0.01")


@dataclass
class Params:
    plan: Plan  # the period the evidence comes from; accepting writes the next period's plan
    model: str = "markov"
    total: Decimal | None = None  # what to spend next period; default: what was spent


def _bounds() -> dict[int, tuple[float, float | None]]:
    return {
        b.program_id: (float(b.minimum), None if b.maximum is None else float(b.maximum))
        for b in BudgetBound.objects.all()
    }


def allocate(
    curves: dict[int, tuple[float, float]], bounds: dict, total: float
) -> dict[int, float]:
    """program → spend. `curves` holds (spend, attributed revenue) per program."""

    def lo(i):
        return bounds.get(i, (0.0, None))[0]

    def hi(i):
        top = bounds.get(i, (0.0, None))[1]
        return float("inf") if top is None else top

    k = {i: (r / s**ELASTICITY if s > 0 and r > 0 else 0.0) for i, (s, r) in curves.items()}

    def spend(i, lam):
        if k[i] <= 0:
            return lo(i)
        x = (ELASTICITY * k[i] / lam) ** (1 / (1 - ELASTICITY))
        return min(max(x, lo(i)), hi(i))

    def spent(lam):
        return sum(spend(i, lam) for i in curves)

    low, high = 1e-12, 1e12  # spent() falls as λ grows
    if spent(high) >= total:  # even the minimums exceed the total
        return {i: lo(i) for i in curves}
    if spent(low) <= total:  # every maximum reached (or no curve at all)
        return {i: spend(i, low) for i in curves}
    for _ in range(200):
        mid = (low * high) ** 0.5
        if spent(mid) > total:
            low = mid
        else:
            high = mid
    return {i: spend(i, high) for i in curves}


def propose(p: Params) -> list[dict]:
    period = attribution_report.Params(p.plan.period_start, p.plan.period_end, "won", "program")
    values = attribution_report.program_values(period, p.model)
    costs = attribution_report.costs(period)
    bounds = _bounds()
    ids = {int(k) for k in costs} | {i for i, (_, v) in values.items() if v} | set(bounds)
    curves = {i: (float(costs.get(str(i), 0)), values.get(i, (0.0, 0.0))[1]) for i in ids}
    total = float(p.total) if p.total is not None else sum(s for s, _ in curves.values())
    proposed = allocate(curves, bounds, total)
    names = dict(Program.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = []
    for i in sorted(ids, key=lambda i: names.get(i, "")):
        spend, revenue = curves[i]
        new = Decimal(str(proposed[i])).quantize(CENT, ROUND_HALF_UP)
        low, high = bounds.get(i, (0.0, None))
        rows.append(
            {
                "key": str(i),
                "program": names.get(i, f"#{i}"),
                "cost": Decimal(str(spend)).quantize(CENT),
                "revenue": round(revenue, 2),
                "roi": ratio(revenue - spend, spend, 100, 1),
                "marginal": ratio(ELASTICITY * revenue, spend, 1, 3),
                "minimum": low,
                "maximum": high,
                "proposed": new,
                "change": new - Decimal(str(spend)).quantize(CENT),
            }
        )
    return rows


COLUMNS = [
    Column("program", "Program", "text"),
    Column("cost", "Spent in the period", "money"),
    Column("revenue", "Attributed won revenue", "money", drill=True),
    Column("roi", "ROI (%)", "pct"),
    Column("marginal", "Marginal return per 1 spent", "num"),
    Column("minimum", "Minimum", "money"),
    Column("maximum", "Maximum", "money"),
    Column("proposed", "Proposed budget", "money"),
    Column("change", "Change", "money"),
]


def report(actor, p: Params) -> Table:
    rows = propose(p)
    notes = [
        f"Evidence: {p.plan.period_start} to {p.plan.period_end}, revenue attributed by the "
        f"{attribution.LABELS[p.model].lower()} model; "
        f"diminishing returns with exponent {ELASTICITY}.",
    ]
    chart = bar_chart(
        [r["program"] for r in rows],
        {"Spent": [r["cost"] for r in rows], "Proposed": [r["proposed"] for r in rows]},
        format="money",
    )
    return Table("Budget proposal", COLUMNS, rows, notes=notes, chart=chart)


def drill(actor, p: Params, row: str, column: str):
    period = attribution_report.Params(p.plan.period_start, p.plan.period_end, "won", "program")
    return attribution_report.drill(actor, period, row, column)


def accept(*, actor, p: Params) -> Plan:
    """Write the proposal as the next period's budget targets, in one transaction."""
    plans.require_edit(actor)
    rows = propose(p)
    if not rows:
        raise Invalid("There is nothing to propose: no program had cost or attributed revenue.")
    with transaction.atomic():
        target = plans.next_plan(actor=actor, plan=p.plan)
        programs = Program.objects.in_bulk([int(r["key"]) for r in rows])
        for r in rows:
            plans.target_set(
                actor=actor,
                plan=target,
                metric=Metric.BUDGET,
                value=r["proposed"],
                program=programs[int(r["key"])],
            )
        plans.action_add(
            actor=actor,
            plan=target,
            note=f"Budget proposal accepted from {p.plan.name} ({attribution.LABELS[p.model]}): "
            f"{len(rows)} programs, total {sum(r['proposed'] for r in rows):,.2f}.",
        )
    return target


def bound_set(*, actor, program: Program, minimum, maximum) -> BudgetBound:
    if (
        actor.role not in ("marketer", "marketing_manager")
        and not actor.is_superuser
        and actor.role != "admin"
    ):
        raise Forbidden("Marketing sets a program's budget bounds.")
    try:
        low = Decimal(str(minimum or 0))
        high = None if maximum in (None, "") else Decimal(str(maximum))
    except Exception:
        raise Invalid("Bounds must be numbers.", field="minimum") from None
    if (
        not low.is_finite()
        or low < 0
        or (high is not None and (not high.is_finite() or high < low))
    ):
        raise Invalid(
            "The minimum must be 0 or more and the maximum not below it.", field="maximum"
        )
    bound, _ = BudgetBound.objects.update_or_create(
        program=program, defaults={"minimum": low, "maximum": high}
    )
    return bound
