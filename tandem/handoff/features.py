"""Features typed by their values: a column of raw values (from a file, a custom field, a field
of the record) becomes numbers a model can learn from, the way its values say — numeric, a date
(days before the moment of the prediction), a category (its frequent values; the rare ones are
one "other"), free text (a few frequent words, each present or not), or left out (identifiers,
free text without repeated words). The typing is learnt from the training rows only and then
applied to any row, so validation and scoring never shape it."""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

NUMERIC, DATE, CATEGORY, TOKENS, SKIP = "numeric", "date", "category", "tokens", "skip"
SHARE = 0.95  # of the filled values that must read as numbers (or dates) for that type
MAX_LEVELS = 40  # categories kept per column; HistGradientBoosting takes at most 254
MAX_TOKENS = 6  # words kept from a free-text column
_WORD = re.compile(r"[a-zà-ÿ]{3,}")
_STOP = {"the", "and", "for", "with", "von", "und", "der", "des", "les", "del"}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "Select"))


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) < 8 or not text[:4].isdigit():
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass
class Column:
    """How one raw column becomes features."""

    name: str
    kind: str
    levels: list = field(default_factory=list)  # CATEGORY: the kept values
    tokens: list = field(default_factory=list)  # TOKENS: the kept words
    times: bool = False  # NUMERIC: a count of events (blank is none)

    @property
    def names(self) -> list[str]:
        if self.kind == TOKENS:
            return [f"{self.name} has “{t}”" for t in self.tokens]
        return [] if self.kind == SKIP else [self.name]

    @property
    def categorical(self) -> list[bool]:
        return [self.kind == CATEGORY] * len(self.names)

    def encode(self, values: list, moments: list | None = None) -> np.ndarray:
        n = len(values)
        if self.kind == SKIP:
            return np.zeros((n, 0))
        if self.kind == TOKENS:
            out = np.zeros((n, len(self.tokens)))
            index = {t: i for i, t in enumerate(self.tokens)}
            for row, value in enumerate(values):
                if not _blank(value):
                    for word in set(_WORD.findall(str(value).lower())):
                        if word in index:
                            out[row, index[word]] = 1.0
            return out
        out = np.full((n, 1), np.nan)
        if self.kind == CATEGORY:  # blank is a level of its own: a missing value tells too
            codes = {v: float(i) for i, v in enumerate(self.levels)}
            other, blank = float(len(self.levels)), float(len(self.levels) + 1)
            for row, value in enumerate(values):
                out[row, 0] = blank if _blank(value) else codes.get(str(value).strip(), other)
        elif self.kind == NUMERIC:
            for row, value in enumerate(values):
                if not _blank(value):
                    number = _number(value)
                    out[row, 0] = np.nan if number is None else number
                elif self.times:
                    out[row, 0] = 0.0
        else:  # DATE: days from the date to the moment of the prediction
            for row, value in enumerate(values):
                day = None if _blank(value) else _date(value)
                if day is not None and moments is not None and moments[row] is not None:
                    out[row, 0] = (moments[row].date() - day).days
        return out

    def describe(self, value, index: int = 0) -> str:
        """One feature's value in words, for the explanation of a score."""
        if self.kind == TOKENS:
            word = self.tokens[index]
            return f"{self.name} has “{word}”" if value else f"{self.name} lacks “{word}”"
        if self.kind == CATEGORY:
            i = int(value)
            if i > len(self.levels):
                return f"no {self.name}"
            level = self.levels[i] if i < len(self.levels) else "a rare value"
            return f"{self.name} is {level}"
        if self.kind == DATE:
            return f"{self.name} {int(value)} days before"
        if self.times:
            n = int(value)
            return (
                f"{self.name}: none" if n == 0 else f"{self.name} {n} time{'s' if n != 1 else ''}"
            )
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{self.name}: {shown}"


def learn(name: str, values: list) -> Column:
    """The typing of one column, from the training rows' values."""
    filled = [v for v in values if not _blank(v)]
    if len(filled) < 5:
        return Column(name, SKIP)
    if sum(_number(v) is not None for v in filled) >= SHARE * len(filled):
        return Column(name, NUMERIC)
    if sum(_date(v) is not None for v in filled) >= SHARE * len(filled):
        return Column(name, DATE)
    counts = Counter(str(v).strip() for v in filled)
    floor = max(5, int(0.005 * len(filled)))  # a level needs 5 rows, and 0.5 % of them
    frequent = [v for v, c in counts.most_common(MAX_LEVELS) if c >= floor]
    covered = sum(counts[v] for v in frequent)
    if frequent and covered >= 0.5 * len(filled):
        return Column(name, CATEGORY, levels=frequent)
    words = Counter(w for v in filled for w in set(_WORD.findall(str(v).lower())) if w not in _STOP)
    kept = [w for w, c in words.most_common(MAX_TOKENS) if c >= floor]
    return Column(name, TOKENS, tokens=kept) if kept else Column(name, SKIP)


@dataclass
class Table:
    """Raw rows: named columns of values, the outcome, when each row's prediction is made
    (for the time split and for date columns), and the names of columns known as counts."""

    columns: dict  # name → list of raw values
    y: np.ndarray
    order: np.ndarray
    moments: list | None = None
    counts: tuple = ()  # columns that are numbers by construction (touch counts)


def learn_all(table: Table, rows: np.ndarray) -> list[Column]:
    specs = []
    for name, values in table.columns.items():
        if name in table.counts:
            specs.append(Column(name, NUMERIC, times=True))
        else:
            specs.append(learn(name, [values[i] for i in rows]))
    return specs


def matrix(specs: list[Column], table: Table, rows=None) -> np.ndarray:
    """The feature matrix of `rows` (all when None) under the learnt typing."""
    parts, everyone = [], len(table.y)
    for spec in specs:
        values = table.columns.get(spec.name) or [None] * everyone  # a value nobody here has
        moments = table.moments
        if rows is not None:
            values = [values[i] for i in rows]
            moments = [moments[i] for i in rows] if moments is not None else None
        parts.append(spec.encode(values, moments))
    n = len(rows) if rows is not None else len(table.y)
    return np.hstack(parts) if parts else np.zeros((n, 0))


def names(specs: list[Column]) -> list[str]:
    return [n for s in specs for n in s.names]


def categorical(specs: list[Column]) -> list[bool]:
    return [c for s in specs for c in s.categorical]


def owners(specs: list[Column]) -> list[tuple[Column, int]]:
    """For each feature: its column's typing and its index within that column."""
    return [(s, i) for s in specs for i in range(len(s.names))]
