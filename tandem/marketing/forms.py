from django import forms

from tandem.marketing.models import Program, ProgramCost


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "channel",
            "status",
            "budget",
            "currency",
            "start_date",
            "end_date",
            "call_to_action",
            "target_segment",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self):
        """Rules live in the services; skip the model's own validation here."""


class CostForm(forms.ModelForm):
    class Meta:
        model = ProgramCost
        fields = ["incurred_on", "amount", "description"]
        widgets = {"incurred_on": forms.DateInput(attrs={"type": "date"})}

    def _post_clean(self):
        """Rules live in the services."""
