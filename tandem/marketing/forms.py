from django import forms

from tandem.core.pickers import Picker
from tandem.marketing.models import (
    Campaign,
    LeadForm,
    Program,
    ProgramCost,
    Segment,
    SuppressionReason,
)


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


class LeadFormForm(forms.ModelForm):
    class Meta:
        model = LeadForm
        fields = [
            "name",
            "program",
            "consent_wording",
            "consent_required",
            "double_opt_in",
            "thank_you",
            "redirect_url",
            "is_active",
        ]
        widgets = {
            "consent_wording": forms.Textarea(attrs={"rows": 2}),
            "thank_you": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"redirect_url": "Redirect after submitting (allow-listed hosts only)"}

    new_program = forms.CharField(
        max_length=200,
        required=False,
        label="…or a new program",
        help_text="Name it and it is made with the form (channel: web pages and forms).",
    )
    field_order = ["name", "program", "new_program"]

    def __init__(self, *args, programs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programs is not None:
            self.fields["program"].queryset = programs
        self.fields["program"].widget = Picker("program", "Type to find a program…")
        self.fields["program"].required = False
        self.fields["program"].help_text = "The program each lead from this form is credited to."
        if self.instance.pk:
            del self.fields["new_program"]

    def clean(self):
        data = super().clean()
        named = (data.get("new_program") or "").strip()
        if not data.get("program") and not named and "program" not in self.errors:
            self.add_error(
                "program",
                "Choose the program this form's leads are credited to, or name a new one.",
            )
        return data

    def _post_clean(self):
        """Rules live in the services."""


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description"]

    def _post_clean(self):
        """Rules live in the services."""


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "program",
            "segment",
            "subject",
            "subject_b",
            "body_format",
            "body",
            "require_consent",
            "include_open_opportunities",
            "ab_sample_percent",
            "ab_metric",
            "ab_wait_minutes",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}
        labels = {
            "subject_b": "Subject B (optional: starts an A/B test)",
            "include_open_opportunities": "Also send to people in an open opportunity "
            "(override; it is logged)",
            "require_consent": "Only people who gave consent",
            "ab_sample_percent": "A/B sample, percent of recipients",
            "ab_wait_minutes": "A/B wait before picking the winner, minutes",
            "ab_metric": "A/B winner by",
        }
        help_texts = {
            "body": "Markdown or simple HTML. Merge fields: {{ first_name }}, {{ last_name }}, "
            "{{ email }}, {{ title }}, {{ city }}, {{ country }}, {{ organization }}; "
            'add | default:"…".'
        }

    def __init__(self, *args, programs=None, segments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programs is not None:
            self.fields["program"].queryset = programs
        if segments is not None:
            self.fields["segment"].queryset = segments
        self.fields["program"].widget = Picker("program", "Type to find a program…")
        self.fields["segment"].widget = Picker("segment", "Type to find a segment…")

    def _post_clean(self):
        """Rules live in the services."""


class SuppressionImportForm(forms.Form):
    reason = forms.ChoiceField(choices=SuppressionReason.choices)
    file = forms.FileField(required=False, help_text="CSV: email[,reason]")
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Or paste addresses"
    )

    def content(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload:
            if upload.size > 20 * 1024 * 1024:
                raise forms.ValidationError("The file is larger than 20 MB.")
            raw = upload.read()
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                return raw.decode("utf-16", errors="replace")
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return self.cleaned_data.get("text") or ""
