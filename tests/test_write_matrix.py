"""The write matrix: every role × every door × every write, from one table.

Each row of WRITES names a write, the personas allowed to make it, and how each door attempts
it (the web UI, the API, the import, the bulk actions). A door that is added for a write, or a
persona added to conftest's World, is tested against the same expectation: the UI, the API and
the import obey one set of rules because they call the same services.

Allowed: the effect happened (the record changed, or exists). Refused: the answer says so
(403/404/422, a form error, a refused import row), and the effect did not happen: the target
record, its history and its timeline are as they were."""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition, Organization, Person
from tandem.core.errors import Forbidden
from tandem.core.models import TimelineEntry
from tandem.marketing.models import Program, Touch
from tandem.sales.models import Activity, LossReason, Opportunity, Stage, StageHistory
from tandem.transfer import engine
from tests import factories as f

JSON = "application/json"
PERSONAS = (
    "owner",
    "teammate",
    "outsider",
    "sales_manager",
    "marketer",
    "marketing_manager",
    "admin",
)
ALL = frozenset(PERSONAS)
SALES = frozenset({"owner", "teammate", "outsider", "sales_manager"})
HOLDERS = frozenset({"owner", "sales_manager", "admin"})  # who may write the owner's records
MANAGERS = frozenset({"sales_manager", "admin"})
MARKETING = frozenset({"marketer", "marketing_manager"})


# --- how each door attempts a write ---------------------------------------------------------
# An attempt gets (ctx) and returns nothing; the effect function tells what happened.


@dataclass
class Ctx:
    world: object
    who: str
    client: object
    lead: Person
    tmp: object

    @property
    def user(self):
        return getattr(self.world, self.who)


def _api(method, url, body=None):
    def attempt(ctx):
        call = getattr(ctx.client, method)
        response = call(url(ctx), body(ctx) if body else {}, content_type=JSON)
        assert response.status_code in (200, 201, 202, 403, 404, 409, 422), response.content
        ctx.status = response.status_code

    return attempt


def _ui(url, body=None):
    def attempt(ctx):
        response = ctx.client.post(url(ctx), body(ctx) if body else {})
        assert response.status_code in (200, 302, 400, 403, 404), response.status_code
        ctx.status = response.status_code

    return attempt


def _import(kind, csv_text, policy="update", options=None):
    """Upload, read, map and run the file as the persona, as the worker would."""

    def attempt(ctx):
        try:
            job = f.uploaded(
                actor=ctx.user,
                kind=kind,
                upload=SimpleUploadedFile("m.csv", csv_text(ctx).encode()),
                filename="m.csv",
            )
        except Forbidden:
            ctx.status = 403
            return
        extra = options(ctx) if options else None
        engine.job_configure(
            actor=ctx.user, job=job, mapping=job.mapping, policy=policy, options=extra
        )
        engine.job_start(actor=ctx.user, job=job)
        job = engine.run(job.pk)
        assert job.status == "done", job.error
        row = job.rows.get()
        ctx.status = row.action
        ctx.message = row.message

    return attempt


def _stage(name):
    return Stage.objects.get(name=name).pk


def _person_form(ctx, person, **changes):
    data = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "owner": person.owner_id or "",
        "organization": person.organization_id or "",
        "idempotency_key": f"k-{ctx.who}",
    }
    return {**data, **changes}


# --- effects ----------------------------------------------------------------------------------


def _state(obj):
    """A record as stored, with its history and timeline."""
    obj = type(obj).objects.get(pk=obj.pk)
    rows = json.dumps(model_to_dict(obj), default=str, sort_keys=True)
    timeline = TimelineEntry.objects.filter(target_id=obj.pk).count()
    return rows, timeline, _history(obj)


def _history(obj):
    if isinstance(obj, Person):
        return LifecycleTransition.objects.filter(person=obj).count(), obj.touches.count()
    if isinstance(obj, Opportunity):
        return StageHistory.objects.filter(opportunity=obj).count(), obj.activities.count()
    return 0


def record(name):
    return lambda ctx: _state(getattr(ctx.world, name) if name != "lead" else ctx.lead)


def exists(model, **lookup):
    return lambda ctx: model.objects.filter(**lookup).count()


@dataclass
class Write:
    name: str
    allowed: frozenset
    effect: object
    doors: dict = field(default_factory=dict)


ORG_ROW = "Name,Industry,Domain\nOwner Org,Changed industry,owner.example\n"

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

CASES = [
    pytest.param(w, door, who, id=f"{w.name} | {door} | {who}")
    for w in WRITES
    for door in w.doors
    for who in PERSONAS
]


@pytest.fixture
def lead(world):
    return f.person(owner=None, first_name="Lena", last_name="Lead", lifecycle_stage="lead")


