"""Settings → Custom fields: the fields a team adds to people and organizations."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.contacts import custom_fields
from tandem.contacts.models import CustomField
from tandem.core.errors import DomainError, Forbidden
from tandem.core.web import add_domain_error, guarded


class DefinitionForm(forms.Form):
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=CustomField.Kind.choices, initial="text")
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="For a list: one option a line.",
    )
    required = forms.BooleanField(required=False, help_text="People must fill it in the app.")
    editable_by = forms.ChoiceField(
        choices=CustomField.Editors.choices,
        label="Who may change the value",
        help_text="Of those who may edit the record; admins always may.",
    )


class NewDefinitionForm(DefinitionForm):
    record_type = forms.ChoiceField(choices=CustomField.RecordType.choices, label="On")
    field_order = ["record_type", "label", "kind", "options", "required", "editable_by"]


def _require(request) -> None:
    if not custom_fields.may_define(request.user):
        raise Forbidden("Admins and managers define custom fields.")


@guarded
def custom_fields_page(request):
    _require(request)
    form = NewDefinitionForm(request.POST or None, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = custom_fields.field_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{made.label}” added to {made.get_record_type_display()}.")
            return redirect("settings:custom_fields")
    groups = [
        (label, [f for f in CustomField.objects.all() if f.record_type == value])
        for value, label in CustomField.RecordType.choices
    ]
    return render(request, "contacts/settings_custom_fields.html", {"form": form, "groups": groups})


@guarded
def custom_field_edit(request, pk: int):
    _require(request)
    field = get_object_or_404(CustomField, pk=pk)
    initial = {
        "label": field.label,
        "kind": field.kind,
        "options": "\n".join(field.options),
        "required": field.required,
        "editable_by": field.editable_by,
    }
    form = DefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            custom_fields.field_update(actor=request.user, field=field, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{field.label}” is saved.")
            return redirect("settings:custom_fields")
    return render(request, "contacts/settings_custom_field.html", {"form": form, "field": field})


@require_POST
@guarded
def custom_field_delete(request, pk: int):
    _require(request)
    field = get_object_or_404(CustomField, pk=pk)
    custom_fields.field_delete(actor=request.user, field=field)
    messages.success(request, f"“{field.label}” removed; the values already kept stay as text.")
    return redirect("settings:custom_fields")
