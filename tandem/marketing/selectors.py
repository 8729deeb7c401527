import time
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core import access, listing, periods, picks
from tandem.core.listing import Filter, ListSpec
from tandem.marketing import tallies
from tandem.marketing.models import (
    Campaign,
    Channel,
    LeadForm,
    Program,
    ProgramCost,
    ProgramStatus,
    Recipient,
    Segment,
    Submission,
    SuppressedAddress,
    Touch,
    TouchKind,
)

PROGRAM_LIST = ListSpec(
    filters={
        "channel": Filter("channel", listing.choice(Channel.choices), "Channel"),
        "status": Filter("status", listing.choice(ProgramStatus.choices), "Status"),
        "owner": Filter("owner_id", listing.integer, "Owner"),
    },
    sorts={
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "-start": ("-start_date", "-id"),
        "start": ("start_date", "id"),
        "-budget": ("-budget", "-id"),
        "budget": ("budget", "id"),
    },
    default_sort="-start",
    search=lambda qs, q: qs.filter(name__icontains=q),
)

TOUCH_LIST = ListSpec(
    filters={
        "person": Filter("person_id", listing.integer, "Person"),
        "program": Filter("program_id", listing.integer, "Program"),
        "kind": Filter("kind", listing.choice(TouchKind.choices), "Kind"),
        "since": Filter(
            "occurred_at__gte", lambda v: periods.day_start(listing.iso_date(v)), "Since"
        ),
    },
    sorts={"-occurred": ("-occurred_at", "-id"), "occurred": ("occurred_at", "id")},
    default_sort="-occurred",
)


def program_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Program.objects.all(), "program", action)


def program_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(program_qs(actor), PROGRAM_LIST, params)
    number, size = listing.page_numbers(params)
    page = listing.paginate(qs.select_related("owner"), number=number, size=size, params=applied)
    _add_spend_and_leads(page.items)
    return page


def _add_spend_and_leads(programs: list[Program]) -> None:
    """Each listed program's spend and leads, in two grouped queries for the page."""
    ids = [p.pk for p in programs]
    spend = dict(
        ProgramCost.objects.filter(program_id__in=ids)
        .values_list("program_id")
        .annotate(total=Sum("amount"))
    )
    tallied = tallies.counts(ids)
    for p in programs:
        p.spend = spend.get(p.pk, 0)
        p.leads = tallied[p.pk]["leads"]
        p.spent_pct = round(p.spend * 100 / p.budget) if p.budget else None


def program_get_for(*, actor, id, action: str = access.READ) -> Program:
    return access.get_for(actor, Program.objects.select_related("owner"), "program", id, action)


def program_spend(*, program: Program):
    return program.costs.aggregate(total=Sum("amount"))["total"] or 0


def touch_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Touch.objects.all(), "touch", action)


def touch_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(touch_qs(actor), TOUCH_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("program", "person", "rep")
    return listing.paginate(qs, number=number, size=size, params=applied)


def touch_get_for(*, actor, id) -> Touch:
    return access.get_for(actor, Touch.objects.select_related("program", "person"), "touch", id)


def touches_of_person(*, person, limit: int = 50):
    return person.touches.select_related("program", "rep").order_by("-occurred_at")[:limit]


def leads_by_program(*, actor, since: date, until: date) -> list[dict]:
    """Leads of a program (DOMAIN.md): people whose first touch came from it, in the period."""
    people = access.scope(actor, Person.objects.all(), "person")
    start, end = periods.day_start(since), periods.day_start(until)
    return list(
        people.filter(first_touch_at__gte=start, first_touch_at__lt=end)
        .exclude(source_program=None)
        .values("source_program_id", "source_program__name", "source_program__channel")
        .annotate(leads=Count("id"))
        .order_by("-leads")
    )


def program_card(*, program: Program) -> dict:
    """A program's basics: leads it brought, how many ever reached MQL or beyond (as the
    scorecard counts them: MQL through customer), its spend."""
    tallied = tallies.counts([program.pk])[program.pk]
    leads, qualified = tallied["leads"], tallied["mqls"]
    spend = program_spend(program=program)
    return {
        "leads": leads,
        "qualified": qualified,
        "spend": spend,
        "budget_left": program.budget - spend,
        "cost_per_lead": round(spend / leads, 2) if leads else None,
    }


def _simple_list(actor, model, resource: str, params, *, related=("owner",)) -> listing.Page:
    access.require_see(actor, resource)
    qs, applied = listing.apply(
        access.scope(actor, model.objects.all(), resource), NAMED_LIST, params
    )
    number, size = listing.page_numbers(params)
    return listing.paginate(qs.select_related(*related), number=number, size=size, params=applied)


NAMED_LIST = ListSpec(
    filters={"owner": Filter("owner_id", listing.integer, "Owner")},
    sorts={"-created": ("-created_at", "-id"), "name": ("name", "id")},
    default_sort="-created",
    search=lambda qs, q: qs.filter(name__icontains=q),
)


def form_list(*, actor, params) -> listing.Page:
    page = _simple_list(actor, LeadForm, "form", params, related=("owner", "program"))
    since = timezone.now() - timedelta(days=30)
    counts = {
        r["form_id"]: r
        for r in Submission.objects.filter(form_id__in=[f.pk for f in page.items])
        .values("form_id")
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(at__gte=since)))
    }
    for f in page.items:
        row = counts.get(f.pk, {})
        f.submission_count, f.recent_count = row.get("total", 0), row.get("recent", 0)
    return page


