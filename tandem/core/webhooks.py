"""Outbound webhooks: other systems hear what happens here.

Every service write records an audit entry (activity.record); the ones other systems care about
become events (EVENTS), written as deliveries in the same transaction as the change — an outbox:
none is lost when the receiver is down, none is sent for a change that was rolled back. A task
sends them after the commit, signed by the Standard Webhooks scheme (webhook-id,
webhook-timestamp, webhook-signature), and retries with backoff for three days; an endpoint
whose deliveries are given up is disabled and the admins are told. A target must resolve to
public addresses unless the workspace allows private ones (the SSRF guard)."""

import base64
import ipaddress
import json
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from tandem.core.errors import Forbidden, Invalid

# (target type, verb) of an audit entry → the event other systems subscribe to
EVENTS = {
    ("person", "created"): "person.created",
    ("person", "updated"): "person.updated",
    ("person", "merged"): "person.merged",
    ("person", "deleted"): "person.deleted",
    ("person", "erased"): "person.erased",
    ("person", "stage_changed"): "lifecycle.changed",
    ("person", "consent_granted"): "consent.changed",
    ("person", "suppressed_unsubscribed"): "email.unsubscribed",
    ("person", "suppressed_bounced"): "email.bounced",
    ("person", "suppressed_complained"): "email.complained",
    ("person", "handed_off"): "handoff.created",
    ("person", "sla_breached"): "handoff.breached",
    ("organization", "created"): "organization.created",
    ("organization", "updated"): "organization.updated",
    ("opportunity", "created"): "opportunity.created",
    ("opportunity", "stage_changed"): "opportunity.stage_changed",
}
EXTRA = ("form.submitted", "handoff.accepted", "handoff.rejected", "opportunity.won",
         "opportunity.lost", "import.finished")  # fmt: skip
EVENT_TYPES = sorted({*EVENTS.values(), *EXTRA})
# seconds after the change for attempt 1, 2, …: about three days in all
BACKOFF = (0, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600)
TIMEOUT = 10
_subscribed: dict = {"at": 0.0, "endpoints": []}  # the active endpoints, read every few seconds
CACHE_SECONDS = 5


def may_manage(actor) -> bool:
    from tandem.core import access

    return access.is_admin(actor)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def forget_endpoints() -> None:
    _subscribed["at"] = 0.0


def _endpoints() -> list:
    from tandem.core.models import WebhookEndpoint

    now = time.monotonic()
    if now - _subscribed["at"] > CACHE_SECONDS:
        _subscribed["endpoints"] = list(
            WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        )
        _subscribed["at"] = now
    return _subscribed["endpoints"]


def listening() -> bool:
    """Whether any endpoint is subscribed (the list is a few seconds old)."""
    return bool(_endpoints())


def emit(event_type: str, data: dict) -> int:
    """Write the event for each endpoint that wants it, in the caller's transaction; the
    sending starts once it commits. Returns how many deliveries were written."""
    from tandem.core.models import WebhookDelivery

    wanted = [pk for pk, events in _endpoints() if not events or event_type in events]
    if not wanted:
        return 0
    from tandem.core.models import WebhookEndpoint

    # the list is a few seconds old: an endpoint removed since by another process is left out
    wanted = list(
        WebhookEndpoint.objects.filter(pk__in=wanted, active=True).values_list("pk", flat=True)
    )
    now = timezone.now()
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint_id=pk, event_id=f"msg_{uuid.uuid4().hex}",
                        event_type=event_type, payload=payload, next_attempt_at=now)
        for pk in wanted
    )  # fmt: skip
    transaction.on_commit(_kick)
    return len(wanted)


def _kick() -> None:
    from tandem.core import webhook_tasks

    webhook_tasks.deliver_due.enqueue()


def on_activity(entry, target) -> None:
    """An audit entry just recorded: the event it stands for, if anyone listens."""
    event = EVENTS.get((entry.target_type, entry.verb))
    if event is None or not _endpoints():
        return
    data = {"object": entry.target_type, "id": entry.target_id, "via": entry.via,
            "summary": entry.summary, "changes": entry.changes}  # fmt: skip
    emit(event, data)
    if event == "opportunity.stage_changed":
        kind = getattr(getattr(target, "stage", None), "kind", "")
        if kind in ("won", "lost"):
            emit(f"opportunity.{kind}", data)


