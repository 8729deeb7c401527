"""The program scorecard by DOMAIN.md's definitions.

Leads of a program are the people whose first touch came from it; its success rate is the share
of those leads that ever reached MQL (and, separately, SQL and customer), counted as the period
scorecard counts them (programs.reached), over all time. Won revenue is attributed by first
touch here; the multi-touch models are the attribution report's job."""

from decimal import Decimal

from tandem.core import access
from tandem.marketing import tallies
from tandem.marketing.models import Program
from tandem.marketing.selectors import program_spend


def _ratio(numerator, denominator, scale=1):
    if not denominator:
        return None
    return round(Decimal(numerator) * scale / Decimal(denominator), 2)


def program_scorecard(*, program: Program) -> dict:
    counts = tallies.counts([program.pk])[program.pk]  # as programs.reached() counts them
    leads, won = counts.pop("leads"), counts.pop("won")
    cost = Decimal(program_spend(program=program))
    return {
        "leads": leads,
        **counts,
        "won_revenue": won,
        "cost": cost,
        "cost_per_lead": _ratio(cost, leads),
        "cost_per_mql": _ratio(cost, counts["mqls"]),
        "roi_pct": _ratio(won - cost, cost, 100),
        "mql_rate": _ratio(counts["mqls"], leads, 100),
        "sql_rate": _ratio(counts["sqls"], leads, 100),
        "customer_rate": _ratio(counts["customers"], leads, 100),
    }


def scorecard_section(actor, program) -> dict | None:
    if access.function_of(actor) not in ("marketing", "admin"):
        return None
    return {
        "title": "Scorecard",
        "template": "insights/_scorecard.html",
        "data": program_scorecard(program=program),
    }
