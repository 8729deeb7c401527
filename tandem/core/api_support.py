"""Shared pieces of the REST API: paging envelope and resolving referenced ids."""

from ninja import Schema
from ninja.errors import ValidationError
from ninja.parser import Parser

from tandem.core.errors import Invalid, NotFound
from tandem.core.listing import Page


class PageMeta(Schema):
    page: int
    size: int
    total: int
    total_exact: bool
    has_next: bool


def page_out(page: Page) -> dict:
    return {
        "items": page.items,
        "meta": {
            "page": page.number,
            "size": page.size,
            "total": page.total,
            "total_exact": page.total_exact,
            "has_next": page.has_next,
        },
    }


def resolve_refs(data: dict, resolvers: dict) -> dict:
    """Turn `<name>_id` inputs into objects through the caller's scoped getters."""
    for name, getter in resolvers.items():
        key = f"{name}_id"
        if key not in data:
            continue
        raw = data.pop(key)
        if raw is None:
            data[name] = None
            continue
        try:
            data[name] = getter(raw)
        except NotFound:
            raise Invalid(f"No {name} with id {raw} that you can see.", field=key) from None
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NulFreeParser(Parser):
    """JSON bodies with a NUL character are refused alike on SQLite and PostgreSQL."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _has_nul(data):
            raise ValidationError(
                [{"loc": ["body"], "msg": "Text may not contain NUL.", "type": "invalid"}]
            )
        return data
