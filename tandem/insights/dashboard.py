"""The Insights home: a card per report the reader may open, its chart drawn over the default
period (the last 90 days) for the reports that are quick to run, and the funnel's figures on
tiles. Attribution and the budget proposal open on their own pages: they take a model or a
plan to choose first."""

from django.urls import reverse
from django.utils.http import urlencode

from tandem.core.errors import DomainError
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
    cards, tiles = [], []
    for report in _visible(actor):
        card = {
            "name": report.name,
            "title": report.title,
            "about": ABOUT.get(report.name, ""),
            "url": reverse("insights:report", args=[report.name]),
            "chart": None,
            "ask": ASK.get(report.name, ""),
            "empty": False,
        }
        if report.name in DRAWN:
            form, params = reports.bind(report, {})
            table = report.module.report(actor, params)
            if table.rows and table.chart:
                card["chart"] = table.chart
            card["empty"] = not table.rows
            if report.name == "funnel":
                tiles = _funnel_tiles(table, params)
        cards.append(card)
    return {"cards": cards, "tiles": tiles, "has_charts": any(c["chart"] for c in cards)}


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
