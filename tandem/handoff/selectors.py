from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from tandem.contacts.models import LifecycleStage, Person
from tandem.core import access, listing
from tandem.core.errors import Forbidden
from tandem.core.listing import Filter, ListSpec
from tandem.handoff.models import Handoff, HandoffStatus, ScoreSnapshot
from tandem.marketing.models import Program

HANDOFF_LIST = ListSpec(
    filters={
        "status": Filter("status", listing.choice(HandoffStatus.choices), "Status"),
        "rep": Filter("rep_id", listing.integer, "Rep"),
    },
    sorts={"due": ("due_at", "id"), "-routed": ("-routed_at", "-id")},
    default_sort="due",
)


def handoff_qs(actor) -> QuerySet:
    return access.scope(actor, Handoff.objects.all(), "handoff")


def handoff_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(handoff_qs(actor), HANDOFF_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("person", "person__organization", "rep")
    return listing.paginate(qs, number=number, size=size, params=applied)


def handoff_summary(*, actor) -> dict:
    qs = handoff_qs(actor)
    counts = dict(qs.values_list("status").annotate(n=Count("id")))
    overdue = qs.filter(status=HandoffStatus.PENDING, due_at__lt=timezone.now()).count()
    return {"counts": counts, "overdue": overdue}


def handoff_get_for(*, actor, id, action: str = access.READ) -> Handoff:
    qs = Handoff.objects.select_related("person", "rep", "opportunity")
    return access.get_for(actor, qs, "handoff", id, action)


def inbox(*, actor, status: str, limit: int = 100):
    """The actor's own handoffs (a manager sees the team's in the SLA board instead)."""
    return (
        Handoff.objects.filter(rep=actor, status=status)
        .select_related("person", "person__organization")
        .order_by("due_at")[:limit]
    )


MQL_LIST = ListSpec(
    filters={
        "handoff": Filter(
            "handoff_state",
            listing.choice(
                [
                    ("unassigned", "Not handed off"),
                    ("pending", "Waiting"),
                    ("breached", "SLA missed"),
                ]
            ),
            "Handoff",
        )
    },  # fmt: skip
    sorts={"-changed": ("-stage_changed_at", "-id"), "-score": ("-score", "-id")},
    default_sort="-changed",
)


def mql_list(*, actor, params) -> listing.Page:
    """Every MQL (marketing's queue), with its current handoff, if any."""
    access.require_see(actor, "person")
    people = access.scope(
        actor, Person.objects.filter(lifecycle_stage=LifecycleStage.MQL), "person"
    )
    pending = Handoff.objects.filter(person=OuterRef("pk"), status=HandoffStatus.PENDING)
    people = people.annotate(
        handoff_state=Case(
            When(Exists(pending.filter(breached_at__isnull=False)), then=Value("breached")),
            When(Exists(pending), then=Value("pending")),
            default=Value("unassigned"),
        ),
        handoff_rep=Subquery(pending.values("rep__username")[:1]),
        handoff_due=Subquery(pending.values("due_at")[:1]),
    )
    qs, applied = listing.apply(people, MQL_LIST, params)
    number, size = listing.page_numbers(params)
    return listing.paginate(qs.select_related("organization", "source_program"), number=number,
                            size=size, params=applied)  # fmt: skip


def require_manager(actor) -> None:
    if not (access.is_admin(actor) or actor.role == "sales_manager"):
        raise Forbidden("The SLA board is for sales managers.")


def sla_board(*, actor) -> list[dict]:
    """Per rep: waiting, overdue, breached, and decided in the last 30 days."""
    now = timezone.now()
    since = now - timezone.timedelta(days=30)
    rows = (
        handoff_qs(actor)
        .values("rep_id", "rep__username")
        .annotate(
            waiting=Count("pk", filter=Q(status=HandoffStatus.PENDING)),
            overdue=Count("pk", filter=Q(status=HandoffStatus.PENDING, due_at__lt=now)),
            breached=Count("pk", filter=Q(breached_at__gte=since)),
            accepted=Count(
                "pk",
                filter=Q(
                    decided_at__gte=since,
                    status__in=[HandoffStatus.ACCEPTED, HandoffStatus.CONVERTED],
                ),
            ),  # fmt: skip
            rejected=Count("pk", filter=Q(decided_at__gte=since, status=HandoffStatus.REJECTED)),
        )
        .order_by("-overdue", "rep__username")
    )
    return list(rows)


def overdue(*, actor, limit: int = 100):
    return (
        handoff_qs(actor)
        .filter(status=HandoffStatus.PENDING, due_at__lt=timezone.now())
        .select_related("person", "rep")
        .order_by("due_at")[:limit]
    )


def programs():
    return Program.objects.order_by("name").only("pk", "name")


def score_history(*, person, limit: int = 50):
    return ScoreSnapshot.objects.filter(person=person).order_by("-at")[:limit]


SCORE_BANDS = 10  # bands of 10 points: 0–9, 10–19, …, 90 and more


def score_distribution(*, actor, threshold: int) -> dict:
    """Scores of the people the actor may see, in bands of ten points, and how many stand at
    or above a threshold: the preview of a new MQL line before it is saved."""
    people = access.scope(actor, Person.objects.all(), "person")
    band = Case(
        *[When(score__lt=(i + 1) * 10, then=Value(i)) for i in range(SCORE_BANDS - 1)],
        default=Value(SCORE_BANDS - 1),
    )
    above = Q(score__gte=threshold)
    already = above & ~Q(lifecycle_stage__in=(LifecycleStage.SUBSCRIBER, LifecycleStage.LEAD))
    # one pass over the people: each band's count, with those at or above the line in it
    rows = (
        people.annotate(band=band)
        .values_list("band")
        .annotate(
            n=Count("pk"), above=Count("pk", filter=above), already=Count("pk", filter=already)
        )
    )
    counts, at_or_above, already_there = {}, 0, 0
    for band_no, n, over, there in rows:
        counts[band_no] = n
        at_or_above += over
        already_there += there
    total = sum(counts.values())
    return {
        "labels": [f"{i * 10}–{i * 10 + 9}" for i in range(SCORE_BANDS - 1)] + ["90+"],
        "counts": [counts.get(i, 0) for i in range(SCORE_BANDS)],
        "total": total,
        "threshold": threshold,
        "above": at_or_above,
        "share": round(100 * at_or_above / total, 1) if total else None,
        "new": at_or_above - already_there,
    }
