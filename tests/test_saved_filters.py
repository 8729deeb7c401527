"""Saved filters: named, allow-listed, per user, through the UI and the API."""

from tandem.core.models import SavedFilter
from tests import factories as f

JSON = "application/json"


def test_save_and_use_a_filter_in_the_ui(world, as_user):
    f.opportunity(world.owner, name="Big one", amount=90000)
    client = as_user(world.owner)
    response = client.post(
        "/saved-filters/",
        {
            "resource": "opportunities",
            "name": "Open, biggest first",
            "query": "status=open&sort=-amount&junk=1",
        },
    )
    saved = SavedFilter.objects.get(user=world.owner)
    assert saved.query == "sort=-amount&status=open"  # only allow-listed parameters are kept
    assert response["Location"] == f"/sales/opportunities/?{saved.query}"
    html = client.get("/sales/opportunities/").content.decode()
    assert "Open, biggest first" in html.split('data-testid="saved-filters"')[1]
    listed = client.get(f"/sales/opportunities/?{saved.query}").content.decode()
    assert listed.index("Big one") < listed.index("Owner Deal")
    assert (
        "Open, biggest first"
        not in as_user(world.teammate).get("/sales/opportunities/").content.decode()
    )


def test_bad_filters_are_refused(world, as_user):
    client = as_user(world.owner)
    response = client.post(
        "/api/saved-filters",
        {"resource": "opportunities", "name": "x", "query": "status=maybe"},
        content_type=JSON,
    )
    assert response.status_code == 422
    unknown = client.post(
        "/api/saved-filters", {"resource": "secrets", "name": "x", "query": ""}, content_type=JSON
    )
    assert unknown.status_code == 422
    assert not SavedFilter.objects.exists()


def test_saved_filters_api(world, as_user):
    client = as_user(world.marketer)
    created = client.post(
        "/api/saved-filters",
        {"resource": "people", "name": "MQLs", "query": "stage=mql"},
        content_type=JSON,
    )
    assert created.status_code == 201
    dup = client.post(
        "/api/saved-filters", {"resource": "people", "name": "MQLs", "query": ""}, content_type=JSON
    )
    assert dup.status_code == 409
    assert [s["name"] for s in client.get("/api/saved-filters?resource=people").json()] == ["MQLs"]
    other = as_user(world.owner).delete(f"/api/saved-filters/{created.json()['id']}")
    assert other.status_code == 404 and SavedFilter.objects.count() == 1
    mine = as_user(world.marketer).delete(f"/api/saved-filters/{created.json()['id']}")
    assert mine.status_code == 204 and not SavedFilter.objects.exists()


def test_saved_filter_on_the_organizations_list(world, as_user):
    client = as_user(world.marketer)
    client.post(
        "/saved-filters/",
        {"resource": "organizations", "name": "German accounts", "query": "country=de"},
    )
    html = client.get("/contacts/organizations/").content.decode()
    assert "German accounts" in html.split('data-testid="saved-filters"')[1]
    assert SavedFilter.objects.get(resource="organizations").query == "country=de&sort=name"
