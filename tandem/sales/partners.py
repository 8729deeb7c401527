"""Partners and deal registration: one partner per deal; a second partner on the same account
is a channel conflict, flagged for the sales manager."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tandem.contacts.models import Organization
from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid
from tandem.core.roles import Role
from tandem.sales.models import DistributionChannel, Opportunity, Partner, PartnerKind, StageKind

MANAGERS = (Role.SALES_MANAGER, Role.ADMIN)


@transaction.atomic
def partner_create(*, actor, via: str = "ui", organization: Organization, kind: str, tier: str):
    if actor.role not in MANAGERS and not access.is_admin(actor):
        raise Forbidden("A sales manager signs partners.")
    if kind not in PartnerKind.values:
        raise Invalid(f"kind must be one of {', '.join(PartnerKind.values)}", field="kind")
    if Partner.objects.filter(organization=organization).exists():
        raise Conflict("That organization is already a partner.", field="organization")
    partner = Partner.objects.create(
        organization=organization, kind=kind, tier=(tier or "standard")[:20]
    )
    activity.record(
        actor=actor, via=via, verb="partner_signed", target=organization, summary=f"{kind}, {tier}"
    )
    return partner


def conflicts(opp: Opportunity) -> QuerySet:
    """Other open deals on the same account registered by a different partner."""
    if opp.partner_id is None:
        return Opportunity.objects.none()
    return (
        Opportunity.objects.filter(organization_id=opp.organization_id, stage__kind=StageKind.OPEN)
        .exclude(pk=opp.pk)
        .exclude(partner__isnull=True)
        .exclude(partner_id=opp.partner_id)
        .select_related("partner__organization", "owner")
    )


@transaction.atomic
def deal_register(*, actor, via: str = "ui", opportunity: Opportunity, partner: Partner | None):
    """Register the deal to `partner` (None removes it); the channel follows."""
    opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opp.stage.kind != StageKind.OPEN:
        raise Invalid("Only open deals can be registered.", field="partner")
    if partner is not None and partner.organization_id == opp.organization_id:
        raise Invalid("A partner cannot register a deal on itself.", field="partner")
    old = str(opp.partner) if opp.partner_id else ""
    opp.partner = partner
    opp.registered_at = timezone.now() if partner else None
    opp.channel = DistributionChannel.PARTNER if partner else DistributionChannel.DIRECT_SELLING
    opp.save(update_fields=["partner", "registered_at", "channel", "updated_at"])
    found = list(conflicts(opp))
    summary = f"Registered to {partner}" if partner else "Registration removed"
    if found:
        summary += f"; conflicts with {', '.join(str(o.partner) for o in found)}"
    activity.record(
        actor=actor,
        via=via,
        verb="deal_registered",
        target=opp,
        summary=summary[:300],
        changes={"partner": [old, str(partner) if partner else ""]},
    )
    return opp, found


def all_conflicts(*, opps: QuerySet) -> list[tuple[Opportunity, list[Opportunity]]]:
    """Every open registered deal that collides with another partner's, for the manager."""
    registered = opps.filter(stage__kind=StageKind.OPEN, partner__isnull=False).select_related(
        "organization", "partner__organization", "owner"
    )
    result = []
    for opp in registered.order_by("organization__name", "registered_at")[:2000]:
        found = list(conflicts(opp))
        if found:
            result.append((opp, found))
    return result
