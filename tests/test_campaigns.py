"""Email campaigns through a real SMTP server on loopback (aiosmtpd) and the real task worker."""

import base64
import hashlib
import hmac
import json
import re
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tandem.contacts.models import ConsentRecord, Person
from tandem.core.errors import Conflict, Invalid
from tandem.core.models import TimelineEntry
from tandem.marketing import campaigns, mailer, sending
from tandem.marketing.models import (
    Campaign,
    Recipient,
    SuppressedAddress,
    Touch,
)
from tests import factories as f

BODY = (
    'Hi **{{ first_name | default:"there" }}** from {{ organization }},\n\n'
    "Read [the guide](https://example.com/guide?a=1&b=2) or [book a demo](https://example.com/demo).\n\n"
    "<script>alert(1)</script> <a href='https://example.com/x' onclick='evil()'>raw</a>"
)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def _people(n, prefix="p", **kw):
    kw.setdefault("consent", "granted")
    kw.setdefault("country", "DE")
    rows = [
        Person(
            email=f"{prefix}{i}@example.com",
            email_normalized=f"{prefix}{i}@example.com",
            first_name=f"First{i}" if i % 10 else "",
            last_name=f"Last{i}",
            **kw,
        )
        for i in range(n)
    ]
    return Person.objects.bulk_create(rows)


@pytest.fixture
def audience(db):
    """1,012 people in Germany: 1,000 may get mail, 12 are suppressed for different reasons."""
    marketer = f.user("marketer", f.team("Mkt", "marketing"), "mkt")
    rep = f.user("sales_rep", f.team("East"), "rep")
    f.pipeline()
    program = f.program(owner=marketer, name="Spring newsletter", channel="email")
    org = f.organization(name="Acme & Sons")
    ok = _people(1000, organization=org)
    now = timezone.now()
    suppressed = {
        "unsubscribed": _people(3, "unsub", unsubscribed_at=now),
        "bounced": _people(2, "bounce", bounced_at=now),
        "complained": _people(2, "compl", complained_at=now),
        "no consent": _people(2, "noconsent", consent="unknown"),
        "open opportunity": _people(2, "indeal"),
        "suppressed address": _people(1, "listed"),
    }
    for p in suppressed["open opportunity"]:
        f.opportunity(rep, person=p)
    SuppressedAddress.objects.create(
        email_normalized="listed0@example.com", reason="bounced", source="test"
    )
    _people(5, "fr", country="FR")  # outside the segment
    segment = f.segment(marketer, [{"group": 1, "field": "country", "op": "in", "value": "DE"}])
    return {
        "marketer": marketer,
        "program": program,
        "segment": segment,
        "ok": ok,
        "suppressed": suppressed,
    }


def _campaign(audience, **kw):
    return campaigns.campaign_create(
        actor=audience["marketer"],
        data={
            "program": audience["program"],
            "segment": audience["segment"],
            "name": kw.pop("name", "Spring"),
            "subject": kw.pop("subject", 'News for {{ first_name | default:"you" }}'),
            "body": kw.pop("body", BODY),
            **kw,
        },
    )


def _send(audience, campaign):
    campaigns.campaign_send(actor=audience["marketer"], campaign=campaign)
    run_worker()
    campaign.refresh_from_db()
    return campaign


