"""Lead-capture forms: the builder's rules and what one submission does.

A submission finds or creates the person by normalized email, records a touch with the program,
the UTM parameters and the referrer as given, and records consent with its wording. The same
submission repeated within ten minutes folds into the first: one touch, one person.
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from tandem.contacts import custom_fields
from tandem.contacts.models import ConsentStatus, LifecycleTransition
from tandem.contacts.normalize import normalize_email
from tandem.contacts.privacy import address_hash
from tandem.contacts.services import (
    consent_entry,
    consent_proof,
    consent_record,
    person_capture,
    person_record_consent,
    person_unsaved,
)
from tandem.core import access, activity, chain, unsaved, webhooks
from tandem.core.errors import DomainError, Invalid
from tandem.marketing import tasks
from tandem.marketing.models import LeadForm, Submission, Touch, TouchKind
from tandem.marketing.selectors import forget_public_form
from tandem.marketing.services import record_touch

REPEAT_WINDOW = timedelta(minutes=10)
HONEYPOT = "website"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
ATTRIBUTES = {  # name -> (label, max length)
    "email": ("Email", 254),
    "first_name": ("First name", 100),
    "last_name": ("Last name", 100),
    "title": ("Job title", 150),
    "phone": ("Phone", 50),
    "country": ("Country (2 letters)", 2),
    "region": ("Region", 100),
    "city": ("City", 100),
}
CUSTOM_PREFIX = "custom:"
CUSTOM_MAX = 500
_CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FORM_FIELDS = {
    "program",
    "name",
    "fields",
    "consent_wording",
    "consent_required",
    "thank_you",
    "redirect_url",
    "double_opt_in",
    "is_active",
}


def public_url(form: LeadForm) -> str:
    return settings.TANDEM_BASE_URL.rstrip("/") + reverse("public:form", args=[form.key])


def max_length(name: str) -> int:
    return ATTRIBUTES[name][1] if name in ATTRIBUTES else CUSTOM_MAX


def clean_fields(raw) -> list[dict]:
    """[{name, label, required}]: person attributes or custom:<name>; email always first."""
    if not isinstance(raw, list) or len(raw) > 20:
        raise Invalid("A form has a list of at most 20 fields.", field="fields")
    seen, fields = set(), []
    for row, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise Invalid(f"Field {row} must be an object.", field="fields")
        name = str(item.get("name", "")).strip()
        if name.startswith(CUSTOM_PREFIX):
            if not _CUSTOM_NAME.match(name.removeprefix(CUSTOM_PREFIX)):
                raise Invalid(
                    f"Field {row}: a custom field is custom:<name>, lower-case letters, "
                    "digits and _.",
                    field="fields",
                )
        elif name not in ATTRIBUTES:
            raise Invalid(f"Field {row}: unknown field “{name[:40]}”.", field="fields")
        if name in seen:
            raise Invalid(f"Field {row}: “{name}” appears twice.", field="fields")
        seen.add(name)
        label = str(item.get("label") or "").strip()[:100] or _default_label(name)
        fields.append(
            {
                "name": name,
                "label": label,
                "required": bool(item.get("required")) or name == "email",
            }
        )
    if "email" not in seen:
        fields.insert(0, {"name": "email", "label": "Email", "required": True})
    return fields


def check_redirect(url: str) -> str:
    url = (url or "").strip()
    if url and not url_has_allowed_host_and_scheme(
        url, allowed_hosts=set(settings.TANDEM_REDIRECT_HOSTS), require_https=not settings.DEBUG
    ):
        raise Invalid(
            "Redirects go only to the allowed hosts: "
            + (", ".join(settings.TANDEM_REDIRECT_HOSTS) or "none are set (TANDEM_REDIRECT_HOSTS)")
            + ".",
            field="redirect_url",
        )
    return url


def _clean_form(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in FORM_FIELDS}
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("A form needs a name.", field="name")
    if "fields" in data:
        data["fields"] = clean_fields(data["fields"])
    if "redirect_url" in data:
        data["redirect_url"] = check_redirect(data["redirect_url"])
    if data.get("consent_required") and not (data.get("consent_wording") or "").strip():
        raise Invalid("A required consent needs its wording.", field="consent_wording")
    return data


@transaction.atomic
def form_create(*, actor, via: str = "ui", data: dict) -> LeadForm:
    access.require_create(actor, "form")
    data = _clean_form(data)
    if data.get("program") is None:
        raise Invalid("A form belongs to a program.", field="program")
    data.setdefault("fields", clean_fields([]))
    form = LeadForm.objects.create(key=secrets.token_urlsafe(12), owner=actor, **data)
    activity.record(actor=actor, via=via, verb="created", target=form, summary=form.name)
    return form


@transaction.atomic
def form_update(*, actor, via: str = "ui", form: LeadForm, data: dict) -> LeadForm:
    access.require_write(actor, form, "form")
    data = _clean_form(data)
    merged = {"consent_wording": form.consent_wording, **data}
    if merged.get("consent_required", form.consent_required) and not merged["consent_wording"]:
        raise Invalid("A required consent needs its wording.", field="consent_wording")
    changes = activity.apply_changes(form, data)
    if changes:
        form.save()
        transaction.on_commit(lambda: forget_public_form(form.key))
        activity.record(actor=actor, via=via, verb="updated", target=form, changes=changes)
    return form


@dataclass
class Outcome:
    """What the visitor sees: errors to fix, or the form's ending."""

    values: dict
    errors: dict = field(default_factory=dict)
    accepted: bool = False
    repeated: bool = False
    pending_confirmation: bool = False
    submission: Submission | None = None