@pytest.mark.parametrize(("write", "door", "who"), CASES)
def test_write(world, lead, as_user, settings, tmp_path, write, door, who):
    settings.TANDEM_IMPORT_DIR = tmp_path
    LossReason.objects.get_or_create(name="Price")[0]
    Organization.objects.filter(pk=world.org.pk).update(domain="owner.example")
    ctx = Ctx(world, who, as_user(getattr(world, who)), lead, tmp_path)
    before = write.effect(ctx)
    write.doors[door](ctx)
    after = write.effect(ctx)
    if who in write.allowed:
        assert after != before, f"allowed but nothing happened (answer {ctx.status})"
        assert ctx.status in (200, 201, 202, 302, "created", "updated"), ctx.status
    else:
        assert after == before, f"refused but changed (answer {ctx.status})"
        # an imported activity naming a deal it may not log on goes in unlinked, and says so
        unlinked = door == "import" and "you may log on" in getattr(ctx, "message", "")
        assert unlinked or ctx.status not in (201, 202, "created", "updated"), ctx.status


def test_the_matrix_covers_every_role_and_door():
    doors = {d for w in WRITES for d in w.doors}
    assert doors == {"ui", "api", "import", "bulk (UI)", "bulk (API)"}
    assert len(CASES) == len(PERSONAS) * sum(len(w.doors) for w in WRITES)
    assert {p for p in PERSONAS} == set(ALL)


def test_a_refused_import_row_reads_as_a_missing_record(world, settings, tmp_path):
    """A rep importing the email of another team's person learns nothing: the row says what
    it says for a record that does not exist to her."""
    settings.TANDEM_IMPORT_DIR = tmp_path
    ctx = Ctx(world, "outsider", None, None, tmp_path)
    _import("people", lambda c: f"Email,Job title\n{c.world.person.email},Spy\n")(ctx)
    assert (ctx.status, ctx.message) == ("failed", "email: no such record you may change")
    assert Person.objects.get(pk=world.person.pk).title == ""


def test_the_import_never_creates_users(world, settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.TANDEM_IMPORT_DIR = tmp_path
    before = get_user_model().objects.count()
    ctx = Ctx(world, "sales_manager", None, None, tmp_path)
    _import("opportunities", lambda c: "Name,Owner,Stage\nX,Nobody Known,Qualify\n")(ctx)
    assert (ctx.status, ctx.message) == ("failed", "owner: no user named “Nobody Known”")
    assert get_user_model().objects.count() == before


def test_an_admin_may_choose_to_create_owners_from_the_preview(world, settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.TANDEM_IMPORT_DIR = tmp_path
    ctx = Ctx(world, "admin", None, None, tmp_path)
    _import(
        "opportunities",
        lambda c: "Name,Owner,Stage\nHistoric,Ada Former,Qualify\n",
        options=lambda c: {"create_owners": True},
    )(ctx)
    assert ctx.status == "created"
    ada = get_user_model().objects.get(first_name="Ada", last_name="Former")
    assert not ada.is_active and Opportunity.objects.get(name="Historic").owner == ada
    with pytest.raises(Forbidden):
        _import(
            "opportunities",
            lambda c: "Name,Owner,Stage\nX,Bob New,Qualify\n",
            options=lambda c: {"create_owners": True},
        )(Ctx(world, "sales_manager", None, None, tmp_path))


def test_attainment_shows_a_rep_only_her_team(world, as_user):
    from datetime import date

    from tandem.sales.models import Quota

    start = date(timezone.localdate().year, 3 * ((timezone.localdate().month - 1) // 3) + 1, 1)
    end = date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1) - timedelta(1)
    period = {"period_kind": "quarter", "period_start": start, "period_end": end}
    for user in (world.owner, world.teammate, world.outsider):
        Quota.objects.create(user=user, amount=1000, **period)
    Quota.objects.create(team=world.outsider.team, amount=5000, **period)
    Quota.objects.create(team=world.owner.team, amount=4000, **period)
    mine = as_user(world.owner).get("/api/attainment").json()
    assert {r["rep_id"] for r in mine["reps"]} == {world.owner.pk, world.teammate.pk}
    assert [t["team_id"] for t in mine["teams"]] == [world.owner.team_id]
    boss = as_user(world.sales_manager).get("/api/attainment").json()
    assert {r["rep_id"] for r in boss["reps"]} == {
        world.owner.pk, world.teammate.pk, world.outsider.pk
    }  # fmt: skip


def test_organizations_import_refuses_a_domain_it_may_not_change(world, settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path
    Organization.objects.filter(pk=world.org.pk).update(domain="owner.example")
    ctx = Ctx(world, "outsider", None, None, tmp_path)
    _import("organizations", lambda c: "Name,Domain\nAnything,owner.example\n")(ctx)
    assert (ctx.status, ctx.message) == ("failed", "domain: no such record you may change")


def test_no_touch_on_a_person_the_importer_cannot_see(world, settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path
    ctx = Ctx(world, "outsider", None, None, tmp_path)
    _import(
        "touches",
        lambda c: f"Email,Program,When\n{c.world.person.email},Marketer Webinar,2026-01-05\n",
    )(ctx)
    assert ctx.status == "failed" and not Touch.objects.filter(person=world.person).exists()


def test_activities_import_does_not_hand_a_deal_to_another_team(world, settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path
    ctx = Ctx(world, "outsider", None, None, tmp_path)
    _import(
        "activities", lambda c: "Type,Subject,Deal\nCall,Peek,Owner Deal\n"
    )(ctx)  # fmt: skip
    act = Activity.objects.get(subject="Peek")
    assert act.opportunity is None and "you may log on" in ctx.message
