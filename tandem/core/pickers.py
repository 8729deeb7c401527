"""Pickers: a reference to another record chosen by typing part of its name. The form keeps the
record's id in a hidden input; the text box asks /pick/<kind>/ for the records the user may see
(each app registers its kinds with registry.add_picker). The form field's queryset checks the
choice again on submit, so a picker shows nothing the field would not accept."""

from django import forms

from tandem.core import registry


def label_of(kind: str, value) -> str:
    source = registry.picker(kind)
    if not source or value in (None, ""):
        return ""
    try:
        return source[1](int(value)) or ""
    except (TypeError, ValueError):
        return ""


class Picker(forms.Widget):
    template_name = "components/picker.html"

    def __init__(self, kind: str, placeholder: str = "", attrs=None):
        super().__init__(attrs)
        self.kind = kind
        self.placeholder = placeholder or f"Type to find a {kind}…"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            kind=self.kind, label=label_of(self.kind, value), placeholder=self.placeholder
        )
        return context


def options(actor, kind: str, q: str) -> list[dict]:
    """What a picker lists for `q`: id, label and a second line."""
    source = registry.picker(kind)
    if not source:
        return []
    return source[0](actor=actor, q=q)
