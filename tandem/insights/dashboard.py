"""The Insights home: a card per report the reader may open, its chart drawn over the default
period (the last 90 days) for the reports that are quick to run, and the funnel's figures on
tiles. Attribution and the budget proposal open on their own pages: they take a model or a
plan to choose first."""

from django.urls import reverse
from django.utils.http import urlencode

from tandem.core.errors import DomainError, NotFound
from tandem.insights import reports

ABOUT = {
    "funnel": "People who reached each lifecycle stage, and the conversion from the stage before.",
    "programs": "Leads, MQLs, customers, cost and ROI of each program.",
    "reps": "Each rep's SQLs, win rate, won revenue against quota, cycle and velocity.",
    "attribution": "Credit for won deals or new MQLs, by program or channel, under six models.",
    "budget": "Next period's budget per program from what each one returned, within bounds.",
    "voc": "Why deals were won or lost: reasons, objections and competitors.",
}
ASK = {  # what a report without a chart here asks for first
    "attribution": "Choose the outcome (won revenue or new MQLs), the model and the period.",
    "budget": "Choose a plan: each program's proposed budget and the moves behind it.",
}
DRAWN = ("funnel", "programs", "reps", "voc")  # quick enough to draw on the dashboard


def _visible(actor) -> list:
    out = []
    for report in reports.REPORTS.values():
        try:
            reports.get(actor, report.name)
        except DomainError:
            continue
        out.append(report)
    return out


def context(actor) -> dict:
    """The dashboard's frame: a card per report the actor may open. The charts come one card
    at a time (card() below, fetched by each card as the page loads), so the page answers at
    once however large the workspace."""
    cards = []
    for report in _visible(actor):
        drawn = report.name in DRAWN
        cards.append({
            "name": report.name,
            "title": report.title,
            "about": ABOUT.get(report.name, ""),
            "url": reverse("insights:report", args=[report.name]),
            "card_url": reverse("insights:card", args=[report.name]) if drawn else "",
            "ask": ASK.get(report.name, ""),
        })  # fmt: skip
    return {
        "cards": cards,
        "has_charts": any(c["card_url"] for c in cards),
        "has_funnel": any(c["name"] == "funnel" for c in cards),
    }


def card(actor, name: str) -> dict:
    """One card's chart over the default period (and for the funnel, the headline tiles)."""
    report = reports.REPORTS.get(name)
    if report is None or name not in DRAWN:
        raise NotFound()
    reports.get(actor, name)  # the actor's right to the report
    _, params = reports.bind(report, {})
    # a report may draw its card from less than its page (programs: no attribution)
    table = getattr(report.module, "card", report.module.report)(actor, params)
    drawn = table.chart if table.rows and table.chart and _has_data(table.chart) else None
    return {
        "c": {"name": name, "title": report.title, "chart": drawn},
        "tiles": _funnel_tiles(table, params) if name == "funnel" else None,
    }  # fmt: skip


def _has_data(chart: dict) -> bool:
    return any(value for series in chart.get("series", []) for value in series.get("data", []))


def _funnel_tiles(table, params) -> list[dict]:
    base = reverse("insights:report", args=["funnel"])
    query = urlencode({"since": params.since.isoformat(), "until": params.until.isoformat()})
    return [
        {
            "label": row["stage"],
            "value": row["count"],
            "rate": row.get("rate"),
            "url": f"{base}?{query}",
        }
        for i, row in enumerate(table.rows)
        if i in (0, 1, 3, 5)  # lead, MQL, SQL, customer
    ]
