"""Merging two people into one: the user picks the surviving value of each field; everything
that pointed at the other person (touches, opportunities, activities, handoffs, consent,
transitions, campaign recipients, the timeline …) moves to the survivor; the merge is logged
with the removed person's values, so nothing is lost."""

from django.db import IntegrityError, models, transaction
from django.forms.models import model_to_dict

from tandem.contacts.models import Person
from tandem.core import access, activity
from tandem.core.errors import Forbidden, Invalid
from tandem.core.models import TimelineEntry
from tandem.transfer.models import CandidateStatus, DuplicateCandidate, MergeLog

CHOOSABLE = ("email", "first_name", "last_name", "title", "phone", "organization", "country",
             "region", "city", "owner", "lifecycle_stage")  # fmt: skip
FLAGS = ("unsubscribed_at", "bounced_at", "complained_at")  # an opt-out is never dropped
NOT_MOVED = {DuplicateCandidate, MergeLog}


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    return value if isinstance(value, (int, float, bool, type(None), list, dict)) else str(value)


def differences(a: Person, b: Person) -> list[dict]:
    return [
        {"field": f, "label": Person._meta.get_field(f).verbose_name.capitalize(),
         "first": getattr(a, f), "second": getattr(b, f)}
        for f in CHOOSABLE
        if _plain(getattr(a, f)) != _plain(getattr(b, f))
    ]  # fmt: skip


def _move(survivor: Person, other: Person) -> tuple[dict, list]:
    moved, dropped = {}, []
    # every foreign key to Person, the hidden ones (related_name="+") too: those would
    # otherwise vanish with the merged person by cascade
    relations = [
        f for f in Person._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.one_to_many
    ]  # fmt: skip
    for rel in relations:
        if rel.related_model in NOT_MOVED:
            continue
        model, name = rel.related_model, rel.field.name  # a field name from the schema
        rows = model._default_manager.filter(**{name: other})
        try:
            with transaction.atomic():
                count = rows.update(**{name: survivor})
        except IntegrityError:  # a row the survivor already has (one recipient per campaign …)
            count = 0
            for row in list(rows):
                try:
                    with transaction.atomic():
                        model._default_manager.filter(pk=row.pk).update(**{name: survivor})
                    count += 1
                except IntegrityError:
                    dropped.append({"model": model._meta.label, "values": {
                        k: _plain(v) for k, v in model_to_dict(row).items()}})  # fmt: skip
                    row.delete()
        if count:
            moved[model._meta.label] = count
    timeline = TimelineEntry.objects.filter(target_type="person", target_id=other.pk).update(
        target_id=survivor.pk
    )
    if timeline:
        moved["core.TimelineEntry"] = timeline
    return moved, dropped


@transaction.atomic
def merge(*, actor, via: str = "ui", survivor: Person, other: Person, take: dict) -> MergeLog:
    """`take` names the fields whose value comes from `other` ({field: True})."""
    if survivor.pk == other.pk:
        raise Invalid("A person cannot be merged with themself.")
    locked = {
        p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk])
    }
    if len(locked) != 2:
        raise Invalid("One of the two people is gone (merged already?).")
    survivor, other = locked[survivor.pk], locked[other.pk]
    for person in (survivor, other):
        if not access.can_write(actor, person, "person"):
            raise Forbidden("You may change only people you may edit.")
    unknown = set(take) - set(CHOOSABLE)
    if unknown:
        raise Invalid(f"Not a field to choose: {', '.join(sorted(unknown))}.")
    values = {k: _plain(v) for k, v in model_to_dict(other).items()}
    values["id"] = other.pk
    chosen = {f: _plain(getattr(other, f)) for f, wanted in take.items() if wanted}
    if take.get("email"):  # the address is unique: free it first
        Person.objects.filter(pk=other.pk).update(email="", email_normalized="")
    for field in (f for f, wanted in take.items() if wanted):
        setattr(survivor, field, getattr(other, field))
    for flag in FLAGS:
        if getattr(other, flag) and not getattr(survivor, flag):
            setattr(survivor, flag, getattr(other, flag))
    survivor.custom = {**(other.custom or {}), **(survivor.custom or {})}
    if other.first_touch_at and (
        not survivor.first_touch_at or other.first_touch_at < survivor.first_touch_at
    ):
        survivor.first_touch_at, survivor.source_program_id = (
            other.first_touch_at,
            other.source_program_id,
        )
    moved, dropped = _move(survivor, other)
    survivor.search_text = (
        f"{survivor.first_name} {survivor.last_name} {survivor.email_normalized}".strip().lower()
    )
    survivor.save()
    other.delete()
    # the pair's queue entries go with `other` (cascade); the log is the record of the merge
    log = MergeLog.objects.create(
        survivor=survivor, merged_id=values["id"], merged_values=values, chosen=chosen,
        moved=moved, dropped=dropped, actor=actor,
    )  # fmt: skip
    activity.record(
        actor=actor, via=via, verb="merged", target=survivor,
        summary=f"merged with {values.get('first_name', '')} {values.get('last_name', '')} "
        f"<{values.get('email', '')}> (#{values['id']})",
        changes={f: [None, v] for f, v in chosen.items()},
    )  # fmt: skip
    return log


def dismiss(*, actor, candidate: DuplicateCandidate) -> None:
    for person in (candidate.first, candidate.second):
        if not access.can_write(actor, person, "person"):
            raise Forbidden("You may change only people you may edit.")
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(status=CandidateStatus.DISMISSED)
