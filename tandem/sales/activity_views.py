"""The rep's day, meeting invitations, the activity mix and the territory view."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core import access
from tandem.core.errors import DomainError, NotFound
from tandem.core.period_form import period_from
from tandem.core.web import guarded
from tandem.sales import calendar, dashboards, selectors, services
from tandem.sales.models import ActivityKind, Opportunity


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)


@guarded
def my_day(request):
    access.require_see(request.user, "activity")
    day = selectors.my_day(actor=request.user)
    context = {
        "day": day,
        "groups": [
            ("overdue", "Overdue", day["overdue"]),
            ("today", "Today", day["today"]),
            ("upcoming", "Next seven days", day["upcoming"]),
        ],
        "stalled": dashboards.without_next_step(Opportunity.objects.filter(owner=request.user)),
    }
    return render(request, "sales/my_day.html", context)


def _meeting(request, pk: int, action: str = access.READ):
    act = selectors.activity_get_for(actor=request.user, id=pk, action=action)
    if act.kind != ActivityKind.MEETING:
        raise NotFound("Only meetings have invitations.")
    return act


@guarded
def invite_ics(request, pk: int):
    act = _meeting(request, pk)
    body = calendar.invitation(
        act, organizer_email=request.user.email or "noreply@localhost", host=request.get_host()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8; method=REQUEST")
    response["Content-Disposition"] = f'attachment; filename="meeting-{act.pk}.ics"'
    return response


@require_POST
@guarded
def invite_email(request, pk: int):
    act = _meeting(request, pk, access.WRITE)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not sent: " + form.errors.as_text())
        return redirect(act.get_absolute_url())
    try:
        services.meeting_invite_send(
            actor=request.user, act=act, to=form.cleaned_data["email"], host=request.get_host()
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(act.get_absolute_url())


@guarded
def activity_mix(request):
    access.require_see(request.user, "activity")
    form, since, until = period_from(request.GET)
    rows = selectors.activity_mix(actor=request.user, since=since, until=until)
    context = {"rows": rows, "form": form, "since": since, "until": until}
    return render(request, "sales/activity_mix.html", context)


@guarded
def territories(request):
    access.require_see(request.user, "organization")
    all_territories = list(selectors.territories())
    chosen = next((t for t in all_territories if str(t.pk) == request.GET.get("territory")), None)
    chosen = chosen or (all_territories[0] if all_territories else None)
    page = (
        selectors.territory_accounts(actor=request.user, territory=chosen, params=request.GET)
        if chosen
        else None
    )
    context = {"territories": all_territories, "chosen": chosen, "page": page}
    return render(request, "sales/territories.html", context)
