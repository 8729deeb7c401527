"""The public form's POST through the lean handler and its express path (tandem.core.lean, as
config/wsgi.py serves them) answers as Django's full handler does: the same status, headers
and body, the same rows, the same log, for every ending a submission can have."""

import io
import json
import re
from urllib.parse import urlencode

import pytest
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from tandem.contacts.models import ConsentRecord, Person
from tandem.core import lean
from tandem.marketing import capture
from tandem.marketing.models import Submission, Touch
from tests import factories as f

CONSENT = "Send me the newsletter."
# What differs between two answers by design: the CSP nonce and the CSRF token of a page.
VARYING = re.compile(
    r"nonce-[\w+/=-]+|nonce=\"[\w+/=-]+\"|csrftoken=\w+|csrfmiddlewaretoken\" value=\"\w+"
    r"|X-CSRFToken\": \"\w+"
)


@pytest.fixture(scope="module")
def apps():
    from config.wsgi import application

    return {"lean": application, "full": WSGIHandler()}


@pytest.fixture(autouse=True)
def _one_connection():
    """As django.test.Client does: the test's transaction outlives each request."""
    cache.clear()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    cache.clear()


@pytest.fixture
def served(monkeypatch):
    """Which requests the lean handler's view ("lean", path) and the express path ("express",
    path) answered."""
    calls = []
    view, respond = lean.Handler._call_view, lean.Express._respond
    monkeypatch.setattr(
        lean.Handler, "_call_view",
        lambda self, r: calls.append(("lean", r.path)) or view(self, r),
    )  # fmt: skip
    monkeypatch.setattr(
        lean.Express, "_respond",
        lambda self, r, *a: calls.append(("express", r.path)) or respond(self, r, *a),
    )  # fmt: skip
    return calls


@pytest.fixture
def form(world):
    return f.lead_form(world.program, consent_wording=CONSENT)


def call(app, path, data=None, *, method="POST", accept="application/json", host="testserver",
         body=None, query="", content_type="application/x-www-form-urlencoded",
         stream=None):  # fmt: skip
    body = urlencode(data or {}).encode() if body is None else body
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": query,
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": host,
        "HTTP_ACCEPT": accept, "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": stream or io.BytesIO(body),
        "wsgi.url_scheme": "http", "REMOTE_ADDR": "203.0.113.9", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.errors": io.StringIO(),
    }  # fmt: skip
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    chunks = app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()  # a WSGI answer may have no close()
    return answer["status"], dict(answer["headers"]), content.decode()


def _shown(headers: dict, nonce, vary: bool) -> dict:
    """The headers but the length, and "Vary: Cookie" where the other handler has none: the
    full handler's session middleware adds it when it looked for a session, though a form's
    answer never depends on one (the lean handler reads no cookie)."""
    skip = {"Content-Length"} | (
        {"Vary"} if not vary and headers.get("Vary") == "Cookie" else set()
    )
    return {k: nonce.sub("N", v) for k, v in headers.items() if k not in skip}


def alike(apps, path, data_for, **kw):
    """Both handlers' answers, checked equal but for the CSP nonce and what data_for(name)
    makes differ (an email address)."""
    answers = {
        name: call(app, path, data_for and data_for(name), **kw) for name, app in apps.items()
    }
    (s1, h1, b1), (s2, h2, b2) = answers["lean"], answers["full"]
    nonce = VARYING
    assert s1 == s2
    assert _shown(h1, nonce, "Vary" in h2) == _shown(h2, nonce, "Vary" in h1)
    assert nonce.sub("N", b1) == nonce.sub("N", b2)
    return s1, h1, b1


def visitor(**extra):
    def data_for(name):
        return {"email": f"ada-{name}@example.com", "first_name": "Ada", "last_name": "Byron",
                "consent": "yes", "utm_source": "news", "custom:company": "Engines",
                **extra}  # fmt: skip

    return data_for


