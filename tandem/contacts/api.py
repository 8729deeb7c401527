from django.db import transaction
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from tandem.accounts.selectors import user_get
from tandem.contacts import privacy, selectors, services
from tandem.contacts.models import CompanySize, Organization, Person
from tandem.contacts.normalize import normalize_domain, normalize_email
from tandem.contacts.schemas import (
    OrganizationIn,
    OrganizationOut,
    OrganizationPage,
    OrganizationPatch,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
)
from tandem.core import access, trash
from tandem.core.api_support import (
    PathId,
    check_if_match,
    etag,
    idempotent_create,
    list_query,
    page_out,
    resolve_refs,
)
from tandem.core.errors import DomainError, Invalid

router = Router(tags=["contacts"])
PeopleQuery = list_query("PeopleQuery", selectors.PERSON_LIST)
OrganizationsQuery = list_query("OrganizationsQuery", selectors.ORGANIZATION_LIST)


def _person_refs(request, data: dict, clearable=()) -> dict:
    return resolve_refs(
        data,
        {
            "organization": lambda i: selectors.organization_get_for(actor=request.user, id=i),
            "owner": lambda i: user_get(id=i),
        },
        clearable,
    )


@router.get("/people", response=PersonPage, summary="List people")
def list_people(request, filters: Query[PeopleQuery]):
    """Filters: stage, owner, organization, country, program; q searches name and email;
    sort: -created, created, name, -name, email, -score; page, size (≤ 200)."""
    return page_out(selectors.person_list(actor=request.user, params=request.GET))


@router.post("/people", response={200: PersonOut, 201: PersonOut}, summary="Create a person")
def create_person(request, payload: PersonIn):
    data = _person_refs(request, payload.dict(exclude_unset=True))
    return idempotent_create(
        request,
        lambda: services.person_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.person_get_for(actor=request.user, id=pk),
    )


def _each(items, upsert) -> dict:
    """Each item's upsert in its own savepoint: a bad one is reported by its index."""
    out = {"created": [], "updated": [], "errors": {}}
    for index, item in enumerate(items):
        try:
            with transaction.atomic():
                created, record = upsert(item.dict(exclude_unset=True))
        except DomainError as exc:
            out["errors"][index] = exc.message
            continue
        out["created" if created else "updated"].append(record.pk)
    return out


class BulkPersonIn(PersonIn):
    email: str = Field(..., min_length=3, max_length=254)


class BulkPeopleIn(Schema):
    items: list[BulkPersonIn] = Field(..., min_length=1, max_length=500)


class BulkPeopleOut(Schema):
    created: list[int]
    updated: list[int]
    errors: dict[int, str] = Field(..., description="{index in items: why}; the others went in")


@router.post("/people/bulk", response=BulkPeopleOut, summary="Create or update up to 500 people")
def bulk_people(request, payload: BulkPeopleIn):
    """Each item is an upsert by email (as `PUT /api/people/by-email/{email}`), on its own: a
    bad one is reported by its index and the others go in."""
    return _each(payload.items, lambda data: _upsert(request, data.pop("email"), data))


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request, person_id: PathId, response: HttpResponse):
    """The ETag header names this version: send it back as If-Match on a PATCH."""
    person = selectors.person_get_for(actor=request.user, id=person_id)
    response["ETag"] = etag(PersonOut, person)
    return person


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request, person_id: PathId, payload: PersonPatch, response: HttpResponse):
    """With If-Match, the change applies only to that version of the person (else 412)."""
    person = selectors.person_get_for(actor=request.user, id=person_id, action=access.WRITE)
    data = payload.dict(exclude_unset=True)
    stage, reason = data.pop("lifecycle_stage", None), data.pop("stage_reason", "")
    data = _person_refs(request, data, ("organization", "owner"))
    with transaction.atomic():  # the stage refused, the fields stay as they were too
        person = _locked(Person, person)
        check_if_match(request, PersonOut, person)
        person = services.person_update(actor=request.user, via="api", person=person, data=data)
        if stage:
            services.person_set_stage(
                actor=request.user, via="api", person=person, to_stage=stage, reason=reason
            )
            person.refresh_from_db()
    response["ETag"] = etag(PersonOut, person)
    return person


