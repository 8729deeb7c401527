"""Normalization of the identifiers people are matched by."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tandem.core.errors import Invalid


def normalize_email(raw: str) -> str:
    """Trim and lower-case; raise Invalid when it is not an email address at all."""
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(f"“{raw[:80]}” is not a valid email address.", field="email") from None
    return email


def normalize_domain(raw: str) -> str:
    domain = (raw or "").strip().lower()
    for prefix in ("https://", "http://", "www."):
        domain = domain.removeprefix(prefix)
    return domain.split("/")[0]


def person_search_text(*, first_name: str, last_name: str, email: str) -> str:
    return f"{first_name} {last_name} {email}".strip().lower()