def test_a_new_visitor_is_captured_alike(apps, form, served):
    status, headers, body = alike(apps, f"/f/{form.key}/", visitor())
    assert status == "200 OK" and json.loads(body)["ok"] is True
    assert served == [("express", f"/f/{form.key}/")]  # the lean handler's express path took
    # the POST, Django the other
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["X-Content-Type-Options"] == "nosniff" and "X-Frame-Options" in headers
    stored = {}
    for name in ("lean", "full"):
        person = Person.objects.get(email_normalized=f"ada-{name}@example.com")
        touch = Touch.objects.get(person=person)
        stored[name] = (
            person.first_name, person.custom, person.source_program_id, person.consent,
            person.lifecycle_stage, touch.program_id, touch.utm_source,
            Submission.objects.get(person=person).data | {"email": ""},
            ConsentRecord.objects.get(person=person).wording,
            sorted(person.transitions.values_list("to_stage", flat=True)),
        )  # fmt: skip
    assert stored["lean"] == stored["full"]
    assert stored["lean"][0:4] == ("Ada", {"company": "Engines"}, form.program_id, "granted")


def test_a_known_visitor_an_invalid_one_and_a_bot_alike(apps, form, served):
    alike(apps, f"/f/{form.key}/", visitor())
    status, _, body = alike(apps, f"/f/{form.key}/", visitor(first_name="Augusta"))
    assert status == "200 OK" and Touch.objects.filter(program=form.program).count() == 4

    status, _, body = alike(apps, f"/f/{form.key}/", lambda n: {"email": f"not-an-email-{n}"})
    assert (
        status == "422 Unprocessable Entity"
        and "valid email" in json.loads(body)["errors"]["email"]
    )

    before = Person.objects.count()
    status, _, _ = alike(apps, f"/f/{form.key}/", visitor(**{capture.HONEYPOT: "spam"}))
    assert status == "200 OK" and Person.objects.count() == before
    assert [how for how, _ in served] == ["express"] * 4


def test_the_express_path_reads_the_fields_as_django_does(apps, form, served):
    """A repeated name counts its last value (QueryDict.get); a charset in the content type; a
    body not in UTF-8 is read as Latin-1, as QueryDict reads it; too many fields are Django's
    to refuse."""
    path = f"/f/{form.key}/"
    status, _, _ = alike(apps, path, None, body=b"email=first%40example.com&email=x-{n}")
    assert status == "422 Unprocessable Entity"
    for name in ("lean", "full"):
        body = f"email=not-this&email=last-{name}%40example.com&first_name=Ada".encode()
        call(apps[name], path, body=body, content_type="application/x-www-form-urlencoded; "
             "charset=UTF-8")  # fmt: skip
        body = f"email=latin-{name}%40example.com&first_name=Caf\xe9".encode("latin-1")
        assert call(apps[name], path, body=body)[0] == "200 OK"
    for name in ("lean", "full"):
        assert Person.objects.get(email_normalized=f"last-{name}@example.com").first_name == "Ada"
        assert Person.objects.get(email_normalized=f"latin-{name}@example.com").first_name == (
            "Caf\xe9"
        )
    assert [how for how, _ in served] == ["express"] * 3
    served.clear()
    big = "&".join(f"f{i}=x" for i in range(1001)).encode()
    status, _, _ = alike(apps, path, None, body=big)
    assert status == "400 Bad Request" and served == [("lean", path)]  # Django's refusal


class _Broken(io.RawIOBase):
    """A client gone in the middle of its body."""

    def read(self, size=-1):
        raise OSError("connection reset")


