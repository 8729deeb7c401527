"""Random time helpers shared by the generators."""

import random
from datetime import UTC, date, datetime, timedelta

DAY = 86400.0


def at_day(day: date, rng: random.Random) -> datetime:
    """A working-hours moment on `day`, in UTC."""
    seconds = rng.uniform(7 * 3600, 19 * 3600)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def after(t: datetime, mean_days: float, rng: random.Random, minimum_days: float = 0.0) -> datetime:
    return t + timedelta(days=minimum_days + rng.expovariate(1.0 / mean_days))


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