def _locked(model, obj):
    """The row again, locked until the transaction ends: no write slips between the If-Match
    check and ours."""
    return (
        model.objects.select_for_update(of=("self",))
        .select_related(
            *(f for f in ("organization", "owner", "source_program") if hasattr(obj, f"{f}_id"))
        )
        .get(pk=obj.pk)
    )


def _org_refs(data: dict, clearable=()) -> dict:
    if data.get("size") and data["size"] not in CompanySize.values:
        raise Invalid(f"size must be one of {', '.join(CompanySize.values)}", field="size")
    return resolve_refs(data, {"owner": lambda i: user_get(id=i)}, clearable)


@router.get("/organizations", response=OrganizationPage, summary="List organizations")
def list_organizations(request, filters: Query[OrganizationsQuery]):
    """Filters: country, industry, size, owner, customer; q searches the name;
    sort: name, -name, -created, created."""
    return page_out(selectors.organization_list(actor=request.user, params=request.GET))


@router.post("/organizations", response={200: OrganizationOut, 201: OrganizationOut})
def create_organization(request, payload: OrganizationIn):
    data = _org_refs(payload.dict(exclude_unset=True))
    return idempotent_create(
        request,
        lambda: services.organization_create(actor=request.user, via="api", data=data),
        lambda pk: selectors.organization_get_for(actor=request.user, id=pk),
    )


class BulkOrganizationsIn(Schema):
    items: list[OrganizationIn] = Field(..., min_length=1, max_length=500)


@router.post("/organizations/bulk", response=BulkPeopleOut, summary="Create or update up to 500")
def bulk_organizations(request, payload: BulkOrganizationsIn):
    """Each item on its own: the organization with its `external_id` (else its `domain`) is
    updated, or a new one made; a bad item is reported by its index and the others go in."""
    return _each(payload.items, lambda data: _org_upsert(request, data))


def _org_upsert(request, data: dict):
    if (data.get("external_id") or "").strip():
        return _upsert_by(request, Organization, data.pop("external_id"), data)
    domain = normalize_domain(data.get("domain") or "")
    found = Organization.objects.filter(domain=domain).first() if domain else None
    if found is None:
        return True, services.organization_create(
            actor=request.user, via="api", data=_org_refs(data)
        )
    org = selectors.organization_get_for(actor=request.user, id=found.pk, action=access.WRITE)
    data = _org_refs(data, ("owner",))
    return False, services.organization_update(
        actor=request.user, via="api", organization=org, data=data
    )


@router.put(
    "/organizations/by-external-id/{external_id}",
    response={200: OrganizationOut, 201: OrganizationOut},
    summary="Create or update an organization by its id in another system",
)
def upsert_organization_external(request, external_id: str, payload: OrganizationIn):
    data = payload.dict(exclude_unset=True)
    created, org = _upsert_by(request, Organization, external_id, data)
    return (201 if created else 200), org


@router.get("/organizations/{org_id}", response=OrganizationOut)
def get_organization(request, org_id: PathId, response: HttpResponse):
    org = selectors.organization_get_for(actor=request.user, id=org_id)
    response["ETag"] = etag(OrganizationOut, org)
    return org


@router.patch("/organizations/{org_id}", response=OrganizationOut)
def update_organization(
    request, org_id: PathId, payload: OrganizationPatch, response: HttpResponse
):
    """With If-Match, the change applies only to that version of the organization (else 412)."""
    org = selectors.organization_get_for(actor=request.user, id=org_id, action=access.WRITE)
    data = _org_refs(payload.dict(exclude_unset=True), ("owner",))
    with transaction.atomic():
        org = _locked(Organization, org)
        check_if_match(request, OrganizationOut, org)
        org = services.organization_update(
            actor=request.user, via="api", organization=org, data=data
        )
    response["ETag"] = etag(OrganizationOut, org)
    return org


@router.get(
    "/people/{person_id}/export",
    summary="Everything held on one person (a data subject's export), as a ZIP",
    response={200: None},
)
def export_person(request, person_id: PathId):
    """A ZIP of person.json (record, custom fields, consents with their wording, lifecycle) and
    a JSON and a CSV per kind of data (history, touches, forms, emails, activities, deals,
    handoffs, scores). Admins and the marketing manager."""
    person = selectors.person_get_for(actor=request.user, id=person_id)
    response = HttpResponse(privacy.export(actor=request.user, person=person),
                            content_type="application/zip")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.zip"'
    return response


