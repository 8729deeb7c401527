"""When things happened: time columns recognised by their names, and read in the order the file
writes its dates. A file's numeric dates are day first or month first; which one is told by
its values (a 25/03 is day first, a 03/25 month first), and a file whose values fit both asks
the importer. ISO times keep their zone; times without one are in the importer's zone."""

import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings

from tandem.core.errors import Invalid

DAY_FIRST, MONTH_FIRST = "dmy", "mdy"
ORDERS = {DAY_FIRST: "Day first", MONTH_FIRST: "Month first"}
AMBIGUOUS, MIXED = "ambiguous", "mixed"

# dd/mm/yyyy, mm-dd-yy, dd.mm.yyyy, and yyyy/mm/dd; an optional time with am/pm
_NUMERIC = re.compile(
    r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
)
_TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y",
                 "%a, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%b %d, %Y %I:%M %p",
                 "%B %d, %Y %I:%M %p", "%d %B %Y %H:%M")  # fmt: skip

# Headers that name a moment: ours, HubSpot's and Salesforce's. Besides these, any header that
# ends in "_at", " at", "date", "time" or "timestamp" is one.
TIME_WORDS = {"time", "timestamp", "date", "datetime", "when", "occurred", "occurredat",
              "created", "createdat", "createdate", "createddate", "createdon", "updated",
              "lastmodifieddate", "closedate", "closeddate", "converteddate", "eventdate",
              "activitydate", "engagedate", "visited", "clicked", "attended", "opened"}  # fmt: skip


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def is_time_header(header: str) -> bool:
    raw, k = (header or "").strip().lower(), _key(header)
    return bool(k) and (
        k in TIME_WORDS or raw.endswith(("_at", " at")) or k.endswith(("date", "time", "timestamp"))
    )


def classify(value: str) -> str | None:
    """How a value reads: DAY_FIRST or MONTH_FIRST when only one order fits, "either" when
    both do, "iso" for year first, None when it is no numeric date."""
    m = _NUMERIC.match(value.strip())
    if not m:
        return None
    a, b, c = m.group(1), int(m.group(2)), m.group(3)
    if len(a) == 4:
        return "iso"
    if len(c) not in (2, 4):
        return None
    a = int(a)
    if a > 12 and b <= 12:
        return DAY_FIRST
    if b > 12 and a <= 12:
        return MONTH_FIRST
    return "either" if a <= 12 and b <= 12 else None


class Evidence:
    """The orders one column's values allow, gathered over the whole file."""

    __slots__ = ("day_first", "month_first", "either")

    def __init__(self):
        self.day_first = self.month_first = self.either = 0

    def add(self, value: str) -> None:
        kind = classify(value) if value else None
        if kind == DAY_FIRST:
            self.day_first += 1
        elif kind == MONTH_FIRST:
            self.month_first += 1
        elif kind == "either":
            self.either += 1

    def order(self) -> str | None:
        """DAY_FIRST / MONTH_FIRST when the values tell; AMBIGUOUS when all fit both; MIXED
        when some fit only one order and others only the other; None: no numeric dates."""
        if self.day_first and self.month_first:
            return MIXED
        if self.day_first:
            return DAY_FIRST
        if self.month_first:
            return MONTH_FIRST
        return AMBIGUOUS if self.either else None


def zone(name: str = ""):
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def reader(order: str | None, tz) -> Callable[[str], datetime | None]:
    """The moment a cell holds (aware), for a column whose numeric dates are in `order`."""

    def read(raw: str) -> datetime | None:
        value = (raw or "").strip()
        if not value:
            return None
        if len(value) > 40:
            raise Invalid(f"“{value[:20]}…” is not a date")
        moment = _iso(value) or _numeric(value, order) or _text(value)
        if moment is None:
            raise Invalid(f"“{value[:30]}” is not a date or a time")
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)

    return read


def _iso(value: str) -> datetime | None:
    if not value[:4].isdigit() or value[4:5] != "-":
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _numeric(value: str, order: str | None) -> datetime | None:
    m = _NUMERIC.match(value)
    if not m:
        return None
    a, b, c, hour, minute, second, half = m.groups()
    if len(a) == 4:
        year, month, day = int(a), b, c
    else:
        kind = classify(value)
        if kind == "either" and order not in (DAY_FIRST, MONTH_FIRST):
            raise Invalid(f"“{value}” could be day or month first: say which the file uses")
        if kind in (DAY_FIRST, MONTH_FIRST) and order in (DAY_FIRST, MONTH_FIRST) and kind != order:
            words = "day" if order == DAY_FIRST else "month"
            raise Invalid(f"“{value}” is not a {words}-first date, as the rest of the column")
        day_first = order == DAY_FIRST if kind == "either" else kind == DAY_FIRST
        day, month = (a, b) if day_first else (b, a)
        year = int(c) + (2000 if int(c) < 69 else 1900) if len(c) == 2 else int(c)
    hours = int(hour or 0)
    if half:
        if hours > 12:
            raise Invalid(f"“{value}” is not a time")
        hours = hours % 12 + (12 if half.lower().startswith("p") else 0)
    try:
        return datetime(year, int(month), int(day), hours, int(minute or 0), int(second or 0))
    except ValueError:
        raise Invalid(f"“{value}” is not a date") from None


def _text(value: str) -> datetime | None:
    for fmt in _TEXT_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
