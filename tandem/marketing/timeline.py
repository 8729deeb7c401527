"""Marketing's part of a person's timeline: touches (forms, emails with their opens and
clicks, events, ads, pages, mail)."""

from django.urls import reverse

from tandem.core import access
from tandem.core.timeline import Item

EMAIL = {"email_sent": "mail", "email_opened": "mail", "email_clicked": "mail"}
ICONS = {"form_submitted": "form", "event_attended": "calendar", "ad_clicked": "bolt",
         "page_visited": "search", "mail_received": "mail", "call": "phone",
         "meeting": "calendar"}  # fmt: skip


def touches(actor, person, limit: int) -> list[Item]:
    if not access.can_see(actor, "touch"):
        return []
    rows = person.touches.select_related("program").order_by("-occurred_at")[:limit]
    items = []
    for t in rows:
        source = " · ".join(v for v in (t.utm_source, t.utm_campaign, t.referrer[:200]) if v)
        items.append(
            Item(
                at=t.occurred_at,
                kind="email" if t.kind in EMAIL else "touch",
                title=t.get_kind_display() + (f": {t.program.name}" if t.program else ""),
                body=source,
                url=reverse("marketing:program", args=[t.program_id]) if t.program_id else "",
                icon=EMAIL.get(t.kind) or ICONS.get(t.kind, "bolt"),
            )
        )
    return items
