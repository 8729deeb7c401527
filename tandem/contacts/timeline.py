"""The contacts' part of a person's timeline: lifecycle stage changes."""

from tandem.core.timeline import Item


def transitions(actor, person, limit: int) -> list[Item]:
    rows = person.transitions.select_related("actor").order_by("-at", "-id")[:limit]
    return [
        Item(
            at=t.at,
            kind="stage",
            title=f"Became {t.get_to_stage_display().lower()}"
            if t.from_stage
            else f"Arrived as {t.get_to_stage_display().lower()}",
            body=t.reason,
            who=t.actor.display_name if t.actor else "System",
            icon="stage",
        )
        for t in rows
    ]
