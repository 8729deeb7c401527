"""The since/until form shared by report pages, defaulting to the last 90 days."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def period_from(params, *, default_days: int = 90) -> tuple[PeriodForm, date, date]:
    """The form bound to `params`, and the period it asks for (or the default one)."""
    today = timezone.localdate()
    form = PeriodForm(params or None)
    since, until = today - timedelta(days=default_days), today
    if form.is_valid():
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
    return form, since, until
