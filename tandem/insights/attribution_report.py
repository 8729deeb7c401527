"""Six attribution models side by side, per program or channel, with attributed revenue and ROI.

ROI = (attributed won revenue − cost) / cost (DOMAIN.md), cost being the programs' cost entries
dated in the period. With SQLs as the outcome each SQL is worth 1, so the figures are attributed
SQLs and the cost per attributed SQL replaces ROI."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.db.models import Sum

from tandem.insights import attribution, journeys
from tandem.insights.tables import Column, Table, bar_chart, ratio
from tandem.marketing.models import Program, ProgramCost

DEFAULT_HALF_LIFE = 7


@dataclass
class Params:
    since: date
    until: date
    outcome: str = "won"
    dimension: str = "program"
    half_life_days: float = DEFAULT_HALF_LIFE


@dataclass
class Result:
    labels: list  # (key, label) per state
    conversions: dict  # model → array per state
    value: dict  # model → array per state
    removal_effects: np.ndarray
    outcomes: int  # converting journeys
    unattributed: int  # converting journeys without a single program touch
    unattributed_value: float
    journeys: int  # converting and not


def outcomes_for(p: Params) -> journeys.Outcomes:
    if p.outcome == "sql":
        return journeys.sql_outcomes(p.since, p.until)
    return journeys.won_outcomes(p.since, p.until)


def compute(p: Params, models=attribution.MODELS) -> Result:
    """The attribution of the period under `models` (all six by default). Without Markov, the
    journeys that did not convert are not even read: the rule-based models give them nothing."""
    found = outcomes_for(p)
    if "markov" not in models:
        found = journeys.converting(found)
    built, labels, empty = journeys.journeys(found, p.dimension)
    conv, val, effects = {}, {}, np.zeros(len(labels))
    for model in models:
        if model == "markov":
            conv[model], val[model], effects = attribution.markov(built)
        else:
            conv[model], val[model] = attribution.rule_based(built, model, p.half_life_days)
    converted = np.array(found.converted, dtype=bool)
    return Result(
        labels=labels,
        conversions=conv,
        value=val,
        removal_effects=effects,
        outcomes=int(converted.sum()),
        unattributed=int((converted & empty).sum()),
        unattributed_value=float(np.array(found.value)[converted & empty].sum()),
        journeys=len(found.keys),
    )


def costs(p: Params) -> dict[str, Decimal]:
    """Cost in the period per state key (a program id as text, or a channel)."""
    field = "program__channel" if p.dimension == "channel" else "program_id"
    rows = (
        ProgramCost.objects.filter(incurred_on__gte=p.since, incurred_on__lte=p.until)
        .values_list(field)
        .annotate(total=Sum("amount"))
    )
    return {str(key): total for key, total in rows}


def report(actor, p: Params) -> Table:
    r = compute(p)
    spend = costs(p)
    won = p.outcome == "won"
    columns = [
        Column("label", journeys.DIMENSIONS[p.dimension], "text"),
        Column("cost", "Cost", "money"),
    ]
    for model in attribution.MODELS:
        name = attribution.LABELS[model]
        if won:
            columns.append(Column(f"{model}_value", f"{name}: revenue", "money", drill=True))
            columns.append(Column(f"{model}_roi", f"{name}: ROI (%)", "pct"))
        else:
            columns.append(Column(f"{model}_value", f"{name}: SQLs", "num", drill=True))
            columns.append(Column(f"{model}_cps", f"{name}: cost per SQL", "money"))
    columns.append(Column("removal_effect", "Removal effect (%)", "pct"))
    rows = []
    for i, (key, label) in enumerate(r.labels):
        cost = spend.get(key, Decimal(0))
        if not cost and not any(r.conversions[m][i] for m in attribution.MODELS):
            continue
        row = {"key": key, "label": label, "cost": cost}
        for model in attribution.MODELS:
            value = float(r.value[model][i])
            row[f"{model}_value"] = round(value, 2)
            if won:
                row[f"{model}_roi"] = ratio(value - float(cost), cost, 100, 1)
            else:
                row[f"{model}_cps"] = ratio(cost, value, 1, 2)
        row["removal_effect"] = round(100 * float(r.removal_effects[i]), 2)
        rows.append(row)
    notes = [
        f"{r.outcomes:,} {journeys.OUTCOMES[p.outcome].lower()} in the period; "
        f"{r.journeys - r.outcomes:,} journeys that did not convert feed the Markov model.",
        f"Time decay half-life: {p.half_life_days:g} days.",
    ]
    if r.unattributed:
        what = f"worth {r.unattributed_value:,.2f}" if won else ""
        notes.append(
            f"{r.unattributed:,} had no program touch before the outcome {what}: not attributed."
        )
    chart = bar_chart(
        [row["label"] for row in rows],
        {attribution.LABELS[m]: [row[f"{m}_value"] for row in rows] for m in attribution.MODELS},
        format="money" if won else "number",
    )
    return Table(
        f"Attribution of {journeys.OUTCOMES[p.outcome].lower()}",
        columns,
        rows,
        notes=notes,
        chart=chart,
    )


def drill(actor, p: Params, row: str, column: str) -> tuple[str, list[int]]:
    """The outcomes whose journey touched this program or channel before the outcome."""
    found = outcomes_for(p)
    built, labels, _ = journeys.journeys(found, p.dimension)
    keys = [k for k, _ in labels]
    if row not in keys:
        return ("opportunities" if p.outcome == "won" else "people"), []
    state = keys.index(row)
    hits = []
    for j, key in enumerate(found.keys):
        if found.converted[j] and state in built.states[built.offsets[j] : built.offsets[j + 1]]:
            hits.append(key)
    return ("opportunities" if p.outcome == "won" else "people"), hits


def program_values(p: Params, model: str) -> dict[int, tuple[float, float]]:
    """program id → (attributed conversions, attributed value) under one model."""
    r = compute(Params(p.since, p.until, p.outcome, "program", p.half_life_days), (model,))
    return {
        int(key): (float(r.conversions[model][i]), float(r.value[model][i]))
        for i, (key, _) in enumerate(r.labels)
    }


def program_names() -> dict[int, str]:
    return dict(Program.objects.values_list("pk", "name"))
