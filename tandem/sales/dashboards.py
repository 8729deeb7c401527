"""The sales dashboards on Home: a rep's day, pipeline by stage, quota gauge and deals with
no next step; a manager's team attainment, forecast against quota and pipeline. Every figure
links to the records behind it."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from tandem.core import access, charts
from tandem.core.periods import quarter_of
from tandem.core.roles import Role
from tandem.sales import forecast, selectors
from tandem.sales.models import Activity, Opportunity, Quota, StageHistory, StageKind


def deals_url(**params) -> str:
    return f"{reverse('sales:opportunities')}?{urlencode(params)}"


def _by_stage(opps) -> list[dict]:
    return list(
        opps.filter(stage__kind=StageKind.OPEN)
        .values("stage_id", "stage__name", "stage__order")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("stage__order")
    )


def _won(opps, since, until) -> Decimal:
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    total = opps.filter(
        stage__kind=StageKind.WON, closed_at__gte=start, closed_at__lt=end
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def _day(actor) -> dict:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    mine = Activity.objects.filter(owner=actor, done_at__isnull=True)
    overdue = mine.filter(due_at__lt=start).count()
    upcoming = list(
        mine.filter(due_at__lt=start + timedelta(days=2))
        .select_related("opportunity", "person")
        .order_by("due_at")[:8]
    )
    return {"overdue": overdue, "items": upcoming, "today_count": len(upcoming)}


def without_next_step(opps) -> list:
    """Open deals with no open activity: nobody has planned the next move."""
    return list(
        opps.filter(stage__kind=StageKind.OPEN)
        .annotate(planned=Count("activities", filter=Q(activities__done_at__isnull=True)))
        .filter(planned=0)
        .select_related("organization", "stage")
        .order_by("-amount")[:6]
    )


def _days_in_stage(deals) -> None:
    entered = dict(
        StageHistory.objects.filter(opportunity__in=deals, left_at__isnull=True).values_list(
            "opportunity_id", "entered_at"
        )
    )
    now = timezone.now()
    for deal in deals:
        at = entered.get(deal.pk)
        deal.days_in_stage = (now - at).days if at else None


def rep_panel(actor) -> dict:
    today = timezone.localdate()
    since, until = quarter_of(today)
    opps = Opportunity.objects.filter(owner=actor)
    stages = _by_stage(opps)
    quota = (
        Quota.objects.filter(user=actor, period_kind="quarter", period_start=since)
        .values_list("amount", flat=True)
        .first()
    )
    won = _won(opps, since, until)
    stale = without_next_step(opps)
    _days_in_stage(stale)
    pipeline = sum((s["amount"] or 0 for s in stages), Decimal(0))
    return {
        "template": "sales/_dash_rep.html",
        "order": 10,
        "charts": True,
        "data": {
            "since": since,
            "until": until,
            "open_count": sum(s["count"] for s in stages),
            "pipeline": pipeline,
            "won": won,
            "quota": quota,
            "attainment": round(100 * won / quota, 1) if quota else None,
            "day": _day(actor),
            "stale": stale,
            "open_url": deals_url(owner=actor.pk, status="open"),
            "won_url": deals_url(owner=actor.pk, status="won", close_after=since.isoformat()),
            "chart": charts.spec(
                "bar",
                [s["stage__name"] for s in stages],
                [("Open amount", [s["amount"] for s in stages])],
                links=[deals_url(owner=actor.pk, stage=s["stage_id"]) for s in stages],
                format="money",
            ),
        },
    }


def manager_panel(actor) -> dict | None:
    if not (actor.role in (Role.SALES_MANAGER,) or access.is_admin(actor)):
        return None
    today = timezone.localdate()
    since, until = quarter_of(today)
    opps = selectors.opportunity_qs(actor)
    reps = selectors.visible_owner_ids(actor)
    team_ids = None
    if actor.role == Role.SALES_MANAGER and actor.team_id:
        team_ids = list(actor.team.members.values_list("pk", flat=True))
        opps = opps.filter(owner_id__in=team_ids)  # every figure of the panel is the team's
    rows = forecast.attainment(
        opps=opps, since=since, until=until, kind="quarter", user_ids=team_ids or reps
    )
    quota_total = sum((r["quota"] for r in rows), Decimal(0))
    won_total = sum((r["won"] for r in rows), Decimal(0))
    pipeline = selectors.default_pipeline()
    outlook = (
        forecast.forecast(opps=opps, since=since, until=until, pipeline_id=pipeline.pk)
        if pipeline
        else None
    )
    stages = _by_stage(opps)
    scope = f"team {actor.team}" if team_ids else "everyone in sales"
    return {
        "template": "sales/_dash_manager.html",
        "order": 20,
        "charts": True,
        "data": {
            "since": since,
            "until": until,
            "scope": scope,
            "won": won_total,
            "quota": quota_total,
            "attainment": round(100 * won_total / quota_total, 1) if quota_total else None,
            "forecast": outlook,
            "stages": stages,
            "pipeline_total": sum((s["amount"] or 0 for s in stages), Decimal(0)),
            "rows": rows,
            "attainment_chart": charts.spec(
                "hbar",
                [r["rep"].display_name for r in rows],
                [
                    ("Won", [r["won"] for r in rows]),
                    ("Quota", [r["quota"] for r in rows], "target"),
                ],
                links=[
                    deals_url(owner=r["rep"].pk, status="won", close_after=since.isoformat())
                    for r in rows
                ],
                format="money",
            ),
            "forecast_chart": _forecast_chart(outlook, won_total, quota_total),
        },
    }


def _forecast_chart(outlook, won, quota) -> dict | None:
    if outlook is None:
        return None
    labels = ["Won", "Commit", "Best case", "Weighted", "Expected (history)"]
    values = [won, won + outlook.commit, won + outlook.best_case, won + outlook.weighted,
              won + outlook.expected]  # fmt: skip
    return charts.spec(
        "bar",
        labels,
        [("This quarter", values), ("Quota", [quota] * len(labels), "target")],
        format="money",
    )


def palette_actions(user) -> list[tuple[str, str, str]]:
    """What the command palette offers sales: the day, the board, logging work."""
    if not access.can_see(user, "activity"):
        return []
    return [
        ("Open my day", reverse("sales:my_day"), "overdue, today, this week"),
        ("Open the pipeline board", reverse("sales:board"), "drag deals between stages"),
        ("See my open deals", deals_url(owner=user.pk, status="open"), "list"),
    ]
