"""Lead-capture forms: the hosted page and the cross-origin endpoint, end to end."""

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.contacts.models import ConsentRecord, Person
from tandem.marketing import capture
from tandem.marketing.models import LeadForm, Submission, Touch
from tests import factories as f

CONSENT = "Yes, send me the product newsletter. I can unsubscribe at any time."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(world):
    return f.lead_form(world.program, world.marketer, consent_wording=CONSENT)


def _post(client, form, **data):
    payload = {"email": "Ada@Example.COM ", "first_name": "Ada", "last_name": "Lovelace"}
    payload.update(data)
    return client.post(f"/f/{form.key}/", {k: v for k, v in payload.items() if v is not None})


def test_hosted_submission_creates_person_touch_and_consent(client, form):
    page = client.get(f"/f/{form.key}/?utm_source=newsletter&utm_campaign=spring")
    assert page.status_code == 200
    assert 'name="utm_source" value="newsletter"' in page.content.decode()

    response = _post(
        client,
        form,
        consent="yes",
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring",
        referrer="https://search.example/?q=crm",
        **{"custom:company": "Analytical Engines"},
    )
    assert response.status_code == 200
    assert form.thank_you in response.content.decode()
    person = Person.objects.get(email_normalized="ada@example.com")
    assert (person.first_name, person.custom) == ("Ada", {"company": "Analytical Engines"})
    assert person.source_program == form.program
    touch = Touch.objects.get(person=person)
    assert (touch.program, touch.kind) == (form.program, "form_submitted")
    assert (touch.utm_source, touch.utm_medium, touch.utm_campaign) == (
        "newsletter",
        "email",
        "spring",
    )
    assert touch.referrer == "https://search.example/?q=crm"
    consent = ConsentRecord.objects.get(person=person)
    assert consent.granted and consent.wording == CONSENT and str(form.pk) in consent.source
    person.refresh_from_db()
    assert person.consent == "granted" and person.consent_at == consent.at


def test_bad_input_rerenders_with_messages_and_the_visitors_input(client, world):
    form = f.lead_form(world.program, consent_wording=CONSENT, consent_required=True)
    response = _post(client, form, email="not-an-email", first_name="<b>Ada</b>", consent=None)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address" in html and "Please tick the box" in html
    assert 'value="not-an-email"' in html and "&lt;b&gt;Ada&lt;/b&gt;" in html
    assert "<b>Ada</b>" not in html
    too_long = _post(client, form, first_name="x" * 101, consent="yes")
    assert too_long.status_code == 200 and "at most 100 characters" in too_long.content.decode()
    assert not Person.objects.filter(email_normalized="not-an-email").exists()
    assert Touch.objects.count() == 0 and Submission.objects.count() == 0


def test_required_fields_are_enforced(client, world):
    fields = [{"name": "email"}, {"name": "last_name", "label": "Surname", "required": True}]
    form = f.lead_form(world.program, fields=fields)
    response = _post(client, form, last_name="")
    assert response.status_code == 200 and "Surname is required." in response.content.decode()


