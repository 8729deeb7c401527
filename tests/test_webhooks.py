"""Outbound webhooks against a real receiver on loopback: events written in the transaction of
the change (none for a rolled-back one), signed by the Standard Webhooks scheme, retried until
answered, never sent again once answered with a 2xx, given up and disabled after three days;
the SSRF guard; admins only."""

import http.server
import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from tandem.contacts import services as contacts
from tandem.core import webhooks, workspace
from tandem.core.errors import Invalid
from tandem.core.models import WebhookDelivery, WebhookEndpoint
from tandem.sales.models import Stage
from tests import factories as f

JSON = "application/json"


class Receiver:
    """An HTTP server on loopback that records what it is sent, answering `status`."""

    def __init__(self):
        self.received, self.status = [], 204
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]


@pytest.fixture
def receiver(db):
    ws = workspace.get()
    ws.webhooks_allow_private = True  # the tests' own receiver is on loopback
    ws.save()
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def endpoint(world, receiver):
    made = webhooks.endpoint_create(actor=world.admin, url=receiver.url)
    yield made
    webhooks.forget_endpoints()


def test_a_change_is_delivered_signed_once(world, receiver, endpoint, as_user):
    response = as_user(world.marketer).post(
        "/api/people", {"email": "new@example.com", "first_name": "Nia"}, content_type=JSON
    )
    assert response.status_code == 201
    assert webhooks.deliver_due() == 1
    ((headers, body),) = receiver.received
    message = Webhook(endpoint.secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert message["type"] == "person.created" and message["data"]["id"] == response.json()["id"]
    assert message["data"]["via"] == "api"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.last_status == 204
    assert headers["webhook-id"] == delivery.event_id
    assert webhooks.deliver_due() == 0 and len(receiver.received) == 1  # never twice


def test_a_rolled_back_change_sends_nothing(world, receiver, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        contacts.person_create(actor=world.marketer, data={"email": "gone@example.com"})
        raise RuntimeError("the request failed after the write")
    assert not WebhookDelivery.objects.exists()
    webhooks.deliver_due()
    assert receiver.received == []


def test_a_receiver_that_is_down_gets_everything_when_it_is_back(world, receiver, endpoint):
    receiver.status = 503
    for n in range(3):
        contacts.person_create(actor=world.marketer, data={"email": f"p{n}@example.com"})
    webhooks.deliver_due()
    assert WebhookDelivery.objects.filter(status="pending", attempts=1).count() == 3
    receiver.status = 200
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    webhooks.deliver_due()
    ids = [h["webhook-id"] for h, _ in receiver.received]
    assert len(ids) == 6 and len(set(ids)) == 3  # each retried with its own id
    assert WebhookDelivery.objects.filter(status="delivered").count() == 3
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.deliver_due() == 0 and len(receiver.received) == 6


def test_three_days_of_failure_disable_the_endpoint_and_tell_the_admins(
    world, receiver, endpoint, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.admin.email = "root@example.com"
    world.admin.save()
    receiver.status = 500
    contacts.person_create(actor=world.marketer, data={"email": "x@example.com"})
    for _ in range(len(webhooks.BACKOFF)):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhooks.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == len(webhooks.BACKOFF)
    endpoint.refresh_from_db()
    assert not endpoint.active and "three days" in endpoint.disabled_reason
    assert mail.outbox and "disabled" in mail.outbox[0].subject
    receiver.status = 200
    webhooks.endpoint_update(actor=world.admin, endpoint=endpoint, data={"active": True})
    webhooks.send_again(actor=world.admin, delivery=delivery)
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    with pytest.raises(Invalid, match="not sent twice"):
        webhooks.send_again(actor=world.admin, delivery=delivery)


def test_the_events_of_the_whole_process(world, receiver, as_user, client):
    wanted = ["form.submitted", "opportunity.won", "handoff.accepted"]
    webhooks.endpoint_create(actor=world.admin, url=receiver.url, events=wanted)
    form = f.lead_form(world.program, owner=world.marketer)
    client.post(f"/f/{form.key}/", {"email": "visitor@example.com", "first_name": "Vi"})
    won = Stage.objects.get(name="Closed won")
    as_user(world.owner).post(f"/sales/opportunities/{world.opportunity.pk}/move",
                              {"stage": won.pk})  # fmt: skip
    webhooks.deliver_due()
    assert sorted(receiver.events()) == ["form.submitted", "opportunity.won"]
    submitted = next(json.loads(b) for _, b in receiver.received if b"form.submitted" in b)
    assert submitted["data"]["values"]["email"] == "visitor@example.com"


def test_the_ssrf_guard(world):
    ws = workspace.get()
    assert not ws.webhooks_allow_private
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "ftp://example.com/",
        "http://localhost/x",
    ):
        with pytest.raises(Invalid):
            webhooks.endpoint_create(actor=world.admin, url=url)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["marketing_manager", "sales_manager", "owner"])
def test_only_admins_manage_webhooks(world, as_user, who):
    client = as_user(getattr(world, who))
    assert client.get("/settings/webhooks/").status_code == 403
    made = client.post("/api/webhooks", {"url": "https://example.com/h"}, content_type=JSON)
    assert made.status_code == 403 and not WebhookEndpoint.objects.exists()


def test_the_settings_pages_and_the_api(world, receiver, as_user):
    client = as_user(world.admin)
    page = client.get("/settings/webhooks/").content.decode()
    assert "person.created" in page and "private" in page
    client.post("/settings/webhooks/", {"url": receiver.url, "events": ["person.created"]})
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["person.created"] and endpoint.secret.startswith("whsec_")
    detail = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in detail
    listed = client.get("/api/webhooks").json()
    assert listed[0]["url"] == receiver.url
    client.patch(f"/api/webhooks/{endpoint.pk}", {"active": False}, content_type=JSON)
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "person.created" in client.get("/api/webhooks/events").json()
    before = timezone.now() - timedelta(seconds=1)
    assert client.delete(f"/api/webhooks/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.filter(created_at__gte=before).exists()


def test_private_addresses_are_an_admins_choice_on_the_page(world, as_user):
    from tandem.core.models import Workspace

    Workspace.objects.all().delete()
    workspace.forget()
    client = as_user(world.admin)
    client.post("/settings/webhooks/", {"form": "private", "allow": "1"})
    assert workspace.get().webhooks_allow_private
    client.post("/settings/webhooks/", {"form": "private"})
    assert not workspace.get().webhooks_allow_private
