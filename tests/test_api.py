"""The REST API through HTTP: CRUD, validation answers, paging, filters and tokens."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts.models import ApiToken
from tandem.contacts.models import Person
from tandem.sales.models import Stage
from tests import factories as f

JSON = "application/json"


def test_person_crud(world, as_user):
    client = as_user(world.owner)
    created = client.post(
        "/api/people",
        {"email": "New@Example.test", "first_name": "Nia", "organization_id": world.org.pk},
        content_type=JSON,
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["email"], body["owner_id"], body["organization_id"]) == (
        "New@Example.test",
        world.owner.pk,
        world.org.pk,
    )
    got = client.get(f"/api/people/{body['id']}").json()
    assert got["first_name"] == "Nia"
    patched = client.patch(
        f"/api/people/{body['id']}",
        {"title": "CFO", "lifecycle_stage": "sql", "stage_reason": "fit"},
        content_type=JSON,
    ).json()
    assert (patched["title"], patched["lifecycle_stage"]) == ("CFO", "sql")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"email": "x" * 300}, "email"),
        ({"email": "ok@x.test", "organization_id": 999999}, "organization_id"),
        ({"email": "ok@x.test", "owner_id": "abc"}, "owner_id"),
    ],
)
def test_invalid_person_answers_422_with_the_field(world, as_user, payload, field):
    response = as_user(world.marketer).post("/api/people", payload, content_type=JSON)
    assert response.status_code == 422
    assert any(field in d.get("loc", []) for d in response.json()["detail"])
    assert not Person.objects.filter(email_normalized="ok@x.test").exists()


def test_duplicate_email_answers_409(world, as_user):
    response = as_user(world.marketer).post(
        "/api/people", {"email": world.person.email.upper()}, content_type=JSON
    )
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_malformed_json_is_not_a_500(world, as_user):
    response = as_user(world.marketer).post("/api/people", "{not json", content_type=JSON)
    assert response.status_code in (400, 422)


def test_paging_and_sorting(world, as_user):
    for i in range(7):
        f.person(last_name=f"Zed{i}")
    client = as_user(world.admin)
    page = client.get("/api/people?page_size=3&page=2&sort=-name").json()
    assert page["meta"] == {
        "page": 2,
        "size": 3,
        "total": 8,
        "total_exact": True,
        "has_next": True,
        "next_after": None,
    }
    assert [p["last_name"] for p in page["items"]] == ["Zed3", "Zed2", "Zed1"]


@pytest.mark.parametrize(
    "query", ["sort=password", "stage=nonsense", "owner=abc", "page=x", "close_after=31-12-2026"]
)
def test_filters_come_from_an_allow_list(world, as_user, query):
    endpoint = "/api/opportunities" if "close" in query else "/api/people"
    response = as_user(world.admin).get(f"{endpoint}?{query}")
    assert response.status_code == 422


def test_filters_apply(world, as_user):
    f.person(lifecycle_stage="mql", last_name="Qualified")
    client = as_user(world.admin)
    items = client.get("/api/people?stage=mql").json()["items"]
    assert [p["last_name"] for p in items] == ["Qualified"]
    assert client.get("/api/people?q=olive").json()["meta"]["total"] == 1


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    key=st.sampled_from(["sort", "stage", "owner", "q", "page", "size", "country", "organization"]),
    value=st.text(max_size=30),
)
def test_list_never_answers_500(world, as_user, key, value):
    response = as_user(world.admin).get("/api/people", {key: value})
    assert response.status_code in (200, 422)


def test_opportunity_create_and_move_by_api(world, as_user):
    client = as_user(world.owner)
    created = client.post(
        "/api/opportunities",
        {
            "name": "API deal",
            "organization_id": world.org.pk,
            "amount": "1200.50",
            "expected_close": "2027-01-31",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    opp = created.json()
    assert (opp["stage_name"], opp["amount"], opp["owner_id"]) == (
        "Qualify",
        "1200.50",
        world.owner.pk,
    )
    won = Stage.objects.get(name="Closed won")
    moved = client.patch(
        f"/api/opportunities/{opp['id']}", {"stage_id": won.pk}, content_type=JSON
    ).json()
    assert moved["stage_name"] == "Closed won" and moved["closed_at"] is not None


def test_opportunity_rejects_negative_amount(world, as_user):
    response = as_user(world.owner).post(
        "/api/opportunities",
        {
            "name": "X",
            "organization_id": world.org.pk,
            "amount": "-5",
            "expected_close": "2027-01-31",
        },
        content_type=JSON,
    )
    assert response.status_code == 422


def test_touch_by_api_sets_the_source_program(world, as_user):
    p = f.person()
    response = as_user(world.marketer).post(
        "/api/touches",
        {
            "person_id": p.pk,
            "program_id": world.program.pk,
            "kind": "event_attended",
            "utm_source": "<script>x</script>",
        },
        content_type=JSON,
    )
    assert response.status_code == 201
    assert response.json()["utm_source"] == "<script>x</script>"
    p.refresh_from_db()
    assert p.source_program == world.program


def test_program_and_cost_by_api(world, as_user):
    client = as_user(world.marketer)
    prog = client.post(
        "/api/programs",
        {"name": "Fair", "channel": "trade_show", "start_date": "2026-03-01", "budget": "5000"},
        content_type=JSON,
    ).json()
    cost = client.post(
        f"/api/programs/{prog['id']}/costs",
        {"incurred_on": "2026-03-02", "amount": "750"},
        content_type=JSON,
    )
    assert cost.status_code == 201 and cost.json()["currency"] == "USD"
    bad = client.post(
        "/api/programs",
        {"name": "X", "channel": "telepathy", "start_date": "2026-03-01"},
        content_type=JSON,
    )
    assert bad.status_code == 422
    backwards = client.post(
        "/api/programs",
        {"name": "X", "channel": "web", "start_date": "2026-03-01", "end_date": "2026-02-01"},
        content_type=JSON,
    )
    assert backwards.status_code == 422


def test_activity_by_api(world, as_user):
    client = as_user(world.owner)
    created = client.post(
        "/api/activities",
        {
            "kind": "meeting",
            "subject": "Demo",
            "due_at": "2026-12-01T10:00:00Z",
            "opportunity_id": world.opportunity.pk,
        },
        content_type=JSON,
    )
    assert created.status_code == 201
    done = client.patch(
        f"/api/activities/{created.json()['id']}",
        {"done_at": "2026-12-01T11:00:00Z"},
        content_type=JSON,
    )
    assert done.json()["done_at"].startswith("2026-12-01T11:00")
    listed = client.get("/api/activities?done=true").json()["items"]
    assert [a["subject"] for a in listed] == ["Demo"]


def test_token_created_in_the_ui_authenticates_the_api(world, client):
    client.force_login(world.owner)
    page = client.post("/accounts/me/", {"name": "laptop"})
    raw = page.context["new_key"]
    assert raw.startswith("tdm_") and raw.encode() in page.content
    token = ApiToken.objects.get(user=world.owner)
    assert token.key_hash != raw  # only the hash is stored
    client.logout()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(f"/api/opportunities/{world.opportunity.pk}", **auth).status_code == 200
    # The token carries its user's scope, and writes work without CSRF.
    assert (
        client.patch(
            f"/api/opportunities/{world.opportunity.pk}",
            {"name": "By token"},
            content_type=JSON,
            **auth,
        ).status_code
        == 200
    )
    client.force_login(world.owner)
    client.post(f"/accounts/me/tokens/{token.pk}/revoke")
    client.logout()
    assert client.get("/api/people", **auth).status_code == 401


def test_bad_token_is_401(world, client):
    assert client.get("/api/people", HTTP_AUTHORIZATION="Bearer tdm_nope").status_code == 401


def test_session_write_needs_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.owner)
    response = strict.patch(f"/api/people/{world.person.pk}", {"title": "X"}, content_type=JSON)
    assert response.status_code == 403
    world.person.refresh_from_db()
    assert world.person.title == ""


def test_openapi_docs_are_served(world, as_user):
    client = as_user(world.owner)
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/people",
        "/api/organizations",
        "/api/programs",
        "/api/touches",
        "/api/opportunities",
        "/api/activities",
    ):
        assert path in schema["paths"]
    assert client.get("/api/docs").status_code == 200


def test_counts_stop_at_the_cap(world, as_user, monkeypatch):
    from tandem.core import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    for i in range(12):
        f.person(last_name=f"Cap{i}")
    client = as_user(world.admin)
    meta = client.get("/api/people?page_size=2").json()["meta"]
    assert meta == {"page": 1, "size": 2, "total": 7, "total_exact": False, "has_next": True,
                    "next_after": None}  # fmt: skip
    last = client.get("/api/people?page_size=5&page=3").json()["meta"]
    assert last == {"page": 3, "size": 5, "total": 13, "total_exact": True, "has_next": False,
                    "next_after": None}  # fmt: skip
    assert "more than 7 results" in client.get("/contacts/people/?page_size=2").content.decode()


def test_nul_bytes_are_bad_input_not_a_500(world, as_user):
    client = as_user(world.admin)
    assert client.get("/api/people", {"q": "a\x00b"}).status_code == 422
    response = client.post(
        "/api/people", {"email": "nul@x.test", "first_name": "A\x00B"}, content_type=JSON
    )
    assert response.status_code in (400, 422)
    assert not Person.objects.filter(email_normalized="nul@x.test").exists()


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("/api/people", {"email": "retry@x.test"}),
        ("/api/organizations", {"name": "Retry Org"}),
        ("/api/activities", {"kind": "call", "subject": "Retry", "due_at": "2026-12-01T10:00:00Z"}),
    ],
)
def test_idempotency_key_makes_a_retry_create_nothing(world, as_user, endpoint, payload):
    from tandem.core.models import TimelineEntry

    client = as_user(world.admin)
    first = client.post(endpoint, payload, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-123")
    count = TimelineEntry.objects.count()
    again = client.post(endpoint, payload, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert TimelineEntry.objects.count() == count  # the retry wrote nothing
    other = client.post(
        endpoint,
        payload | ({"email": "other@x.test"} if "email" in payload else {}),
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY="k-456",
    )
    assert other.status_code in (201, 409)


def test_idempotent_touch_and_opportunity(world, as_user):
    client = as_user(world.owner)
    touch = {"person_id": world.person.pk, "kind": "call"}
    ids = {
        client.post("/api/touches", touch, content_type=JSON, HTTP_IDEMPOTENCY_KEY="t1").json()[
            "id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 1 and world.person.touches.count() == 1
    deal = {"name": "Once", "organization_id": world.org.pk, "expected_close": "2027-01-01"}
    ids = {
        client.post(
            "/api/opportunities", deal, content_type=JSON, HTTP_IDEMPOTENCY_KEY="o1"
        ).json()["id"]
        for _ in range(2)
    }
    assert len(ids) == 1


def test_idempotency_key_reused_on_another_endpoint_is_a_conflict(world, as_user):
    client = as_user(world.admin)
    client.post(
        "/api/organizations", {"name": "Keyed"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="same"
    )
    response = client.post(
        "/api/people", {"email": "k@x.test"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 409
    assert not Person.objects.filter(email_normalized="k@x.test").exists()
