"""API tokens: an optional expiry, a last-used time, revocable by their owner and an admin,
and void after a password change or a deactivation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.accounts import services
from tandem.accounts.models import ApiToken

JSON = "application/json"


def _get(client, raw, path="/api/people"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_works_and_records_its_last_use(world, client):
    token, raw = services.api_token_create(actor=world.marketer, name="ci", expires_in_days=30)
    assert _get(client, raw).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.expires_at - timezone.now() > timedelta(days=29)


def test_an_expired_token_is_refused(world, client):
    token, raw = services.api_token_create(actor=world.marketer, name="short", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(client, raw)
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "unauthenticated"


def test_a_password_change_voids_every_token(world, client):
    _, raw = services.api_token_create(actor=world.marketer, name="old")
    assert _get(client, raw).status_code == 200
    world.marketer.set_password("a-new-password-123")
    world.marketer.save()
    assert _get(client, raw).status_code == 401
    _, fresh = services.api_token_create(actor=world.marketer, name="new")
    assert _get(client, fresh).status_code == 200


def test_a_deactivated_user_loses_the_token(world, client):
    _, raw = services.api_token_create(actor=world.owner, name="rep")
    world.owner.is_active = False
    world.owner.save()
    assert _get(client, raw).status_code == 401


def test_tokens_are_listed_and_revoked_by_owner_and_admin(world, as_user):
    mine, _ = services.api_token_create(actor=world.marketer, name="mine")
    theirs, raw = services.api_token_create(actor=world.owner, name="theirs")
    client = as_user(world.marketer)
    assert [t["name"] for t in client.get("/api/tokens").json()] == ["mine"]
    assert client.post(f"/api/tokens/{theirs.pk}/revoke").status_code == 404
    assert client.post(f"/api/tokens/{mine.pk}/revoke").json()["revoked_at"] is not None
    admin = as_user(world.admin)
    assert {t["name"] for t in admin.get("/api/tokens").json()} == {"mine", "theirs"}
    assert admin.post(f"/api/tokens/{theirs.pk}/revoke").status_code == 200
    admin.logout()
    assert _get(admin, raw).status_code == 401


def test_token_created_by_api_shows_its_key_once(world, as_user):
    client = as_user(world.marketer)
    created = client.post("/api/tokens", {"name": "bot", "expires_in_days": 7}, content_type=JSON)
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("tdm_") and body["expires_at"]
    assert "key" not in client.get("/api/tokens").json()[0]
    assert ApiToken.objects.get(pk=body["id"]).key_hash != body["key"]


@pytest.mark.parametrize("days", [0, 3651, -1])
def test_token_expiry_is_bounded(world, as_user, days):
    client = as_user(world.marketer)
    response = client.post("/api/tokens", {"name": "x", "expires_in_days": days}, content_type=JSON)
    assert response.status_code == 422


def test_the_account_page_creates_a_token_with_an_expiry(world, as_user):
    client = as_user(world.marketer)
    page = client.post("/accounts/me/", {"name": "laptop", "expires_in_days": "30"})
    assert page.status_code == 200 and b"new-token" in page.content
    token = ApiToken.objects.get(name="laptop")
    assert token.expires_at is not None and token.state == "active"
