"""Touches from lists (trade-show scans, event attendance, ad leads): each row finds its person
by email (a new one is created as a lead), and records a touch with its program. Importing the
same list twice records each touch once."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.contacts.normalize import normalize_email, person_search_text
from tandem.marketing.models import Program, Touch, TouchKind
from tandem.transfer import column_map, trail
from tandem.transfer.models import ImportRow, RowAction
from tandem.transfer.rows import NOT_YOURS, failed_row, organizations_by_name, readable

KIND_BY_CHANNEL = {
    "event": TouchKind.EVENT_ATTENDED,
    "trade_show": TouchKind.EVENT_ATTENDED,
    "advertising": TouchKind.AD_CLICKED,
    "social": TouchKind.AD_CLICKED,
    "web": TouchKind.PAGE_VISITED,
    "email": TouchKind.EMAIL_CLICKED,
    "direct_mail": TouchKind.MAIL_RECEIVED,
}


def _moment(value):
    if value is None:
        return timezone.now()
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def batch(job, pending: list) -> list[ImportRow]:
    parse = column_map.job_parser(job)
    rows, parsed = [], []
    for number, cells in pending:
        data, _, errors = parse(cells)
        if not errors and not data.get("email"):
            errors = [("email", "the row has no email address")]
        if errors:
            rows.append(failed_row(job, number, errors))
            continue
        parsed.append((number, data))
    names = {d["program"] for _, d in parsed if d.get("program")}
    programs = {p.name.lower(): p for p in Program.objects.filter(name__in=names)}
    emails = {normalize_email(d["email"]) for _, d in parsed}
    people = {p.email_normalized: p for p in Person.objects.filter(email_normalized__in=emails)}
    seen_by_importer = readable(job, Person, "person", (p.pk for p in people.values()))
    orgs = organizations_by_name(
        job, {d["organization"] for _, d in parsed if d.get("organization")}
    )
    new_people, touches = {}, []
    for number, data in parsed:
        program = (
            programs.get(data.get("program", "").lower()) if data.get("program") else job.program
        )
        if program is None:
            reason = f"no program named “{data['program'][:60]}”" if data.get("program") else (
                "no program column and none chosen for the import"
            )  # fmt: skip
            rows.append(failed_row(job, number, [("program", reason)]))
            continue
        email = normalize_email(data["email"])
        if email in people and people[email].pk not in seen_by_importer:
            rows.append(failed_row(job, number, [("email", NOT_YOURS)]))
            continue
        person = people.get(email) or new_people.get(email)
        if person is None:
            person = Person(
                email=data["email"], email_normalized=email,
                first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                title=data.get("title", ""), country=data.get("country", ""),
                organization_id=orgs.get(data.get("organization", "").lower()),
            )  # fmt: skip
            person.search_text = person_search_text(
                first_name=person.first_name, last_name=person.last_name, email=email
            )
            new_people[email] = person
        kind = data.get("kind") or KIND_BY_CHANNEL.get(program.channel, TouchKind.EVENT_ATTENDED)
        touch = Touch(person=person, program=program, kind=kind,
                      occurred_at=_moment(data.get("occurred_at")),
                      utm_source=data.get("utm_source", ""), utm_medium=data.get("utm_medium", ""),
                      utm_campaign=data.get("utm_campaign", ""),
                      referrer=data.get("referrer", ""))  # fmt: skip
        touches.append((number, touch))
    created_people = Person.objects.bulk_create(list(new_people.values()))
    trail.people_arrived(job, ((p.pk, p.lifecycle_stage) for p in created_people))
    for _, touch in touches:
        touch.person_id = touch.person.pk
    seen = set(
        Touch.objects.filter(person_id__in={t.person_id for _, t in touches})
        .filter(occurred_at__in={t.occurred_at for _, t in touches})
        .values_list("person_id", "program_id", "kind", "occurred_at")
    )
    fresh = []
    for number, touch in touches:
        identity = (touch.person_id, touch.program_id, touch.kind, touch.occurred_at)
        if identity in seen:
            rows.append(ImportRow(job=job, number=number, action=RowAction.SKIPPED,
                                  message="this touch is recorded already"))  # fmt: skip
            continue
        seen.add(identity)
        fresh.append((number, touch))
    Touch.objects.bulk_create([t for _, t in fresh])
    firsts = {}
    for _, touch in fresh:
        if touch.person_id not in firsts or touch.occurred_at < firsts[touch.person_id].occurred_at:
            firsts[touch.person_id] = touch
    for person_id, touch in firsts.items():
        Person.objects.filter(pk=person_id).filter(
            Q(first_touch_at__isnull=True) | Q(first_touch_at__gt=touch.occurred_at)
        ).update(source_program_id=touch.program_id, first_touch_at=touch.occurred_at)
    rows += [
        ImportRow(job=job, number=n, action=RowAction.CREATED, object_id=t.pk) for n, t in fresh
    ]
    return rows
