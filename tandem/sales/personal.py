"""The activities and deals of a person, for a data subject's export and erasure."""

from django.db.models import Q

from tandem.sales.models import Activity, Opportunity, OpportunityContact

ERASED = "Erased"


def export(person) -> list[dict]:
    rows = [
        {"kind": "activity", "at": a.done_at or a.due_at, "what": a.get_kind_display(),
         "subject": a.subject, "notes": a.notes}
        for a in Activity.objects.filter(person=person).order_by("due_at")
    ]  # fmt: skip
    roles = dict(
        OpportunityContact.objects.filter(person=person).values_list("opportunity_id", "role")
    )
    deals = Opportunity.objects.filter(Q(person=person) | Q(pk__in=list(roles))).select_related(
        "stage"
    )
    for d in deals.order_by("created_at"):
        rows.append({"kind": "deal", "at": d.created_at, "what": d.name, "stage": d.stage.name,
                     "role": roles.get(d.pk, "contact person"), "amount": d.amount})  # fmt: skip
    return rows


def erase(person) -> int:
    """Activities keep their kind and time (the rep's work counts), not what they said."""
    return Activity.objects.filter(person=person).update(subject=ERASED, notes="")
