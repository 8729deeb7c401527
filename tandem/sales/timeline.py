"""Sales' part of the timelines: activities (on people, accounts and deals) and a deal's
stage history."""

from django.urls import reverse

from tandem.core import access
from tandem.core.timeline import Item
from tandem.sales.models import Activity, StageHistory

ICONS = {"call": "phone", "meeting": "calendar", "email": "mail", "task": "check"}


def _activities(actor, rows) -> list[Item]:
    items = []
    for a in rows:
        state = "done" if a.done_at else "planned"
        items.append(
            Item(
                at=a.done_at or a.due_at,
                kind="activity",
                title=f"{a.get_kind_display()} {state}: {a.subject}",
                body=a.notes[:400],
                who=a.owner.display_name,
                url=reverse("sales:activity", args=[a.pk]),
                icon=ICONS.get(a.kind, "check"),
            )
        )
    return items


def _visible(actor):
    return access.scope(actor, Activity.objects.select_related("owner"), "activity")


def person_activities(actor, person, limit: int) -> list[Item]:
    if not access.can_see(actor, "activity"):
        return []
    return _activities(actor, _visible(actor).filter(person=person).order_by("-due_at")[:limit])


def organization_activities(actor, org, limit: int) -> list[Item]:
    if not access.can_see(actor, "activity"):
        return []
    rows = _visible(actor).filter(organization=org).order_by("-due_at")[:limit]
    return _activities(actor, rows)


def opportunity_activities(actor, opp, limit: int) -> list[Item]:
    if not access.can_see(actor, "activity"):
        return []
    rows = _visible(actor).filter(opportunity=opp).order_by("-due_at")[:limit]
    return _activities(actor, rows)


def opportunity_stages(actor, opp, limit: int) -> list[Item]:
    rows = (
        StageHistory.objects.filter(opportunity=opp)
        .select_related("stage", "actor")
        .order_by("-entered_at", "-id")[:limit]
    )
    return [
        Item(
            at=h.entered_at,
            kind="stage",
            title=f"Moved to {h.stage.name}",
            who=h.actor.display_name if h.actor else "System",
            icon="stage",
        )
        for h in rows
    ]
