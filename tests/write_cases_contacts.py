"""The write matrix's rows for people, leads and organizations (run by test_write_matrix.py)."""

from tandem.contacts.models import Person
from tests.write_doors import (
    ALL,
    HOLDERS,
    MANAGERS,
    MARKETING,
    ORG_ROW,
    SALES,
    Write,
    _api,
    _import,
    _person_form,
    _ui,
    exists,
    record,
)

WRITES = [
    Write(
        "person: create",
        ALL,
        exists(Person, email_normalized="new@matrix.test"),
        {
            "ui": _ui(
                lambda c: "/contacts/people/new",
                lambda c: {"email": "new@matrix.test", "idempotency_key": f"n-{c.who}"},
            ),
            "api": _api("post", lambda c: "/api/people", lambda c: {"email": "new@matrix.test"}),
            "import": _import("people", lambda c: "Email,First name\nnew@matrix.test,New\n"),
        },
    ),
    Write(
        "person: update",
        HOLDERS,
        record("person"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.world.person.pk}/edit",
                lambda c: _person_form(c, c.world.person, title="Changed"),
            ),
            "api": _api(
                "patch", lambda c: f"/api/people/{c.world.person.pk}", lambda c: {"title": "Chg"}
            ),
            "import": _import(
                "people", lambda c: f"Email,Job title\n{c.world.person.email},Changed\n"
            ),
        },
    ),
    Write(
        "person: give to another owner",
        MANAGERS,
        record("person"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.world.person.pk}/edit",
                lambda c: _person_form(c, c.world.person, owner=c.world.teammate.pk),
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/people/{c.world.person.pk}",
                lambda c: {"owner_id": c.world.teammate.pk},
            ),
        },
    ),
    Write(
        "person: set a sales stage (SQL) on a rep's person",
        HOLDERS,
        record("person"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.world.person.pk}/stage",
                lambda c: {"to_stage": "sql", "reason": "matrix"},
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/people/{c.world.person.pk}",
                lambda c: {"lifecycle_stage": "sql"},
            ),
        },
    ),
    Write(
        "lead (no owner): update",
        MARKETING | MANAGERS,
        record("lead"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.lead.pk}/edit",
                lambda c: _person_form(c, c.lead, title="Changed"),
            ),
            "api": _api("patch", lambda c: f"/api/people/{c.lead.pk}", lambda c: {"title": "X"}),
            "import": _import("people", lambda c: f"Email,Job title\n{c.lead.email},Changed\n"),
        },
    ),
    Write(
        "lead (no owner): set a marketing stage (MQL)",
        MARKETING | MANAGERS,
        record("lead"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.lead.pk}/stage",
                lambda c: {"to_stage": "mql", "reason": "matrix"},
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/people/{c.lead.pk}",
                lambda c: {"lifecycle_stage": "mql"},
            ),
        },
    ),
    Write(
        "lead (no owner): set a sales stage (SQL), past the handoff",
        MANAGERS,
        record("lead"),
        {
            "ui": _ui(
                lambda c: f"/contacts/people/{c.lead.pk}/stage",
                lambda c: {"to_stage": "sql", "reason": "matrix"},
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/people/{c.lead.pk}",
                lambda c: {"lifecycle_stage": "sql", "title": "with a field"},
            ),
        },
    ),
    Write(
        "person: create at a sales stage",
        SALES | {"admin"},
        exists(Person, email_normalized="sql@matrix.test"),
        {
            "import": _import(
                "people", lambda c: "Email,Lifecycle stage\nsql@matrix.test,Sales qualified lead\n"
            ),
        },
    ),
    Write(
        "organization: update",
        HOLDERS,
        record("org"),
        {
            "ui": _ui(
                lambda c: f"/contacts/organizations/{c.world.org.pk}/edit",
                lambda c: {
                    "name": "Owner Org",
                    "industry": "Changed",
                    "owner": c.world.owner.pk,
                    "idempotency_key": f"o-{c.who}",
                },
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/organizations/{c.world.org.pk}",
                lambda c: {"industry": "Changed"},
            ),
            "import": _import("organizations", lambda c: ORG_ROW),
        },
    ),
]
