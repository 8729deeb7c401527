"""The write matrix's rows for opportunities and activities (run by test_write_matrix.py)."""

from tandem.sales.models import Activity, Opportunity
from tests.write_doors import (
    HOLDERS,
    MANAGERS,
    SALES,
    Write,
    _api,
    _import,
    _stage,
    _ui,
    exists,
    record,
)

WRITES = [
    Write(
        "opportunity: create on the owner's account",
        HOLDERS | {"teammate"},
        exists(Opportunity, name="Matrix deal"),
        {
            "ui": _ui(
                lambda c: "/sales/opportunities/new",
                lambda c: {
                    "name": "Matrix deal",
                    "organization": c.world.org.pk,
                    "amount": "100",
                    "currency": "USD",
                    "expected_close": "2027-01-31",
                    "channel": "direct_selling",
                    "forecast_category": "pipeline",
                    "idempotency_key": f"d-{c.who}",
                },
            ),
            "api": _api(
                "post",
                lambda c: "/api/opportunities",
                lambda c: {
                    "name": "Matrix deal",
                    "organization_id": c.world.org.pk,
                    "expected_close": "2027-01-31",
                },
            ),
        },
    ),
    Write(
        "opportunity: create owned by the owner",
        HOLDERS,
        exists(Opportunity, name="Matrix deal", owner__username="owner"),
        {
            "api": _api(
                "post",
                lambda c: "/api/opportunities",
                lambda c: {
                    "name": "Matrix deal",
                    "organization_id": c.world.org.pk,
                    "expected_close": "2027-01-31",
                    "owner_id": c.world.owner.pk,
                },
            ),
            "import": _import(
                "opportunities", lambda c: "Name,Owner,Stage\nMatrix deal,owner,Qualify\n"
            ),
        },
    ),
    Write(
        "opportunity: create closed won, owned by the owner",
        HOLDERS,
        exists(Opportunity, name="Old win", stage__kind="won"),
        {
            "import": _import(
                "opportunities",
                lambda c: "Name,Owner,Stage,Close date\nOld win,owner,Won,2024-05-01\n",
            ),
        },
    ),
    Write(
        "opportunity: create closed lost without a loss reason",
        frozenset(),
        exists(Opportunity, name="Old loss"),
        {
            "import": _import("opportunities", lambda c: "Name,Stage\nOld loss,Lost\n"),
            "api": _api(
                "post",
                lambda c: "/api/opportunities",
                lambda c: {
                    "name": "Old loss",
                    "organization_id": c.world.org.pk,
                    "expected_close": "2027-01-31",
                    "stage_id": _stage("Closed lost"),
                },
            ),
        },
    ),
    Write(
        "opportunity: create closed lost with a loss reason",
        SALES | {"admin"},
        exists(Opportunity, name="Old loss", stage__kind="lost", loss_reason__name="Price"),
        {
            "import": _import(
                "opportunities",
                lambda c: "Name,Stage,Loss reason\nOld loss,Lost,Price\n",
            ),
        },
    ),
    Write(
        "opportunity: update",
        HOLDERS,
        record("opportunity"),
        {
            "ui": _ui(
                lambda c: f"/sales/opportunities/{c.world.opportunity.pk}/edit",
                lambda c: {
                    "name": "Changed",
                    "organization": c.world.org.pk,
                    "person": c.world.person.pk,
                    "owner": c.world.opportunity.owner_id,
                    "amount": "5",
                    "currency": "USD",
                    "expected_close": "2027-01-31",
                    "channel": "direct_selling",
                    "forecast_category": "pipeline",
                    "idempotency_key": f"u-{c.who}",
                },
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/opportunities/{c.world.opportunity.pk}",
                lambda c: {"name": "Changed"},
            ),
        },
    ),
    Write(
        "opportunity: give to another owner",
        MANAGERS,
        record("opportunity"),
        {
            "api": _api(
                "patch",
                lambda c: f"/api/opportunities/{c.world.opportunity.pk}",
                lambda c: {"owner_id": c.world.teammate.pk},
            ),
        },
    ),
    Write(
        "opportunity: move to another stage",
        HOLDERS,
        record("opportunity"),
        {
            "ui": _ui(
                lambda c: f"/sales/opportunities/{c.world.opportunity.pk}/move",
                lambda c: {"stage": _stage("Present")},
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/opportunities/{c.world.opportunity.pk}",
                lambda c: {"stage_id": _stage("Present")},
            ),
            "bulk (UI)": _ui(
                lambda c: "/sales/opportunities/bulk",
                lambda c: {"ids": [c.world.opportunity.pk], "stage": _stage("Present")},
            ),
            "bulk (API)": _api(
                "post",
                lambda c: "/api/opportunities/bulk-move",
                lambda c: {"ids": [c.world.opportunity.pk], "stage_id": _stage("Present")},
            ),
        },
    ),
    Write(
        "opportunity: close won",
        HOLDERS,
        record("opportunity"),
        {
            "ui": _ui(
                lambda c: f"/sales/opportunities/{c.world.opportunity.pk}/move",
                lambda c: {"stage": _stage("Closed won")},
            ),
            "api": _api(
                "patch",
                lambda c: f"/api/opportunities/{c.world.opportunity.pk}",
                lambda c: {"stage_id": _stage("Closed won")},
            ),
            "bulk (API)": _api(
                "post",
                lambda c: "/api/opportunities/bulk-move",
                lambda c: {"ids": [c.world.opportunity.pk], "stage_id": _stage("Closed won")},
            ),
        },
    ),
    Write(
        "activity: log on the owner's deal",
        HOLDERS,
        record("opportunity"),
        {
            "ui": _ui(
                lambda c: f"/sales/opportunities/{c.world.opportunity.pk}/log",
                lambda c: {"quick": "call"},
            ),
            "api": _api(
                "post",
                lambda c: "/api/activities",
                lambda c: {
                    "kind": "call",
                    "subject": "Matrix call",
                    "due_at": "2026-12-01T10:00:00Z",
                    "opportunity_id": c.world.opportunity.pk,
                },
            ),
            "import": _import(
                "activities",
                lambda c: "Type,Subject,Due date,Deal\nCall,Matrix call,2026-12-01,Owner Deal\n",
            ),
        },
    ),
    Write(
        "activity: create owned by the owner",
        HOLDERS,
        exists(Activity, subject="Owned call", owner__username="owner"),
        {
            "api": _api(
                "post",
                lambda c: "/api/activities",
                lambda c: {
                    "kind": "call",
                    "subject": "Owned call",
                    "due_at": "2026-12-01T10:00:00Z",
                    "owner_id": c.world.owner.pk,
                },
            ),
            "import": _import(
                "activities", lambda c: "Type,Subject,Owner\nCall,Owned call,owner\n"
            ),
        },
    ),
    Write(
        "activity: update",
        HOLDERS,
        record("activity"),
        {
            "ui": _ui(lambda c: f"/sales/activities/{c.world.activity.pk}/done"),
            "api": _api(
                "patch",
                lambda c: f"/api/activities/{c.world.activity.pk}",
                lambda c: {"subject": "Changed"},
            ),
        },
    ),
]