def test_existing_person_is_found_by_normalized_email_and_not_overwritten(client, form, world):
    existing = f.person(
        owner=world.owner, email="ada@example.com", first_name="Augusta", last_name=""
    )
    _post(client, form, email="  ADA@example.com", first_name="Ada", last_name="Lovelace")
    assert Person.objects.filter(email_normalized="ada@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.first_name == "Augusta"  # never overwritten by a stranger's input
    assert existing.last_name == "Lovelace"  # blank fields are filled
    assert existing.owner == world.owner


def test_the_same_submission_within_ten_minutes_records_one_touch(client, form):
    for _ in range(3):
        assert _post(client, form).status_code == 200
    assert Touch.objects.count() == 1 and Submission.objects.count() == 1
    _post(client, form, first_name="Ada B.")  # a different submission is a new touch
    assert Touch.objects.count() == 2


def test_a_repeat_after_ten_minutes_is_a_new_touch(form):
    post = {"email": "ada@example.com", "first_name": "Ada"}
    start = timezone.now()
    capture.submit(form, post, ip="127.0.0.1", now=start)
    capture.submit(form, post, ip="127.0.0.1", now=start + timedelta(minutes=9))
    assert Touch.objects.count() == 1
    capture.submit(form, post, ip="127.0.0.1", now=start + timedelta(minutes=11))
    assert Touch.objects.count() == 2


def test_honeypot_looks_accepted_and_stores_nothing(client, form):
    response = _post(client, form, website="http://spam.example")
    assert response.status_code == 200 and form.thank_you in response.content.decode()
    assert Person.objects.filter(email_normalized="ada@example.com").count() == 0
    assert Touch.objects.count() == 0


def test_cross_origin_json_answers_with_cors_and_errors(client, form):
    ok = client.post(
        f"/f/{form.key}/",
        {"email": "js@example.com"},
        HTTP_ACCEPT="application/json",
        HTTP_ORIGIN="https://customer.example",
    )
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok["Access-Control-Allow-Origin"] == "*"
    bad = client.post(f"/f/{form.key}/", {"email": "nope"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 422 and "email" in bad.json()["errors"]


def test_redirect_only_to_allow_listed_hosts(client, world, settings):
    settings.TANDEM_REDIRECT_HOSTS = ["www.customer.example"]
    settings.DEBUG = False
    form = capture.form_create(
        actor=world.marketer,
        data={
            "program": world.program,
            "name": "Demo request",
            "fields": [],
            "redirect_url": "https://www.customer.example/thanks",
        },
    )
    response = _post(client, form)
    assert response.status_code == 303
    assert response["Location"] == "https://www.customer.example/thanks"
    page = client.get(f"/f/{form.key}/")
    assert "form-action 'self' https://www.customer.example" in page["Content-Security-Policy"]
    with pytest.raises(capture.Invalid):
        capture.form_update(
            actor=world.marketer, form=form, data={"redirect_url": "https://evil.example/"}
        )


def test_builder_rules(world):
    with pytest.raises(capture.Invalid, match="unknown field"):
        capture.clean_fields([{"name": "password"}])
    with pytest.raises(capture.Invalid, match="custom field"):
        capture.clean_fields([{"name": "custom:Bad Name"}])
    fields = capture.clean_fields([{"name": "first_name"}])
    assert fields[0] == {"name": "email", "label": "Email", "required": True}
    with pytest.raises(capture.Invalid, match="wording"):
        capture.form_create(
            actor=world.marketer,
            data={"program": world.program, "name": "X", "consent_required": True},
        )


def test_closed_form_is_not_found(client, form):
    LeadForm.objects.filter(pk=form.pk).update(is_active=False)
    assert client.get(f"/f/{form.key}/").status_code == 404
    assert _post(client, form).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_double_opt_in_confirms_only_by_post(client, smtp, settings):
    world_program = f.program(name="Newsletter")
    form = f.lead_form(world_program, consent_wording=CONSENT, double_opt_in=True)
    response = _post(client, form, consent="yes")
    assert "confirm your subscription" in response.content.decode()
    person = Person.objects.get(email_normalized="ada@example.com")
    assert person.consent == "unknown" and not ConsentRecord.objects.exists()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(smtp.messages) == 1
    body = smtp.parsed()[0].get_content()
    token = Submission.objects.get().confirm_token
    assert f"http://testserver/f/confirm/{token}" in body and CONSENT in body

    page = client.get(f"/f/confirm/{token}")  # what a mail scanner does
    assert page.status_code == 200 and "Yes, confirm" in page.content.decode()
    person.refresh_from_db()
    assert person.consent == "unknown"

    assert client.post(f"/f/confirm/{token}").status_code == 200
    client.post(f"/f/confirm/{token}")  # twice: still one consent record
    person.refresh_from_db()
    assert person.consent == "granted"
    record = ConsentRecord.objects.get()
    assert record.wording == CONSENT and "double opt-in" in record.source
    assert client.get("/f/confirm/not-a-token").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_identical_submissions_at_once_give_one_person_and_one_touch():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    form = f.lead_form(f.program())
    barrier = threading.Barrier(4)
    errors = []

    def submit():
        try:
            barrier.wait()
            capture.submit(form, {"email": "race@example.com", "first_name": "R"}, ip="1.2.3.4")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Person.objects.filter(email_normalized="race@example.com").count() == 1
    assert Touch.objects.count() == 1 and Submission.objects.count() == 1


def test_script_payloads_show_escaped_on_the_person_page(client, world, as_user):
    form = f.lead_form(world.program)
    payload = "<script>alert(1)</script>"
    _post(
        client,
        form,
        email="xss@example.com",
        first_name=payload,
        utm_source=payload,
        utm_campaign='"><img src=x onerror=alert(2)>',
        referrer="javascript:alert(3)//<script>",
    )
    person = Person.objects.get(email_normalized="xss@example.com")
    html = as_user(world.marketer).get(f"/contacts/people/{person.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    assert "javascript:alert(3)//&lt;script&gt;" in html


def test_forms_api(world, as_user):
    client = as_user(world.marketer)
    payload = {
        "name": "Webinar signup",
        "program_id": world.program.pk,
        "fields": [{"name": "first_name", "required": True}, {"name": "custom:role"}],
        "consent_wording": CONSENT,
    }
    created = client.post("/api/forms", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["public_url"] == f"http://testserver/f/{body['key']}/"
    assert [f["name"] for f in body["fields"]] == ["email", "first_name", "custom:role"]
    bad = client.post(
        "/api/forms",
        {**payload, "fields": [{"name": "is_superuser"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "unknown field" in bad.content.decode()
    patched = client.patch(
        f"/api/forms/{body['id']}", {"is_active": False}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    LeadForm.objects.filter(pk=body["id"]).update(is_active=True)
    client.post(f"/f/{body['key']}/", {"email": "s@example.com", "first_name": "S"})
    subs = client.get(f"/api/forms/{body['id']}/submissions").json()
    assert len(subs) == 1 and subs[0]["data"]["email"] == "s@example.com"


def test_builder_page_saves_fields(world, as_user):
    client = as_user(world.marketer)
    response = client.post(
        "/marketing/forms/new",
        {
            "name": "Trade show scan",
            "program": world.program.pk,
            "thank_you": "Thanks!",
            "is_active": "on",
            "field-count": "3",
            "field-0-name": "email",
            "field-0-required": "1",
            "field-1-name": "custom",
            "field-1-custom": "booth",
            "field-1-label": "Booth",
            "field-2-name": "",
            "idempotency_key": "form-once",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    form = LeadForm.objects.get(name="Trade show scan")
    assert [x["name"] for x in form.fields] == ["email", "custom:booth"]
    detail = client.get(response["Location"]).content.decode()
    assert f"/f/{form.key}/" in detail and "data-tandem-form" in detail
    assert "name=&quot;custom:booth&quot;" in detail  # escaped inside the snippet box


def _rows_of(person):
    """Every row one submission wrote for the person, as field values: ids, times and the
    address itself left out so two people's rows compare."""
    from tandem.contacts.models import LifecycleTransition
    from tandem.core.models import TimelineEntry

    skip = {"id", "person", "touch", "target_id", "created_at", "updated_at", "at", "occurred_at",
            "stage_changed_at", "consent_at", "first_touch_at", "fingerprint",
            "confirm_token"}  # fmt: skip
    email = person.email_normalized

    def plain(obj):
        out = {}
        for field in obj._meta.concrete_fields:
            if field.name in skip:
                continue
            value = field.value_from_object(obj)
            if isinstance(value, str):
                value = value.replace(email, "EMAIL").replace(email.split("@")[0], "LOCAL")
            elif isinstance(value, dict):
                value = {k: str(v).replace(email, "EMAIL") for k, v in value.items()}
            out[field.name] = value
        return out

    timeline = TimelineEntry.objects.filter(target_type="person", target_id=person.pk)
    return {
        "person": plain(person),
        "transitions": [plain(t) for t in LifecycleTransition.objects.filter(person=person)],
        "touches": [plain(t) for t in Touch.objects.filter(person=person)],
        "submissions": [plain(s) for s in Submission.objects.filter(person=person)],
        "consents": [plain(c) for c in ConsentRecord.objects.filter(person=person)],
        "timeline": sorted((e.verb, e.via, e.summary.replace(email, "EMAIL")) for e in timeline),
    }


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)
@pytest.mark.parametrize("double_opt_in", [False, True])
def test_a_new_persons_submission_in_one_statement_writes_what_the_orm_path_writes(
    world, monkeypatch, double_opt_in
):
    """A new address goes in with one statement (core.chain); a webhook listener sends it the
    ORM way. Both must leave the very same rows."""
    from tandem.core import webhooks

    form = f.lead_form(world.program, consent_wording=CONSENT, double_opt_in=double_opt_in,
                       fields=capture.clean_fields([{"name": "first_name"},
                                                    {"name": "custom:company"}]))  # fmt: skip
    payload = {"first_name": "Ada", "consent": "yes", "custom:company": "Engines",
               "utm_source": "news", "referrer": "https://r.example/"}  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        fast = capture.submit(form, {**payload, "email": "fast@example.com"}, ip="10.0.0.1")
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1 and writes[0].count("INSERT INTO") == 5 + (not double_opt_in)
    monkeypatch.setattr(webhooks, "listening", lambda: True)
    slow = capture.submit(form, {**payload, "email": "slow@example.com"}, ip="10.0.0.1")
    assert fast.accepted and slow.accepted and not fast.errors
    assert fast.pending_confirmation == slow.pending_confirmation == double_opt_in
    people = {p.email_normalized: p for p in Person.objects.all()}
    one, other = people["fast@example.com"], people["slow@example.com"]
    assert _rows_of(one) == _rows_of(other)
    sub = Submission.objects.get(person=one)
    assert sub.pk == fast.submission.pk and sub.touch_id == Touch.objects.get(person=one).pk
    assert sub.fingerprint == capture._fingerprint(form, fast.values)
    assert bool(sub.confirm_token) == double_opt_in
    assert one.source_program_id == form.program_id and one.first_touch_at == sub.at


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)
def test_the_one_statement_is_prepared_once_and_the_orms_queries_are_not(world):
    """Django turns psycopg's preparing off, which silently ignored the chain's prepare=True:
    the database parsed and planned the eight INSERTs on every submission."""
    form = f.lead_form(world.program, consent_wording=CONSENT)
    cursors = []
    for n in range(3):
        assert capture.submit(form, {"email": f"p{n}@example.com", "consent": "yes"}, ip=None)
        cursors.append(connection._chain_cursor[1])
    # one cursor a connection: its parameters' dumpers stay known
    assert cursors[0] is cursors[1] is cursors[2]
    for _ in range(10):
        Person.objects.filter(email_normalized="p1@example.com").count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 1 and prepared[0].startswith('WITH "person" AS (INSERT')


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)
def test_a_known_or_erased_address_takes_the_orm_path(world):
    from tandem.contacts import privacy

    form = f.lead_form(world.program, consent_wording=CONSENT)
    first = capture.submit(form, {"email": "back@example.com", "first_name": "B"}, ip=None)
    again = capture.submit(form, {"email": "Back@Example.com", "first_name": "Bea"}, ip=None)
    assert first.accepted and again.accepted and not again.repeated
    assert Person.objects.filter(email_normalized="back@example.com").count() == 1
    assert Touch.objects.filter(person__email_normalized="back@example.com").count() == 2

    erased = f.person(email="gone@example.com")
    privacy.erase(actor=world.admin, person=erased)
    outcome = capture.submit(form, {"email": "gone@example.com", "consent": "yes"}, ip=None)
    person = Person.objects.get(email_normalized="gone@example.com")
    assert outcome.accepted and person.unsubscribed_at is not None
    assert person.consent == "withdrawn"
