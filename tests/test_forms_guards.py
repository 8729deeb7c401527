"""What guards the public form: the rate limits (per address, site-wide, on Redis and in
process, the window) and values no check looked at (NUL, a client address that is not an IP)."""

import time
import uuid

import pytest
from django.core.cache import cache

from tandem.marketing.models import Submission, Touch
from tests import test_forms as base

_fresh_rate_limits = base._fresh_rate_limits  # the rate limits start afresh in each test
form = base.form
_post = base._post

REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
         "LOCATION": "redis://127.0.0.1:6379/13", "KEY_PREFIX": "tandem-test-rate"}  # fmt: skip


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_per_ip_and_global_rate_limits(client, form, settings, backend):
    """On Redis the two counts go in one pipeline of INCRs; the cache reads them as its own."""
    if backend == "redis":
        settings.CACHES = {"default": {**REDIS, "KEY_PREFIX": f"tandem-test-rate-{uuid.uuid4()}"}}
    settings.TANDEM_FORM_RATE_PER_IP = 3
    codes = [_post(client, form, email=f"p{i}@example.com").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = client.post(f"/f/{form.key}/", {"email": "other@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # another address has its own allowance
    settings.TANDEM_FORM_RATE_PER_IP = 1000
    settings.TANDEM_FORM_RATE_GLOBAL = 6  # six attempts so far, refused ones too
    blocked = client.post(f"/f/{form.key}/", {"email": "x@example.com"}, REMOTE_ADDR="10.0.0.10")
    assert blocked.status_code == 429
    assert Touch.objects.count() == 4
    slot = int(time.time() // 60)
    counted = cache.get(f"rate:form-all:{slot}") or cache.get(f"rate:form-all:{slot - 1}")
    assert counted is not None and 1 <= counted <= 7  # the window may have turned meanwhile


def test_nul_in_what_the_form_does_not_check_and_a_bad_client_address_are_no_500(client, form):
    """UTM values, the referrer and its header are kept as given but for NUL (a text column
    refuses it on PostgreSQL); an address that is not an IP is not stored; a key with NUL is
    no form."""
    response = client.post(
        f"/f/{form.key}/",
        {"email": "nul@example.com", "utm_source": "news\x00letter", "referrer": "https://r\x00/"},
        HTTP_ACCEPT="application/json", REMOTE_ADDR="not-an-ip",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    touch = Touch.objects.get(person__email_normalized="nul@example.com")
    assert (touch.utm_source, touch.referrer) == ("newsletter", "https://r/")
    assert Submission.objects.get(person=touch.person).ip is None
    response = client.post(f"/f/{form.key}/", {"email": "nul2@example.com"},
                           HTTP_REFERER="https://x\x00y/", REMOTE_ADDR="2001:db8::1")  # fmt: skip
    assert response.status_code == 200
    touch = Touch.objects.get(person__email_normalized="nul2@example.com")
    assert touch.referrer == "https://xy/"
    assert Submission.objects.get(person=touch.person).ip == "2001:db8::1"
    assert client.post("/f/a%00b/", {"email": "k@example.com"}).status_code == 404


def test_a_count_started_by_another_request_meanwhile_goes_on(settings):
    """The slot missing at the first incr but added by a concurrent request before our add:
    the count goes on from that one (2), it does not start again at 1."""
    from django.core.cache.backends.locmem import LocMemCache

    from tandem.core import ratelimit

    class Racing(LocMemCache):
        raced = False

        def add(self, key, value, timeout=None, version=None):
            if not self.raced:  # the other request's add lands first
                self.raced = True
                super().add(key, 1, timeout, version)
            return super().add(key, value, timeout, version)

    racing = Racing("race", {})
    assert ratelimit._count(racing, "rate:x:1", 60) == 2
    assert ratelimit._count(racing, "rate:x:1", 60) == 3  # and counts on, one operation each


def test_the_rate_limit_window_is_a_setting(client, form, settings, monkeypatch):
    from tandem.core import ratelimit

    now = [1_800_000_000.0]  # 08:00 UTC
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    settings.TANDEM_FORM_RATE_PER_IP = 1
    assert _post(client, form, email="a@example.com").status_code == 200
    assert _post(client, form, email="b@example.com").status_code == 429
    now[0] += 120  # a minute's window has turned twice since
    assert _post(client, form, email="c@example.com").status_code == 200
    settings.TANDEM_FORM_RATE_WINDOW = 86400
    assert _post(client, form, email="d@example.com").status_code == 200
    now[0] += 120  # a new minute, but the same day
    assert _post(client, form, email="e@example.com").status_code == 429
