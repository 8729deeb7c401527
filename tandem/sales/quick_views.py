"""Quick actions on a record page (a person, an account, a deal): log a call or an email that
happened, schedule a meeting, create a task. Each opens in the drawer, and goes through the
same service (and rights) as every other door."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from tandem.contacts.selectors import organization_get_for, person_get_for
from tandem.core import access
from tandem.core.errors import DomainError
from tandem.core.web import add_domain_error, guarded
from tandem.sales import selectors, services

KINDS = {
    "call": ("Log a call", "Call", True),
    "email": ("Log an email", "Email", True),
    "meeting": ("Schedule a meeting", "Meeting", False),
    "task": ("Create a task", "Follow up", False),
}


class QuickActivityForm(forms.Form):
    subject = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    notes = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    done = forms.BooleanField(required=False, label="It happened (log it as done)")


def _refs(actor, target: str, pk: int) -> tuple[object, dict]:
    if target == "person":
        person = person_get_for(actor=actor, id=pk)
        return person, {"person": person, "organization": person.organization}
    if target == "organization":
        org = organization_get_for(actor=actor, id=pk)
        return org, {"organization": org}
    if target == "opportunity":
        opp = selectors.opportunity_get_for(actor=actor, id=pk, action=access.WRITE)
        return opp, {"opportunity": opp, "organization": opp.organization, "person": opp.person}
    raise Http404()


def _initial(kind: str) -> dict:
    title, subject, done = KINDS[kind]
    now = timezone.localtime()
    if done:
        when = now.replace(second=0, microsecond=0)
    else:
        tomorrow = timezone.localdate() + timedelta(days=1)
        when = timezone.make_aware(datetime.combine(tomorrow, time(10)))
    return {"subject": subject, "due_at": when.strftime("%Y-%m-%dT%H:%M"), "done": done}


@guarded
def log(request, target: str, pk: int, kind: str):
    if kind not in KINDS:
        raise Http404()
    access.require_create(request.user, "activity")
    obj, refs = _refs(request.user, target, pk)
    form = QuickActivityForm(request.POST or None, initial=_initial(kind))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            act = services.activity_create(
                actor=request.user,
                data={
                    "kind": kind,
                    "subject": data["subject"],
                    "due_at": data["due_at"],
                    "notes": data["notes"],
                    "selling": True,
                    **refs,
                },
            )
            if data["done"]:
                services.activity_complete(actor=request.user, act=act)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{act.get_kind_display()} {'logged' if data['done'] else 'planned'}."
            )
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": obj.get_absolute_url()})
            return redirect(obj.get_absolute_url())
    context = {
        "form": form,
        "obj": obj,
        "title": KINDS[kind][0],
        "action": request.path,
        "submit": KINDS[kind][0],
    }
    template = "components/drawer_form.html" if request.htmx else "components/page_form.html"
    return render(request, template, context)
