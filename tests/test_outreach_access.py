"""The authorization matrix for marketing's outreach records: forms, segments, campaigns.

Marketing reads them all; a marketer changes their own, the marketing manager any; sales sees
none of them. A refused write answers 403/404 and changes nothing."""

import json

import pytest
from django.forms.models import model_to_dict

from tandem.core.models import TimelineEntry
from tests import factories as f
from tests.conftest import PERSONAS

R, W, N = "rw", "r", ""
SALES_NONE = dict(owner=N, teammate=N, outsider=N, sales_manager=N)
EXPECTED = dict(marketer=R, marketing_manager=R, admin=R, **SALES_NONE)
OTHER_MARKETERS = dict(marketer=W, marketing_manager=R, admin=R, **SALES_NONE)


@pytest.fixture
def records(world):
    form = f.lead_form(world.program, world.marketer)
    segment = f.segment(world.marketer)
    campaign = f.campaign(world.program, segment, world.marketer)
    return {"form": form, "segment": segment, "campaign": campaign}


PAGES = {
    "form": ("/marketing/forms/{pk}/", "/api/forms/{pk}", "/marketing/forms/{pk}/edit"),
    "segment": (
        "/marketing/segments/{pk}/",
        "/api/segments/{pk}",
        "/marketing/segments/{pk}/edit",
    ),
    "campaign": (
        "/marketing/campaigns/{pk}/",
        "/api/campaigns/{pk}",
        "/marketing/campaigns/{pk}/edit",
    ),
}
PATCH = {"form": {"name": "Changed"}, "segment": {"name": "Changed"}, "campaign": {"name": "C"}}
MATRIX = [(r, w) for r in PAGES for w in PERSONAS]


def _snapshot(obj):
    obj.refresh_from_db()
    return json.dumps(
        model_to_dict(obj), default=str, sort_keys=True
    ), TimelineEntry.objects.count()


@pytest.mark.parametrize(("resource", "who"), MATRIX)
def test_read_edit_and_api_write(world, records, as_user, resource, who):
    obj = records[resource]
    page, endpoint, edit = (u.format(pk=obj.pk) for u in PAGES[resource])
    client = as_user(getattr(world, who))
    allowed = EXPECTED[who]
    assert client.get(page).status_code == (200 if allowed else 404)
    assert client.get(endpoint).status_code == (200 if allowed else 404)
    assert client.get(edit).status_code == {R: 200, W: 403, N: 404}[allowed]
    before = _snapshot(obj)
    response = client.patch(endpoint, PATCH[resource], content_type="application/json")
    if allowed == R:
        assert response.status_code == 200, response.content
        assert _snapshot(obj) != before
    else:
        assert response.status_code == 404
        assert _snapshot(obj) == before


@pytest.mark.parametrize("who", PERSONAS)
def test_another_marketers_records_are_read_only_for_a_marketer(world, as_user, who):
    other = f.user("marketer", None, "other-marketer")
    segment = f.segment(other)
    campaign = f.campaign(world.program, segment, other)
    client = as_user(getattr(world, who))
    allowed = OTHER_MARKETERS[who]
    for obj, endpoint in ((segment, "/api/segments/{}"), (campaign, "/api/campaigns/{}")):
        before = _snapshot(obj)
        response = client.patch(
            endpoint.format(obj.pk), {"name": "Z"}, content_type="application/json"
        )
        assert response.status_code == {R: 200, W: 403, N: 404}[allowed]
        assert (_snapshot(obj) != before) is (allowed == R)
    send = client.post(f"/marketing/campaigns/{campaign.pk}/send")
    assert send.status_code == {R: 302, W: 403, N: 404}[allowed]
    campaign.refresh_from_db()
    assert (campaign.status == "scheduled") is (allowed == R)


LISTS = ("/marketing/forms/", "/marketing/segments/", "/marketing/campaigns/")
API_LISTS = ("/api/forms", "/api/segments", "/api/campaigns")


@pytest.mark.parametrize("who", PERSONAS)
def test_lists_and_creates(world, records, as_user, who):
    client = as_user(getattr(world, who))
    marketing = EXPECTED[who] == R
    for url in LISTS:
        assert client.get(url).status_code == (200 if marketing else 403), url
    for url in API_LISTS:
        response = client.get(url)
        assert response.status_code == (200 if marketing else 403), url
        assert not marketing or len(response.json()["items"]) == 1
    for url in ("/marketing/forms/new", "/marketing/segments/new", "/marketing/campaigns/new"):
        assert client.get(url).status_code == (200 if marketing else 403), url
    count = TimelineEntry.objects.count()
    created = client.post(
        "/api/segments", {"name": "S", "conditions": []}, content_type="application/json"
    )
    assert created.status_code == (201 if marketing else 403)
    assert (TimelineEntry.objects.count() > count) is marketing
    counted = client.post(
        "/api/segments/count", {"conditions": []}, content_type="application/json"
    )
    assert counted.status_code == (200 if marketing else 403)
    assert client.get("/marketing/suppressions/").status_code == (200 if marketing else 403)
    assert client.get("/api/suppressions").status_code == (200 if marketing else 403)


def test_segment_counts_only_people_the_user_may_see(world, as_user):
    """An admin sees everyone; the count for a marketer is the same (marketing reads all);
    the API never counts beyond the caller's scope."""
    conditions = {"conditions": []}
    for who in ("marketer", "admin"):
        count = as_user(getattr(world, who)).post(
            "/api/segments/count", conditions, content_type="application/json"
        )
        assert count.json()["count"] == 1  # the one person in the world fixture
