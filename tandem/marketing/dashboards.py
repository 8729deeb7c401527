"""The marketing dashboard on Home: leads and MQLs of the month and per week, cost per lead,
leads by program, the last campaigns. Each figure opens the records behind it."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition, Person
from tandem.core import access, charts, periods
from tandem.marketing.models import Campaign, ProgramCost, Recipient

WEEKS = 12


def _people_url(**params) -> str:
    return f"{reverse('contacts:people')}?{urlencode(params)}"


def _weekly(people, since) -> tuple[list, list, list]:
    """Leads (first touch) and MQLs (first reached) per week since `since`."""
    start = periods.day_start(since)
    leads = dict(
        people.filter(first_touch_at__gte=start)
        .annotate(week=TruncWeek("first_touch_at"))
        .values_list("week")
        .annotate(n=Count("id"))
    )
    mqls = dict(
        LifecycleTransition.objects.filter(to_stage="mql", at__gte=start, person__in=people)
        .annotate(week=TruncWeek("at"))
        .values_list("week")
        .annotate(n=Count("person_id", distinct=True))
    )
    weeks = [since + timedelta(weeks=i) for i in range(WEEKS)]

    def at(table, week):
        return next((n for w, n in table.items() if w and w.date() == week), 0)

    return weeks, [at(leads, w) for w in weeks], [at(mqls, w) for w in weeks]


def panel(actor) -> dict | None:
    if access.function_of(actor) not in ("marketing", "admin"):
        return None
    today = timezone.localdate()
    month = today.replace(day=1)
    people = access.scope(actor, Person.objects.all(), "person")
    start = periods.day_start(month)
    this_month = people.filter(first_touch_at__gte=start)
    leads = this_month.count()
    mqls = (
        LifecycleTransition.objects.filter(to_stage="mql", at__gte=start, person__in=people)
        .values("person_id")
        .distinct()
        .count()
    )
    spend = ProgramCost.objects.filter(incurred_on__gte=month).aggregate(t=Sum("amount"))["t"]
    spend = spend or Decimal(0)
    by_program = list(
        this_month.exclude(source_program=None)
        .values("source_program_id", "source_program__name")
        .annotate(leads=Count("id"))
        .order_by("-leads")[:8]
    )
    monday = today - timedelta(days=today.weekday())
    weeks, weekly_leads, weekly_mqls = _weekly(people, monday - timedelta(weeks=WEEKS - 1))
    return {
        "template": "marketing/_dash_marketing.html",
        "order": 30,
        "charts": True,
        "data": {
            "month": month,
            "leads": leads,
            "mqls": mqls,
            "spend": spend,
            "cpl": (spend / leads).quantize(Decimal("0.01")) if leads else None,
            "leads_url": _people_url(first_touch_after=month.isoformat()),
            "campaigns": _last_campaigns(actor),
            "weekly_chart": charts.spec(
                "bar",
                [w.strftime("%d %b") for w in weeks],
                [("Leads", weekly_leads), ("MQLs", weekly_mqls, "line")],
            ),
            "program_chart": charts.spec(
                "hbar",
                [r["source_program__name"] for r in by_program],
                [("Leads this month", [r["leads"] for r in by_program])],
                links=[
                    _people_url(program=r["source_program_id"], first_touch_after=month.isoformat())
                    for r in by_program
                ],
            ),
            "has_programs": bool(by_program),
        },
    }


def _last_campaigns(actor) -> list[dict]:
    campaigns = list(
        access.scope(actor, Campaign.objects.exclude(started_at=None), "campaign")
        .order_by("-started_at")[:5]
        .values("pk", "name", "status", "started_at")
    )
    counts = {
        row["campaign_id"]: row
        for row in Recipient.objects.filter(campaign_id__in=[c["pk"] for c in campaigns])
        .values("campaign_id")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    }
    for c in campaigns:
        row = counts.get(c["pk"], {"sent": 0, "opened": 0, "clicked": 0})
        sent = row["sent"]
        c.update(sent=sent, open_rate=100 * row["opened"] / sent if sent else None,
                 click_rate=100 * row["clicked"] / sent if sent else None)  # fmt: skip
    return campaigns