def form_get_for(*, actor, id, action: str = access.READ) -> LeadForm:
    return access.get_for(actor, LeadForm.objects.select_related("program"), "form", id, action)


_PUBLIC_FORMS: dict[str, tuple[float, LeadForm]] = {}
PUBLIC_FORM_TTL = 5.0  # seconds an edit takes to reach every server process


def form_public(*, key: str) -> LeadForm | None:
    """A form as the public reaches it: by its key, only while active. Each process keeps a
    found form for a few seconds, so a burst of submissions does not fetch it every time."""
    if not key or "\x00" in key:  # no key holds NUL (PostgreSQL refuses it in a query)
        return None
    now = time.monotonic()
    hit = _PUBLIC_FORMS.get(key)
    if hit and hit[0] > now:
        return hit[1]
    form = LeadForm.objects.filter(key=key or "-", is_active=True).first()
    if form is None:
        _PUBLIC_FORMS.pop(key, None)
    else:
        _PUBLIC_FORMS[key] = (now + PUBLIC_FORM_TTL, form)
    return form


def forget_public_form(key: str) -> None:
    _PUBLIC_FORMS.pop(key, None)


def submissions_of(*, form: LeadForm, limit: int = 50):
    return form.submissions.select_related("person").order_by("-at")[:limit]


def segment_list(*, actor, params) -> listing.Page:
    return _simple_list(actor, Segment, "segment", params)


def segment_get_for(*, actor, id, action: str = access.READ) -> Segment:
    return access.get_for(actor, Segment.objects.all(), "segment", id, action)


def segments_for_choice(*, actor):
    return access.scope(actor, Segment.objects.order_by("name"), "segment")


def campaign_list(*, actor, params) -> listing.Page:
    page = _simple_list(actor, Campaign, "campaign", params, related=("owner", "segment"))
    _add_reach(page.items)
    return page


def _add_reach(campaigns: list[Campaign]) -> None:
    """Sent, open and click rates of each listed campaign, in one grouped query."""
    rows = (
        Recipient.objects.filter(campaign_id__in=[c.pk for c in campaigns])
        .values("campaign_id")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    )
    by_campaign = {r["campaign_id"]: r for r in rows}
    for c in campaigns:
        r = by_campaign.get(c.pk, {"sent": 0, "opened": 0, "clicked": 0})
        c.sent = r["sent"]
        c.open_rate = r["opened"] * 100 / r["sent"] if r["sent"] else None
        c.click_rate = r["clicked"] * 100 / r["sent"] if r["sent"] else None


def campaign_get_for(*, actor, id, action: str = access.READ) -> Campaign:
    return access.get_for(
        actor, Campaign.objects.select_related("program", "segment"), "campaign", id, action
    )


def suppressed_addresses(*, params) -> listing.Page:
    qs = SuppressedAddress.objects.order_by("-at", "-id")
    q = (params.get("q") or "").strip().lower()[:100]
    if q:
        qs = qs.filter(email_normalized__contains=q)
    number, size = listing.page_numbers(params)
    return listing.paginate(qs, number=number, size=size, params={"q": q} if q else {})


def programs_for_choice():
    return Program.objects.order_by("name").only("pk", "name")


def program_picks(*, actor, q: str) -> list[dict]:
    return picks.by_name(
        program_qs(actor).order_by("-start_date", "name"), q, "name",
        sub=lambda p: f"{p.get_channel_display()} · {p.get_status_display()}",
    )  # fmt: skip


def segment_picks(*, actor, q: str) -> list[dict]:
    return picks.by_name(segments_for_choice(actor=actor), q, "name", "description")


def program_label(pk: int) -> str:
    return picks.label_of(Program, pk)


def segment_label(pk: int) -> str:
    return picks.label_of(Segment, pk)
