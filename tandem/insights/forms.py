"""The parameters of each report: one form each, shared by the page, the export and the API."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from tandem.insights import (
    attribution,
    attribution_report,
    budget,
    funnel,
    journeys,
    programs,
    reps,
    voc,
)
from tandem.insights.models import Plan, PlanKind
from tandem.marketing.models import Segment

DATE = forms.DateInput(attrs={"type": "date"})
MODEL_CHOICES = [(m, attribution.LABELS[m]) for m in attribution.MODELS]


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=DATE)
    until = forms.DateField(required=False, widget=DATE)
    default_days = 90

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["since"] = data.get("since") or today - timedelta(days=self.default_days)
        data["until"] = data.get("until") or today
        if data["until"] < data["since"]:
            raise forms.ValidationError("The period ends before it starts.")
        if (data["until"] - data["since"]).days > 3660:
            raise forms.ValidationError("Ask for ten years or less.")
        return data

    def period(self):
        return self.cleaned_data["since"], self.cleaned_data["until"]


class FunnelForm(PeriodForm):
    mode = forms.ChoiceField(choices=list(funnel.MODES.items()), required=False)
    by = forms.ChoiceField(choices=list(funnel.GROUPS.items()), required=False)
    segment = forms.ModelChoiceField(queryset=Segment.objects.order_by("name"), required=False)

    def params(self):
        d = self.cleaned_data
        return funnel.Params(
            *self.period(),
            mode=d.get("mode") or "cohort",
            by=d.get("by") or "none",
            segment=d.get("segment"),
        )


class ProgramsForm(PeriodForm):
    model = forms.ChoiceField(choices=MODEL_CHOICES, required=False, label="Attribution model")

    def params(self):
        return programs.Params(*self.period(), model=self.cleaned_data.get("model") or "linear")


class RepsForm(PeriodForm):
    def params(self):
        return reps.Params(*self.period())


class AttributionForm(PeriodForm):
    outcome = forms.ChoiceField(choices=list(journeys.OUTCOMES.items()), required=False)
    dimension = forms.ChoiceField(
        choices=list(journeys.DIMENSIONS.items()), required=False, label="By"
    )
    half_life = forms.FloatField(
        required=False, min_value=0.1, max_value=365, label="Half-life (days)"
    )

    def params(self):
        d = self.cleaned_data
        return attribution_report.Params(
            *self.period(),
            outcome=d.get("outcome") or "won",
            dimension=d.get("dimension") or "program",
            half_life_days=d.get("half_life") or attribution_report.DEFAULT_HALF_LIFE,
        )


class VocForm(PeriodForm):
    by = forms.ChoiceField(choices=list(voc.GROUPS.items()), required=False)

    def params(self):
        return voc.Params(*self.period(), by=self.cleaned_data.get("by") or "program")


class BudgetForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(), required=False, help_text="The period the evidence comes from"
    )
    model = forms.ChoiceField(choices=MODEL_CHOICES, required=False, label="Attribution model")
    total = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Total to spend next period",
    )

    def clean(self):
        data = super().clean()
        if not data.get("plan"):
            today = timezone.localdate()
            data["plan"] = (
                Plan.objects.filter(period_start__lte=today, period_end__gte=today)
                .order_by("kind")
                .first()
                or Plan.objects.order_by("-period_start").first()
            )
        if data["plan"] is None:
            raise forms.ValidationError("Create a plan first: the proposal reads its period.")
        return data

    def params(self):
        d = self.cleaned_data
        return budget.Params(plan=d["plan"], model=d.get("model") or "markov", total=d.get("total"))


class PlanForm(forms.Form):
    kind = forms.ChoiceField(choices=PlanKind.choices)
    period_start = forms.DateField(widget=DATE, label="Starts on")
    name = forms.CharField(max_length=200, required=False)


class ActionForm(forms.Form):
    on = forms.DateField(widget=DATE, required=False)
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class BoundForm(forms.Form):
    minimum = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
    maximum = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
