"""What sales contributes to shared pages: deals on person and account pages (the dashboards
are in dashboards.py)."""

from tandem.core import access
from tandem.core.roles import Role
from tandem.sales import selectors


def is_rep(actor) -> bool:
    return actor.role == Role.SALES_REP


def is_manager(actor) -> bool:
    return actor.role == Role.SALES_MANAGER or access.is_admin(actor)


def person_opportunities(actor, person) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    opps = selectors.opportunity_qs(actor).filter(person=person).select_related("stage")
    return {"title": "Deals", "template": "sales/_opportunities.html", "data": opps[:30]}


def organization_opportunities(actor, org) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    opps = selectors.opportunity_qs(actor).filter(organization=org).select_related("stage")
    return {
        "title": "Deals",
        "template": "sales/_opportunities.html",
        "data": opps.order_by("-created_at")[:30],
    }