def _validate(form: LeadForm, post) -> Outcome:
    values = {f["name"]: str(post.get(f["name"], "")).strip() for f in form.fields}
    outcome = Outcome(values=values)
    for f in form.fields:
        name, value = f["name"], values[f["name"]]
        if f["required"] and not value:
            outcome.errors[name] = f"{f['label']} is required."
        elif len(value) > max_length(name):
            outcome.errors[name] = f"{f['label']} is at most {max_length(name)} characters."
        elif "\x00" in value:
            outcome.errors[name] = f"{f['label']} holds a character that is not allowed."
    if "email" not in outcome.errors:
        try:
            normalize_email(values["email"])
        except Invalid:
            outcome.errors["email"] = "Enter a valid email address, like name@example.com."
    country = values.get("country", "")
    if country and "country" not in outcome.errors and not (country.isalpha()):
        outcome.errors["country"] = "Enter the two-letter country code, like DE or US."
    _typed_custom(form, values, outcome.errors)
    values["consent"] = "yes" if post.get("consent") else ""
    if form.consent_wording and form.consent_required and not values["consent"]:
        outcome.errors["consent"] = "Please tick the box to agree."
    return outcome


def _typed_custom(form: LeadForm, values: dict, errors: dict) -> None:
    """The custom fields defined in Settings take their kind's values (a number, a date, one
    of the list); a form without custom fields reads no definition."""
    names = [f["name"] for f in form.fields if f["name"].startswith(CUSTOM_PREFIX)]
    if not names:
        return
    defined = {f.key: f for f in custom_fields.definitions_recent("person")}
    for name in names:
        definition = defined.get(name.removeprefix(CUSTOM_PREFIX))
        if definition is None or name in errors or not values[name]:
            continue
        try:
            values[name] = custom_fields.parse(definition, values[name])
        except Invalid as exc:
            errors[name] = exc.message


def _default_label(name: str) -> str:
    if name in ATTRIBUTES:
        return ATTRIBUTES[name][0]
    key = name.removeprefix(CUSTOM_PREFIX)
    defined = {f.key: f.label for f in custom_fields.definitions("person")}
    return defined.get(key) or key.replace("_", " ").capitalize()


