from django.db.models import Count, QuerySet
from django.utils import timezone

from tandem.core import access, listing
from tandem.core.listing import Filter, ListSpec
from tandem.handoff.models import Handoff, HandoffStatus

HANDOFF_LIST = ListSpec(
    filters={
        "status": Filter("status", listing.choice(HandoffStatus.choices), "Status"),
        "rep": Filter("rep_id", listing.integer, "Rep"),
    },
    sorts={"due": ("due_at", "id"), "-routed": ("-routed_at", "-id")},
    default_sort="due",
)


def handoff_qs(actor) -> QuerySet:
    return access.scope(actor, Handoff.objects.all(), "handoff")


def handoff_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(handoff_qs(actor), HANDOFF_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("person", "person__organization", "rep")
    return listing.paginate(qs, number=number, size=size, params=applied)


def handoff_summary(*, actor) -> dict:
    qs = handoff_qs(actor)
    counts = dict(qs.values_list("status").annotate(n=Count("id")))
    overdue = qs.filter(status=HandoffStatus.PENDING, due_at__lt=timezone.now()).count()
    return {"counts": counts, "overdue": overdue}
