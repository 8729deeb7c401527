"""Numbers, money and times as people read them: one set of functions for every page, export
and the API's display fields. `$3,776,550` in a table, `$3.8M` on a tile, `12.5%`, "in 3 days"
with the exact time on hover, in the reader's time zone."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩",
           "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "BRL": "R$", "MXN": "MX$"}  # fmt: skip
NO_CENTS = {"JPY", "KRW"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


decimal_or_none = _decimal


def quantize(value, currency: str = "USD") -> Decimal | None:
    """Money to its currency's minor unit (cents; none for yen): never a raw Decimal."""
    amount = _decimal(value)
    if amount is None:
        return None
    step = Decimal("1") if currency in NO_CENTS else Decimal("0.01")
    return amount.quantize(step, rounding=ROUND_HALF_UP)


def _with_symbol(text: str, currency: str, negative: bool) -> str:
    symbol = SYMBOLS.get(currency)
    body = f"{symbol}{text}" if symbol else f"{text} {currency}"
    return f"−{body}" if negative else body


def money(value, currency: str = "USD") -> str:
    """$3,776,550 · $1,054.50 · 1,200 CHF; cents only when there are some."""
    amount = quantize(value, currency or "USD")
    if amount is None:
        return "—"
    negative, amount = amount < 0, abs(amount)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return _with_symbol(text, currency or "USD", negative)


def money_compact(value, currency: str = "USD") -> str:
    """$3.8M · $12.4K · $950, for tiles."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    negative, amount = amount < 0, abs(amount)
    return _with_symbol(compact_number(amount), currency or "USD", negative)


def compact_number(value) -> str:
    amount = _decimal(value)
    if amount is None:
        return "—"
    for size, suffix in ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "K")):
        if abs(amount) >= size:
            scaled = amount / size
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{amount:,.0f}"


def number(value, places: int = 0) -> str:
    amount = _decimal(value)
    if amount is None:
        return "—"
    return f"{amount:,.{places}f}"


def percent(value, places: int = 1) -> str:
    """A percentage given as 0–100: 12.5%; None → —."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    text = f"{amount:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def fraction(value, places: int = 1) -> str:
    """A share given as 0–1 as a percentage: 0.125 → 12.5%; None → —."""
    amount = _decimal(value)
    return "—" if amount is None else percent(amount * 100, places)


def _plural(n: int, unit: str, short: bool) -> str:
    if short:
        return f"{n} {unit[0]}" if unit != "min" else f"{n} min"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _span(delta: timedelta, short: bool = False) -> str:
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "moments"
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400 * 7, "week"),
                       (86400, "day"), (3600, "hour"), (60, "min")):  # fmt: skip
        if seconds >= size:
            return _plural(int(seconds // size), unit, short)
    return "moments"


def relative(moment, now=None) -> str:
    """in 3 days · 2 hours ago · today · yesterday (dates)."""
    if moment is None:
        return "—"
    if isinstance(moment, date) and not isinstance(moment, datetime):
        today = timezone.localdate()
        days = (moment - today).days
        if days == 0:
            return "today"
        if days == 1:
            return "tomorrow"
        if days == -1:
            return "yesterday"
        span = _span(timedelta(days=abs(days)))
        return f"in {span}" if days > 0 else f"{span} ago"
    now = now or timezone.now()
    delta = moment - now
    if abs(delta.total_seconds()) < 60:
        return "just now"
    span = _span(delta)
    return f"in {span}" if delta.total_seconds() > 0 else f"{span} ago"


def due(moment, done=None, now=None) -> tuple[str, str]:
    """(text, tone) of a due time: "overdue 2 d" (bad), "due in 3 h" (warn when within a
    day), "done" once done."""
    if done:
        return "done", "good"
    if moment is None:
        return "no date", ""
    now = now or timezone.now()
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = timezone.make_aware(datetime.combine(moment, datetime.max.time()))
    delta = moment - now
    if delta.total_seconds() < 0:
        return f"overdue {_span(delta, short=True)}", "bad"
    return f"due in {_span(delta, short=True)}", "warn" if delta < timedelta(days=1) else ""


def exact(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
    return moment.isoformat()
