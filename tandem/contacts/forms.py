from django import forms

from tandem.accounts.selectors import owners_choices
from tandem.contacts import custom_fields
from tandem.contacts.models import CustomField, Organization, Person
from tandem.core.pickers import Picker

Kind = CustomField.Kind


def custom_form_field(field: CustomField, *, disabled: bool) -> forms.Field:
    """The form field of a custom field; its value is checked by the service, one rule for
    every door."""
    common = {"label": field.label, "required": field.required, "disabled": disabled}
    if disabled:
        who = {"marketing": "Marketing", "sales": "Sales"}.get(field.editable_by, "An admin")
        common["help_text"] = f"{who} keeps this field."
    if field.kind == Kind.CHOICE:
        choices = [("", "—"), *((o, o) for o in field.options)]
        return forms.ChoiceField(choices=choices, **common)
    if field.kind == Kind.YES_NO:
        return forms.ChoiceField(choices=[("", "—"), ("yes", "Yes"), ("no", "No")], **common)
    widget = {
        Kind.NUMBER: forms.NumberInput(attrs={"step": "any"}),
        Kind.DATE: forms.DateInput(attrs={"type": "date"}),
    }.get(field.kind, forms.TextInput())
    return forms.CharField(max_length=custom_fields.TEXT_LIMIT, widget=widget, **common)


def _initial(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


class CustomFieldsForm(forms.ModelForm):
    """A record form that also shows the record type's custom fields; their values reach the
    service as cleaned_data["custom"]."""

    record_type = ""

    def add_custom_fields(self, actor) -> None:
        values = getattr(self.instance, "custom", None) or {}
        self.custom_keys = []
        for field in custom_fields.definitions(self.record_type):
            name = custom_fields.FORM_PREFIX + field.key
            may = custom_fields.may_edit(actor, field)
            self.fields[name] = custom_form_field(field, disabled=not may)
            self.initial[name] = _initial(values.get(field.key))
            if may:
                self.custom_keys.append(field.key)

    def clean(self):
        data = super().clean()
        keys = getattr(self, "custom_keys", [])
        if keys:
            prefix = custom_fields.FORM_PREFIX
            data["custom"] = {key: data.get(prefix + key) or None for key in keys}
        return data


class PersonForm(CustomFieldsForm):
    record_type = "person"

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

    def __init__(self, *args, organizations=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_custom_fields(actor)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )
        self.fields["organization"].widget = Picker("organization", "Type to find an organization…")
        self.fields["owner"].queryset = owners_choices()
        self.fields["owner"].widget = Picker("user", "Type a colleague's name…")

    def _post_clean(self):
        """Rules live in the services; skip the model's own validation here."""


class OrganizationForm(CustomFieldsForm):
    record_type = "organization"

    class Meta:
        model = Organization
        fields = ["name", "domain", "industry", "size", "country", "region", "city", "owner"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_custom_fields(actor)
        self.fields["owner"].queryset = owners_choices()
        self.fields["owner"].widget = Picker("user", "Type a colleague's name…")

    def _post_clean(self):
        """Rules live in the services; skip the model's own validation here."""


class StageForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Person._meta.get_field("lifecycle_stage").choices)
    reason = forms.CharField(max_length=300, required=False)
