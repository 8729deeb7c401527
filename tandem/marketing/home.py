"""What marketing contributes to shared pages: the marketer's home panel and person touches."""

from datetime import timedelta

from django.utils import timezone

from tandem.core import access
from tandem.marketing import selectors


def leads_panel(actor) -> dict:
    today = timezone.localdate()
    since = today.replace(day=1)
    rows = selectors.leads_by_program(actor=actor, since=since, until=today + timedelta(days=1))
    return {
        "template": "marketing/_home_leads.html",
        "data": {
            "rows": rows,
            "since": since,
            "total": sum(r["leads"] for r in rows),
            "max": max((r["leads"] for r in rows), default=1),
        },
    }


def shows_leads(actor) -> bool:
    return access.function_of(actor) in ("marketing", "admin")


def person_touches(actor, person) -> dict | None:
    if not access.can_see(actor, "touch"):
        return None
    return {
        "title": "Touches",
        "template": "marketing/_touches.html",
        "data": selectors.touches_of_person(person=person),
    }
