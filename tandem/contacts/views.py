from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.contacts import custom_fields, privacy, selectors, services
from tandem.contacts.forms import OrganizationForm, PersonForm, StageForm
from tandem.contacts.models import CompanySize, LifecycleStage
from tandem.core import access, export, inline, saved_filters, timeline, trash
from tandem.core.errors import Forbidden
from tandem.core.replica import replica_reads
from tandem.core.web import guarded, next_url, render_list, save_form

PEOPLE_COLUMNS = [("email", "Email"), ("organization", "Organization"), ("stage", "Stage"),
                  ("score", "Score"), ("owner", "Owner"), ("source", "Source"),
                  ("created", "Created")]  # fmt: skip


@guarded
def people(request):
    page = selectors.person_list(actor=request.user, params=request.GET)
    return render_list(
        request,
        "contacts/people.html",
        page,
        {
            "stages": LifecycleStage.choices,
            "can_create": access.can_create(request.user, "person"),
            "saved": saved_filters.saved_filters_of(actor=request.user, resource="people"),
            "saved_resource": "people",
            "columns": PEOPLE_COLUMNS,
            "owners": selectors.assignable_owners(actor=request.user),
        },
    )


@require_POST
@guarded
def people_bulk(request):
    """The bulk bar: give the selected people to an owner, move them to a stage, or export
    them. Each change goes through the person's service, with its rights."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()][:500]
    action = request.POST.get("action")
    if action == "export":
        header, rows = selectors.person_export(actor=request.user, params={}, ids=ids)
        return export.response("csv", "people-selected", header, rows)
    done, errors = services.people_bulk(
        actor=request.user, ids=ids, action=action,
        owner_id=request.POST.get("owner"), stage=request.POST.get("to_stage", ""),
    )  # fmt: skip
    if done:
        messages.success(request, f"{done} of {len(ids)} people changed.")
    for message in sorted(set(errors.values()))[:5]:
        messages.error(request, message)
    return redirect(next_url(request, reverse("contacts:people")))


def _detail_context(request, obj, resource: str) -> dict:
    return timeline.page_context(request, obj, resource)


PERSON_FIELDS = {
    "first_name": ("First name", lambda: forms.CharField(max_length=100, required=False)),
    "last_name": ("Last name", lambda: forms.CharField(max_length=100, required=False)),
    "title": ("Job title", lambda: forms.CharField(max_length=150, required=False)),
    "email": ("Email", lambda: forms.EmailField(max_length=254, required=False)),
    "phone": ("Phone", lambda: forms.CharField(max_length=50, required=False)),
    "city": ("City", lambda: forms.CharField(max_length=100, required=False)),
    "region": ("Region", lambda: forms.CharField(max_length=100, required=False)),
    "country": ("Country (2 letters)", lambda: forms.CharField(max_length=2, required=False)),
}
ORGANIZATION_FIELDS = {
    "name": ("Name", lambda: forms.CharField(max_length=200)),
    "domain": ("Domain", lambda: forms.CharField(max_length=200, required=False)),
    "industry": ("Industry", lambda: forms.CharField(max_length=100, required=False)),
    "city": ("City", lambda: forms.CharField(max_length=100, required=False)),
    "country": ("Country (2 letters)", lambda: forms.CharField(max_length=2, required=False)),
}


@guarded
def person(request, pk: int):
    obj = selectors.person_get_for(actor=request.user, id=pk)
    context = {
        "person": obj,
        "stage_form": StageForm(initial={"to_stage": obj.lifecycle_stage}),
        "fields": PERSON_FIELDS,
        "custom_values": custom_fields.Checker("person", request.user).shown(obj.custom),
        "may_handle_data": privacy.may_handle(request.user),
        "may_delete": trash.may_delete(request.user),
        **_detail_context(request, obj, "person"),
    }
    return render(request, "contacts/person.html", context)


@guarded
def person_field(request, pk: int, name: str):
    if name not in PERSON_FIELDS:
        raise Http404()
    obj = selectors.person_get_for(actor=request.user, id=pk, action=access.WRITE)
    label, field = PERSON_FIELDS[name]
    return inline.field_view(
        request, obj=obj, name=name, label=label, field=field(),
        url=reverse("contacts:person_field", args=[pk, name]),
        save=lambda value: services.person_update(
            actor=request.user, person=obj, data={name: value or ""}
        ),
    )  # fmt: skip


@guarded
def organization_field(request, pk: int, name: str):
    if name not in ORGANIZATION_FIELDS:
        raise Http404()
    obj = selectors.organization_get_for(actor=request.user, id=pk, action=access.WRITE)
    label, field = ORGANIZATION_FIELDS[name]
    return inline.field_view(
        request, obj=obj, name=name, label=label, field=field(),
        url=reverse("contacts:organization_field", args=[pk, name]),
        save=lambda value: services.organization_update(
            actor=request.user, organization=obj, data={name: value or ""}
        ),
    )  # fmt: skip


@guarded
def person_new(request):
    access.require_create(request.user, "person")
    orgs = selectors.organization_qs(request.user)
    initial = {}
    raw = request.GET.get("organization", "")
    if raw.isdigit() and len(raw) < 18 and orgs.filter(pk=int(raw)).exists():
        initial["organization"] = int(raw)  # "Add person" on an organization's page
    form = PersonForm(request.POST or None, organizations=orgs, initial=initial, actor=request.user)
    return save_form(
        request,
        form,
        lambda data: services.person_create(actor=request.user, data=data),
        "contacts/form.html",
        {"title": "New person"},
    )


@guarded
def person_edit(request, pk: int):
    obj = selectors.person_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = PersonForm(
        request.POST or None,
        instance=obj,
        organizations=selectors.organization_qs(request.user),
        actor=request.user,
    )
    return save_form(
        request,
        form,
        lambda data: services.person_update(actor=request.user, person=obj, data=data),
        "contacts/form.html",
        {"title": f"Edit {obj}"},
    )


@require_POST
@guarded
def person_stage(request, pk: int):
    obj = selectors.person_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = StageForm(request.POST)
    if form.is_valid():
        services.person_set_stage(
            actor=request.user,
            person=obj,
            to_stage=form.cleaned_data["to_stage"],
            reason=form.cleaned_data["reason"],
        )
    return redirect(obj.get_absolute_url())


@guarded
def organizations(request):
    page = selectors.organization_list(actor=request.user, params=request.GET)
    return render_list(
        request,
        "contacts/organizations.html",
        page,
        {
            "sizes": CompanySize.choices,
            "customer_choices": [("true", "Customers"), ("false", "Prospects")],
            "can_create": access.can_create(request.user, "organization"),
            "saved": saved_filters.saved_filters_of(actor=request.user, resource="organizations"),
            "saved_resource": "organizations",
        },
    )


@guarded
def organization(request, pk: int):
    obj = selectors.organization_get_for(actor=request.user, id=pk)
    people_qs = selectors.person_qs(request.user).filter(organization=obj).order_by("last_name")
    context = {
        "org": obj,
        "people": people_qs[:50],
        "people_count": people_qs.count(),
        "fields": ORGANIZATION_FIELDS,
        "custom_values": custom_fields.Checker("organization", request.user).shown(obj.custom),
        "can_add_person": access.can_create(request.user, "person"),
        "may_delete": trash.may_delete(request.user),
        **_detail_context(request, obj, "organization"),
    }
    return render(request, "contacts/organization.html", context)


@guarded
def organization_new(request):
    access.require_create(request.user, "organization")
    form = OrganizationForm(request.POST or None, actor=request.user)
    return save_form(
        request,
        form,
        lambda data: services.organization_create(actor=request.user, data=data),
        "contacts/form.html",
        {"title": "New organization"},
    )


@guarded
def organization_edit(request, pk: int):
    obj = selectors.organization_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = OrganizationForm(request.POST or None, instance=obj, actor=request.user)
    return save_form(
        request,
        form,
        lambda data: services.organization_update(actor=request.user, organization=obj, data=data),
        "contacts/form.html",
        {"title": f"Edit {obj}"},
    )


@guarded
@replica_reads
def people_export(request):
    header, rows = selectors.person_export(actor=request.user, params=request.GET)
    return export.response(request.GET.get("format", "csv"), "people", header, rows)


@guarded
@replica_reads
def organizations_export(request):
    header, rows = selectors.organization_export(actor=request.user, params=request.GET)
    return export.response(request.GET.get("format", "csv"), "organizations", header, rows)


@guarded
def person_export_data(request, pk: int):
    """A data subject's export: everything held on them, as a ZIP of JSON and CSV."""
    from django.http import HttpResponse

    obj = selectors.person_get_for(actor=request.user, id=pk)
    blob = privacy.export(actor=request.user, person=obj)
    response = HttpResponse(blob, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="person-{obj.pk}.zip"'
    return response


@guarded
def person_erase(request, pk: int):
    """Erasure, after a page that says what it does and asks to type the email."""
    obj = selectors.person_get_for(actor=request.user, id=pk)
    if not privacy.may_handle(request.user):
        raise Forbidden("Admins and the marketing manager answer data subjects.")
    error = ""
    if request.method == "POST":
        typed = request.POST.get("confirm", "").strip().lower()
        if typed != (obj.email_normalized or "erase"):
            error = "Type the address exactly (or “erase” for a person without one)."
        else:
            privacy.erase(actor=request.user, person=obj)
            messages.success(request, "The person's personal data is erased.")
            return redirect("contacts:person", pk=obj.pk)
    return render(request, "contacts/erase.html", {"person": obj, "error": error})
