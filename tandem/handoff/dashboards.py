"""The handoff's tiles on Home: a rep's leads waiting for a decision; a manager's leads past
their SLA; marketing's MQLs nobody has taken yet."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from tandem.contacts.models import LifecycleStage, Person
from tandem.core import access
from tandem.core.roles import Role
from tandem.handoff.models import Handoff, HandoffStatus


def panel(actor) -> dict | None:
    now = timezone.now()
    tiles = []
    if actor.role == Role.SALES_REP:
        mine = Handoff.objects.filter(rep=actor, status=HandoffStatus.PENDING).aggregate(
            waiting=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now))
        )
        late = mine["late"]
        tiles.append(
            (
                "Leads waiting for you",
                mine["waiting"],
                f"{late} past the SLA",
                reverse("handoff:inbox"),
                late,
            )
        )
    if actor.role == Role.SALES_MANAGER or access.is_admin(actor):
        team = access.scope(actor, Handoff.objects.all(), "handoff").filter(
            status=HandoffStatus.PENDING
        )
        counts = team.aggregate(waiting=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
        tiles.append(
            (
                "Leads past their SLA",
                counts["late"],
                f"of {counts['waiting']} waiting",
                reverse("handoff:sla"),
                counts["late"],
            )
        )
    if access.function_of(actor) in ("marketing", "admin"):
        mqls = access.scope(
            actor, Person.objects.filter(lifecycle_stage=LifecycleStage.MQL), "person"
        )
        untaken = mqls.exclude(handoffs__status=HandoffStatus.PENDING).count()
        tiles.append(
            (
                "MQLs not handed off",
                untaken,
                "routing found no rep for them",
                f"{reverse('handoff:mqls')}?handoff=unassigned",
                untaken,
            )
        )
    if not tiles:
        return None
    return {
        "template": "handoff/_dash_handoff.html",
        "order": 15,
        "width": "full",
        "data": {"tiles": tiles},
    }
