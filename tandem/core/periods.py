"""Dates to datetime ranges, so period filters can use the datetime indexes."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def days(since: date, until: date) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`): both days included."""
    return day_start(since), day_start(until + timedelta(days=1))