class _Counted(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads = 0

    def read(self, size=-1):
        self.reads += 1
        return super().read(size)


def test_an_unknown_form_or_a_refused_attempt_never_reads_the_body(apps, form, settings):
    """As Django's view: the form is looked up and the attempt counted before the body is
    read, so a slow upload to an unknown or rate-limited form holds no worker."""
    body = urlencode(visitor()("x")).encode()
    settings.TANDEM_FORM_RATE_PER_IP = 0
    for path, expected in (("/f/no-such-form/", "404 Not Found"),
                           (f"/f/{form.key}/", "429 Too Many Requests")):  # fmt: skip
        for name, app in apps.items():
            stream = _Counted(body)
            status, _, _ = call(app, path, body=body, stream=stream)
            assert (status, stream.reads) == (expected, 0), name
            assert call(app, path, body=body, stream=_Broken())[0] == expected, name


def test_a_body_that_cannot_be_read_answers_as_django_does(apps, form, served, settings):
    settings.TANDEM_FORM_RATE_PER_IP = 2
    for name, app in apps.items():
        status, _, _ = call(app, f"/f/{form.key}/", body=b"x" * 40, stream=_Broken())
        assert status == "500 Internal Server Error", name
    assert served == [("lean", f"/f/{form.key}/")]  # Django answered, not the express path
    # each attempt counted, on both paths: the third is one too many
    assert call(apps["lean"], f"/f/{form.key}/", visitor()("lean"))[0] == "429 Too Many Requests"


def test_a_refusal_is_logged_as_django_logs_it(apps, form, caplog):
    logged = {}
    for name, app in apps.items():
        caplog.clear()
        with caplog.at_level("WARNING", logger="django.request"):
            call(app, f"/f/{form.key}/", {"email": "nope"})
        logged[name] = [(r.levelname, r.getMessage(), r.status_code) for r in caplog.records]
    assert logged["lean"] == logged["full"]
    assert logged["lean"] == [("WARNING", f"Unprocessable Entity: /f/{form.key}/", 422)]


def test_the_hosted_page_endings_alike(apps, world, served):
    """A browser's POST (HTML): the thank-you page, the form again with its messages."""
    form = f.lead_form(world.program, consent_wording=CONSENT, consent_required=True)
    page = "text/html,application/xhtml+xml"
    status, headers, body = alike(apps, f"/f/{form.key}/", visitor(), accept=page)
    assert status == "200 OK" and form.thank_you in body and "Content-Security-Policy" in headers
    status, _, body = alike(
        apps, f"/f/{form.key}/", lambda n: {"email": "<b>x</b>", "first_name": "<i>"}, accept=page
    )
    assert status == "200 OK" and "Please tick the box" in body and "<i>" not in body
    assert [how for how, _ in served] == ["lean", "lean"]  # a page is Django's to render


def test_refusals_alike(apps, form, settings, served):
    """An unknown form, a host not allowed, a body over the limit, the rate limit."""
    status, _, _ = alike(apps, "/f/no-such-form/", visitor())
    assert status == "404 Not Found"
    status, _, _ = alike(apps, f"/f/{form.key}/", visitor(), host="evil.example")
    assert status == "400 Bad Request"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, _, _ = alike(apps, f"/f/{form.key}/", visitor(first_name="A" * 2000))
    assert status == "400 Bad Request" and not Person.objects.filter(first_name="A" * 2000).exists()
    settings.TANDEM_FORM_RATE_PER_IP = 1  # one POST per handler so far (the 404 and the refusals)
    status, _, body = alike(apps, f"/f/{form.key}/", visitor())
    assert status == "429 Too Many Requests" and "Too many" in body
    # Django took the unknown form and the body over the limit; the host check refused one
    # before any view; the express path answered the rate limit.
    assert [how for how, _ in served] == ["lean", "lean", "express"]


def test_a_failure_answers_500_alike_and_other_requests_take_django(
    apps, form, served, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(capture, "submit", broken)
    status, _, _ = alike(apps, f"/f/{form.key}/", visitor())
    assert status == "500 Internal Server Error"
    assert served == [("lean", f"/f/{form.key}/")]  # the express path's failure, Django's 500
    for path, method in ((f"/f/{form.key}/", "GET"), ("/f/confirm/abc", "POST"),
                         (f"/f/{form.key}/extra/", "POST")):  # fmt: skip
        call(apps["lean"], path, {}, method=method)
    assert len(served) == 1
