"""People on a deal: the contact person and others with their roles, by page and API, with the
same rights; shown on the person's page; moved by a merge."""

from tandem.sales.models import OpportunityContact
from tests import factories as f


def test_a_rep_puts_a_champion_on_her_deal_and_the_person_page_shows_it(as_user, world):
    champion = f.person(owner=world.owner, organization=world.org, first_name="Cham", last_name="P")
    client = as_user(world.owner)
    deal_url = f"/sales/opportunities/{world.opportunity.pk}/"
    response = client.post(f"{deal_url}contacts", {"person": champion.pk, "role": "champion"})
    assert response.status_code == 302
    row = OpportunityContact.objects.get(opportunity=world.opportunity, person=champion)
    assert row.role == "champion"
    page = client.get(deal_url).content.decode()
    assert "Cham P" in page and "Champion" in page and "contact person" in page
    person_page = client.get(f"/contacts/people/{champion.pk}/").content.decode()
    assert "Owner Deal" in person_page and "Champion" in person_page
    timeline = client.get(deal_url).content.decode()
    assert "Cham P: Champion" in timeline  # the step is on the deal's timeline
    client.post(f"{deal_url}contacts/{champion.pk}/remove")
    assert not OpportunityContact.objects.filter(person=champion).exists()


def test_people_on_a_deal_obey_the_deal_and_person_rights(as_user, world):
    hidden = f.person(owner=world.outsider, first_name="West")
    url = f"/sales/opportunities/{world.opportunity.pk}/contacts"
    as_user(world.owner).post(url, {"person": hidden.pk, "role": "user"})  # one she cannot see
    assert not OpportunityContact.objects.filter(person=hidden).exists()
    mine = f.person(owner=world.outsider, first_name="Mine")
    assert as_user(world.outsider).post(url, {"person": mine.pk, "role": "user"}).status_code == 404
    assert as_user(world.marketer).post(url, {"person": mine.pk, "role": "user"}).status_code in (
        403,
        404,
    )
    assert not OpportunityContact.objects.exists()


def test_the_api_lists_adds_and_removes_people_on_a_deal(as_user, world):
    buyer = f.person(owner=world.owner, first_name="Dee", last_name="Maker")
    client = as_user(world.owner)
    base = f"/api/opportunities/{world.opportunity.pk}/contacts"
    added = client.post(base, {"person_id": buyer.pk, "role": "decision_maker"},
                        content_type="application/json")  # fmt: skip
    assert added.status_code == 201
    assert {"person_id": buyer.pk, "name": "Dee Maker", "role": "decision_maker"} in added.json()
    again = client.post(base, {"person_id": buyer.pk, "role": "influencer"},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 201 and OpportunityContact.objects.get().role == "influencer"
    listed = client.get(base).json()
    assert listed[0] == {"person_id": world.person.pk, "name": "Olive Owned",
                         "role": "contact_person"}  # fmt: skip
    bad = client.post(
        base, {"person_id": buyer.pk, "role": "boss"}, content_type="application/json"
    )
    assert bad.status_code == 422
    primary = client.post(base, {"person_id": world.person.pk, "role": "user"},
                          content_type="application/json")  # fmt: skip
    assert primary.status_code == 409
    hidden = f.person(owner=world.outsider)
    assert client.post(base, {"person_id": hidden.pk, "role": "user"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert as_user(world.outsider).get(base).status_code == 404
    assert as_user(world.owner).delete(f"{base}/{buyer.pk}").status_code == 204
    assert as_user(world.owner).delete(f"{base}/{buyer.pk}").status_code == 404
    assert not OpportunityContact.objects.exists()


def test_a_merge_moves_the_deal_roles(world):
    from tandem.transfer import merge

    a = f.person(owner=world.owner, email="twin@x.example")
    b = f.person(owner=world.owner, email="twin2@x.example")
    OpportunityContact.objects.create(opportunity=world.opportunity, person=b, role="champion")
    merge.merge(actor=world.admin, survivor=a, other=b, take={})
    assert OpportunityContact.objects.get().person == a


def test_a_won_deal_credits_the_programs_of_everyone_on_it(world):
    """Its journey is the touches of its contact person and its other people, merged by time,
    up to the close; a touch after the close, or of someone not on the deal, counts for none."""
    from datetime import timedelta

    from django.utils import timezone

    from tandem.insights import attribution_report
    from tandem.marketing.models import Touch
    from tandem.sales.models import Stage

    now = timezone.now()
    web, show, ads = (f.program(name=n, channel=c) for n, c in
                      (("Web", "web"), ("Show", "trade_show"), ("Ads", "advertising")))  # fmt: skip
    champion = f.person(owner=world.owner, first_name="Cham")
    bystander = f.person(owner=world.owner, first_name="By")
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    for person, program, at in (
        (world.person, web, days(20)),  # the contact person, first
        (champion, show, days(10)),  # the champion, in between
        (world.person, web, days(5)),
        (champion, ads, now + timedelta(days=1)),  # after the close: left out
        (bystander, ads, days(8)),  # not on the deal
    ):
        Touch.objects.create(person=person, program=program, kind="page_visited", occurred_at=at)
    OpportunityContact.objects.create(
        opportunity=world.opportunity, person=champion, role="champion"
    )
    won = Stage.objects.get(name="Closed won")
    world.opportunity.stage, world.opportunity.closed_at = won, days(1)
    world.opportunity.amount = 900
    world.opportunity.save()
    today = timezone.localdate()
    r = attribution_report.compute(attribution_report.Params(today - timedelta(days=30), today))
    by_label = dict(zip((label for _, label in r.labels), r.value["first_touch"], strict=True))
    assert by_label["Web"] == 900 and by_label["Show"] == 0
    last = dict(zip((label for _, label in r.labels), r.value["last_touch"], strict=True))
    assert last["Web"] == 900
    linear = dict(zip((label for _, label in r.labels), r.value["linear"], strict=True))
    assert linear["Web"] == 600 and linear["Show"] == 300 and linear["Ads"] == 0