@router.post("/people/{person_id}/erase", response=dict, summary="Erase a person's data")
def erase_person(request, person_id: PathId):
    """Removes or anonymizes the person's personal data everywhere (the record stays as an
    anonymous row for the reports' counts); the address is kept only as a salted hash so it is
    never mailed again. Admins and the marketing manager. Answers what was changed, by kind."""
    person = selectors.person_get_for(actor=request.user, id=person_id)
    return privacy.erase(actor=request.user, via="api", person=person)


@router.put(
    "/people/by-email/{email}",
    response={200: PersonOut, 201: PersonOut},
    summary="Create or update a person by email (an upsert)",
)
def upsert_person(request, email: str, payload: PersonIn):
    """The person with this email (case ignored) is updated with the
    fields given (200), or created with them (201). A person with this email whom you may not
    change answers 404, as one that does not exist would to a create you may not make."""
    created, person = _upsert(request, email, payload.dict(exclude_unset=True))
    return (201 if created else 200), person


@router.put(
    "/people/by-external-id/{external_id}",
    response={200: PersonOut, 201: PersonOut},
    summary="Create or update a person by their id in another system",
)
def upsert_person_external(request, external_id: str, payload: PersonIn):
    """As by email, keyed by `external_id` (at most 100 characters)."""
    data = payload.dict(exclude_unset=True)
    created, person = _upsert_by(request, Person, external_id, data)
    return (201 if created else 200), person


def _upsert_by(request, model, external_id: str, data: dict):
    """(created, record) for the record with this external id, created or updated."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > 100:
        raise Invalid("An external id takes 1 to 100 characters.", field="external_id")
    data["external_id"] = external_id
    found = model.objects.filter(external_id=external_id).first()
    if model is Person:
        refs = _person_refs
        create, update = services.person_create, services.person_update
        get_for, key = selectors.person_get_for, "person"
    else:
        refs = lambda request, data, clearable=(): _org_refs(data, clearable)  # noqa: E731
        create, update = services.organization_create, services.organization_update
        get_for, key = selectors.organization_get_for, "organization"
    if found is None:
        return True, create(actor=request.user, via="api", data=refs(request, data))
    record = get_for(actor=request.user, id=found.pk, action=access.WRITE)
    data = refs(request, data, ("owner",) if model is Organization else ("organization", "owner"))
    return False, update(actor=request.user, via="api", **{key: record}, data=data)


def _upsert(request, email: str, data: dict) -> tuple[bool, Person]:
    if len(email) > 254:
        raise Invalid("An email address takes at most 254 characters.", field="email")
    normalized = normalize_email(email)
    data["email"] = email
    found = Person.objects.filter(email_normalized=normalized).first() if normalized else None
    if found is None:
        data = _person_refs(request, data)
        return True, services.person_create(actor=request.user, via="api", data=data)
    person = selectors.person_get_for(actor=request.user, id=found.pk, action=access.WRITE)
    data = _person_refs(request, data, ("organization", "owner"))
    return False, services.person_update(actor=request.user, via="api", person=person, data=data)


@router.delete("/people/{person_id}", response={204: None}, summary="Move a person to the trash")
def delete_person(request, person_id: PathId):
    """With everything that was theirs (touches, transitions, submissions, …); restorable for
    30 days (`POST /api/trash/{id}/restore`). Managers and admins."""
    person = selectors.person_get_for(actor=request.user, id=person_id, action=access.WRITE)
    trash.move_to_trash(actor=request.user, via="api", obj=person, resource="person")
    return 204, None


@router.delete("/organizations/{org_id}", response={204: None}, summary="Move to the trash")
def delete_organization(request, org_id: PathId):
    """Its people stay, without it; one with deals answers 409. Managers and admins."""
    org = selectors.organization_get_for(actor=request.user, id=org_id, action=access.WRITE)
    trash.move_to_trash(actor=request.user, via="api", obj=org, resource="organization")
    return 204, None
