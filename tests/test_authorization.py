"""The authorization matrix: every persona against every record page and endpoint.

A refused write must answer 403/404 and leave the record, its history and the timeline as
they were."""

import json

import pytest
from django.forms.models import model_to_dict

from tandem.contacts.models import LifecycleTransition
from tandem.core.models import TimelineEntry
from tandem.marketing.models import ProgramCost
from tandem.sales.models import Stage, StageHistory
from tests.conftest import PERSONAS

R, W, N = "rw", "r", ""  # may read and write / may only read / may not see at all

EXPECTED = {
    "person": dict(
        owner=R, teammate=W, outsider=N, sales_manager=R, marketer=W, marketing_manager=W, admin=R
    ),
    "org": dict(
        owner=R, teammate=W, outsider=N, sales_manager=R, marketer=W, marketing_manager=W, admin=R
    ),
    "opportunity": dict(
        owner=R, teammate=W, outsider=N, sales_manager=R, marketer=N, marketing_manager=W, admin=R
    ),
    "activity": dict(
        owner=R, teammate=W, outsider=N, sales_manager=R, marketer=N, marketing_manager=N, admin=R
    ),
    "program": dict(
        owner=W, teammate=W, outsider=W, sales_manager=W, marketer=R, marketing_manager=R, admin=R
    ),
}
MATRIX = [(res, who) for res in EXPECTED for who in PERSONAS]


def _record(world, resource):
    return {"org": world.org}.get(resource) or getattr(world, resource)


def _urls(world, resource):
    obj = _record(world, resource)
    return {
        "person": (f"/contacts/people/{obj.pk}/", f"/api/people/{obj.pk}"),
        "org": (f"/contacts/organizations/{obj.pk}/", f"/api/organizations/{obj.pk}"),
        "opportunity": (f"/sales/opportunities/{obj.pk}/", f"/api/opportunities/{obj.pk}"),
        "activity": (f"/sales/activities/{obj.pk}/", f"/api/activities/{obj.pk}"),
        "program": (f"/marketing/programs/{obj.pk}/", f"/api/programs/{obj.pk}"),
    }[resource]


def _ui_write(world, resource):
    obj = _record(world, resource)
    lost = Stage.objects.get(name="Present")
    return {
        "person": (f"/contacts/people/{obj.pk}/stage", {"to_stage": "sql", "reason": "x"}),
        "org": (
            f"/contacts/organizations/{obj.pk}/edit",
            {"name": "Renamed", "owner": world.owner.pk, "idempotency_key": "k1"},
        ),
        "opportunity": (f"/sales/opportunities/{obj.pk}/move", {"stage": lost.pk}),
        "activity": (f"/sales/activities/{obj.pk}/done", {}),
        "program": (
            f"/marketing/programs/{obj.pk}/costs",
            {"incurred_on": "2026-01-05", "amount": "10", "description": "x"},
        ),
    }[resource]


API_PATCH = {
    "person": {"title": "Changed"},
    "org": {"industry": "Changed"},
    "opportunity": {"name": "Changed"},
    "activity": {"subject": "Changed"},
    "program": {"name": "Changed"},
}


def _snapshot(world, resource):
    obj = _record(world, resource)
    obj.refresh_from_db()
    return (
        json.dumps(model_to_dict(obj), default=str, sort_keys=True),
        TimelineEntry.objects.count(),
        LifecycleTransition.objects.count(),
        StageHistory.objects.count(),
        ProgramCost.objects.count(),
    )


@pytest.mark.parametrize(("resource", "who"), MATRIX)
def test_read(world, as_user, resource, who):
    client = as_user(getattr(world, who))
    page, endpoint = _urls(world, resource)
    expected = 200 if "r" in EXPECTED[resource][who] else 404
    assert client.get(page).status_code == expected
    assert client.get(endpoint).status_code == expected


