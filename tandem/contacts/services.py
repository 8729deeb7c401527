"""Writes to the shared record: people, organizations, lifecycle stages."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.contacts import custom_fields
from tandem.contacts.models import (
    ConsentRecord,
    ConsentStatus,
    LifecycleStage,
    LifecycleTransition,
    Organization,
    Person,
)
from tandem.contacts.normalize import normalize_domain, normalize_email, person_search_text
from tandem.core import access, activity, unsaved
from tandem.core.errors import Conflict, Forbidden, Invalid

PERSON_FIELDS = {
    "external_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "organization",
    "country",
    "region",
    "city",
    "owner",
    "custom",
}
ORGANIZATION_FIELDS = {
    "name", "domain", "industry", "size", "country", "region", "city", "owner", "custom",
    "external_id",
}  # fmt: skip


def _clean_external(model, data: dict, instance=None) -> None:
    """Another system's id: trimmed, at most 100 characters, one record each."""
    if "external_id" not in data:
        return
    value = (data["external_id"] or "").strip()
    if len(value) > 100:
        raise Invalid("An external id takes at most 100 characters.", field="external_id")
    data["external_id"] = value
    clash = model.objects.filter(external_id=value) if value else model.objects.none()
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise Conflict("Another record has this external id.", field="external_id")