@pytest.mark.django_db(transaction=True)
def test_campaign_to_a_segment_through_smtp(audience, smtp):
    campaign = _send(audience, _campaign(audience))
    assert campaign.status == "sent"
    messages = smtp.parsed()
    assert len(messages) == 1000
    to = {m["To"] for m in messages}
    assert to == {p.email for p in audience["ok"]}
    for reason, people in audience["suppressed"].items():
        assert not to & {p.email for p in people}, reason
        assert campaign.skipped[reason] == len(people)

    by_to = {m["To"]: m for m in messages}
    ada = audience["ok"][7]
    msg = by_to[ada.email]
    recipient = Recipient.objects.get(campaign=campaign, person=ada)
    token = recipient.token
    assert msg["Subject"] == "News for First7"
    assert msg["List-Unsubscribe"] == (
        f"<http://testserver/e/u/{token}>, <mailto:tandem@localhost?subject=unsubscribe%20{token}>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "Hi <strong>First7</strong> from Acme &amp; Sons" in html
    assert f'href="http://testserver/e/c/{token}/0"' in html
    assert f'href="http://testserver/e/c/{token}/1"' in html
    assert "example.com/guide" not in html  # every link goes through the redirect
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html  # Markdown: HTML is text
    assert "<a href='https://example.com/x' onclick" not in html
    assert f'src="http://testserver/e/o/{token}.gif"' in html
    assert "Test Co, 1 Test Street" in html and "Test Co, 1 Test Street" in text
    assert f"the guide (http://testserver/e/c/{token}/0)" in text
    no_name = by_to[audience["ok"][10].email]
    assert no_name["Subject"] == "News for you"
    assert "Hi <strong>there</strong>" in no_name.get_body(("html",)).get_content()
    assert Touch.objects.filter(program=audience["program"], kind="email_sent").count() == 1000
    touch = Touch.objects.get(kind="email_sent", person=recipient.person)
    assert (touch.utm_medium, touch.utm_campaign, touch.rep_id, touch.referrer) == (
        "email",
        campaign.name,
        None,
        "",
    )
    assert touch.occurred_at == Recipient.objects.get(pk=recipient.pk).sent_at

    # the recipient's side: open, click (only that email's links), one-click unsubscribe
    public = Client()
    pixel = public.get(f"/e/o/{token}.gif")
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    click = public.get(f"/e/c/{token}/0")
    assert click.status_code == 302 and click["Location"] == "https://example.com/guide?a=1&b=2"
    assert public.get(f"/e/c/{token}/7").status_code == 404
    assert public.get("/e/c/not-a-token/0").status_code == 404
    page = public.get(f"/e/u/{token}")
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    ada.refresh_from_db()
    assert ada.unsubscribed_at is None  # a GET only shows the page
    one_click = Client(enforce_csrf_checks=True).post(
        f"/e/u/{token}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    ada.refresh_from_db()
    assert ada.unsubscribed_at is not None and ada.consent == "withdrawn"
    assert ConsentRecord.objects.filter(person=ada, granted=False).count() == 1

    stats = campaigns.stats(campaign)
    assert (stats["sent"], stats["delivered"], stats["opened"], stats["clicked"]) == (
        1000,
        1000,
        1,
        1,
    )
    assert stats["unsubscribed"] == 1
    assert Touch.objects.filter(person=ada, kind__in=["email_opened", "email_clicked"]).count() == 2

    # the next send leaves the unsubscribed person out
    smtp.messages.clear()
    second = _send(audience, _campaign(audience, name="Summer"))
    assert len(smtp.messages) == 999
    assert ada.email not in {m["To"] for m in smtp.parsed()}
    assert second.skipped["unsubscribed"] == 4


@pytest.mark.django_db(transaction=True)
def test_suppression_is_checked_again_at_send_time(audience, smtp):
    campaign = _campaign(audience)
    campaigns.campaign_send(actor=audience["marketer"], campaign=campaign)
    late = audience["ok"][3]
    # the dispatch task picks recipients; before the batches run, the person unsubscribes
    from django_tasks_db.models import DBTaskResult

    call_command("db_worker", "--batch", "--max-tasks", "1", "--no-startup-delay", "--no-reload",
                 verbosity=0)  # fmt: skip
    assert DBTaskResult.objects.ready().exists()
    Person.objects.filter(pk=late.pk).update(unsubscribed_at=timezone.now())
    run_worker()
    assert late.email not in {m["To"] for m in smtp.parsed()}
    assert Recipient.objects.get(campaign=campaign, person=late).status == "skipped"
    assert len(smtp.messages) == 999


@pytest.mark.django_db(transaction=True)
def test_open_opportunity_override_is_logged_and_includes_them(audience, smtp):
    campaign = _campaign(audience, include_open_opportunities=True)
    entry = TimelineEntry.objects.get(target_type="campaign", target_id=campaign.pk,
                                      verb="suppression_override")  # fmt: skip
    assert entry.actor == audience["marketer"]
    _send(audience, campaign)
    in_deal = {p.email for p in audience["suppressed"]["open opportunity"]}
    assert in_deal <= {m["To"] for m in smtp.parsed()}
    assert len(smtp.messages) == 1002


@pytest.mark.django_db(transaction=True)
def test_ab_subject_test_sends_the_winner_to_the_rest(audience, smtp):
    campaign = _campaign(audience, subject="Subject A", subject_b="Subject B", ab_sample_percent=10)
    _send(audience, campaign)
    assert campaign.status == "testing"
    assert len(smtp.messages) == 100
    subjects = [m["Subject"] for m in smtp.parsed()]
    assert subjects.count("Subject A") == 50 and subjects.count("Subject B") == 50
    assert Recipient.objects.filter(campaign=campaign, status="held").count() == 900
    for r in Recipient.objects.filter(campaign=campaign, variant="b")[:10]:
        Client().get(f"/e/o/{r.token}.gif")
    for r in Recipient.objects.filter(campaign=campaign, variant="a")[:3]:
        Client().get(f"/e/o/{r.token}.gif")
    smtp.messages.clear()
    assert sending.pick_winner(campaign.pk) == "b"
    run_worker()
    campaign.refresh_from_db()
    assert campaign.status == "sent" and campaign.ab_winner == "b"
    assert len(smtp.messages) == 900
    assert {m["Subject"] for m in smtp.parsed()} == {"Subject B"}
    assert "B 20.0%" in TimelineEntry.objects.get(verb="ab_winner").summary


@pytest.mark.django_db(transaction=True)
def test_scheduled_campaign_waits_for_its_time(audience, smtp):
    campaign = _campaign(audience)
    later = timezone.now() + timezone.timedelta(hours=2)
    campaigns.campaign_send(actor=audience["marketer"], campaign=campaign, at=later)
    run_worker()
    campaign.refresh_from_db()
    assert campaign.status == "scheduled" and len(smtp.messages) == 0
    with pytest.raises(Conflict):
        campaigns.campaign_send(actor=audience["marketer"], campaign=campaign)
    campaigns.campaign_cancel(actor=audience["marketer"], campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"


def test_merge_fields_are_restricted(db):
    check = mailer.check_merge_fields
    check('Hi {{ first_name }} {{organization|default:"your team"}}', "body")
    for bad in ("{{ password }}", "{{ first_name.__class__ }}", "{{ settings.SECRET_KEY }}",
                "{% load static %}{{ x }}"):  # fmt: skip
        with pytest.raises(Invalid):
            check(bad, "body")
    person = Person(first_name="<b>Eve</b>", email="e@example.com")
    compiled = mailer.compile_body("Hi {{ first_name }} {% now 'Y' %}", "markdown")
    html, text = mailer.render(compiled, person, token=None)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "{% now 'Y' %}" in html
    assert "Hi <b>Eve</b>" in text  # plain text is not HTML
    clean = mailer.sanitize(
        '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(2)">j</a>'
        '<img src="https://example.com/i.png" onerror="x()"><iframe src="https://e.x"></iframe>',
        "html",
    )
    assert clean == '<p>Hi</p><a>j</a><img src="https://example.com/i.png">'
    assert mailer.render_subject("Hi {{ first_name }}\r\nBcc: x@y", person) == (
        "Hi <b>Eve</b> Bcc: x@y"
    )


def _mailgun_event(key, event_data):
    timestamp, token = str(int(time.time())), "t" * 50
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def test_signed_webhook_bounce_and_complaint(world, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-test", "WEBHOOK_SECRET": "hook:s3cret"}
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    program = f.program(channel="email")
    campaign = f.campaign(program)
    bouncer = f.person(email="gone@example.com")
    recipient = Recipient.objects.create(campaign=campaign, person=bouncer, token="tok-1")
    event = {
        "event": "failed",
        "severity": "permanent",
        "recipient": "Gone@Example.com",
        "timestamp": time.time(),
        "id": "ev1",
        "message": {"headers": {"message-id": "m1@x"}},
        "user-variables": {"tandem_recipient": "tok-1"},
        "delivery-status": {"code": 550, "message": "No such user"},
    }
    client = Client()
    forged = _mailgun_event("wrong-key", event)
    response = client.post("/e/webhooks/mailgun/tracking/", json.dumps(forged),
                           content_type="application/json", HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert response.status_code == 400
    bouncer.refresh_from_db()
    assert bouncer.bounced_at is None and not SuppressedAddress.objects.exists()

    signed = _mailgun_event("key-test", event)
    response = client.post("/e/webhooks/mailgun/tracking/", json.dumps(signed),
                           content_type="application/json", HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert response.status_code == 200
    bouncer.refresh_from_db()
    recipient.refresh_from_db()
    assert bouncer.bounced_at is not None and recipient.bounced_at is not None
    assert SuppressedAddress.objects.get(email_normalized="gone@example.com").reason == "bounced"

    complaint = _mailgun_event(
        "key-test", {**event, "event": "complained", "recipient": "angry@example.com", "id": "e2"}
    )
    client.post("/e/webhooks/mailgun/tracking/", json.dumps(complaint),
                content_type="application/json", HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert SuppressedAddress.objects.get(email_normalized="angry@example.com").reason == (
        "complained"
    )


def test_suppression_import_reports_bad_rows(world, as_user):
    known = f.person(email="known@example.com")
    csv_text = "email,reason\nknown@example.com,\nnot-an-email\nnew@example.com,complained\n"
    csv_text += "x@example.com,angry\n"
    client = as_user(world.marketer)
    response = client.post("/marketing/suppressions/", {"reason": "unsubscribed", "text": csv_text})
    html = response.content.decode()
    assert "2 addresses suppressed, 1 of them known people" in html
    assert "Row 3:" in html and "not a valid email" in html
    assert "Row 5: unknown reason" in html
    known.refresh_from_db()
    assert known.unsubscribed_at is not None
    assert SuppressedAddress.objects.get(email_normalized="new@example.com").reason == "complained"
    assert as_user(world.owner).post("/marketing/suppressions/", {}).status_code == 403
    api = as_user(world.marketer).post(
        "/api/suppressions",
        {
            "items": [
                {"email": "bad", "reason": "bounced"},
                {"email": "b@x.io", "reason": "bounced"},
            ]
        },
        content_type="application/json",
    )
    assert api.json() == {
        "added": 1,
        "people": 0,
        "errors": {"0": "“bad” is not a valid email address."},
    }


def test_campaign_pages_preview_and_test_send(world, as_user, smtp):
    client = as_user(world.marketer)
    segment = f.segment(world.marketer, [{"group": 1, "field": "email", "op": "contains",
                                          "value": "@buyer.test"}])  # fmt: skip
    reader = f.person(email="reader@buyer.test", first_name="Rea", consent="granted")
    created = client.post(
        "/marketing/campaigns/new",
        {
            "name": "Launch",
            "program": world.program.pk,
            "segment": segment.pk,
            "subject": "Hello {{ first_name }}",
            "body_format": "markdown",
            "body": "Dear {{ first_name }}, [launch](https://example.com/launch)",
            "require_consent": "on",
            "ab_sample_percent": "20",
            "ab_metric": "open",
            "ab_wait_minutes": "240",
            "idempotency_key": "camp-1",
        },
    )
    assert created.status_code == 302, created.content.decode()[:3000]
    campaign = Campaign.objects.get(name="Launch")
    f.person(email="outsider@else.test", first_name="Otto", consent="granted")
    page = client.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="preview-subject">Hello Rea<' in page  # by default, one of the audience
    page = client.get(f"/marketing/campaigns/{campaign.pk}/?person={reader.pk}").content.decode()
    assert 'data-testid="preview-subject">Hello Rea<' in page
    assert 'href="https://example.com/launch"' in page
    assert f'hx-get="/marketing/campaigns/{campaign.pk}/audience"' in page
    audience = client.get(f"/marketing/campaigns/{campaign.pk}/audience").content.decode()
    assert 'data-testid="audience">1<' in audience
    client.post(f"/marketing/campaigns/{campaign.pk}/test", {"to": "me@tandem.test",
                                                             "person": reader.pk})  # fmt: skip
    assert len(smtp.messages) == 1
    msg = smtp.parsed()[0]
    assert msg["Subject"] == "[Test] Hello Rea" and msg["To"] == "me@tandem.test"
    bad = client.post(
        f"/marketing/campaigns/{campaign.pk}/edit",
        {"name": "Launch", "program": world.program.pk, "subject": "Hi {{ secret }}",
         "body_format": "markdown", "body": "x", "ab_sample_percent": "20", "ab_metric": "open",
         "ab_wait_minutes": "1"},
    )  # fmt: skip
    assert bad.status_code == 200 and "is not a merge field" in bad.content.decode()
    assert as_user(world.owner).get(f"/marketing/campaigns/{campaign.pk}/").status_code == 404


def test_campaign_api_flow(world, as_user, django_capture_on_commit_callbacks):
    client = as_user(world.marketer)
    segment = f.segment(world.marketer)
    created = client.post(
        "/api/campaigns",
        {"name": "API", "program_id": world.program.pk, "segment_id": segment.pk,
         "subject": "Hi", "body": "Body"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="c-1",
    )  # fmt: skip
    assert created.status_code == 201
    again = client.post(
        "/api/campaigns",
        {"name": "API", "program_id": world.program.pk, "subject": "Hi", "body": "Body"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="c-1",
    )  # fmt: skip
    assert again.status_code == 200 and Campaign.objects.count() == 1
    cid = created.json()["id"]
    preview = client.get(f"/api/campaigns/{cid}/preview?person_id={world.person.pk}").json()
    assert "Body" in preview["html"] and "Test Co, 1 Test Street" in preview["text"]
    with django_capture_on_commit_callbacks():
        sent = client.post(f"/api/campaigns/{cid}/send", {}, content_type="application/json")
    assert sent.status_code == 202 and sent.json()["status"] == "scheduled"
    twice = client.post(f"/api/campaigns/{cid}/send", {}, content_type="application/json")
    assert twice.status_code == 409
    edit = client.patch(f"/api/campaigns/{cid}", {"subject": "X"}, content_type="application/json")
    assert edit.status_code == 200  # still scheduled, not started: editable
    stats = client.get(f"/api/campaigns/{cid}/stats").json()
    assert stats["sent"] == 0
    assert re.match(r"^\d+$", str(stats["recipients"]))


def test_leads_and_mqls_created_count_moves_after_the_send(world):
    from datetime import timedelta

    from tandem.contacts.models import LifecycleTransition

    program = f.program(channel="email")
    campaign = f.campaign(program)
    sent_at = timezone.now() - timedelta(days=5)
    Campaign.objects.filter(pk=campaign.pk).update(started_at=sent_at, status="sent")
    campaign.refresh_from_db()
    people = [f.person(lifecycle_stage="subscriber") for _ in range(4)]
    for i, p in enumerate(people):
        Recipient.objects.create(campaign=campaign, person=p, token=f"t{i}", sent_at=sent_at)
    outsider = f.person()
    moves = [
        (people[0], "lead", sent_at + timedelta(days=1)),  # counts as a lead
        (people[0], "mql", sent_at + timedelta(days=2)),  # and an MQL
        (people[1], "mql", sent_at - timedelta(days=1)),  # before the send: no
        (people[2], "mql", sent_at + timedelta(days=40)),  # after 30 days: no
        (outsider, "mql", sent_at + timedelta(days=1)),  # not a recipient: no
    ]
    for person, stage, at in moves:
        LifecycleTransition.objects.create(person=person, to_stage=stage, at=at)
    stats = campaigns.stats(campaign)
    assert (stats["leads"], stats["mqls"]) == (1, 1)


def test_the_audience_summary_counts_what_the_send_would(audience):
    campaign = _campaign(audience)
    total, skipped = campaigns.audience_summary(campaign)
    assert total == campaigns.audience(campaign).count() == len(audience["ok"])
    for reason, people in audience["suppressed"].items():
        assert skipped[reason] == len(people), reason
