"""Dates to datetime ranges, so period filters can use the datetime indexes."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def days(since: date, until: date) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`): both days included."""
    return day_start(since), day_start(until + timedelta(days=1))


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter holding `day`."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + 2
    next_start = date(day.year + (end_month == 12), end_month % 12 + 1, 1)
    return start, date.fromordinal(next_start.toordinal() - 1)