# --- the SSRF guard ------------------------------------------------------------------------


def check_target(url: str, *, allow_private: bool | None = None) -> None:
    """The URL is http(s) and every address its host resolves to is public (or the workspace
    allows private ones). Raises Invalid naming why not."""
    from tandem.core import workspace

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        why = "A webhook URL starts with https:// (or http://) and names a host."
        raise Invalid(why, field="url")
    if allow_private is None:
        allow_private = workspace.get().webhooks_allow_private
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise Invalid(f"{parts.hostname} does not resolve.", field="url") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        inside = any(
            (
                address.is_private,
                address.is_loopback,
                address.is_link_local,
                address.is_reserved,
                address.is_multicast,
                address.is_unspecified,
            )
        )
        if inside and not allow_private:
            raise Invalid(
                f"{parts.hostname} resolves to {address}, a private address: allow private "
                "addresses in Settings → Webhooks to reach a receiver on your own network.",
                field="url",
            )


# --- sending -------------------------------------------------------------------------------


def _send(delivery, *, checked: bool = False, pool: dict | None = None):
    """POST one delivery, signed; (HTTP status, error) — status None when none came back.
    `checked`: the endpoint's addresses were checked for this batch already; `pool` keeps one
    open connection per endpoint across a batch (HTTP/1.1 keep-alive)."""
    import http.client

    from standardwebhooks import Webhook

    endpoint = delivery.endpoint
    if not checked:
        try:
            check_target(endpoint.url)
        except Invalid as exc:
            return None, exc.message
    body = json.dumps(delivery.payload, separators=(",", ":"))
    now = timezone.now()
    signature = Webhook(endpoint.secret).sign(delivery.event_id, now, body)
    parts = urlsplit(endpoint.url)
    connection = (pool or {}).get(endpoint.pk)
    if connection is None:
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, parts.port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": "Tandem-Webhooks/1",
               "webhook-id": delivery.event_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature}  # fmt: skip
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read(65536)
        if pool is not None and not response.will_close:
            pool[endpoint.pk] = connection
        else:
            connection.close()
            (pool or {}).pop(endpoint.pk, None)
        return response.status, "" if 200 <= response.status < 300 else response.reason[:300]
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        (pool or {}).pop(endpoint.pk, None)
        return None, f"{type(exc).__name__}: {exc}"[:300]


FIELDS = ["attempts", "last_status", "last_error", "status", "delivered_at", "next_attempt_at"]


def attempt(delivery, *, checked: bool = False, save: bool = True, pool=None) -> bool:
    """Send once; record the answer and the next attempt, or give up after the last."""
    status, error = _send(delivery, checked=checked, pool=pool)
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    now = timezone.now()
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = delivery.Status.DELIVERED, now
    elif delivery.attempts >= len(BACKOFF):
        delivery.status = delivery.Status.FAILED
        _give_up(delivery.endpoint)
    else:
        wait = BACKOFF[delivery.attempts]
        delivery.next_attempt_at = delivery.created_at + timedelta(seconds=wait)
        delivery.next_attempt_at = max(delivery.next_attempt_at, now + timedelta(seconds=5))
    if save:
        delivery.save(update_fields=FIELDS)
    return delivery.status == delivery.Status.DELIVERED


