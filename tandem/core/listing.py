"""Allow-listed filters, sorts and pagination for every list page and list endpoint.

User input never becomes a query keyword: each filter name maps to one lookup we wrote here.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from tandem.core.errors import Invalid

MAX_PAGE_SIZE = 200
COUNT_CAP = 10_000  # beyond this, lists say "10,000+" instead of counting a million rows


@dataclass(frozen=True)
class Filter:
    lookup: str
    parse: Callable[[str], object] = str
    label: str = ""


@dataclass(frozen=True)
class ListSpec:
    filters: Mapping[str, Filter]
    sorts: Mapping[str, tuple[str, ...]]
    default_sort: str
    search: Callable[[QuerySet, str], QuerySet] | None = None


@dataclass
class Page:
    items: list
    number: int
    size: int
    total: int
    params: dict = field(default_factory=dict)
    has_next: bool = False
    total_exact: bool = True

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def choice(choices) -> Callable[[str], str]:
    values = {value for value, _ in choices}

    def parse(raw: str) -> str:
        if raw not in values:
            raise ValueError(f"must be one of {', '.join(sorted(values))}")
        return raw

    return parse


def integer(raw: str) -> int:
    return int(raw)


def iso_date(raw: str) -> date:
    return date.fromisoformat(raw)


def boolean(raw: str) -> bool:
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise ValueError("must be true or false")


def apply(queryset: QuerySet, spec: ListSpec, params: Mapping) -> tuple[QuerySet, dict]:
    """Apply the allow-listed filters, search and sort in `params`; raise Invalid on bad values."""
    applied = {}
    for key in ("q", "sort", *spec.filters):
        if "\x00" in str(params.get(key) or ""):
            raise Invalid(f"{key}: contains a NUL character", field=key)
    for name, flt in spec.filters.items():
        raw = params.get(name)
        if raw in (None, ""):
            continue
        try:
            value = flt.parse(str(raw).strip())
        except (ValueError, TypeError) as exc:
            raise Invalid(f"{name}: {exc}", field=name) from None
        queryset = queryset.filter(Q((flt.lookup, value)))  # the lookup is ours, never the user's
        applied[name] = str(raw)
    q = str(params.get("q") or "").strip()[:100]
    if q and spec.search:
        queryset = spec.search(queryset, q)
        applied["q"] = q
    sort = str(params.get("sort") or spec.default_sort)
    if sort not in spec.sorts:
        raise Invalid(f"sort must be one of {', '.join(sorted(spec.sorts))}", field="sort")
    applied["sort"] = sort
    return queryset.order_by(*spec.sorts[sort]), applied


def page_numbers(params: Mapping) -> tuple[int, int]:
    try:
        number = max(1, int(params.get("page") or 1))
        size = min(MAX_PAGE_SIZE, max(1, int(params.get("size") or 50)))
    except ValueError:
        raise Invalid("page and size must be whole numbers", field="page") from None
    return number, size


def paginate(queryset: QuerySet, *, number: int, size: int, params: dict | None = None) -> Page:
    """One page, and a count that stops at COUNT_CAP rows past the page."""
    offset = (number - 1) * size
    items = list(queryset[offset : offset + size + 1])
    has_next = len(items) > size
    items = items[:size]
    if not has_next:
        total, exact = offset + len(items), True
    else:
        limit = offset + size + COUNT_CAP
        total = queryset.order_by()[:limit].count()
        exact = total < limit
    return Page(
        items=items,
        number=number,
        size=size,
        total=total,
        params=params or {},
        has_next=has_next,
        total_exact=exact,
    )
