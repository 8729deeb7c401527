"""Reads of the shared record, always scoped by what the actor may see."""

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from tandem.contacts.models import CompanySize, LifecycleStage, Organization, Person
from tandem.core import access, listing
from tandem.core.listing import Filter, ListSpec


def _contains(qs: QuerySet, q: str) -> QuerySet:
    """People whose name or email holds q. On SQLite, from the trigram index (contacts 0013)
    when q has the 3 characters a trigram needs; PostgreSQL's pg_trgm index serves LIKE."""
    if connection.vendor != "sqlite" or len(q) < 3:
        return qs.filter(search_text__contains=q)
    phrase = '"' + q.replace('"', '""') + '"'  # one phrase: the exact substring
    fts = "SELECT rowid FROM contacts_person_fts WHERE contacts_person_fts MATCH %s"
    return qs.filter(pk__in=RawSQL(fts, [phrase]))  # noqa: S611 - fixed text, q a parameter


def _person_search(qs: QuerySet, q: str) -> QuerySet:
    q = q.lower()
    if "@" not in q:
        return _contains(qs, q)
    if connection.vendor == "sqlite":
        # A range on the unique index; SQLite's LIKE cannot use it. Binary collation makes
        # the range exactly the prefix. PostgreSQL has a pattern index for LIKE 'q%'.
        # Fetching the ids first keeps SQLite from walking the sort index instead; excluding
        # '' lets it use the partial unique index. Prefix searches are capped at 1,000 matches.
        matches = Person.objects.exclude(email_normalized="").filter(
            email_normalized__gte=q, email_normalized__lt=q + "\U0010ffff"
        )
        return qs.filter(pk__in=list(matches.values_list("pk", flat=True)[:1000]))
    return qs.filter(email_normalized__startswith=q)


PERSON_LIST = ListSpec(
    filters={
        "stage": Filter("lifecycle_stage", listing.choice(LifecycleStage.choices), "Stage"),
        "owner": Filter("owner_id", listing.integer, "Owner"),
        "organization": Filter("organization_id", listing.integer, "Organization"),
        "country": Filter("country", lambda v: v.upper()[:2], "Country"),
        "program": Filter("source_program_id", listing.integer, "Source program"),
        "first_touch_after": Filter(
            "first_touch_at__gte", listing.day_start, "First touch on or after"
        ),
        "first_touch_before": Filter("first_touch_at__lt", listing.day_start, "First touch before"),
    },
    sorts={
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "name": ("last_name", "first_name", "id"),
        "-name": ("-last_name", "-first_name", "-id"),
        "email": ("email_normalized", "id"),
        "-score": ("-score", "-id"),
    },
    default_sort="-created",
    search=_person_search,
)

ORGANIZATION_LIST = ListSpec(
    filters={
        "country": Filter("country", lambda v: v.upper()[:2], "Country"),
        "industry": Filter("industry", str, "Industry"),
        "size": Filter("size", listing.choice(CompanySize.choices), "Size"),
        "owner": Filter("owner_id", listing.integer, "Owner"),
        "customer": Filter("is_customer", listing.boolean, "Customer"),
    },
    sorts={
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
    },
    default_sort="name",
    search=lambda qs, q: qs.filter(search_text__contains=q.lower()),
)


def person_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Person.objects.all(), "person", action)


def person_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(person_qs(actor), PERSON_LIST, params)
    number, size = listing.page_numbers(params)
    qs = qs.select_related("organization", "owner", "source_program")
    return listing.paginate(qs, number=number, size=size, params=applied)


def person_get_for(*, actor, id, action: str = access.READ) -> Person:
    qs = Person.objects.select_related("organization", "owner", "source_program")
    return access.get_for(actor, qs, "person", id, action)


def organization_qs(actor, action: str = access.READ) -> QuerySet:
    return access.scope(actor, Organization.objects.all(), "organization", action)


def organization_list(*, actor, params) -> listing.Page:
    qs, applied = listing.apply(organization_qs(actor), ORGANIZATION_LIST, params)
    number, size = listing.page_numbers(params)
    return listing.paginate(qs.select_related("owner"), number=number, size=size, params=applied)


def organization_get_for(*, actor, id, action: str = access.READ) -> Organization:
    return access.get_for(
        actor, Organization.objects.select_related("owner"), "organization", id, action
    )


def person_search(*, actor, q: str, limit: int = 8) -> list[Person]:
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    return list(_person_search(person_qs(actor), q).select_related("organization")[:limit])


def organization_search(*, actor, q: str, limit: int = 8) -> list[Organization]:
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    return list(organization_qs(actor).filter(search_text__contains=q.lower())[:limit])


def person_transitions(*, person: Person):
    return person.transitions.select_related("actor").order_by("-at", "-id")[:50]


PERSON_EXPORT = (
    ("id", "pk"),
    ("email", "email"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("title", "title"),
    ("phone", "phone"),
    ("organization", "organization__name"),
    ("country", "country"),
    ("region", "region"),
    ("city", "city"),
    ("lifecycle_stage", "lifecycle_stage"),
    ("score", "score"),
    ("owner", "owner__username"),
    ("consent", "consent"),
    ("created_at", "created_at"),
)
ORGANIZATION_EXPORT = (
    ("id", "pk"),
    ("name", "name"),
    ("domain", "domain"),
    ("industry", "industry"),
    ("size", "size"),
    ("country", "country"),
    ("region", "region"),
    ("city", "city"),
    ("owner", "owner__username"),
    ("is_customer", "is_customer"),
)


def person_export(*, actor, params, ids=None):
    """The filtered list, every page (or the selected `ids`): (header, row iterator)."""
    qs, _ = listing.apply(person_qs(actor), PERSON_LIST, params)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return _export(qs, PERSON_EXPORT)


def assignable_owners(*, actor) -> list:
    """Whom the actor may give people to (access.check_owner's rule): a manager their
    function's users, an admin everyone active; a rep or a marketer nobody else."""
    from django.contrib.auth import get_user_model

    from tandem.core.roles import MARKETING_ROLES, SALES_ROLES

    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name")
    if access.is_admin(actor):
        return list(users)
    if actor.role == "sales_manager":
        return list(users.filter(role__in=SALES_ROLES))
    if actor.role == "marketing_manager":
        return list(users.filter(role__in=MARKETING_ROLES))
    return []


def organization_export(*, actor, params):
    qs, _ = listing.apply(organization_qs(actor), ORGANIZATION_LIST, params)
    return _export(qs, ORGANIZATION_EXPORT)


def _export(qs, columns):
    rows = qs.values_list(*(lookup for _, lookup in columns)).iterator(chunk_size=5000)
    return [name for name, _ in columns], rows


def organization_picks(*, actor, q: str) -> list[dict]:
    return [
        {"id": o.pk, "label": o.name, "sub": " · ".join(filter(None, [o.domain, o.country]))}
        for o in organization_search(actor=actor, q=q)
    ]


def person_picks(*, actor, q: str) -> list[dict]:
    return [
        {
            "id": p.pk,
            "label": p.name,
            "sub": " · ".join(
                filter(None, [p.email, p.organization.name if p.organization else ""])
            ),
        }
        for p in person_search(actor=actor, q=q)
    ]


def organization_label(pk: int) -> str:
    return Organization.objects.filter(pk=pk).values_list("name", flat=True).first() or ""


def person_label(pk: int) -> str:
    person = Person.objects.filter(pk=pk).first()
    return person.name if person else ""
