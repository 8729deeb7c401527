"""Fuzzy duplicates and merging: found with known precision and recall, merged with nothing lost."""

import random

import pytest
from django.utils import timezone

from tandem.contacts.models import ConsentRecord, LifecycleTransition, Person
from tandem.core.errors import Forbidden
from tandem.core.models import TimelineEntry
from tandem.marketing.models import Recipient, Touch
from tandem.sales.models import Activity, Opportunity
from tandem.transfer import dedupe, merge
from tandem.transfer.models import DuplicateCandidate, MergeLog
from tests import factories as f

FIRST = ["Anna", "Ben", "Carla", "David", "Eva", "Felix", "Greta", "Hugo", "Ines", "Jonas",
         "Klara", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tina",
         "Uwe"]  # fmt: skip
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Braun"]  # fmt: skip


def _generated(rng):
    """People in 40 companies, and a set of planted duplicates (the truth)."""
    orgs = [f.organization(name=f"Co {i}", domain=f"co{i}.example") for i in range(40)]
    people, truth = [], set()
    for i in range(600):
        org = rng.choice(orgs)
        p = Person.objects.create(
            email=f"p{i}@{org.domain}", email_normalized=f"p{i}@{org.domain}",
            first_name=rng.choice(FIRST), last_name=rng.choice(LAST), organization=org,
            phone=f"+49 30 {rng.randint(1000000, 9999999)}",
        )  # fmt: skip
        people.append(p)
    for i, original in enumerate(rng.sample(people, 80)):
        variant = i % 4
        first = original.first_name
        last = original.last_name
        if variant == 1:
            first = first[0] + "."  # "A." for "Anna"
        if variant == 2:
            last = last.replace("ü", "u").upper()  # "MULLER"
        dup = Person.objects.create(
            email=f"dup{i}@mail.example", email_normalized=f"dup{i}@mail.example",
            first_name=first, last_name=last,
            organization=original.organization if variant != 3 else None,
            phone=original.phone if variant == 3 else "",
        )  # fmt: skip
        truth.add((min(original.pk, dup.pk), max(original.pk, dup.pk)))
    return truth


