"""What every report returns: a table of typed columns, rows, notes and a chart.

The page, the API, the CSV/XLSX export and the drill-down links all read this one shape."""

from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text, int, num, money, pct, days
    drill: bool = False  # the cell links to the records behind it


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict]
    key: str = "key"  # the row field that names the row in a drill-down
    notes: list[str] = field(default_factory=list)
    chart: dict | None = None  # {"type", "labels", "series": [{"label", "data"}]}

    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def records(self):
        for row in self.rows:
            yield tuple(plain(row.get(c.key)) for c in self.columns)

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [
                {
                    "key": str(r.get(self.key, "")),
                    **{c.key: plain(r.get(c.key)) for c in self.columns},
                }
                for r in self.rows
            ],
            "notes": self.notes,
        }


def plain(value):
    """A cell as a JSON/CSV-friendly value: Decimals to floats rounded to cents."""
    if isinstance(value, Decimal):
        return float(round(value, 2))
    if isinstance(value, float):
        return round(value, 4)
    return value


def ratio(numerator, denominator, scale: float = 1.0, digits: int = 2):
    """numerator / denominator × scale, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(float(numerator) * scale / float(denominator), digits)


def median_or_none(values) -> float | None:
    values = list(values)
    return round(median(values), 1) if values else None


def bar_chart(labels, series: dict[str, list], kind: str = "bar", format: str = "number") -> dict:
    """A chart spec for static/charts.js (the shape core.charts.spec makes)."""
    return {
        "type": kind,
        "labels": [str(label) for label in labels],
        "series": [
            {"label": name, "data": [plain(v) or 0 for v in data]} for name, data in series.items()
        ],
        "links": None,
        "format": format,
        "currency": "USD",
        "stacked": False,
    }
