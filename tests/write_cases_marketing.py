"""The write matrix's rows for programs and touches (run by test_write_matrix.py)."""

from datetime import timedelta

from django.utils import timezone

from tandem.marketing.models import Program
from tests.write_doors import ALL, MARKETING, Write, _api, _import, _ui, exists, record

WRITES = [
    Write(
        "program: create",
        MARKETING | {"admin"},
        exists(Program, name="Matrix program"),
        {
            "ui": _ui(
                lambda c: "/marketing/programs/new",
                lambda c: {
                    "name": "Matrix program",
                    "channel": "web",
                    "status": "planned",
                    "budget": "10",
                    "currency": "USD",
                    "start_date": "2026-01-01",
                    "idempotency_key": f"p-{c.who}",
                },
            ),
            "api": _api(
                "post",
                lambda c: "/api/programs",
                lambda c: {"name": "Matrix program", "channel": "web", "start_date": "2026-01-01"},
            ),
        },
    ),
    Write(
        "program: create owned by the marketing manager",
        frozenset({"marketing_manager", "admin"}),
        exists(Program, name="Matrix program"),
        {
            "api": _api(
                "post",
                lambda c: "/api/programs",
                lambda c: {
                    "name": "Matrix program",
                    "channel": "web",
                    "start_date": "2026-01-01",
                    "owner_id": c.world.marketing_manager.pk,
                },
            ),
        },
    ),
    Write(
        "program: update",
        frozenset({"marketer", "marketing_manager", "admin"}),
        record("program"),
        {
            "ui": _ui(
                lambda c: f"/marketing/programs/{c.world.program.pk}/edit",
                lambda c: {
                    "name": "Changed",
                    "channel": "event",
                    "status": "planned",
                    "budget": "10",
                    "currency": "USD",
                    "start_date": "2026-01-01",
                    "idempotency_key": f"q-{c.who}",
                },
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/programs/{c.world.program.pk}",
                lambda c: {"name": "Changed"},
            ),
        },
    ),
    Write(
        "touch: record on the owner's person",
        ALL - {"outsider"},
        record("person"),
        {
            "api": _api(
                "post",
                lambda c: "/api/touches",
                lambda c: {
                    "person_id": c.world.person.pk,
                    "program_id": c.world.program.pk,
                    "kind": "event_attended",
                    "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
                },
            ),
            "import": _import(
                "touches",
                lambda c: (
                    f"Email,Program,When\n{c.world.person.email},Marketer Webinar,2026-01-05\n"
                ),
            ),
        },
    ),
]
