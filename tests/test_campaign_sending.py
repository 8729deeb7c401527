"""Sending a campaign under stress, through a real SMTP server on loopback: the message as bytes
on the wire, a refused address, a worker that dies mid-batch or is taken for dead."""

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.marketing import campaigns, mailer, sending, wire
from tandem.marketing.models import Campaign, Recipient, Touch
from tests import test_campaigns as base

audience = base.audience  # the 1,012 people of the campaign tests
_campaign, _send, run_worker = base._campaign, base._send, base.run_worker


@pytest.mark.django_db(transaction=True)
def test_the_wire_form_reads_back_as_the_message_written(audience, smtp, settings):
    """Messages are assembled as bytes, not built as MIME trees: what arrives must parse back to
    the same subject, sender, body and links, in any script and with any line."""
    from tandem.core import workspace

    space = workspace.get()
    space.sender_name, space.sender_email = "Zoë's Café", "news@cafe.example"
    workspace.save_fields(space, "sender_name", "sender_email")
    long_line = "word=value " * 40
    body = (
        f"Grüße, **{{{{ first_name }}}}** — 東京 ✓\n\n.a line that starts with a dot\n\n{long_line}"
    )
    Person.objects.filter(pk=audience["ok"][1].pk).update(first_name="Ünal")
    campaign = _send(
        audience, _campaign(audience, subject="Für {{ first_name }}: 東京 " + "x" * 80, body=body)
    )
    assert campaign.status == "sent"
    by_to = {m["To"]: m for m in smtp.parsed()}
    assert len(by_to) == 1000
    msg = by_to[audience["ok"][1].email]
    assert msg["Subject"] == "Für Ünal: 東京 " + "x" * 80
    sender = msg["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Zoë's Café", "news@cafe.example")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Grüße, Ünal — 東京 ✓" in text and "Grüße, <strong>Ünal</strong> — 東京 ✓" in html
    assert "\n.a line that starts with a dot" in text  # SMTP's dot-stuffing undone
    assert long_line.strip() in text.replace("\n", " ")
    assert msg["Message-ID"] != by_to[audience["ok"][2].email]["Message-ID"]
    assert msg["Date"] is not None and msg.get_content_type() == "multipart/alternative"
    token = Recipient.objects.get(campaign=campaign, person=audience["ok"][1]).token
    assert msg["List-Unsubscribe"] == (
        f"<http://testserver/e/u/{token}>, <mailto:news@cafe.example?subject=unsubscribe%20{token}>"
    )


