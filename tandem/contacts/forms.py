from django import forms

from tandem.accounts.selectors import owners_choices
from tandem.contacts.models import Organization, Person
from tandem.core.pickers import Picker


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "email",
            "first_name",
            "last_name",
            "title",
            "phone",
            "organization",
            "country",
            "region",
            "city",
            "owner",
        ]

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )
        self.fields["organization"].widget = Picker("organization", "Type to find an organization…")
        self.fields["owner"].queryset = owners_choices()

    def _post_clean(self):
        """Rules live in the services; skip the model's own validation here."""


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "domain", "industry", "size", "country", "region", "city", "owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners_choices()

    def _post_clean(self):
        """Rules live in the services; skip the model's own validation here."""


class StageForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Person._meta.get_field("lifecycle_stage").choices)
    reason = forms.CharField(max_length=300, required=False)