def test_fuzzy_pairs_have_high_precision_and_recall(db):
    rng = random.Random(11)
    truth = _generated(rng)
    found = {(a, b) for a, b, _, _ in dedupe.find_pairs()}
    # same first and last name at the same company also happens by chance in the base data:
    # those are true look-alikes, counted separately from the planted pairs
    by_pk = {p.pk: p for p in Person.objects.select_related("organization")}

    def same_human(a, b):
        pa, pb = by_pk[a], by_pk[b]
        return (a, b) in truth or (
            dedupe.name_key(pa.first_name) == dedupe.name_key(pb.first_name)
            and dedupe.name_key(pa.last_name) == dedupe.name_key(pb.last_name)
        )

    true_positives = {pair for pair in found if same_human(*pair)}
    precision = len(true_positives) / len(found)
    recall = len(found & truth) / len(truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    assert dedupe.queue(found and dedupe.find_pairs()) == len(found)
    assert dedupe.queue(dedupe.find_pairs()) == 0  # a second scan adds nothing


def test_merge_moves_everything_and_logs_what_went(world):
    survivor = f.person(owner=world.owner, email="ann@acme.example", first_name="Ann",
                        last_name="Lee", title="")  # fmt: skip
    other = f.person(owner=world.owner, email="a.lee@acme.example", first_name="A.",
                     last_name="Lee", title="CFO", phone="+1 555 0100",
                     unsubscribed_at=timezone.now())  # fmt: skip
    program = f.program()
    Touch.objects.create(person=other, program=program, kind="form_submitted")
    Touch.objects.create(person=survivor, program=program, kind="ad_clicked")
    opp = f.opportunity(world.owner, person=other)
    Activity.objects.create(owner=world.owner, person=other, kind="call", subject="Hi",
                            due_at=timezone.now())  # fmt: skip
    ConsentRecord.objects.create(person=other, granted=True, wording="news", source="form")
    LifecycleTransition.objects.create(person=other, to_stage="mql")
    TimelineEntry.objects.create(via="ui", verb="noted", target_type="person",
                                 target_id=other.pk, summary="call me")  # fmt: skip
    campaign = f.campaign(program)
    Recipient.objects.create(campaign=campaign, person=survivor, token="t-s")
    Recipient.objects.create(campaign=campaign, person=other, token="t-o")  # would double
    log = merge.merge(actor=world.owner, survivor=survivor, other=other,
                      take={"title": True, "phone": True, "email": True})  # fmt: skip
    assert not Person.objects.filter(pk=other.pk).exists()
    survivor.refresh_from_db()
    assert (survivor.title, survivor.phone, survivor.email) == ("CFO", "+1 555 0100",
                                                                 "a.lee@acme.example")  # fmt: skip
    assert survivor.first_name == "Ann" and survivor.unsubscribed_at is not None
    assert Touch.objects.filter(person=survivor).count() == 2
    assert Opportunity.objects.get(pk=opp.pk).person == survivor
    assert Activity.objects.filter(person=survivor).count() == 1
    assert ConsentRecord.objects.filter(person=survivor).count() == 1
    assert TimelineEntry.objects.filter(target_type="person", target_id=survivor.pk,
                                        summary="call me").exists()  # fmt: skip
    assert Recipient.objects.filter(campaign=campaign).count() == 1
    log = MergeLog.objects.get(pk=log.pk)
    assert (
        log.merged_values["email"] == "a.lee@acme.example" and log.merged_values["id"] == other.pk
    )
    assert log.moved["marketing.Touch"] == 1 and log.moved["sales.Opportunity"] == 1
    assert log.dropped[0]["model"] == "marketing.Recipient"
    assert log.chosen == {"title": "CFO", "phone": "+1 555 0100", "email": "a.lee@acme.example"}
    assert TimelineEntry.objects.filter(target_id=survivor.pk, verb="merged").exists()


def test_merge_needs_write_access_to_both(world, as_user):
    mine = f.person(owner=world.owner, last_name="Same")
    theirs = f.person(owner=world.outsider, last_name="Same")
    with pytest.raises(Forbidden):
        merge.merge(actor=world.owner, survivor=mine, other=theirs, take={})
    response = as_user(world.owner).post(
        "/api/merges", {"survivor_id": mine.pk, "other_id": theirs.pk},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 404  # the outsider's person is not even visible
    assert Person.objects.filter(pk=theirs.pk).exists()


def test_queue_pair_page_merge_and_dismiss(world, as_user):
    org = f.organization(name="Acme", domain="acme.example", owner=world.owner)
    a = f.person(owner=world.owner, organization=org, first_name="Jo", last_name="Ray",
                 email="jo@acme.example", title="CTO")  # fmt: skip
    b = f.person(owner=world.owner, organization=org, first_name="Jo", last_name="Ray",
                 email="jray@acme.example", title="")  # fmt: skip
    c = f.person(owner=world.owner, organization=org, first_name="Jo", last_name="Ray",
                 email="third@acme.example")  # fmt: skip
    assert dedupe.scan() == 3
    client = as_user(world.owner)
    page = client.get("/transfer/duplicates/").content.decode()
    assert "same name, same company acme.example" in page
    pair = DuplicateCandidate.objects.get(first=a, second=b)
    review = client.get(f"/transfer/duplicates/{pair.pk}/").content.decode()
    assert "CTO" in review and "jray@acme.example" in review
    response = client.post(f"/transfer/duplicates/{pair.pk}/",
                           {"keep": "second", "pick-title": "first"})  # fmt: skip
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.title == "CTO" and not Person.objects.filter(pk=a.pk).exists()
    other_pair = DuplicateCandidate.objects.get(first=b, second=c)
    client.post(f"/transfer/duplicates/{other_pair.pk}/dismiss")
    other_pair.refresh_from_db()
    assert other_pair.status == "dismissed"
    assert client.get("/api/duplicates").json() == []
    assert as_user(world.outsider).get(f"/transfer/duplicates/{other_pair.pk}/").status_code == 404
