"""The write matrix: every role × every door × every write, from one table.

Each row of WRITES (tests/write_cases_*.py) names a write, the personas allowed to make it, and
how each door attempts it (the web UI, the API, the import, the bulk actions; the attempts are in
tests/write_doors.py). A door that is added for a write, or a persona added to conftest's World,
is tested against the same expectation: the UI, the API and the import obey one set of rules
because they call the same services.

Allowed: the effect happened (the record changed, or exists). Refused: the answer says so
(403/404/422, a form error, a refused import row), and the effect did not happen: the target
record, its history and its timeline are as they were."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.contacts.models import Organization, Person
from tandem.core.errors import Forbidden
from tandem.marketing.models import Touch
from tandem.sales.models import Activity, LossReason, Opportunity
from tests import factories as f
from tests import write_cases_contacts, write_cases_marketing, write_cases_sales
from tests.write_doors import ALL, PERSONAS, Ctx, _import

WRITES = [*write_cases_contacts.WRITES, *write_cases_sales.WRITES, *write_cases_marketing.WRITES]
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
