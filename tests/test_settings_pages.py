"""Settings in the app: each page and each change obeys the role rules (refused ones change
nothing), writes through a service with its audit row, and the first-run checklist ticks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.core import workspace
from tandem.core.models import TimelineEntry, Workspace
from tandem.sales.models import Pipeline, Quota, Stage
from tests import factories as f

JSON = "application/json"

PAGES = {
    "/settings/": {"admin", "sales_manager", "marketing_manager", "marketer"},
    "/settings/users/": {"admin"},
    "/settings/teams/": {"admin"},
    "/settings/pipelines/": {"admin", "sales_manager"},
    "/settings/quotas/": {"admin", "sales_manager"},
    "/settings/mail/": {"admin", "marketing_manager"},
    "/settings/audit/": {"admin"},
}
PERSONAS = ("owner", "sales_manager", "marketer", "marketing_manager", "admin")


@pytest.mark.parametrize("who", PERSONAS)
def test_each_settings_page_opens_for_its_roles_only(world, as_user, who):
    client = as_user(getattr(world, who))
    for url, allowed in PAGES.items():
        response = client.get(url)
        assert response.status_code == (200 if who in allowed else 403), (url, who)


def _stage(name="Present"):
    return Stage.objects.get(pipeline__is_default=True, name=name)


@pytest.mark.parametrize("who", PERSONAS)
def test_stage_changes_follow_the_rules(world, as_user, who):
    allowed = who in ("admin", "sales_manager")
    client = as_user(getattr(world, who))
    stage = _stage()
    before = list(Stage.objects.order_by("pk").values_list("name", "probability", "order"))
    client.post(
        f"/settings/stages/{stage.pk}", {"name": "Demo", "probability": "30", "kind": "open"}
    )
    after = list(Stage.objects.order_by("pk").values_list("name", "probability", "order"))
    assert (after != before) is allowed
    if allowed:
        stage.refresh_from_db()
        assert (stage.name, stage.probability) == ("Demo", 30)
        assert TimelineEntry.objects.filter(target_type="stage", target_id=stage.pk).exists()


def test_stages_reorder_add_and_delete(world, as_user):
    client = as_user(world.sales_manager)
    pipeline = Pipeline.objects.get(is_default=True)
    names = lambda: list(pipeline.stages.order_by("order").values_list("name", flat=True))  # noqa: E731
    client.post(f"/settings/stages/{_stage('Present').pk}", {"move": "up"})
    assert names()[:2] == ["Present", "Qualify"]
    ids = list(pipeline.stages.order_by("-order").values_list("pk", flat=True))
    client.post(f"/settings/pipelines/{pipeline.pk}/order", {"order": ",".join(map(str, ids))})
    assert names()[0] == "Closed lost"
    client.post(
        f"/settings/pipelines/{pipeline.pk}/stages",
        {"name": "Proposal", "probability": "60", "kind": "open"},
    )
    assert "Proposal" in names()
    proposal = pipeline.stages.get(name="Proposal")
    client.post(f"/settings/stages/{proposal.pk}", {"delete": "1"})
    assert "Proposal" not in names()
    response = client.post(f"/settings/stages/{_stage('Qualify').pk}", {"delete": "1"}, follow=True)
    assert "Qualify" in names() and "rename it instead" in response.content.decode()


def test_bad_stage_values_are_refused_with_a_reason(world, as_user):
    client = as_user(world.admin)
    response = client.post(
        f"/settings/stages/{_stage().pk}",
        {"name": "", "probability": "140", "kind": "open"},
        follow=True,
    )
    assert "A stage needs a name" in response.content.decode()
    assert _stage().probability == 25


def test_a_new_pipeline_starts_with_the_default_stages(world, as_user):
    as_user(world.admin).post("/settings/pipelines/new", {"name": "Renewals"})
    renewals = Pipeline.objects.get(name="Renewals")
    assert renewals.stages.count() == 6 and not renewals.is_default
    as_user(world.admin).post(f"/settings/pipelines/{renewals.pk}/default")
    assert Pipeline.objects.get(is_default=True) == renewals


def test_quotas_by_grid_and_by_csv(world, as_user):
    client = as_user(world.sales_manager)
    page = client.get("/settings/quotas/?quarter=2027-01-01").content.decode()
    assert world.owner.display_name in page and world.outsider.display_name not in page
    client.post("/settings/quotas/", {"quarter": "2027-01-01", f"q-{world.owner.pk}": "120,000"})
    quota = Quota.objects.get(user=world.owner)
    assert (str(quota.amount), str(quota.period_start), str(quota.period_end)) == (
        "120000.00",
        "2027-01-01",
        "2027-03-31",
    )
    upload = SimpleUploadedFile(
        "q.csv",
        f"username,quarter,amount\n{world.teammate.username},2027-01-01,90000\n"
        f"{world.outsider.username},2027-01-01,5\nnobody,2027-01-01,1\n".encode(),
    )
    response = client.post(
        "/settings/quotas/", {"quarter": "2027-01-01", "file": upload}, follow=True
    )
    html = response.content.decode()
    assert "1 quota saved" in html and "row 3:" in html and "row 4:" in html
    assert Quota.objects.filter(user=world.teammate).exists()
    assert not Quota.objects.filter(user=world.outsider).exists()  # another team's rep


def test_mail_settings_and_a_test_send(world, as_user, smtp):
    world.admin.email = "root@x.test"
    world.admin.save()
    client = as_user(world.admin)
    client.post(
        "/settings/mail/",
        {
            "sender_name": "Acme Marketing",
            "sender_email": "news@acme.test",
            "postal_address": "1 Road, Town",
        },
    )
    assert Workspace.objects.get().postal_address == "1 Road, Town"
    workspace.forget()
    assert workspace.sender() == "Acme Marketing <news@acme.test>"
    client.post("/settings/mail/", {"test": "1"})
    sent = smtp.parsed()[-1]
    assert sent["From"] == "Acme Marketing <news@acme.test>" and sent["To"] == "root@x.test"
    assert "1 Road, Town" in sent.get_body().get_content()
    refused = as_user(world.marketer).post("/settings/mail/", {"postal_address": "Nope"})
    assert refused.status_code == 403 and Workspace.objects.get().postal_address == "1 Road, Town"


def test_the_setup_checklist_ticks_itself(world, as_user, settings):
    settings.TANDEM_POSTAL_ADDRESS = ""
    home = as_user(world.admin).get("/").content.decode()
    assert 'data-testid="setup-checklist"' in home
    assert 'Done: </span>\n<div class="what"><a href="/settings/pipelines/">' in home
    f.lead_form(world.program, owner=world.marketer)
    Workspace.objects.create(postal_address="1 Road", sender_email="a@acme.test")
    workspace.forget()
    home = as_user(world.admin).get("/").content.decode()
    assert 'data-testid="setup-checklist"' not in home  # all done: it goes away


def test_territories_are_set_up_in_settings_and_by_api(world, as_user):
    from tandem.sales.models import Territory

    manager = as_user(world.sales_manager)
    bad = manager.post("/settings/territories/", {"name": "DACH", "countries": "DE, Austria"})
    assert bad.status_code == 400 and "“AUSTRIA” is not a country code." in bad.content.decode()
    assert not Territory.objects.exists()
    manager.post("/settings/territories/", {"name": "DACH", "countries": "de, at,ch"})
    dach = Territory.objects.get()
    assert dach.countries == ["DE", "AT", "CH"]
    again = manager.post("/settings/territories/", {"name": "dach", "countries": "FR"})
    assert "already called" in again.content.decode() and Territory.objects.count() == 1
    manager.post(
        "/settings/territories/",
        {"territory": dach.pk, "name": "DACH", "countries": "DE", "industries": "Retail"},
    )
    dach.refresh_from_db()
    assert (dach.countries, dach.industries) == (["DE"], ["Retail"])
    assert as_user(world.owner).post("/settings/territories/", {"name": "X"}).status_code == 403
    api = as_user(world.admin)
    made = api.post(
        "/api/territories", {"name": "Nordics", "countries": ["se", "no"]}, content_type=JSON
    )
    assert made.status_code == 201 and made.json()["countries"] == ["SE", "NO"]
    tid = made.json()["id"]
    changed = api.patch(f"/api/territories/{tid}", {"countries": ["DK"]}, content_type=JSON)
    assert changed.json()["countries"] == ["DK"] and changed.json()["name"] == "Nordics"
    refused = api.patch(f"/api/territories/{tid}", {"countries": ["Denmark"]}, content_type=JSON)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "countries"
    assert api.delete(f"/api/territories/{tid}").status_code == 204
    assert as_user(world.owner).delete(f"/api/territories/{dach.pk}").status_code == 403
    manager = as_user(world.sales_manager)
    manager.post("/settings/territories/", {"territory": dach.pk, "delete": "1"})
    assert not Territory.objects.exists()
