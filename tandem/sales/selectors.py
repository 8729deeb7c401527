from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.contacts.selectors import organization_qs
from tandem.core import access, listing, periods
from tandem.core.listing import Filter, ListSpec
from tandem.sales import forecast
from tandem.sales.models import (
    Activity,
    ActivityKind,
    DistributionChannel,
    Opportunity,
    Pipeline,
    Stage,
    StageHistory,
    StageKind,
    Territory,
)

OPPORTUNITY_LIST = ListSpec(
    filters={
        "stage": Filter("stage_id", listing.integer, "Stage"),
        "status": Filter("stage__kind", listing.choice(StageKind.choices), "Status"),
        "owner": Filter("owner_id", listing.integer, "Owner"),
        "organization": Filter("organization_id", listing.integer, "Organization"),
        "channel": Filter("channel", listing.choice(DistributionChannel.choices), "Channel"),
        "close_after": Filter("expected_close__gte", listing.iso_date, "Closes after"),
        "close_before": Filter("expected_close__lte", listing.iso_date, "Closes before"),
    },
    sorts={
        "close": ("expected_close", "id"),
        "-close": ("-expected_close", "-id"),
        "-amount": ("-amount", "-id"),
        "amount": ("amount", "id"),
        "-created": ("-created_at", "-id"),
        "name": ("name", "id"),
    },
    default_sort="-created",
    search=lambda qs, q: qs.filter(search_text__contains=q.lower()),
)

ACTIVITY_LIST = ListSpec(
    filters={
        "kind": Filter("kind", listing.choice(ActivityKind.choices), "Kind"),
        "owner": Filter("owner_id", listing.integer, "Owner"),
        "opportunity": Filter("opportunity_id", listing.integer, "Opportunity"),
        "person": Filter("person_id", listing.integer, "Person"),
        "done": Filter("done_at__isnull", lambda v: not listing.boolean(v), "Done"),
    },
    sorts={"due": ("due_at", "id"), "-due": ("-due_at", "-id")},
    default_sort="due",
    search=lambda qs, q: qs.filter(subject__icontains=q),
)


def opportunity_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Opportunity.objects.all(), "opportunity", action)


