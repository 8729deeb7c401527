"""Segments: allow-listed conditions, AND within a group, OR across groups, live counts.

Each expectation is computed independently in plain Python over the same people."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core.errors import Invalid
from tandem.marketing import segments
from tandem.marketing.models import Touch
from tests import factories as f


@pytest.fixture
def crowd(world):
    """Twenty people with varied attributes, touches and owners."""
    now = timezone.now()
    webinar = f.program(name="Webinar")
    org_customer = f.organization(name="Buyer Inc", industry="Retail", size="51-200")
    org_customer.is_customer = True
    org_customer.save()
    people = []
    for i in range(20):
        p = f.person(
            owner=world.owner if i % 4 == 0 else None,
            organization=org_customer if i % 5 == 0 else None,
            first_name=f"N{i}",
            country=["DE", "US", "FR"][i % 3],
            lifecycle_stage=["lead", "mql", "customer", "subscriber"][i % 4],
            score=i * 5,
            title="Head of Marketing" if i % 2 else "Engineer",
            consent="granted" if i % 3 else "unknown",
        )
        people.append(p)
        if i % 2 == 0:
            Touch.objects.create(
                person=p, program=webinar, kind="event_attended", occurred_at=now - timedelta(i)
            )
        if i % 7 == 0:
            Touch.objects.create(person=p, kind="ad_clicked", occurred_at=now - timedelta(days=40))
    return {"people": people, "webinar": webinar, "world": world}


def _ids(conditions):
    return set(segments.people(segments.clean(conditions)).values_list("pk", flat=True))


def _expected(predicate):
    return {p.pk for p in Person.objects.all() if predicate(p)}


def test_and_within_a_group_or_across_groups(crowd):
    conditions = [
        {"group": 1, "field": "country", "op": "in", "value": "de, us"},
        {"group": 1, "field": "score", "op": "gte", "value": "50"},
        {"group": 2, "field": "stage", "op": "in", "value": "customer"},
    ]
    assert _ids(conditions) == _expected(
        lambda p: (p.country in ("DE", "US") and p.score >= 50) or p.lifecycle_stage == "customer"
    )


def test_touched_program_and_kind_in_a_period(crowd):
    webinar, today = crowd["webinar"], timezone.localdate()
    touched = {t.person_id for t in Touch.objects.filter(program=webinar)}
    assert _ids([{"field": "program", "op": "touched", "value": str(webinar.pk)}]) == touched
    recent = {
        t.person_id
        for t in Touch.objects.filter(
            program=webinar, occurred_at__gte=timezone.now() - timedelta(days=5, hours=12)
        )
    }
    since = (today - timedelta(days=5)).isoformat()
    got = _ids(
        [{"field": "program", "op": "touched", "value": f"{webinar.pk} · Webinar", "since": since}]
    )
    assert got == recent
    not_ad = _ids([{"field": "touch_kind", "op": "not_touched", "value": "ad_clicked"}])
    ad_people = {t.person_id for t in Touch.objects.filter(kind="ad_clicked")}
    assert not_ad == _expected(lambda p: p.pk not in ad_people)
    until = (today - timedelta(days=30)).isoformat()
    old_ads = _ids(
        [{"field": "touch_kind", "op": "touched", "value": "ad_clicked", "until": until}]
    )
    assert old_ads == ad_people


def test_customer_owner_attributes(crowd):
    world = crowd["world"]
    assert _ids([{"field": "customer", "op": "is", "value": "yes"}]) == _expected(
        lambda p: (
            p.lifecycle_stage in ("customer", "advocate")
            or bool(p.organization and p.organization.is_customer)
        )
    )
    assert _ids([{"field": "owner", "op": "is", "value": str(world.owner.pk)}]) == _expected(
        lambda p: p.owner_id == world.owner.pk
    )
    assert _ids([{"field": "owner", "op": "is", "value": "none"}]) == _expected(
        lambda p: p.owner_id is None
    )
    assert _ids([{"field": "title", "op": "contains", "value": "marketing"}]) == _expected(
        lambda p: "marketing" in p.title.lower()
    )
    assert _ids([{"field": "industry", "op": "eq", "value": "retail"}]) == _expected(
        lambda p: bool(p.organization and p.organization.industry == "Retail")
    )
    assert _ids([{"field": "consent", "op": "not_in", "value": "granted"}]) == _expected(
        lambda p: p.consent != "granted"
    )


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "password", "op": "eq", "value": "x"}, "unknown field"),
        ({"field": "score", "op": "contains", "value": "1"}, "Score takes"),
        ({"field": "score", "op": "gte", "value": "lots"}, "bad value"),
        ({"field": "stage", "op": "in", "value": "vip"}, "bad value"),
        ({"field": "country", "op": "in", "value": "Germany"}, "bad value"),
        ({"field": "program", "op": "touched", "value": "99999"}, "no such program"),
        ({"field": "city", "op": "eq", "value": ""}, "needs a value"),
        ({"field": "created", "op": "between", "since": "2026-13-01"}, "must be a date"),
    ],
)
def test_bad_conditions_are_refused_with_the_row(db, condition, message):
    with pytest.raises(Invalid, match=message) as info:
        segments.clean([{"field": "city", "op": "empty"}, condition])
    assert "Condition 2" in info.value.message


def test_builder_page_live_count_and_save(crowd, as_user):
    world = crowd["world"]
    client = as_user(world.marketer)
    rows = {
        "cond-count": "2",
        "cond-0-group": "1",
        "cond-0-field": "country",
        "cond-0-op": "in",
        "cond-0-value": "DE",
        "cond-1-group": "1",
        "cond-1-field": "",
    }
    count = client.post("/marketing/segments/count", rows, HTTP_HX_REQUEST="true")
    expected = len(_expected(lambda p: p.country == "DE"))
    assert f'data-testid="segment-count">{expected}<' in count.content.decode()
    bad = client.post("/marketing/segments/count", {**rows, "cond-0-value": "Germany"})
    assert "bad value for Country" in bad.content.decode()
    saved = client.post(
        "/marketing/segments/new", {**rows, "name": "Germany", "idempotency_key": "seg-1"}
    )
    assert saved.status_code == 302
    page = client.get(saved["Location"]).content.decode()
    assert f'data-testid="segment-total">{expected}<' in page
    assert "Country is one of DE" in page


def test_segments_api(crowd, as_user):
    client = as_user(crowd["world"].marketer)
    conditions = [{"field": "stage", "op": "in", "value": "mql,customer"}]
    count = client.post(
        "/api/segments/count", {"conditions": conditions}, content_type="application/json"
    )
    expected = len(_expected(lambda p: p.lifecycle_stage in ("mql", "customer")))
    assert count.json()["count"] == expected
    created = client.post(
        "/api/segments", {"name": "Warm", "conditions": conditions}, content_type="application/json"
    )
    assert created.status_code == 201
    seg_id = created.json()["id"]
    assert client.get(f"/api/segments/{seg_id}/count").json()["count"] == expected
    bad = client.patch(
        f"/api/segments/{seg_id}",
        {"conditions": [{"field": "x", "op": "eq", "value": "1"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    sales = as_user(crowd["world"].owner)
    assert sales.get(f"/api/segments/{seg_id}").status_code == 404


def test_segment_export_streams_csv_with_formulas_neutralized(crowd, as_user):
    world = crowd["world"]
    f.person(country="DE", first_name='=HYPERLINK("http://x")', last_name="+1", title="@cmd")
    seg = f.segment(world.marketer, [{"group": 1, "field": "country", "op": "in", "value": "DE"}])
    response = as_user(world.marketer).get(f"/marketing/segments/{seg.pk}/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == len(_expected(lambda p: p.country == "DE"))
    evil = next(r for r in rows if r["last_name"] == "'+1")
    assert evil["first_name"] == '\'=HYPERLINK("http://x")' and evil["title"] == "'@cmd"
    assert as_user(world.owner).get(f"/marketing/segments/{seg.pk}/export.csv").status_code == 404
    api = as_user(world.marketer).get(f"/api/segments/{seg.pk}/people?page_size=5").json()
    assert api["meta"]["total"] == len(rows) and len(api["items"]) == 5
