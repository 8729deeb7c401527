"""What sales contributes to shared pages: deals on person and account pages (the dashboards
are in dashboards.py)."""

from django.db.models import Q

from tandem.core import access
from tandem.core.roles import Role
from tandem.sales import selectors
from tandem.sales.models import ContactRole, OpportunityContact


def is_rep(actor) -> bool:
    return actor.role == Role.SALES_REP


def is_manager(actor) -> bool:
    return actor.role == Role.SALES_MANAGER or access.is_admin(actor)


def person_opportunities(actor, person) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    roles = dict(
        OpportunityContact.objects.filter(person=person).values_list("opportunity_id", "role")
    )
    opps = list(
        selectors.opportunity_qs(actor)
        .filter(Q(person=person) | Q(pk__in=list(roles)))
        .select_related("stage")
        .order_by("-created_at")[:30]
    )
    for opp in opps:  # the part this person plays in each deal
        opp.role_label = (
            "contact person" if opp.person_id == person.pk else ContactRole(roles[opp.pk]).label
        )
    return {"title": "Deals", "template": "sales/_opportunities.html", "data": opps}


def organization_opportunities(actor, org) -> dict | None:
    if not access.can_see(actor, "opportunity"):
        return None
    opps = selectors.opportunity_qs(actor).filter(organization=org).select_related("stage")
    return {
        "title": "Deals",
        "template": "sales/_opportunities.html",
        "data": opps.order_by("-created_at")[:30],
    }
