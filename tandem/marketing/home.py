"""What marketing contributes to shared pages: who sees its dashboard, and person touches."""

from tandem.core import access


def shows_leads(actor) -> bool:
    return access.function_of(actor) in ("marketing", "admin")
