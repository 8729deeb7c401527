"""Chart specs for static/charts.js: plain data (floats, strings), one per chart, carried by
the page as JSON; `links` opens the records behind each bar or point."""

from decimal import Decimal


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value if value is not None else 0


def spec(kind: str, labels, series, *, links=None, format=None, currency="USD", stacked=False):
    """kind: bar, hbar, line or doughnut; series: [(label, values) or (label, values, kind)]
    where a series kind of "line" or "target" draws a line over bars."""
    out = []
    for item in series:
        label, values, *rest = item
        entry = {"label": str(label), "data": [_plain(v) for v in values]}
        if rest:
            entry["kind"] = rest[0]
        out.append(entry)
    return {
        "type": kind,
        "labels": [str(label) for label in labels],
        "series": out,
        "links": list(links) if links else None,
        "format": format,
        "currency": currency,
        "stacked": stacked,
    }