def opportunity_list(*, actor, params) -> listing.Page:
    access.require_see(actor, "opportunity")
    qs, applied = listing.apply(opportunity_qs(actor), OPPORTUNITY_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("organization", "owner", "stage")
    return listing.paginate(qs, number=number, size=size, params=applied)


OPPORTUNITY_EXPORT = (
    ("id", "pk"),
    ("name", "name"),
    ("organization", "organization__name"),
    ("owner", "owner__username"),
    ("stage", "stage__name"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("opened", "created_at"),
    ("close", "expected_close"),
    ("closed_at", "closed_at"),
    ("forecast_category", "forecast_category"),
)


def opportunity_export(*, actor, params):
    """The filtered list, every page: (header, row iterator); re-imports as opportunities."""
    access.require_see(actor, "opportunity")
    qs, _ = listing.apply(opportunity_qs(actor), OPPORTUNITY_LIST, params)
    rows = qs.values_list(*(lookup for _, lookup in OPPORTUNITY_EXPORT)).iterator(5000)
    return [name for name, _ in OPPORTUNITY_EXPORT], rows


def opportunity_get_for(*, actor, id, action: str = access.READ) -> Opportunity:
    qs = Opportunity.objects.select_related(
        "organization", "person", "owner", "stage", "pipeline", "partner", "loss_reason", "lost_to"
    )
    return access.get_for(actor, qs, "opportunity", id, action)


def opportunity_search(*, actor, q: str, limit: int = 8) -> list[Opportunity]:
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    qs = opportunity_qs(actor).filter(search_text__contains=q.lower())
    return list(qs.select_related("organization", "stage")[:limit])


def stage_history(*, opportunity: Opportunity):
    return opportunity.stage_history.select_related("stage", "actor").order_by("entered_at", "id")


def activity_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Activity.objects.all(), "activity", action)


def activity_list(*, actor, params) -> listing.Page:
    access.require_see(actor, "activity")
    qs, applied = listing.apply(activity_qs(actor), ACTIVITY_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("owner", "person", "organization", "opportunity")
    return listing.paginate(qs, number=number, size=size, params=applied)


def activity_get_for(*, actor, id, action: str = access.READ) -> Activity:
    return access.get_for(actor, Activity.objects.select_related("owner"), "activity", id, action)


def open_stages(*, pipeline_id=None):
    qs = Stage.objects.filter(kind=StageKind.OPEN).select_related("pipeline")
    return qs.filter(pipeline_id=pipeline_id) if pipeline_id else qs


def rep_summary(*, actor) -> dict:
    """A rep's home: open opportunities and today's activities."""
    opps = Opportunity.objects.filter(owner=actor, stage__kind=StageKind.OPEN)
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    todays = (
        Activity.objects.filter(
            owner=actor, done_at__isnull=True, due_at__lt=start + timedelta(days=1)
        )
        .select_related("opportunity", "person")
        .order_by("due_at")[:20]
    )
    return {
        "open_opportunities": opps.select_related("organization", "stage").order_by(
            "expected_close"
        )[:20],
        "open_count": opps.count(),
        "open_amount": opps.aggregate(total=Sum("amount"))["total"] or 0,
        "todays_activities": list(todays),
    }


def team_pipeline(*, actor, period_start, period_end) -> dict:
    """A manager's home: pipeline by stage and quota attainment per rep in the period."""
    opps = opportunity_qs(actor)
    by_stage = list(
        opps.filter(stage__kind=StageKind.OPEN)
        .values("stage__name", "stage__order")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("stage__order")
    )
    team = None
    if actor.role == "sales_manager" and actor.team_id:
        team = list(
            get_user_model().objects.filter(team_id=actor.team_id).values_list("pk", flat=True)
        )
    attainment = forecast.attainment(
        opps=opps, since=period_start, until=period_end, kind="quarter", user_ids=team
    )
    return {"by_stage": by_stage, "attainment": attainment}


BOARD_CARDS = 50  # cards shown per open stage; the column's count and total cover them all


def board(
    *, actor, pipeline: Pipeline, owner_id: int | None = None, per_stage: int | None = None
) -> list[dict]:
    """The kanban board: one column per stage; open stages carry their open deals (with the
    owner, the days in the stage and the next planned activity), the `per_stage` closing
    soonest, with the count and total of all; closed ones this quarter's count and total."""
    per_stage = per_stage or BOARD_CARDS
    stages = list(pipeline.stages.order_by("order"))
    visible = opportunity_qs(actor).filter(pipeline=pipeline)
    if owner_id:
        visible = visible.filter(owner_id=owner_id)
    opps = visible.filter(stage__kind=StageKind.OPEN)
    sums = {
        row["stage_id"]: (row["n"], row["total"] or 0)
        for row in opps.order_by().values("stage_id").annotate(n=Count("id"), total=Sum("amount"))
    }
    cards: dict[int, list] = {s.pk: [] for s in stages}
    fields = ("id", "name", "amount", "currency", "expected_close", "stage_id",
              "organization__name", "owner__first_name", "owner__last_name", "owner__username",
              "owner_id")  # fmt: skip
    # each open stage's first cards by its own query: the (stage, expected close) index gives
    # them in order, where ranking every open deal of the team would read them all
    rows = []
    for stage in stages:
        if stage.kind == StageKind.OPEN:
            ordered = opps.filter(stage_id=stage.pk).order_by("expected_close", "id")
            rows += ordered.values_list(*fields)[:per_stage]
    rows = list(rows)
    ids = [row[0] for row in rows]
    entered = _entered_stage(ids)
    upcoming = _next_activities(ids)
    for pk, name, amount, currency, close, stage_id, org, first, last, login, owner in rows:
        cards[stage_id].append({
            "id": pk, "name": name, "amount": amount, "currency": currency, "close": close,
            "org": org or "", "owner": f"{first} {last}".strip() or login, "owner_id": owner,
            "entered": entered.get(pk), "next": upcoming.get(pk),
        })  # fmt: skip
    closed = _closed_this_quarter(visible)
    columns = []
    for s in stages:
        count, total = (
            sums.get(s.pk, (0, 0)) if s.kind == StageKind.OPEN else closed.get(s.pk, (0, 0))
        )
        columns.append({
            "stage": s, "cards": cards[s.pk], "count": count, "total": total,
            "more": count - len(cards[s.pk]) if s.kind == StageKind.OPEN else 0,
        })  # fmt: skip
    return columns


def _entered_stage(ids: list[int]) -> dict:
    rows = StageHistory.objects.filter(opportunity_id__in=ids, left_at__isnull=True)
    return dict(rows.values_list("opportunity_id", "entered_at"))


def _next_activities(ids: list[int]) -> dict:
    """{deal: (kind, due_at)} of each deal's next open activity."""
    rows = (
        Activity.objects.filter(opportunity_id__in=ids, done_at__isnull=True)
        .order_by("opportunity_id", "due_at")
        .values_list("opportunity_id", "kind", "due_at")
    )
    found = {}
    for deal, kind, due in rows:
        found.setdefault(deal, (kind, due))
    return found


def _closed_this_quarter(visible) -> dict:
    since, until = periods.quarter_of(timezone.localdate())
    start, end = periods.days(since, until)
    rows = (
        visible.exclude(stage__kind=StageKind.OPEN)
        .filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    return {stage: (n, total or 0) for stage, n, total in rows}


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()


def opportunities_for_bulk(*, actor, ids: list[int]) -> tuple[list[Opportunity], list[int]]:
    """The deals among `ids` the actor may edit, and the ids refused (missing or not theirs)."""
    ids = list(dict.fromkeys(ids))[:500]
    editable = list(opportunity_qs(actor, access.WRITE).filter(pk__in=ids).select_related("stage"))
    found = {o.pk for o in editable}
    return editable, [i for i in ids if i not in found]


MY_DAY_SHOWN = 25  # a group shows this many; its count and a link give the rest


def my_day(*, actor) -> dict:
    """The rep's day: overdue, today and the next seven days of open work, each group the
    first MY_DAY_SHOWN by due time with its whole count (one query counts all three)."""
    today = timezone.localdate()
    start, end = periods.days(today, today)
    week = end + timedelta(days=7)
    open_work = Activity.objects.filter(owner=actor, done_at__isnull=True)
    spans = {
        "overdue": Q(due_at__lt=start),
        "today": Q(due_at__gte=start, due_at__lt=end),
        "upcoming": Q(due_at__gte=end, due_at__lt=week),
    }
    totals = open_work.aggregate(**{k: Count("id", filter=q) for k, q in spans.items()})
    shown = open_work.select_related("opportunity", "person", "organization").order_by("due_at")
    return {
        key: {"items": list(shown.filter(q)[:MY_DAY_SHOWN]) if totals[key] else [],
              "total": totals[key]}
        for key, q in spans.items()
    }  # fmt: skip


def activity_mix(*, actor, since, until) -> list[dict]:
    """Per rep, selling work against work out of position, in a period."""
    start, end = periods.days(since, until)
    rows = (
        activity_qs(actor)
        .filter(due_at__gte=start, due_at__lt=end)
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username")
        .annotate(
            selling_work=Count("id", filter=Q(selling=True)),
            other_work=Count("id", filter=Q(selling=False)),
        )
        .order_by("owner__last_name", "owner__first_name")
    )
    return [
        {
            **r,
            "out_of_position_pct": round(
                100 * r["other_work"] / (r["selling_work"] + r["other_work"]), 1
            ),
        }
        for r in rows
    ]


def territories():
    return Territory.objects.select_related("team").order_by("name")


def territory_accounts(*, actor, territory: Territory, params) -> listing.Page:
    """A territory's accounts the actor may see, each with the time of its people's last touch."""
    orgs = organization_qs(actor).filter(country__in=territory.countries or [""])
    if territory.regions:
        orgs = orgs.filter(region__in=territory.regions)
    if territory.industries:
        orgs = orgs.filter(industry__in=territory.industries)
    number, size = listing.page_numbers(params)
    page = listing.paginate(
        orgs.select_related("owner").order_by("name", "id"), number=number, size=size
    )
    last = dict(
        Person.objects.filter(organization_id__in=[o.pk for o in page.items])
        .values_list("organization_id")
        .annotate(last=Max("touches__occurred_at"))
    )
    for org in page.items:
        org.last_touch = last.get(org.pk)
    return page


def visible_owner_ids(actor) -> list[int] | None:
    """Whose deals the actor may see, as user ids: None for everyone (managers, admins);
    for a rep, the rep and their team, as the rep scorecard shows."""
    if access.rule(actor, "opportunity") is None:
        return []
    if access.is_admin(actor) or actor.role != "sales_rep":
        return None
    if not actor.team_id:
        return [actor.pk]
    return list(get_user_model().objects.filter(team_id=actor.team_id).values_list("pk", flat=True))


def product_picks(*, actor, q: str) -> list[dict]:
    """Active products by name, SKU or family (the price book holds their prices)."""
    from tandem.core import picks
    from tandem.sales.models import Product

    qs = Product.objects.filter(active=True).order_by("name")
    return picks.by_name(
        qs, q, "name", "sku", "family", sub=lambda p: " · ".join(filter(None, [p.sku, p.family]))
    )


def product_label(pk: int) -> str:
    from tandem.core import picks
    from tandem.sales.models import Product

    return picks.label_of(Product, pk)
