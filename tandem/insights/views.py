from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone

from tandem.core.web import guarded
from tandem.insights import selectors


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@guarded
def funnel(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    since, until = today - timedelta(days=90), today
    if form.is_valid():
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
    rows = selectors.funnel(actor=request.user, since=since, until=until)
    context = {"form": form, "rows": rows, "since": since, "until": until}
    return render(request, "insights/funnel.html", context)