@pytest.mark.parametrize(("resource", "who"), MATRIX)
def test_api_write(world, as_user, resource, who):
    client = as_user(getattr(world, who))
    _, endpoint = _urls(world, resource)
    allowed = EXPECTED[resource][who]
    before = _snapshot(world, resource)
    response = client.patch(endpoint, API_PATCH[resource], content_type="application/json")
    if allowed == R:
        assert response.status_code == 200, response.content
        assert _snapshot(world, resource) != before
    else:
        assert response.status_code == (403 if allowed == W else 404)
        assert _snapshot(world, resource) == before


@pytest.mark.parametrize(("resource", "who"), MATRIX)
def test_ui_write(world, as_user, resource, who):
    client = as_user(getattr(world, who))
    url, data = _ui_write(world, resource)
    allowed = EXPECTED[resource][who]
    before = _snapshot(world, resource)
    response = client.post(url, data)
    if allowed == R:
        assert response.status_code == 302, response.content[:500]
        assert _snapshot(world, resource) != before
    else:
        assert response.status_code == (403 if allowed == W else 404)
        assert _snapshot(world, resource) == before


LISTS = {
    "/contacts/people/": "/api/people",
    "/contacts/organizations/": "/api/organizations",
    "/marketing/programs/": "/api/programs",
    "/sales/opportunities/": "/api/opportunities",
    "/sales/activities/": "/api/activities",
    "/api/touches": "/api/touches",
    "/sales/board/": "/api/opportunities?status=open",
}
LIST_DENIED = {
    "marketer": {"/sales/opportunities/", "/sales/activities/", "/sales/board/"},
    "marketing_manager": {"/sales/activities/"},
}


@pytest.mark.parametrize("who", PERSONAS)
def test_lists_are_scoped(world, as_user, who):
    client = as_user(getattr(world, who))
    for page, endpoint in LISTS.items():
        denied = page in LIST_DENIED.get(who, set())
        assert client.get(page).status_code == (403 if denied else 200), page
        response = client.get(endpoint)
        assert response.status_code == (403 if denied else 200), endpoint


@pytest.mark.parametrize(
    ("who", "sees_owner_deal"),
    [
        ("owner", True),
        ("teammate", True),
        ("outsider", False),
        ("sales_manager", True),
        ("admin", True),
    ],
)
def test_opportunity_list_shows_only_visible(world, as_user, who, sees_owner_deal):
    client = as_user(getattr(world, who))
    names = [o["name"] for o in client.get("/api/opportunities").json()["items"]]
    assert ("Owner Deal" in names) is sees_owner_deal
    html = client.get("/sales/opportunities/").content.decode()
    assert ("Owner Deal" in html) is sees_owner_deal


def test_search_is_scoped(world, as_user):
    assert "Olive" in as_user(world.teammate).get("/search/?q=olive").content.decode()
    assert "Olive" not in as_user(world.outsider).get("/search/?q=olive").content.decode()


