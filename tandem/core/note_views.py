"""Adding a note from a record page's quick actions: a form in the drawer (or a page)."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from tandem.core import notes, registry
from tandem.core.errors import DomainError
from tandem.core.web import add_domain_error, guarded


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", max_length=notes.MAX, widget=forms.Textarea(attrs={"rows": 6})
    )


@guarded
def note_new(request, target: str, pk: int):
    found = registry.record(target)
    if found is None:
        raise Http404()
    resource, getter = found
    obj = getter(actor=request.user, id=pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notes.note_add(
                actor=request.user, target=obj, resource=resource, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Note added.")
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": obj.get_absolute_url()})
            return redirect(obj.get_absolute_url())
    context = {
        "form": form,
        "obj": obj,
        "title": "Add a note",
        "action": request.path,
        "submit": "Add the note",
    }
    template = "components/drawer_form.html" if request.htmx else "components/page_form.html"
    return render(request, template, context)
