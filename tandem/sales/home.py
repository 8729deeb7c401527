"""What sales contributes to shared pages: home panels, and deals on person and account pages."""

from datetime import date

from django.utils import timezone

from tandem.core import access
from tandem.core.roles import Role
from tandem.sales import selectors


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 2
    next_start = date(day.year + (end_month == 12), end_month % 12 + 1, 1)
    return start, date.fromordinal(next_start.toordinal() - 1)


def is_rep(actor) -> bool:
    return actor.role == Role.SALES_REP


def rep_panel(actor) -> dict:
    return {"template": "sales/_home_rep.html", "data": selectors.rep_summary(actor=actor)}


def is_manager(actor) -> bool:
    return actor.role in (Role.SALES_MANAGER, Role.MARKETING_MANAGER) or access.is_admin(actor)


def manager_panel(actor) -> dict:
    start, end = quarter_of(timezone.localdate())
    data = selectors.team_pipeline(actor=actor, period_start=start, period_end=end)
    return {
        "template": "sales/_home_manager.html",
        "data": {**data, "period_start": start, "period_end": end},
    }


def person_opportunities(actor, person) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    opps = selectors.opportunity_qs(actor).filter(person=person).select_related("stage")
    return {"title": "Opportunities", "template": "sales/_opportunities.html", "data": opps[:30]}


def organization_opportunities(actor, org) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    opps = selectors.opportunity_qs(actor).filter(organization=org).select_related("stage")
    return {
        "title": "Opportunities",
        "template": "sales/_opportunities.html",
        "data": opps.order_by("-created_at")[:30],
    }