def _fingerprint(form: LeadForm, values: dict) -> str:
    canonical = {**values, "email": normalize_email(values["email"])}
    raw = json.dumps([form.pk, sorted(canonical.items())], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _person_data(values: dict) -> dict:
    data, custom = {}, {}
    for name, value in values.items():
        if name.startswith(CUSTOM_PREFIX):
            custom[name.removeprefix(CUSTOM_PREFIX)] = value
        elif name in ATTRIBUTES and name != "email":
            data[name] = value
    return {**data, "custom": custom}


def submit(form: LeadForm, post, *, ip: str | None, referrer: str = "", now=None) -> Outcome:
    """Validate and record one submission. `post` is the submitted mapping (a QueryDict)."""
    outcome = _validate(form, post)
    if outcome.errors:
        return outcome
    now = now or timezone.now()
    try:
        # A new address: one statement, its own transaction. Otherwise the ORM path.
        if connection.vendor == "postgresql" and not webhooks.listening():
            rows = _rows(form, post, outcome, ip=ip, referrer=referrer, now=now)
            if _record_new_person(form, outcome, rows) is not None:
                return _confirm_later(outcome, rows)
        for attempt in range(2):
            try:
                rows = _rows(form, post, outcome, ip=ip, referrer=referrer, now=now)
                with transaction.atomic(), activity.batched():
                    _record_orm(form, outcome, rows)
                    if not outcome.repeated:
                        _confirm_later(outcome, rows)
                break
            except IntegrityError:
                if attempt:  # the person a concurrent request created is there now
                    raise
    except DomainError as exc:
        outcome.errors[exc.field if exc.field in outcome.values else "__all__"] = exc.message
    return outcome


@dataclass
class _Rows:
    """What one submission writes, whichever way it goes in."""

    starts_with: dict  # a new person's first touch and consent
    touch: dict
    submission: Submission
    consent_now: bool
    source: str


def _rows(form: LeadForm, post, outcome: Outcome, *, ip, referrer: str, now) -> _Rows:
    values = outcome.values
    consent = bool(values["consent"] and form.consent_wording)
    consent_now = consent and not form.double_opt_in
    starts_with = {"source_program_id": form.program_id, "first_touch_at": now}
    if consent_now:
        starts_with.update(consent=ConsentStatus.GRANTED, consent_at=now)
    touch = {
        "program_id": form.program_id,
        "kind": TouchKind.FORM_SUBMITTED,
        "occurred_at": now,
        "referrer": _text(str(post.get("referrer") or "") or referrer, 2000),
        **{k: _text(post.get(k, ""), 200) for k in UTM_KEYS},
    }
    token = secrets.token_urlsafe(32) if consent and form.double_opt_in else None
    submission = unsaved.new(
        Submission, form=form, fingerprint=_fingerprint(form, values), data=values, ip=ip,
        at=now, confirm_token=token,
    )  # fmt: skip
    outcome.accepted, outcome.submission = True, submission
    return _Rows(starts_with, touch, submission, consent_now, f"form {form.pk}: {form.name}")


def _text(value, limit: int) -> str:
    """A value kept as given, but for NUL, which no text column takes (PostgreSQL refuses the
    row): the UTM values and the referrer are not the form's fields, so nothing checked them."""
    return str(value).replace("\x00", "")[:limit]


def _confirm_later(outcome: Outcome, rows: _Rows) -> Outcome:
    """Double opt-in: the confirmation mail goes once the submission is stored."""
    submission_id = rows.submission.pk
    if rows.submission.confirm_token:
        outcome.pending_confirmation = True
        transaction.on_commit(lambda: tasks.send_confirmation.enqueue(submission_id))
    return outcome


def _record_new_person(form: LeadForm, outcome: Outcome, rows: _Rows):
    """A new person's whole submission in one statement (core.chain): the person, its first
    lifecycle step, the touch, the submission, the consent proof and the timeline entries,
    the very rows the ORM path writes. None when the address is known or was erased: the
    ORM path then takes it (no webhook endpoint may listen here: that path emits events)."""
    values, starts_with = outcome.values, rows.starts_with
    person = person_unsaved(email=values["email"], data=_person_data(values), on_create=starts_with)
    first_step = unsaved.new(
        LifecycleTransition, from_stage="", to_stage=person.lifecycle_stage, reason="via form"
    )
    steps = [
        chain.Step(
            "person", [person], on_conflict="ON CONFLICT DO NOTHING",
            guard="NOT EXISTS (SELECT 1 FROM contacts_erasedaddress WHERE hash = %s)",
            guard_params=(address_hash(person.email_normalized),),
        ),
        chain.Step("transition", [first_step], links={"person_id": "person"}),
        chain.Step("touch", [unsaved.new(Touch, **rows.touch)], links={"person_id": "person"}),
        chain.Step("submission", [rows.submission],
                   links={"person_id": "person", "touch_id": "touch"}),
    ]  # fmt: skip
    entries = [
        activity.entry_for(actor=None, via="form", verb="created", target=person,
                           summary=person.name),
    ]  # fmt: skip
    if rows.consent_now:
        record = consent_record(
            person=person, granted=True, wording=form.consent_wording,
            source=rows.source, at=starts_with["consent_at"],
        )  # fmt: skip
        steps.append(chain.Step("consent", [record], links={"person_id": "person"}))
        entries.append(consent_entry(record, via="form"))
    steps.append(chain.Step("timeline", entries, links={"target_id": "person"}))
    return chain.run(steps)


def _record_orm(form: LeadForm, outcome: Outcome, rows: _Rows) -> None:
    values, submission, starts_with = outcome.values, rows.submission, rows.starts_with
    person, created = person_capture(
        email=values["email"],
        data=_person_data(values),
        via="form",
        on_create=starts_with,
        retry_in_savepoint=False,
    )
    # person_capture holds the person's row lock: identical submissions queue here, so the
    # repeat check below sees the first one's row. A person this request created has none.
    earlier = None
    if not created:
        earlier = (
            Submission.objects.filter(
                form=form, fingerprint=submission.fingerprint, at__gte=submission.at - REPEAT_WINDOW
            )
            .order_by("at")
            .first()
        )
    if earlier is not None:
        outcome.repeated, outcome.submission = True, earlier
        outcome.pending_confirmation = bool(earlier.confirm_token and not earlier.confirmed_at)
        return
    touch = record_touch({"person": person, **rows.touch}, first_touch_set=created)
    submission.person, submission.touch = person, touch
    submission.save(force_insert=True)
    at = starts_with.get("consent_at")
    if rows.consent_now and created:
        consent_proof(
            person=person, granted=True, wording=form.consent_wording, source=rows.source,
            via="form", at=at,
        )  # fmt: skip
    elif rows.consent_now:
        person_record_consent(
            person=person, granted=True, wording=form.consent_wording, source=rows.source, at=at
        )
    webhooks.emit(
        "form.submitted",
        {"object": "submission", "id": submission.pk, "form_id": form.pk,
         "form": form.name, "person_id": person.pk, "created": created,
         "values": {k: v for k, v in values.items() if k != "consent"}},
    )  # fmt: skip


def confirmation_for(token: str) -> Submission | None:
    return (
        Submission.objects.select_related("form", "person")
        .filter(confirm_token=token or "-")
        .first()
    )


@transaction.atomic
def confirm(token: str) -> Submission | None:
    """The double opt-in POST: consent is recorded once, with the form's wording."""
    submission = Submission.objects.select_for_update().filter(confirm_token=token or "-").first()
    if submission is None:
        return None
    if submission.confirmed_at is None:
        submission.confirmed_at = timezone.now()
        submission.save(update_fields=["confirmed_at"])
        person_record_consent(
            person=submission.person,
            granted=True,
            wording=submission.form.consent_wording,
            source=f"form {submission.form_id}: {submission.form.name} (double opt-in)",
            at=submission.confirmed_at,
        )
    return submission