CREATE = {
    "/api/people": {"email": "new@x.test"},
    "/api/organizations": {"name": "New Org"},
    "/api/programs": {"name": "P", "channel": "web", "start_date": "2026-01-01"},
    "/api/activities": {"kind": "call", "subject": "Hi", "due_at": "2026-12-01T10:00:00Z"},
}
CREATORS = {
    "/api/people": set(PERSONAS),  # everyone
    "/api/organizations": set(PERSONAS),
    "/api/programs": {"marketer", "marketing_manager", "admin"},
    "/api/activities": {"owner", "teammate", "outsider", "sales_manager", "admin"},
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("endpoint", list(CREATE))
def test_create_permissions(world, as_user, who, endpoint):
    client = as_user(getattr(world, who))
    count = TimelineEntry.objects.count()
    response = client.post(endpoint, CREATE[endpoint], content_type="application/json")
    if who in CREATORS[endpoint]:
        assert response.status_code == 201, response.content
        assert TimelineEntry.objects.count() > count
    else:
        assert response.status_code == 403
        assert TimelineEntry.objects.count() == count


def test_anonymous_is_sent_to_login_and_api_says_401(client, world):
    assert client.get("/contacts/people/").status_code == 302
    assert client.get("/api/people").status_code == 401


EDIT_PAGES = {
    "person": "/contacts/people/{pk}/edit",
    "org": "/contacts/organizations/{pk}/edit",
    "opportunity": "/sales/opportunities/{pk}/edit",
    "program": "/marketing/programs/{pk}/edit",
}


@pytest.mark.parametrize(("resource", "who"), [(r, w) for r in EDIT_PAGES for w in PERSONAS])
def test_edit_pages(world, as_user, resource, who):
    url = EDIT_PAGES[resource].format(pk=_record(world, resource).pk)
    allowed = EXPECTED[resource][who]
    expected = {R: 200, W: 403, N: 404}[allowed]
    assert as_user(getattr(world, who)).get(url).status_code == expected


NEW_PAGES = {
    "/contacts/people/new": "person",
    "/contacts/organizations/new": "organization",
    "/sales/opportunities/new": "opportunity",
    "/marketing/programs/new": "program",
}


@pytest.mark.parametrize("who", PERSONAS)
def test_new_pages(world, as_user, who):
    from tandem.core import access

    user = getattr(world, who)
    for url, resource in NEW_PAGES.items():
        expected = 200 if access.can_create(user, resource) else 403
        assert as_user(user).get(url).status_code == expected, url


SHARED_PAGES = ("/", "/search/?q=ow", "/handoff/", "/insights/funnel/", "/accounts/me/")


@pytest.mark.parametrize("who", PERSONAS)
def test_shared_pages_open_for_every_role(world, as_user, who):
    client = as_user(getattr(world, who))
    for url in SHARED_PAGES:
        assert client.get(url).status_code == 200, url


def test_admin_site_is_for_admins_only(world, client):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    for who in PERSONAS:
        client.force_login(getattr(world, who))
        expected = 200 if who == "admin" else 302
        assert client.get("/admin/").status_code == expected, who


REF_CREATES = {
    # endpoint: (payload builder, {persona: status})
    "/api/opportunities": (
        lambda w: {"name": "N", "organization_id": w.org.pk, "expected_close": "2027-01-01"},
        dict(
            owner=201,
            teammate=201,
            outsider=422,
            sales_manager=201,
            marketer=403,
            marketing_manager=403,
            admin=201,
        ),
    ),
    "/api/touches": (
        lambda w: {"person_id": w.person.pk, "kind": "call"},
        dict(
            owner=201,
            teammate=201,
            outsider=422,
            sales_manager=201,
            marketer=201,
            marketing_manager=201,
            admin=201,
        ),
    ),
    "/api/programs/{program}/costs": (
        lambda w: {"incurred_on": "2026-05-01", "amount": "10"},
        dict(
            owner=403,
            teammate=403,
            outsider=403,
            sales_manager=403,
            marketer=201,
            marketing_manager=201,
            admin=201,
        ),
    ),
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("endpoint", list(REF_CREATES))
def test_creates_that_reference_records(world, as_user, who, endpoint):
    build, expected = REF_CREATES[endpoint]
    url = endpoint.format(program=world.program.pk)
    count = TimelineEntry.objects.count()
    response = as_user(getattr(world, who)).post(url, build(world), content_type="application/json")
    assert response.status_code == expected[who], response.content
    assert (TimelineEntry.objects.count() > count) is (expected[who] == 201)


def test_admin_reads_business_records_but_edits_only_configuration(world, client):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    assert client.get("/admin/contacts/person/").status_code == 200
    assert client.get(f"/admin/sales/opportunity/{world.opportunity.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/sales/opportunity/{world.opportunity.pk}/change/", {"name": "X"}
    )
    assert response.status_code == 403
    assert client.get("/admin/sales/pipeline/add/").status_code == 200
