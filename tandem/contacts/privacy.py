"""A data subject's rights: everything held on one person as a ZIP of JSON and CSV, and erasure
that removes or anonymizes their personal data everywhere — each app's part registered with
registry.add_personal_data, the audit trail's stored values included — while the numbers of the
reports stay (the person remains as an anonymous row with their stage and touches' times). The
email is kept only as a salted hash, so that an erased address is never mailed again."""

import csv
import hashlib
import hmac
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tandem.contacts.models import ConsentRecord, ErasedAddress, LifecycleTransition, Person
from tandem.contacts.normalize import normalize_email
from tandem.core import access, activity, registry
from tandem.core.errors import Forbidden

ERASED = "Erased"
PERSON_FIELDS = ("id", "email", "first_name", "last_name", "title", "phone", "country", "region",
                 "city", "organization_id", "lifecycle_stage", "owner_id", "score", "consent",
                 "consent_at", "unsubscribed_at", "bounced_at", "complained_at",
                 "source_program_id", "first_touch_at", "created_at", "updated_at")  # fmt: skip


def may_handle(actor) -> bool:
    """Admins and the marketing manager answer data subjects."""
    return access.is_admin(actor) or getattr(actor, "role", "") == "marketing_manager"


def _require(actor, person: Person) -> None:
    if actor is None:  # the retention task, on the workspace's own rule
        return
    if not may_handle(actor):
        raise Forbidden("Admins and the marketing manager answer data subjects' requests.")
    access.require_see(actor, "person")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        names = list(dict.fromkeys(k for r in rows for k in r))
        writer = csv.DictWriter(out, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v
                             for k, v in row.items()})  # fmt: skip
    return out.getvalue()


def export(*, actor, person: Person) -> bytes:
    """A ZIP: person.json (the record, custom fields, consents with their wording, lifecycle),
    then one JSON and one CSV per kind of data each app holds."""
    _require(actor, person)
    record = {name: _plain(getattr(person, name)) for name in PERSON_FIELDS}
    record["custom"] = person.custom
    record["consents"] = [
        {k: _plain(v) for k, v in c.items()}
        for c in ConsentRecord.objects.filter(person=person)
        .order_by("at")
        .values("granted", "wording", "source", "at")
    ]
    record["lifecycle"] = [
        {k: _plain(v) for k, v in t.items()}
        for t in LifecycleTransition.objects.filter(person=person).values(
            "from_stage", "to_stage", "at", "reason"
        )
    ]
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("person.json", json.dumps(record, indent=2, ensure_ascii=False))
        for name, export_rows, _ in registry.personal_data():
            rows = [{k: _plain(v) for k, v in row.items()} for row in export_rows(person)]
            archive.writestr(f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
            archive.writestr(f"{name}.csv", _csv(rows))
    activity.record(actor=actor, via="ui", verb="exported", target=person, summary="data export")
    return blob.getvalue()


def address_hash(email: str) -> str:
    """The salted hash an erased address is kept as (the salt derives from SECRET_KEY)."""
    key = hashlib.sha256(f"tandem-erasure:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()


def was_erased(email: str) -> bool:
    return bool(email) and ErasedAddress.objects.filter(hash=address_hash(email)).exists()


@transaction.atomic
def erase(*, actor, via: str = "ui", person: Person) -> dict:
    """Remove or anonymize the person's personal data everywhere; {kind: rows touched}."""
    _require(actor, person)
    done = {}
    for name, _, erase_rows in registry.personal_data():
        done[name] = erase_rows(person)
    if person.email_normalized:
        ErasedAddress.objects.get_or_create(hash=address_hash(person.email_normalized))
    done["consents"] = ConsentRecord.objects.filter(person=person).update(source=ERASED)
    LifecycleTransition.objects.filter(person=person).update(reason="")
    Person.objects.filter(pk=person.pk).update(
        email="", email_normalized="", first_name=ERASED, last_name="", title="", phone="",
        region="", city="", custom={}, search_text="", consent="withdrawn",
        unsubscribed_at=person.unsubscribed_at or timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    activity.record(actor=actor, via=via, verb="erased", target=person,
                    summary=ERASED if actor else "Erased by the retention rule")  # fmt: skip
    return done
