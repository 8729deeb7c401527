"""What marketing contributes to shared pages: who sees its dashboard, and person touches."""

from tandem.core import access
from tandem.marketing import selectors


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
