"""Marketing's writes: programs, their costs, and touches."""

from django.db import transaction
from django.db.models import Q

from tandem.contacts.models import Person
from tandem.contacts.normalize import normalize_email
from tandem.contacts.services import person_create
from tandem.core import access, activity
from tandem.core.errors import DomainError, Forbidden, Invalid
from tandem.core.roles import MARKETING_ROLES
from tandem.marketing.models import Program, ProgramCost, Touch

PROGRAM_FIELDS = {
    "name",
    "channel",
    "status",
    "budget",
    "currency",
    "start_date",
    "end_date",
    "call_to_action",
    "target_segment",
    "owner",
}
TOUCH_FIELDS = {
    "person",
    "program",
    "kind",
    "occurred_at",
    "rep",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
}


def _check_program(data: dict) -> None:
    if data.get("budget") is not None and data["budget"] < 0:
        raise Invalid("The budget cannot be negative.", field="budget")
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        raise Invalid("The program cannot end before it starts.", field="end_date")
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("A program needs a name.", field="name")


@transaction.atomic
def program_create(*, actor, via: str = "ui", data: dict) -> Program:
    access.require_create(actor, "program")
    data = {k: v for k, v in data.items() if k in PROGRAM_FIELDS}
    if data.get("owner") is None:
        data["owner"] = actor
    access.check_owner(actor, "program", data["owner"])
    _check_program(data)
    program = Program.objects.create(**data)
    activity.record(actor=actor, via=via, verb="created", target=program, summary=program.name)
    return program


@transaction.atomic
def program_update(*, actor, via: str = "ui", program: Program, data: dict) -> Program:
    access.require_write(actor, program, "program")
    data = {k: v for k, v in data.items() if k in PROGRAM_FIELDS}
    if "owner" in data and data["owner"] != program.owner:
        access.check_owner(actor, "program", data["owner"])
    _check_program({"start_date": program.start_date, "end_date": program.end_date, **data})
    changes = activity.apply_changes(program, data)
    if changes:
        program.save()
        activity.record(actor=actor, via=via, verb="updated", target=program, changes=changes)
    return program


@transaction.atomic
def program_cost_add(*, actor, via: str = "ui", program: Program, data: dict) -> ProgramCost:
    access.require_write(actor, program, "program")
    if data.get("amount") is None or data["amount"] < 0:
        raise Invalid("A cost must be zero or more.", field="amount")
    cost = ProgramCost.objects.create(
        program=program,
        incurred_on=data["incurred_on"],
        amount=data["amount"],
        currency=data.get("currency") or program.currency,
        description=(data.get("description") or "")[:200],
    )
    activity.record(
        actor=actor,
        via=via,
        verb="cost_added",
        target=program,
        summary=f"{cost.amount} {cost.currency} {cost.description}",
    )
    return cost


@transaction.atomic
def touch_create(*, actor, via: str = "ui", data: dict) -> Touch:
    """Record a touch; the first touch of a person sets the program that brought them."""
    access.require_create(actor, "touch")
    data = {k: v for k, v in data.items() if k in TOUCH_FIELDS}
    if data.get("person") is None:
        raise Invalid("A touch needs a person.", field="person")
    access.require_read(actor, data["person"], "person", "person_id")
    access.require_read(actor, data.get("program"), "program", "program_id")
    touch = record_touch(data)
    activity.record(
        actor=actor,
        via=via,
        verb="touched",
        target=touch.person,
        summary=f"{touch.get_kind_display()}" + (f" · {touch.program}" if touch.program else ""),
    )
    return touch


def record_touch(data: dict, *, first_touch_set: bool = False) -> Touch:
    """The touch itself, for trusted callers; the first touch of a person sets its program
    (unless the caller created the person with this touch as its first)."""
    touch = Touch.objects.create(**data)
    if touch.program_id and not first_touch_set:
        Person.objects.filter(pk=touch.person_id).filter(
            Q(first_touch_at__isnull=True) | Q(first_touch_at__gt=touch.occurred_at)
        ).update(source_program_id=touch.program_id, first_touch_at=touch.occurred_at)
    return touch


def touches_ingest(*, actor, via: str = "api", items: list[dict]) -> dict:
    """Touches from other systems (web visits, ad clicks, event and trade-show lists): each item
    finds its person by normalized email, or creates one, then records the touch. Items are
    independent: a bad one is reported by its index and the others go in."""
    if not (access.is_admin(actor) or actor.role in MARKETING_ROLES):
        raise Forbidden("Marketing ingests touches from other systems.")
    result = {"touches": [], "people_created": 0, "errors": {}}
    for index, item in enumerate(items):
        try:
            with transaction.atomic():
                person, created = _person_by_email(actor=actor, via=via, item=item)
                touch = touch_create(actor=actor, via=via, data={**item["touch"], "person": person})
            result["touches"].append(touch.pk)
            result["people_created"] += created
        except DomainError as exc:
            result["errors"][index] = exc.message
    return result


def _person_by_email(*, actor, via: str, item: dict) -> tuple[Person, bool]:
    email = normalize_email(item.get("email") or "")
    if not email:
        raise Invalid("An email address is required.", field="email")
    person = Person.objects.filter(email_normalized=email).first()
    if person is not None:
        return person, False
    data = {"email": item["email"], **item.get("person", {})}
    return person_create(actor=actor, via=via, data=data, required_custom=False), True