def _give_up(endpoint) -> None:
    """Three days of failures: the endpoint stops, and the admins hear of it."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    if not endpoint.active:
        return
    endpoint.active = False
    endpoint.disabled_reason = "Disabled after three days of failed deliveries."
    endpoint.save(update_fields=["active", "disabled_reason"])
    forget_endpoints()
    admins = get_user_model().objects.filter(role="admin", is_active=True).exclude(email="")
    send_mail(
        "A Tandem webhook was disabled",
        f"Deliveries to {endpoint.url} failed for three days, so it was disabled. Fix the "
        "receiver, then enable it again in Settings → Webhooks; what it missed can be sent "
        "again from its delivery log.",
        None,
        list(admins.values_list("email", flat=True)),
        fail_silently=True,
    )


def deliver_due(limit: int = 500) -> int:
    """Send the deliveries that are due; several workers share them (SKIP LOCKED)."""
    from tandem.core.models import WebhookDelivery

    sent, pool = 0, {}
    while sent < limit:
        with transaction.atomic():
            due = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .select_related("endpoint")
                .filter(status="pending", next_attempt_at__lte=timezone.now(),
                        endpoint__active=True)
                .order_by("next_attempt_at", "pk")[:50]
            )  # fmt: skip
            checked = {}  # endpoint → None (its addresses are fine) or why not, for this batch
            for delivery in due:
                if delivery.endpoint_id not in checked:
                    try:
                        check_target(delivery.endpoint.url)
                        checked[delivery.endpoint_id] = None
                    except Invalid as exc:
                        checked[delivery.endpoint_id] = exc.message
                refused = checked[delivery.endpoint_id]
                if refused:
                    _refused(delivery, refused)
                else:
                    attempt(delivery, checked=True, save=False, pool=pool)
            WebhookDelivery.objects.bulk_update(due, FIELDS)
        if not due:
            break
        sent += len(due)
    for connection in pool.values():
        connection.close()
    return sent


def _refused(delivery, why: str) -> None:
    """The target now resolves where it may not go: counted as a failed attempt."""
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = None, why[:300]
    if delivery.attempts >= len(BACKOFF):
        delivery.status = delivery.Status.FAILED
        _give_up(delivery.endpoint)
    else:
        wait = timedelta(seconds=BACKOFF[delivery.attempts])
        delivery.next_attempt_at = max(delivery.created_at + wait, timezone.now())


def send_again(*, actor, delivery) -> None:
    """An admin's "send again" of an event not delivered: the same event, the same id, now
    (one the receiver answered with a 2xx is never sent again)."""
    if not may_manage(actor):
        raise Forbidden("Admins manage webhooks.")
    if delivery.status == delivery.Status.DELIVERED:
        raise Invalid("This event was delivered: it is not sent twice.")
    delivery.status, delivery.next_attempt_at = delivery.Status.PENDING, timezone.now()
    delivery.attempts = min(delivery.attempts, len(BACKOFF) - 1)
    delivery.save(update_fields=["status", "next_attempt_at", "attempts"])
    transaction.on_commit(_kick)


# --- endpoints: Settings → Webhooks and /api/webhooks -----------------------------------------


def _events(raw) -> list[str]:
    events = sorted(set(raw or []))
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise Invalid(f"Unknown event type {unknown[0][:60]}: see the list.", field="events")
    return events


def endpoint_create(*, actor, via: str = "ui", url: str, events=(), description: str = ""):
    from tandem.core import activity
    from tandem.core.models import WebhookEndpoint

    if not may_manage(actor):
        raise Forbidden("Admins manage webhooks.")
    url = (url or "").strip()
    if len(url) > 500:
        raise Invalid("A webhook URL takes at most 500 characters.", field="url")
    check_target(url)
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=_events(events), description=(description or "").strip()[:200],
        secret=new_secret(), created_by=actor,
    )  # fmt: skip
    forget_endpoints()
    activity.record(actor=actor, via=via, verb="created", target=endpoint, summary=url)
    return endpoint


def endpoint_update(*, actor, via: str = "ui", endpoint, data: dict):
    from tandem.core import activity

    if not may_manage(actor):
        raise Forbidden("Admins manage webhooks.")
    data = {k: v for k, v in data.items() if k in ("events", "description", "active")}
    if "events" in data:
        data["events"] = _events(data["events"])
    if data.get("active") and not endpoint.active:
        check_target(endpoint.url)
        data["disabled_reason"] = ""
    changes = activity.apply_changes(endpoint, data)
    if changes:
        endpoint.save()
        forget_endpoints()
        activity.record(actor=actor, via=via, verb="updated", target=endpoint, changes=changes)
    return endpoint


def endpoint_delete(*, actor, via: str = "ui", endpoint) -> None:
    from tandem.core import activity

    if not may_manage(actor):
        raise Forbidden("Admins manage webhooks.")
    activity.record(actor=actor, via=via, verb="deleted", target=endpoint, summary=endpoint.url)
    endpoint.delete()
    forget_endpoints()
