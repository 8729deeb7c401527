"""Settings through the API: the sales process, quotas, users and teams, with the rights of
their Settings pages (the same services)."""

import pytest

from tandem.accounts.models import User
from tandem.sales.models import Pipeline, Quota, Stage

JSON = "application/json"


ROLES = [("admin", True), ("sales_manager", True), ("marketing_manager", False), ("owner", False)]


@pytest.mark.parametrize(("who", "allowed"), ROLES)
def test_pipelines_and_stages(world, as_user, who, allowed):
    client = as_user(getattr(world, who))
    listed = client.get("/api/pipelines").json()
    assert listed[0]["is_default"] and [s["name"] for s in listed[0]["stages"]][0] == "Qualify"
    made = client.post("/api/pipelines", {"name": "Renewals"}, content_type=JSON)
    assert made.status_code == (201 if allowed else 403)
    pipeline = Pipeline.objects.get(is_default=True)
    stage = client.post(f"/api/pipelines/{pipeline.pk}/stages",
                        {"name": "Proposal", "probability": 60}, content_type=JSON)  # fmt: skip
    assert stage.status_code == (201 if allowed else 403)
    qualify = Stage.objects.get(pipeline=pipeline, name="Qualify")
    renamed = client.put(f"/api/stages/{qualify.pk}",
                         {"name": "Discover", "probability": 15, "kind": "open"},
                         content_type=JSON)  # fmt: skip
    assert renamed.status_code == (200 if allowed else 403)
    qualify.refresh_from_db()
    assert (qualify.name == "Discover") is allowed


def test_quotas_follow_the_managers_team(world, as_user):
    client = as_user(world.sales_manager)
    set_ = client.put("/api/quotas", {"user_id": world.owner.pk, "quarter_start": "2027-02-10",
                                      "amount": "50000"}, content_type=JSON)  # fmt: skip
    assert set_.status_code == 200 and set_.json()["period_start"] == "2027-01-01"
    other_team = client.put("/api/quotas", {"user_id": world.outsider.pk,
                                            "quarter_start": "2027-02-10", "amount": "1"},
                            content_type=JSON)  # fmt: skip
    assert other_team.status_code == 403
    assert [q["user_id"] for q in client.get("/api/quotas").json()] == [world.owner.pk]
    removed = client.put("/api/quotas", {"user_id": world.owner.pk, "quarter_start": "2027-01-01",
                                         "amount": None}, content_type=JSON)  # fmt: skip
    assert removed.status_code == 204 and not Quota.objects.exists()
    assert as_user(world.owner).get("/api/quotas").status_code == 403


def test_users_and_teams_are_an_admins(world, as_user, smtp, django_capture_on_commit_callbacks):
    client = as_user(world.admin)
    invite = {"email": "new.rep@example.com", "role": "sales_rep", "team_id": world.owner.team_id}
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves after the commit
        invited = client.post("/api/users", invite, content_type=JSON)
    assert invited.status_code == 201
    user = User.objects.get(email="new.rep@example.com")
    assert user.team == world.owner.team and not user.has_usable_password()
    assert any("new.rep@example.com" in m["To"] for m in smtp.parsed())
    changed = client.patch(f"/api/users/{user.pk}", {"role": "sales_manager"}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["role"] == "sales_manager"
    team = client.post("/api/teams", {"name": "North", "function": "sales"}, content_type=JSON)
    assert team.status_code == 201
    manager = as_user(world.sales_manager)
    assert manager.get("/api/users").status_code == 403
    assert manager.post("/api/teams", {"name": "Mine", "function": "sales"},
                        content_type=JSON).status_code == 403  # fmt: skip
    assert "North" in [t["name"] for t in manager.get("/api/teams").json()]
