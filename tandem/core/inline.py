"""Editing one field in place on a record page (htmx): the value is a button; pressing it
swaps in a small form; saving goes through the record's service, which checks the rights and
writes the audit row; an error stays next to the field with the input kept."""

from django import forms
from django.shortcuts import render

from tandem.core.errors import DomainError


class _One(forms.Form):
    def __init__(self, *args, field: forms.Field, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"] = field


def display_value(obj, name: str):
    value = getattr(obj, f"get_{name}_display", None)
    return value() if callable(value) else getattr(obj, name)


def field_view(request, *, obj, name: str, label: str, field: forms.Field, save, url: str):
    """GET: the form (or, with ?show=1, the value again); POST: save and show the value, or
    the form with its error."""
    field.widget.attrs.update({"id": f"inline-{name}", "autofocus": True})
    shown = {"url": url, "label": label, "name": name, "can_edit": True}
    if request.method == "GET" and request.GET.get("show"):
        return render(request, "components/inline_value.html",
                      {**shown, "value": display_value(obj, name)})  # fmt: skip
    if request.method == "POST":
        form = _One(request.POST, field=field)
        if form.is_valid():
            try:
                obj = save(form.cleaned_data["value"])
            except DomainError as exc:
                form.add_error("value", exc.message)
            else:
                value = display_value(obj, name)
                return render(request, "components/inline_value.html",
                              {**shown, "value": value, "saved": True})  # fmt: skip
    else:
        form = _One(initial={"value": getattr(obj, name)}, field=field)
    context = {"form": form, "url": url, "label": label, "name": name}
    return render(request, "components/inline_form.html", context)
