"""Marketing's pages for email campaigns and the suppression list."""

from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.contacts.models import Person
from tandem.core import access, timeline
from tandem.core.errors import Conflict, DomainError, Invalid, NotFound
from tandem.core.replica import replica_reads
from tandem.core.web import guarded, render_list, save_form
from tandem.marketing import campaigns, selectors, sending, tracking
from tandem.marketing.forms import CampaignForm, SuppressionImportForm
from tandem.marketing.models import CampaignStatus


def _initial(request) -> dict:
    """A new campaign's defaults; ?segment= and ?program= preselect them."""
    initial = {"body_format": "markdown", "require_consent": True}
    for key in ("segment", "program"):
        if request.GET.get(key, "").isdigit():
            initial[key] = int(request.GET[key])
    return initial


def _form(request, instance=None):
    return CampaignForm(
        request.POST or None,
        instance=instance,
        initial=None if instance else _initial(request),
        programs=selectors.program_qs(request.user).order_by("name"),
        segments=selectors.segments_for_choice(actor=request.user),
    )


@guarded
def campaigns_list(request):
    page = selectors.campaign_list(actor=request.user, params=request.GET)
    extra = {"can_create": access.can_create(request.user, "campaign")}
    return render_list(request, "marketing/campaigns.html", page, extra)


@guarded
def campaign_new(request):
    access.require_create(request.user, "campaign")
    return save_form(
        request,
        _form(request),
        lambda data: campaigns.campaign_create(actor=request.user, data=data),
        "contacts/form.html",
        {"title": "New campaign"},
    )


@guarded
def campaign_edit(request, pk: int):
    obj = selectors.campaign_get_for(actor=request.user, id=pk, action=access.WRITE)
    return save_form(
        request,
        _form(request, obj),
        lambda data: campaigns.campaign_update(actor=request.user, campaign=obj, data=data),
        "contacts/form.html",
        {"title": f"Edit {obj}"},
    )


def _sample_person(actor, campaign, person_id):
    people = access.scope(actor, Person.objects.select_related("organization"), "person")
    if person_id:
        try:
            return people.get(pk=int(person_id))
        except (Person.DoesNotExist, ValueError):
            raise NotFound() from None
    # Any one of the audience, the first the database comes to: in pk order, SQLite read every
    # lead's row at 1M people to sort them (2.6 s) where this stops at the first that qualifies.
    first = list(campaigns.audience(campaign).order_by().values_list("pk", flat=True)[:1])
    return people.filter(pk__in=first).first() if first else people.order_by("pk").first()


@guarded
def campaign_detail(request, pk: int):
    obj = selectors.campaign_get_for(actor=request.user, id=pk)
    can_edit = access.can_write(request.user, obj, "campaign")
    person = _sample_person(request.user, obj, request.GET.get("person"))
    variant = "b" if request.GET.get("variant") == "b" else "a"
    context = {
        **timeline.page_context(request, obj, "campaign"),
        "obj": obj,
        "can_edit": can_edit,
        "editable": obj.status in campaigns.EDITABLE,
        "stats": campaigns.stats(obj),
        "rates": sending.variant_rates(obj) if obj.is_ab else {},
        "skipped": obj.skipped,
        # a draft's audience is a pass over every person: it is counted after the page
        "audience_url": reverse("marketing:campaign_audience", args=[obj.pk])
        if obj.segment_id and obj.status == "draft"
        else "",
        "person": person,
        "variant": variant,
        "preview": campaigns.preview(obj, person, variant) if person else None,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "marketing/campaign.html", context)


@guarded
@replica_reads
def campaign_audience(request, pk: int):
    """Who a draft would reach now and who it leaves out, fetched by its page once shown."""
    obj = selectors.campaign_get_for(actor=request.user, id=pk)
    audience, skipped = campaigns.audience_summary(obj) if obj.segment_id else (0, {})
    context = {"audience": audience, "skipped": {k: n for k, n in skipped.items() if n}}
    return render(request, "marketing/_campaign_audience.html", context)


def _act(request, pk: int, action, done: str):
    obj = selectors.campaign_get_for(actor=request.user, id=pk, action=access.WRITE)
    try:
        action(obj)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(obj.get_absolute_url())


def _when(raw: str):
    if not raw:
        return None
    try:
        return timezone.make_aware(datetime.fromisoformat(raw))
    except ValueError:
        raise Invalid("The send time is not a date and time.", field="at") from None


@require_POST
@guarded
def campaign_send(request, pk: int):
    at = _when(request.POST.get("at", ""))
    return _act(
        request,
        pk,
        lambda c: campaigns.campaign_send(actor=request.user, campaign=c, at=at),
        "Scheduled." if at else "Sending has started in the background.",
    )


@require_POST
@guarded
def campaign_cancel(request, pk: int):
    return _act(
        request,
        pk,
        lambda c: campaigns.campaign_cancel(actor=request.user, campaign=c),
        "Campaign cancelled.",
    )


@require_POST
@guarded
def campaign_pick_winner(request, pk: int):
    def pick(campaign):
        if not sending.pick_winner(campaign.pk, actor=request.user, via="ui"):
            raise Conflict("The A/B test is not running.")

    return _act(request, pk, pick, "Winner picked; the rest are being sent.")


@require_POST
@guarded
def campaign_test(request, pk: int):
    obj = selectors.campaign_get_for(actor=request.user, id=pk, action=access.WRITE)
    person = _sample_person(request.user, obj, request.POST.get("person"))
    return _act(
        request,
        pk,
        lambda c: campaigns.send_test(
            actor=request.user, campaign=c, person=person, to=request.POST.get("to", "")
        ),
        "Test sent.",
    )


@guarded
def suppressions(request):
    access.require_create(request.user, "campaign")
    form = SuppressionImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = tracking.suppressions_import(
                actor=request.user, text=form.content(), reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    page = selectors.suppressed_addresses(params=request.GET)
    context = {"form": form, "result": result, "statuses": CampaignStatus}
    return render_list(request, "marketing/suppressions.html", page, context)
