"""The working calendar: the SLA counts business hours only."""

from datetime import datetime, timedelta

from django.utils import timezone


def add_business_hours(start: datetime, hours: float, config) -> datetime:
    """The moment `hours` working hours after `start`, on the configured days and hours (in the
    site's time zone). Time outside working hours does not count."""
    days = {int(d) for d in config.work_days.split(",") if d.strip().isdigit()} or {0, 1, 2, 3, 4}
    open_h, close_h = config.work_start_hour, config.work_end_hour
    if close_h <= open_h:
        raise ValueError("The working day must end after it starts.")
    moment = timezone.localtime(start)
    left = timedelta(hours=hours)
    for _ in range(3660):  # ten years of days at the most
        day_open = moment.replace(hour=open_h, minute=0, second=0, microsecond=0)
        day_close = moment.replace(hour=close_h, minute=0, second=0, microsecond=0)
        if moment.weekday() in days and moment < day_close:
            moment = max(moment, day_open)
            if moment + left <= day_close:
                return moment + left
            left -= day_close - moment
        moment = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        moment = timezone.localtime(timezone.make_aware(moment.replace(tzinfo=None)))
    raise ValueError("No working hours in the calendar.")