def _clean_person(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    if "email" in data:
        data["email"] = (data["email"] or "").strip()
        data["email_normalized"] = normalize_email(data["email"])
    if "country" in data:
        data["country"] = (data["country"] or "").strip().upper()
    return data


def _refresh_person_search(person: Person) -> None:
    person.search_text = person_search_text(
        first_name=person.first_name, last_name=person.last_name, email=person.email_normalized
    )


# Stages that sales decides (through the handoff or on records it holds); marketing moves
# people only among the others.
SALES_STAGES = frozenset(
    {
        LifecycleStage.SAL,
        LifecycleStage.SQL,
        LifecycleStage.OPPORTUNITY,
        LifecycleStage.CUSTOMER,
        LifecycleStage.ADVOCATE,
    }
)


def _check_owner_change(actor, resource: str, old, new) -> None:
    """Giving a record to someone follows access.check_owner; leaving it without an owner
    (back to marketing's side) is a manager's or an admin's decision."""
    if new == old:
        return
    if new is None:
        if actor is not None and not (
            access.is_admin(actor) or actor.role in ("sales_manager", "marketing_manager")
        ):
            raise Invalid("Only a manager can leave a record without an owner.", field="owner")
        return
    access.check_owner(actor, resource, new)


def stage_refusal(actor, from_stage: str, to_stage: str) -> str | None:
    """Why `actor` may not move a person from one lifecycle stage to another (None: they
    may). Sales' stages (SAL and after) belong to sales, which reaches them through the
    handoff or on people it holds; marketing moves people only among its own stages."""
    if actor is None or access.is_admin(actor) or access.function_of(actor) == "sales":
        return None
    if to_stage in SALES_STAGES or from_stage in SALES_STAGES:
        stage = LifecycleStage(to_stage if to_stage in SALES_STAGES else from_stage).label
        return f"sales decides {stage.lower()} and after: hand the lead off instead"
    return None


def check_stage_change(actor, person: Person, to_stage: str) -> None:
    if to_stage not in LifecycleStage.values:
        raise Invalid(f"Unknown lifecycle stage “{to_stage}”.", field="lifecycle_stage")
    refusal = stage_refusal(actor, person.lifecycle_stage, to_stage)
    if refusal:
        raise Forbidden(f"Your role may not do this: {refusal}.")


def _unless_erased(person: Person) -> None:
    """Someone who had themselves erased and comes back is never mailed again."""
    from tandem.contacts import privacy

    if person.email_normalized and privacy.was_erased(person.email_normalized):
        person.unsubscribed_at = timezone.now()
        person.consent = ConsentStatus.WITHDRAWN


def _save_unique(instance, *, field: str, message: str, update_fields=None) -> None:
    """Save; a clash on the unique `field` is a 409 naming it, any other error stays one."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        key = "email_normalized" if field == "email" else field
        value = getattr(instance, key)
        others = type(instance)._default_manager.exclude(pk=instance.pk)
        if value and others.filter(**{key: value}).exists():
            raise Conflict(message, field=field) from exc
        raise


@transaction.atomic
def person_create(*, actor, via: str = "ui", data: dict, required_custom=True) -> Person:
    """`required_custom` False: a person another system sends (a touch's) need not carry the
    fields a user must fill."""
    access.require_create(actor, "person")
    data = _clean_person(data)
    _clean_external(Person, data)
    data["custom"] = custom_fields.clean(
        actor=actor, record_type="person", incoming=data.get("custom") or {}, existing={},
        required=required_custom,
    )  # fmt: skip
    access.check_owner(actor, "person", data.get("owner"))
    if not (data.get("email_normalized") or data.get("last_name") or data.get("first_name")):
        raise Invalid("A person needs an email address or a name.", field="email")
    if actor.role == "sales_rep" and data.get("owner") is None:
        data["owner"] = actor  # a rep's new person is the rep's, as every door makes it
    person = Person(**data)
    _refresh_person_search(person)
    _unless_erased(person)
    _save_unique(person, field="email", message="A person with this email already exists.")
    LifecycleTransition.objects.create(
        person=person, from_stage="", to_stage=person.lifecycle_stage, actor=actor, reason="created"
    )
    activity.record(actor=actor, via=via, verb="created", target=person, summary=person.name)
    return person


@transaction.atomic
def person_update(*, actor, via: str = "ui", person: Person, data: dict) -> Person:
    access.require_write(actor, person, "person")
    data = _clean_person(data)
    _clean_external(Person, data, person)
    if "owner" in data:
        _check_owner_change(actor, "person", person.owner, data["owner"])
    if "custom" in data:
        data["custom"] = custom_fields.clean(
            actor=actor, record_type="person", incoming=data["custom"] or {},
            existing=person.custom,
        )  # fmt: skip
    changes = activity.apply_changes(person, data)
    if not changes:
        return person
    _refresh_person_search(person)
    _save_unique(person, field="email", message="A person with this email already exists.")
    changes.pop("email_normalized", None)
    activity.record(actor=actor, via=via, verb="updated", target=person, changes=changes)
    return person


@transaction.atomic
def person_set_stage(
    *, actor, via: str = "ui", person: Person, to_stage: str, reason: str = ""
) -> LifecycleTransition | None:
    """A user moves a person to a lifecycle stage (the page's stage form, the API's
    lifecycle_stage): their right to write the person and to set that stage are checked."""
    access.require_write(actor, person, "person")
    check_stage_change(actor, person, to_stage)
    return person_change_stage(
        actor=actor, via=via, person=person, to_stage=to_stage, reason=reason
    )


@transaction.atomic
def person_change_stage(
    *, actor, via: str = "ui", person: Person, to_stage: str, reason: str = ""
) -> LifecycleTransition | None:
    """Record a transition as the consequence of a decision already authorized (a handoff
    accepted, a deal won, a score crossing the threshold). Users' direct changes go through
    person_set_stage."""
    if to_stage not in LifecycleStage.values:
        raise Invalid(f"Unknown lifecycle stage “{to_stage}”.", field="lifecycle_stage")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.lifecycle_stage == to_stage:
        return None
    now = timezone.now()
    transition = LifecycleTransition.objects.create(
        person=person,
        from_stage=person.lifecycle_stage,
        to_stage=to_stage,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:300],
    )
    changes = {"lifecycle_stage": [person.lifecycle_stage, to_stage]}
    person.lifecycle_stage, person.stage_changed_at = to_stage, now
    person.save(update_fields=["lifecycle_stage", "stage_changed_at", "updated_at"])
    activity.record(
        actor=actor, via=via, verb="stage_changed", target=person, changes=changes, summary=reason
    )
    return transition


def _clean_organization(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in ORGANIZATION_FIELDS}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise Invalid("An organization needs a name.", field="name")
    if "domain" in data:
        data["domain"] = normalize_domain(data["domain"])
    if "country" in data:
        data["country"] = (data["country"] or "").strip().upper()
    return data


@transaction.atomic
def organization_create(*, actor, via: str = "ui", data: dict) -> Organization:
    access.require_create(actor, "organization")
    data = _clean_organization(data)
    _clean_external(Organization, data)
    if "name" not in data:
        raise Invalid("An organization needs a name.", field="name")
    data["custom"] = custom_fields.clean(
        actor=actor, record_type="organization", incoming=data.get("custom") or {}, existing={}
    )
    access.check_owner(actor, "organization", data.get("owner"))
    if actor.role == "sales_rep" and data.get("owner") is None:
        data["owner"] = actor
    org = Organization(**data)
    org.search_text = org.name.lower()
    _save_unique(org, field="domain", message="An organization with this domain already exists.")
    activity.record(actor=actor, via=via, verb="created", target=org, summary=org.name)
    return org


@transaction.atomic
def organization_update(*, actor, via: str = "ui", organization: Organization, data: dict):
    access.require_write(actor, organization, "organization")
    data = _clean_organization(data)
    _clean_external(Organization, data, organization)
    if "owner" in data:
        _check_owner_change(actor, "organization", organization.owner, data["owner"])
    if "custom" in data:
        data["custom"] = custom_fields.clean(
            actor=actor, record_type="organization", incoming=data["custom"] or {},
            existing=organization.custom,
        )  # fmt: skip
    changes = activity.apply_changes(organization, data)
    if not changes:
        return organization
    organization.search_text = organization.name.lower()
    _save_unique(
        organization, field="domain", message="An organization with this domain already exists."
    )
    activity.record(actor=actor, via=via, verb="updated", target=organization, changes=changes)
    return organization


def _new_person(email: str, normalized: str, data: dict, custom: dict, on_create) -> Person:
    person = unsaved.new(
        Person, email=email.strip(), email_normalized=normalized, custom=custom, **data,
        **(on_create or {}),
    )  # fmt: skip
    _refresh_person_search(person)
    return person


def person_unsaved(*, email: str, data: dict, on_create: dict | None = None) -> Person:
    """The person person_capture would create for this email, not yet saved: for a hot path
    that writes it with its other rows in one statement (marketing.capture)."""
    normalized = normalize_email(email)
    if not normalized:
        raise Invalid("An email address is required.", field="email")
    data = _clean_person({k: v for k, v in data.items() if k not in ("owner", "email")})
    custom = data.pop("custom", None) or {}
    return _new_person(email, normalized, data, custom, on_create)


@transaction.atomic(savepoint=False)
def person_capture(
    *,
    email: str,
    data: dict,
    via: str = "form",
    on_create: dict | None = None,
    retry_in_savepoint: bool = True,
) -> tuple[Person, bool]:
    """Find a person by normalized email or create one, for trusted system callers (forms,
    campaigns, ingestion) that act for no user. An existing person only gains blank fields:
    what sales or marketing already recorded is never overwritten by a stranger's input.
    `on_create` holds fields only a new person starts with (first touch, consent).
    Two requests may create the same person at once: one wins, the other takes the winner's
    row, inside a savepoint; or, with retry_in_savepoint=False, the IntegrityError goes up
    for the caller to retry its whole transaction (one round trip less on a hot path)."""
    normalized = normalize_email(email)
    if not normalized:
        raise Invalid("An email address is required.", field="email")
    data = _clean_person({k: v for k, v in data.items() if k not in ("owner", "email")})
    custom = data.pop("custom", None) or {}
    for _ in range(2):
        person = Person.objects.select_for_update().filter(email_normalized=normalized).first()
        if person is not None:
            fill = {k: v for k, v in data.items() if v and not getattr(person, k)}
            new_custom = {k: v for k, v in custom.items() if v and not person.custom.get(k)}
            if new_custom:
                fill["custom"] = {**person.custom, **new_custom}
            changes = activity.apply_changes(person, fill)
            if changes:
                _refresh_person_search(person)
                person.save()
                activity.record(actor=None, via=via, verb="updated", target=person, changes=changes)
            return person, False
        person = _new_person(email, normalized, data, custom, on_create)
        _unless_erased(person)
        if not retry_in_savepoint:
            person.save()
        else:
            try:
                with transaction.atomic():
                    person.save()
            except IntegrityError:
                continue  # created by a concurrent request: take that one
        LifecycleTransition.objects.create(
            person=person, from_stage="", to_stage=person.lifecycle_stage, reason=f"via {via}"
        )
        activity.record(actor=None, via=via, verb="created", target=person, summary=person.name)
        return person, True
    raise Conflict("The person could not be saved; try again.", field="email")


@transaction.atomic(savepoint=False)
def person_record_consent(
    *, person: Person, granted: bool, wording: str, source: str, via: str = "form", at=None
) -> ConsentRecord:
    """Proof of consent; granting again lifts an earlier unsubscribe, never a bounce."""
    at = at or timezone.now()
    record = consent_proof(
        person=person, granted=granted, wording=wording, source=source, via=via, at=at
    )
    person.consent = ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN
    person.consent_at = at
    fields = ["consent", "consent_at", "updated_at"]
    if granted and person.unsubscribed_at:
        person.unsubscribed_at = None
        fields.append("unsubscribed_at")
    elif not granted and not person.unsubscribed_at:
        person.unsubscribed_at = at
        fields.append("unsubscribed_at")
    person.save(update_fields=fields)
    return record


def consent_proof(
    *, person: Person, granted: bool, wording: str, source: str, via: str, at
) -> ConsentRecord:
    """The consent record and its timeline entry, for a person whose consent fields already
    say so (person_record_consent sets them; a person created with consent starts so)."""
    record = consent_record(person=person, granted=granted, wording=wording, source=source, at=at)
    record.save(force_insert=True)
    activity.record(
        actor=None, via=via, verb=_consent_verb(record), target=person,
        summary=_consent_summary(record),
    )  # fmt: skip
    return record


def consent_record(*, person: Person, granted: bool, wording: str, source: str, at):
    """The proof consent_proof writes, unsaved."""
    return unsaved.new(
        ConsentRecord, person=person, granted=granted, wording=wording, source=source[:100], at=at
    )


def consent_entry(record: ConsentRecord, *, via: str):
    """The timeline entry consent_proof writes for the record, unsaved."""
    return activity.entry_for(
        actor=None, via=via, verb=_consent_verb(record), target=record.person,
        summary=_consent_summary(record),
    )  # fmt: skip


def _consent_verb(record: ConsentRecord) -> str:
    return "consent_granted" if record.granted else "consent_withdrawn"


def _consent_summary(record: ConsentRecord) -> str:
    return f"{record.source}: {record.wording}"[:300]


def people_bulk(*, actor, ids: list[int], action: str, owner_id=None, stage: str = ""):
    """Apply one change to many people, each through its own service and rights; returns
    (how many changed, {id: why not})."""
    from django.contrib.auth import get_user_model

    from tandem.core.errors import DomainError

    people = {p.pk: p for p in access.scope(actor, Person.objects.filter(pk__in=ids), "person")}
    owner = None
    if action == "owner":
        owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            return 0, {0: "Choose whom to give them to."}
    elif action != "stage" or not stage:
        return 0, {0: "Choose what to change."}
    done, errors = 0, {}
    for pk in ids:
        person = people.get(pk)
        if person is None:
            errors[pk] = "Some of them are not yours to change."
            continue
        try:
            if action == "owner":
                person_update(actor=actor, via="ui", person=person, data={"owner": owner})
            else:
                person_set_stage(actor=actor, via="ui", person=person, to_stage=stage)
            done += 1
        except DomainError as exc:
            errors[pk] = exc.message
    return done, errors


def organization_from_picker(*, actor, text: str) -> Organization:
    """A picker's "Create …": an organization by the name typed."""
    return organization_create(actor=actor, data={"name": text})


def person_from_picker(*, actor, text: str) -> Person:
    """A picker's "Create …": a person by the name typed (an email address when it is one)."""
    if "@" in text:
        return person_create(actor=actor, data={"email": text})
    first, _, last = text.partition(" ")
    return person_create(actor=actor, data={"first_name": first, "last_name": last.strip()})
