"""Shared pieces of the REST API: paging envelope and resolving referenced ids."""

from ninja import Schema

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