@pytest.mark.django_db(transaction=True)
def test_a_refused_address_fails_alone(audience, smtp):
    Person.objects.filter(pk=audience["ok"][3].pk).update(email="refused3@example.com")
    campaign = _send(audience, _campaign(audience))
    assert campaign.status == "sent" and len(smtp.messages) == 999
    failed = Recipient.objects.get(campaign=campaign, status="failed")
    assert failed.person_id == audience["ok"][3].pk and "no such mailbox" in failed.error
    assert campaigns.stats(campaign)["sent"] == 999
    assert Touch.objects.filter(kind="email_sent", person=audience["ok"][3]).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_worker_died_is_sent_on_without_sending_twice(audience, smtp, settings):
    """What a worker killed mid-batch leaves: some sent, one on the wire, the rest claimed."""
    from datetime import timedelta

    from tandem.marketing import recovery

    campaign = _campaign(audience)
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled")
    sending.dispatch(campaign.pk)
    first, last = sending.batches_of(campaign, "queued")[0]
    claimed = sending._claim(campaign.pk, first, last)
    assert len(claimed) == 500
    long_ago = timezone.now() - timedelta(seconds=settings.TANDEM_SEND_STALL_SECONDS + 1)
    done, on_the_wire = claimed[:40], claimed[40]
    Recipient.objects.filter(pk__in=[r.pk for r in done]).update(status="sent", sent_at=long_ago)
    Recipient.objects.filter(pk=on_the_wire.pk).update(status="attempting", claimed_at=long_ago)
    Recipient.objects.filter(status="sending").update(claimed_at=long_ago)
    assert recovery.stalled() == [campaign.pk]

    assert recovery.run() == 1
    assert recovery.run() == 0  # nothing left to recover
    in_doubt = Recipient.objects.get(pk=on_the_wire.pk)
    assert in_doubt.status == "failed" and in_doubt.error == recovery.IN_DOUBT
    assert Recipient.objects.filter(campaign=campaign, status="queued").count() == 1000 - 41
    assert (
        Touch.objects.filter(kind="email_sent", person__in=[r.person_id for r in done]).count()
        == 40
    )
    run_worker()  # the other batches, and the 459 queued again
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    delivered = [m["To"] for m in smtp.parsed()]
    assert len(delivered) == len(set(delivered)) == 1000 - 41  # the 40 sent before are not resent
    assert not {r.person.email for r in done} & set(delivered)
    assert on_the_wire.person.email not in delivered
    assert campaigns.stats(campaign)["sent"] == 999 and campaigns.stats(campaign)["failed"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_taken_for_dead_stops_instead_of_sending_what_was_recovered(
    audience, smtp, settings
):
    from datetime import timedelta

    from tandem.marketing import recovery

    campaign = _campaign(audience)
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled")
    sending.dispatch(campaign.pk)
    campaign.refresh_from_db()
    first, last = sending.batches_of(campaign, "queued")[0]
    claimed = sending._claim(campaign.pk, first, last)  # a worker claims, then stalls
    later = timezone.now() + timedelta(seconds=settings.TANDEM_SEND_STALL_SECONDS + 1)
    assert recovery.recover(campaign.pk, now=later)["requeued"] == len(claimed)
    batch = wire.Batch(mailer.compile_body(campaign.body, campaign.body_format), {"": "Hi"})
    outgoing = [(r, batch.message(r.person, r.token, "")) for r in claimed]
    assert sending._deliver(outgoing) == []  # it wakes up: the batch is no longer its own
    assert smtp.messages == []
    assert Recipient.objects.filter(pk__in=[r.pk for r in claimed], status="queued").count() == 500


def test_an_address_beyond_ascii_is_built_by_django(db):
    batch = wire.Batch(mailer.compile_body("Hi {{ first_name }}", "markdown"), {"a": "Hello"})
    plain = batch.message(Person(email="ada@example.com", first_name="Ada"), "tok1", "a")
    wide = batch.message(Person(email="ünal@exämple.de", first_name="Ünal"), "tok2", "a")
    parsed = plain.message().get_body(("html",)).get_content()  # parsed from its bytes
    assert isinstance(plain, wire.Prepared) and "<p>Hi Ada</p>" in parsed
    assert isinstance(wide, EmailMultiAlternatives) and not isinstance(wide, wire.Prepared)
    assert wide.to == ["ünal@exämple.de"] and "<p>Hi Ünal</p>" in wide.alternatives[0][0]


def test_a_claimed_batch_renders_every_merge_field_without_another_query(
    audience, django_assert_num_queries
):
    """A batch loads only the columns the merge fields read: a field they read that the claim
    did not load would cost a query per recipient."""
    fields = " ".join(f"{{{{ {name} }}}}" for name in mailer.MERGE_FIELDS)
    campaign = _campaign(audience, subject="For {{ first_name }}", body=fields)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    sending._materialize(campaign)
    first, last = sending.batches_of(campaign, "queued")[0]
    claimed = sending._claim(campaign.pk, first, last)
    batch = wire.Batch(mailer.compile_body(campaign.body, campaign.body_format), {"": "Hi"})
    with django_assert_num_queries(0):
        texts = [mailer.render(batch.compiled, r.person, r.token, batch.links)[1] for r in claimed]
        messages = [batch.message(r.person, r.token, "") for r in claimed]
    assert len(messages) == len(claimed) == 500
    with_org = next(i for i, r in enumerate(claimed) if r.person.organization_id)
    person = Person.objects.select_related("organization").get(pk=claimed[with_org].person_id)
    assert texts[with_org].startswith(
        f"{person.first_name} {person.last_name} {person.email} {person.title} {person.city} "
        f"{person.country} {person.organization.name}"
    )


def test_the_sent_touches_of_a_batch_go_in_whole_or_not_at_all(audience):
    """A row that fails takes the batch's other touches with it (SQLite's executemany would
    otherwise keep the rows before it)."""
    from django.db import IntegrityError, connection

    campaign = _campaign(audience)
    now = timezone.now()
    person_of = {1: audience["ok"][0].pk, 2: None}  # the second cannot go in
    with pytest.raises((IntegrityError, connection.Database.IntegrityError)):  # below the ORM
        sending._record_sent(campaign, person_of, [(1, now), (2, now)])
    assert not Touch.objects.filter(kind="email_sent").exists()
    sending._record_sent(campaign, {1: audience["ok"][0].pk}, [(1, now)])
    assert Touch.objects.get(kind="email_sent").occurred_at == now
