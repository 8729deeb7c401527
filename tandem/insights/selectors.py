"""The funnel by DOMAIN.md: people reaching each lifecycle stage in a period, and the rates."""

from datetime import date

from django.db.models import Count

from tandem.contacts.models import LifecycleStage, LifecycleTransition, Person
from tandem.core import access, periods

FUNNEL = [
    LifecycleStage.LEAD,
    LifecycleStage.MQL,
    LifecycleStage.SAL,
    LifecycleStage.SQL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.CUSTOMER,
]


def funnel(*, actor, since: date, until: date) -> list[dict]:
    start, end = periods.days(since, until)
    transitions = LifecycleTransition.objects.filter(at__gte=start, at__lt=end)
    if not access.is_admin(actor) and access.function_of(actor) != "marketing":
        transitions = transitions.filter(
            person__in=access.scope(actor, Person.objects.all(), "person")
        )
    counts = dict(
        transitions.filter(to_stage__in=FUNNEL)
        .values_list("to_stage")
        .annotate(n=Count("person_id", distinct=True))
    )
    rows, previous = [], None
    for stage in FUNNEL:
        n = counts.get(stage, 0)
        rate = round(100 * n / previous, 1) if previous else None
        rows.append({"stage": stage.label, "count": n, "rate": rate})
        previous = n
    return rows
