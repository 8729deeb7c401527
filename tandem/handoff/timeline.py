"""The handoff's part of a person's timeline: routing and the rep's decision, score changes."""

from django.urls import reverse

from tandem.core.timeline import Item
from tandem.handoff.models import Handoff, ScoreSnapshot


def handoffs(actor, person, limit: int) -> list[Item]:
    rows = Handoff.objects.filter(person=person).select_related("rep").order_by("-routed_at")
    items = []
    for h in rows[:limit]:
        url = reverse("handoff:queue")
        title = f"Handed off to {h.rep.display_name}"
        items.append(Item(at=h.routed_at, kind="handoff", title=title, body=h.rule, icon="swap",
                          url=url))  # fmt: skip
        if h.decided_at:
            items.append(Item(at=h.decided_at, kind="handoff",
                              title=f"{h.get_status_display()} by {h.rep.display_name}",
                              body=h.reason, icon="swap", url=url))  # fmt: skip
    return items


def scores(actor, person, limit: int) -> list[Item]:
    rows = ScoreSnapshot.objects.filter(person=person).order_by("-at")[:limit]
    return [
        Item(
            at=s.at,
            kind="score",
            title=f"Score {s.score}",
            body=", ".join(f"{label} {points:+g}" for label, points in (s.breakdown or [])[:4]),
            icon="gauge",
        )  # fmt: skip
        for s in rows
    ]
