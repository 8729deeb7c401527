from django import forms

from tandem.sales.models import Activity, Competitor, LossReason, Opportunity, Stage


class OpportunityForm(forms.ModelForm):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "organization",
            "amount",
            "currency",
            "expected_close",
            "channel",
            "forecast_category",
        ]
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}),
            "organization": forms.NumberInput(attrs={"placeholder": "organization id"}),
        }

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline", "order"
        )
        if self.instance.pk:
            del self.fields["stage"]

    def _post_clean(self):
        """Rules live in the services."""


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.all())
    loss_reason = forms.ModelChoiceField(
        queryset=LossReason.objects.filter(active=True), required=False
    )
    lost_to = forms.ModelChoiceField(
        queryset=Competitor.objects.filter(active=True), required=False, label="Lost to"
    )


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "subject", "due_at", "selling", "notes"]
        widgets = {"due_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def _post_clean(self):
        """Rules live in the services."""
