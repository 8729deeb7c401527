"""Accounts that resist attack: failed sign-ins limited per account and per address, password
reset by a mailed single-use link, invitations that verify the address, two factors required
for admins, deactivation and "log out everywhere" that end sessions and tokens."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tandem.accounts import services, users
from tandem.accounts.models import ApiToken
from tests import factories as f

PASSWORD = "pw-test-123"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the rate limits count in the cache
    yield
    cache.clear()


def _login(client, login, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"login": login, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_createsuperuser_makes_an_admin(db):
    call_command("createsuperuser", "--noinput", username="boss", email="boss@x.test",
                 verbosity=0)  # fmt: skip
    assert get_user_model().objects.get(username="boss").role == "admin"


def test_sign_in_by_username_or_email(world):
    world.marketer.email = "mia@x.test"
    world.marketer.save()
    client = Client()
    assert _login(client, "MIA@x.test", PASSWORD).status_code == 302 and _signed_in(client)
    other = Client()
    assert _login(other, world.marketer.username, PASSWORD).status_code == 302


def test_twenty_wrong_passwords_then_the_right_one_is_still_refused(world):
    client = Client()
    for _ in range(20):
        assert _login(client, world.marketer.username, "wrong").status_code == 200
    response = _login(client, world.marketer.username, PASSWORD, ip="10.0.0.2")
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert not _signed_in(client)
    assert _login(Client(), world.owner.username, PASSWORD, ip="10.0.0.3").status_code == 302


def test_one_address_trying_many_accounts_is_stopped(world):
    client = Client()
    for i in range(12):
        _login(client, f"nobody{i}", "guess", ip="10.9.9.9")
    blocked = _login(client, world.owner.username, PASSWORD, ip="10.9.9.9")
    assert blocked.status_code in (200, 429) and not _signed_in(client)
    elsewhere = Client()
    assert _login(elsewhere, world.owner.username, PASSWORD, ip="10.9.9.10").status_code == 302


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+", body).group(0)


def test_password_reset_by_a_mailed_single_use_link(world, smtp):
    world.owner.email = "owner@x.test"
    world.owner.save()
    client = Client()
    sent = client.post("/accounts/password/reset/", {"email": "owner@x.test"})
    assert sent.status_code == 302
    link = _link(smtp.parsed()[-1]).replace("http://testserver", "")
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "a-brand-new-pass-42", "password2": "a-brand-new-pass-42"},
        follow=True,
    )
    assert 'data-testid="reset-done"' in done.content.decode()
    assert _login(Client(), world.owner.username, "a-brand-new-pass-42").status_code == 302
    again = Client().get(link, follow=True)
    assert 'data-testid="reset-bad-link"' in again.content.decode()


def test_a_reset_link_expires(world, smtp, settings):
    world.owner.email = "owner@x.test"
    world.owner.save()
    client = Client()
    client.post("/accounts/password/reset/", {"email": "owner@x.test"})
    link = _link(smtp.parsed()[-1]).replace("http://testserver", "")
    settings.PASSWORD_RESET_TIMEOUT = -1
    page = client.get(link, follow=True)
    assert 'data-testid="reset-bad-link"' in page.content.decode()


def test_nobody_signs_up(db):
    response = Client().post(
        "/accounts/signup/",
        {
            "email": "x@x.test",
            "username": "x",
            "password1": "pw-x-123456",
            "password2": "pw-x-123456",
        },
    )
    assert "by invitation" in response.content.decode()
    assert not get_user_model().objects.filter(username="x").exists()


def test_an_admin_invites_and_the_link_sets_the_password_once(
    world, smtp, as_user, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress

    admin = as_user(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post(
        "/settings/users/",
        {"email": "new.rep@x.test", "first_name": "Nora", "last_name": "Rep",
         "role": "sales_rep", "team": world.owner.team_id},
    )  # fmt: skip
    assert page.status_code == 302
    nora = get_user_model().objects.get(email="new.rep@x.test")
    assert (nora.role, nora.team, nora.has_usable_password()) == ("sales_rep", world.owner.team,
                                                                 False)  # fmt: skip
    assert not EmailAddress.objects.get(user=nora).verified
    assert _login(Client(), "new.rep@x.test", "").status_code == 200  # no password yet
    link = _link(smtp.parsed()[-1]).replace("http://testserver", "")
    guest = Client()
    assert "Welcome, Nora" in guest.get(link).content.decode()
    mismatch = guest.post(link, {"password1": "nora-secret-99", "password2": "other-99"})
    assert "The two passwords differ" in mismatch.content.decode()
    joined = guest.post(link, {"password1": "nora-secret-99", "password2": "nora-secret-99"})
    assert joined.status_code == 302 and _signed_in(guest)
    assert EmailAddress.objects.get(user=nora).verified
    used = Client().get(link)
    assert used.status_code == 404 and 'data-testid="invite-bad-link"' in used.content.decode()
    assert _login(Client(), "new.rep@x.test", "nora-secret-99").status_code == 302


def test_only_admins_invite_and_roles_match_teams(world, as_user):
    assert as_user(world.sales_manager).get("/settings/users/").status_code == 403
    response = as_user(world.admin).post(
        "/settings/users/", {"email": "m@x.test", "role": "marketer", "team": world.owner.team_id}
    )
    assert response.status_code == 200 and "is a sales team" in response.content.decode()
    assert not get_user_model().objects.filter(email="m@x.test").exists()


def test_deactivating_ends_sessions_and_tokens(world, as_user):
    victim = Client()
    assert _login(victim, world.owner.username, PASSWORD).status_code == 302
    _, raw = services.api_token_create(actor=world.owner, name="t")
    admin = as_user(world.admin)
    response = admin.post(
        f"/settings/users/{world.owner.pk}/",
        {"first_name": "O", "last_name": "W", "role": "sales_rep", "team": world.owner.team_id,
         "capacity": 100},
    )  # fmt: skip
    assert response.status_code == 302
    world.owner.refresh_from_db()
    assert not world.owner.is_active
    assert not _signed_in(victim)
    assert ApiToken.objects.get(user=world.owner).revoked_at is not None
    assert Client().get("/api/people", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_an_admin_cannot_demote_or_deactivate_themselves(world, as_user):
    response = as_user(world.admin).post(
        f"/settings/users/{world.admin.pk}/",
        {"first_name": "R", "last_name": "T", "role": "sales_rep", "capacity": 100,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    world.admin.refresh_from_db()
    assert world.admin.role == "admin"


def test_log_out_everywhere_ends_the_other_sessions(world):
    laptop, phone = Client(), Client()
    assert _login(laptop, world.owner.username, PASSWORD).status_code == 302
    assert _login(phone, world.owner.username, PASSWORD, ip="10.0.0.7").status_code == 302
    assert laptop.post("/accounts/me/logout-everywhere").status_code == 302
    assert _signed_in(laptop) and not _signed_in(phone)


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238, written here so the test does not trust the code under test."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_admins_must_set_up_two_factors_then_sign_in_with_a_code(world, settings):
    settings.TANDEM_ADMIN_MFA_REQUIRED = True
    client = Client()
    assert _login(client, world.admin.username, PASSWORD).status_code == 302
    forced = client.get("/contacts/people/")
    assert forced.status_code == 302 and forced["Location"] == "/accounts/2fa/totp/activate/"
    asked = client.get("/accounts/2fa/totp/activate/")  # a sensitive change: the password again
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert activated.status_code == 302
    assert client.get("/contacts/people/").status_code == 200
    later = Client()
    first = _login(later, world.admin.username, PASSWORD)
    assert first.status_code == 302 and first["Location"].startswith("/accounts/2fa/authenticate")
    assert not _signed_in(later)  # the password alone is not enough
    done = later.post("/accounts/2fa/authenticate/", {"code": totp(secret, time.time() + 30)})
    assert done.status_code == 302 and _signed_in(later)


def test_two_factors_are_optional_for_others(world, settings):
    settings.TANDEM_ADMIN_MFA_REQUIRED = True
    client = Client()
    assert _login(client, world.marketer.username, PASSWORD).status_code == 302
    assert client.get("/contacts/people/").status_code == 200


def test_the_django_admin_signs_in_through_the_same_door(world):
    response = Client().get("/admin/")
    assert response.status_code == 302
    login = Client().get(response["Location"], follow=True)
    assert login.redirect_chain[-1][0].startswith("/accounts/login/")


def test_invitation_tokens_are_bound_to_the_user_and_expire(world, settings):
    user = get_user_model().objects.create(username="inv", email="inv@x.test", role="marketer")
    user.set_unusable_password()
    user.save()
    token = users.invitation_token(user)
    assert users.invited_user(token) == user
    settings.TANDEM_INVITE_DAYS = -1
    with pytest.raises(Exception, match="not valid"):
        users.invited_user(token)
    settings.TANDEM_INVITE_DAYS = 7
    tampered = token[:-2] + ("aa" if token[-2:] != "aa" else "bb")
    with pytest.raises(Exception, match="not valid"):
        users.invited_user(tampered)
    f.person()  # unrelated writes do not disturb a token
    assert users.invited_user(token) == user


def test_a_recovery_code_signs_in_once(world, settings):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(world.admin, generate_totp_secret())
    codes = RecoveryCodes.activate(world.admin).get_unused_codes()
    assert len(codes) == 10 and Authenticator.objects.filter(user=world.admin).count() == 2
    client = Client()
    assert _login(client, world.admin.username, PASSWORD)["Location"].startswith(
        "/accounts/2fa/authenticate"
    )
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert _signed_in(client)
    again = Client()
    _login(again, world.admin.username, PASSWORD)
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200
    assert not _signed_in(again)


def test_pages_forbid_inline_scripts_and_sessions_expire(world, as_user, settings):
    for client, url in ((Client(), "/accounts/login/"), (as_user(world.marketer), "/")):
        csp = client.get(url)["Content-Security-Policy"]
        script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "'nonce-" in script
    client = Client()
    _login(client, world.marketer.username, PASSWORD)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 12 * 3600
