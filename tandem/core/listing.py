"""Allow-listed filters, sorts and pagination for every list page and list endpoint.

User input never becomes a query keyword: each filter name maps to one lookup we wrote here.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from tandem.core.errors import Invalid

MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1
MAX_PAGE = 10**9  # 200 × 10⁹ rows is past any table; an offset stays far inside 64 bits
MAX_INT = 2**63 - 1  # what a database integer column holds
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
    next_after: int | None = None  # the cursor of the next page, in cursor mode

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
    """An id or a count as a database column holds it: 1 … 2⁶³−1."""
    value = int(raw)
    if not 1 <= value <= MAX_INT:
        raise ValueError(f"must be a whole number from 1 to {MAX_INT}")
    return value


def iso_date(raw: str) -> date:
    return date.fromisoformat(raw)


def day_start(raw: str):
    """A date (YYYY-MM-DD) as the start of that day in the site's time zone."""
    from tandem.core.periods import day_start as start

    return start(date.fromisoformat(raw))


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
    after = str(params.get("after") or "").strip()
    if after:  # a cursor: the records after this id, in id order (exports; no count, no offset)
        if not (after.isascii() and after.isdigit()) or int(after) > MAX_ID:
            raise Invalid(f"after must be a record id from 0 to {MAX_ID}", field="after")
        applied["after"] = after
        return queryset.filter(pk__gt=int(after)).order_by("pk"), applied
    sort = str(params.get("sort") or spec.default_sort)
    if sort not in spec.sorts:
        raise Invalid(f"sort must be one of {', '.join(sorted(spec.sorts))}", field="sort")
    applied["sort"] = sort
    return queryset.order_by(*spec.sorts[sort]), applied


def page_numbers(params: Mapping) -> tuple[int, int]:
    """`page` (1 … MAX_PAGE) and `page_size` (1 … MAX_PAGE_SIZE, 50 by default)."""
    return (
        _bounded(params, "page", 1, MAX_PAGE),
        _bounded(params, "page_size", 50, MAX_PAGE_SIZE),
    )


def _bounded(params: Mapping, name: str, default: int, upper: int) -> int:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= upper:
        raise Invalid(f"{name} must be a whole number from 1 to {upper:,}", field=name)
    return int(raw)


def paginate(queryset: QuerySet, *, number: int, size: int, params: dict | None = None) -> Page:
    """One page, and a count that stops at COUNT_CAP rows past the page. Past the last page
    the page is empty and the total is counted, not guessed from the page number. With a
    cursor (`after`, from apply), the next `size` records in id order and the next cursor."""
    if params and "after" in params:
        items = list(queryset[: size + 1])
        more = len(items) > size
        items = items[:size]
        return Page(items=items, number=1, size=size, total=len(items), params=params,
                    has_next=more, total_exact=not more,
                    next_after=items[-1].pk if more else None)  # fmt: skip
    offset = (number - 1) * size
    items = list(queryset[offset : offset + size + 1])
    has_next = len(items) > size
    items = items[:size]
    if has_next:
        limit = offset + size + COUNT_CAP
        total = queryset.order_by()[:limit].count()
        exact = total < limit
    elif items or offset == 0:
        total, exact = offset + len(items), True
    else:
        total, exact = queryset.order_by()[:offset].count(), True
    return Page(
        items=items,
        number=number,
        size=size,
        total=total,
        params=params or {},
        has_next=has_next,
        total_exact=exact,
    )
