"""What recipients do with a campaign: opens, clicks, unsubscribes; and what mail servers
report back: bounces and complaints, by webhook or imported by hand."""

import csv
import io

from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.contacts.normalize import normalize_email
from tandem.contacts.services import person_record_consent
from tandem.core import access, activity
from tandem.core.errors import Invalid
from tandem.marketing.models import Recipient, SuppressedAddress, SuppressionReason, TouchKind
from tandem.marketing.services import record_touch

PERSON_FLAG = {
    SuppressionReason.UNSUBSCRIBED: "unsubscribed_at",
    SuppressionReason.BOUNCED: "bounced_at",
    SuppressionReason.COMPLAINED: "complained_at",
}


def _recipient(token: str) -> Recipient | None:
    if not token or len(token) > 32:
        return None
    return Recipient.objects.select_related("campaign").filter(token=token).first()


def _first(recipient: Recipient, field: str, kind: str | None, now) -> bool:
    """Set the timestamp once; the first time also records the touch."""
    updated = Recipient.objects.filter(pk=recipient.pk, **{f"{field}__isnull": True}).update(
        **{field: now}
    )
    if updated and kind:
        record_touch(
            {
                "person_id": recipient.person_id,
                "program_id": recipient.campaign.program_id,
                "kind": kind,
                "occurred_at": now,
                "utm_medium": "email",
                "utm_campaign": recipient.campaign.name[:200],
            }
        )
    return bool(updated)


@transaction.atomic
def record_open(token: str) -> bool:
    recipient = _recipient(token)
    if recipient is None:
        return False
    _first(recipient, "opened_at", TouchKind.EMAIL_OPENED, timezone.now())
    return True


@transaction.atomic
def record_click(token: str, index: int) -> str | None:
    """The link's address, only if it is one of that email's links; a click implies an open."""
    recipient = _recipient(token)
    links = recipient.campaign.links if recipient else []
    if not 0 <= index < len(links):
        return None
    now = timezone.now()
    _first(recipient, "opened_at", None, now)
    _first(recipient, "clicked_at", TouchKind.EMAIL_CLICKED, now)
    return links[index]


def recipient_for(token: str) -> Recipient | None:
    return _recipient(token)


@transaction.atomic
def unsubscribe(token: str) -> Recipient | None:
    recipient = _recipient(token)
    if recipient is None:
        return None
    now = timezone.now()
    if _first(recipient, "unsubscribed_at", None, now):
        person = Person.objects.select_for_update().get(pk=recipient.person_id)
        person_record_consent(
            person=person,
            granted=False,
            wording="Unsubscribed from marketing email",
            source=f"campaign {recipient.campaign_id}: {recipient.campaign.name}",
            via="system",
            at=now,
        )
    return recipient


@transaction.atomic
def suppress(*, email: str, reason: str, source: str, token: str = "", at=None) -> bool:
    """Suppress an address for good; returns whether a known person was flagged."""
    normalized = normalize_email(email)
    if not normalized:
        raise Invalid("An email address is required.", field="email")
    at = at or timezone.now()
    SuppressedAddress.objects.update_or_create(
        email_normalized=normalized, defaults={"reason": reason, "source": source[:100], "at": at}
    )
    flag = PERSON_FLAG[reason]
    person = Person.objects.filter(email_normalized=normalized).first()
    if person is not None and getattr(person, flag) is None:
        Person.objects.filter(pk=person.pk).update(**{flag: at})
        activity.record(
            actor=None, via="system", verb=f"suppressed_{reason}", target=person, summary=source
        )
    recipient = _recipient(token)
    if recipient is not None and reason != SuppressionReason.UNSUBSCRIBED:
        Recipient.objects.filter(pk=recipient.pk).update(**{flag: at})
    return person is not None


def suppressions_import(*, actor, text: str, reason: str) -> dict:
    """Lines of `email[,reason]` (CSV, a header row is skipped). Bad rows are reported by row
    number; good rows go in."""
    access.require_create(actor, "campaign")
    if reason not in SuppressionReason.values:
        raise Invalid("Choose a reason.", field="reason")
    result = {"added": 0, "people": 0, "errors": []}
    rows = csv.reader(io.StringIO(text.replace("\x00", "")))
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not cells or not cells[0] or (number == 1 and cells[0].lower() in ("email", "e-mail")):
            continue
        row_reason = cells[1].lower() if len(cells) > 1 and cells[1] else reason
        try:
            if row_reason not in SuppressionReason.values:
                raise Invalid(f"unknown reason “{row_reason[:30]}”")
            flagged = suppress(
                email=cells[0], reason=row_reason, source=f"imported by {actor.username}"
            )
        except Invalid as exc:
            result["errors"].append((number, exc.message))
            continue
        result["added"] += 1
        result["people"] += flagged
    return result


def on_tracking_event(event, esp_name: str) -> None:
    """anymail's tracking signal: hard bounces and complaints suppress the address."""
    reason = {
        "bounced": SuppressionReason.BOUNCED,
        "complained": SuppressionReason.COMPLAINED,
        "unsubscribed": SuppressionReason.UNSUBSCRIBED,
    }.get(event.event_type)
    if reason is None or not event.recipient:
        return
    token = str((event.metadata or {}).get("tandem_recipient", ""))
    try:
        suppress(
            email=event.recipient,
            reason=reason,
            source=f"{esp_name} webhook: {event.event_type}",
            token=token,
            at=event.timestamp,
        )
    except Invalid:
        return


def suppressions_add(*, actor, items: list[dict]) -> dict:
    """The API's hand import: each {email, reason}; bad items reported by index."""
    access.require_create(actor, "campaign")
    result = {"added": 0, "people": 0, "errors": {}}
    for index, item in enumerate(items):
        try:
            flagged = suppress(
                email=item["email"], reason=item["reason"], source=f"api by {actor.username}"
            )
        except Invalid as exc:
            result["errors"][index] = exc.message
            continue
        result["added"] += 1
        result["people"] += flagged
    return result
