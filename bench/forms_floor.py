"""The floor for form capture: a bare WSGI app, no framework, writing the rows one Tandem
submission writes (a new person, its first lifecycle step, the touch, the submission, the
consent proof, two timeline entries) in one statement, its own transaction, as Tandem's
form endpoint does for a new address.

bench/forms_load.py serves it with the same granian configuration as Tandem and alternates
the two. It reads BENCH_FLOOR_DB (a PostgreSQL URL) and the form's ids from BENCH_FLOOR_FORM
("form_id,program_id"). It parses the body, checks the email and writes; it does none of what
a product adds (rate limits, the erased-address and repeat checks' Python, the timeline's
model, webhooks), so the ratio is what the product costs.
"""

import hashlib
import hmac
import json
import os
import threading
from datetime import UTC, datetime
from urllib.parse import parse_qs

import psycopg

DB = os.environ.get("BENCH_FLOOR_DB", "postgresql://postgres@127.0.0.1:5432/tandem_forms")
FORM_ID, PROGRAM_ID = (int(x) for x in os.environ.get("BENCH_FLOOR_FORM", "1,1").split(","))
ERASE_KEY = hashlib.sha256(f"tandem-erasure:{os.environ.get('SECRET_KEY', '')}".encode()).digest()
WORDING = "Send me news."
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

SQL = """
WITH person AS (
  INSERT INTO contacts_person (created_at, updated_at, email, email_normalized, first_name,
    last_name, title, phone, organization_id, country, region, city, lifecycle_stage,
    stage_changed_at, owner_id, sales_owns_conversation, score, consent, consent_at,
    unsubscribed_at, bounced_at, complained_at, source_program_id, first_touch_at, custom,
    external_id, search_text)
  SELECT %(now)s, %(now)s, %(email)s, %(email)s, %(first)s, %(last)s, '', '', NULL, '', '', '',
    'lead', %(now)s, NULL, false, 0, 'granted', %(now)s, NULL, NULL, NULL, %(program)s,
    %(now)s, %(custom)s, '', %(search)s
  WHERE NOT EXISTS (SELECT 1 FROM contacts_erasedaddress WHERE hash = %(hash)s)
  ON CONFLICT DO NOTHING RETURNING id),
transition AS (
  INSERT INTO contacts_lifecycletransition (person_id, from_stage, to_stage, at, actor_id, reason)
  SELECT id, '', 'lead', %(now)s, NULL, 'via form' FROM person),
touch AS (
  INSERT INTO marketing_touch (person_id, program_id, kind, occurred_at, rep_id, utm_source,
    utm_medium, utm_campaign, utm_term, utm_content, referrer)
  SELECT id, %(program)s, 'form_submitted', %(now)s, NULL, %(utm_source)s, %(utm_medium)s,
    %(utm_campaign)s, %(utm_term)s, %(utm_content)s, %(referrer)s FROM person RETURNING id),
submission AS (
  INSERT INTO marketing_submission (form_id, person_id, touch_id, fingerprint, data, ip, at,
    confirm_token, confirmed_at)
  SELECT %(form)s, person.id, touch.id, %(fingerprint)s, %(data)s, %(ip)s, %(now)s, NULL, NULL
  FROM person, touch),
consent AS (
  INSERT INTO contacts_consentrecord (person_id, granted, wording, source, at)
  SELECT id, true, %(wording)s, %(source)s, %(now)s FROM person),
timeline AS (
  INSERT INTO core_timelineentry (at, actor_id, via, verb, target_type, target_id, summary,
    changes)
  SELECT %(now)s, NULL, 'form', v.verb, 'person', person.id, v.summary, '{}'
  FROM person, (VALUES ('created', %(name)s), ('consent_granted', %(consent)s)) v(verb, summary))
SELECT id FROM person
"""

_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DB, autocommit=True)
    return conn


def _respond(start_response, status: str, body: dict):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])  # fmt: skip
    return [data]


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        return _respond(start_response, "200 OK", {"ok": True})
    size = int(environ.get("CONTENT_LENGTH") or 0)
    form = {k: v[0].strip() for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
    email = form.get("email", "").lower()
    if "@" not in email or len(email) > 254:
        return _respond(start_response, "422 Unprocessable Entity", {"ok": False})
    first, last = form.get("first_name", ""), form.get("last_name", "")
    values = {"email": form.get("email", ""), "first_name": first, "last_name": last,
              "custom:company": form.get("custom:company", ""), "consent": "yes"}  # fmt: skip
    canonical = json.dumps([FORM_ID, sorted({**values, "email": email}.items())])
    now = datetime.now(UTC)
    params = {
        "now": now, "email": email, "first": first, "last": last, "program": PROGRAM_ID,
        "custom": json.dumps({"company": values["custom:company"]}),
        "search": f"{first} {last} {email}".strip().lower(),
        "hash": hmac.new(ERASE_KEY, email.encode(), hashlib.sha256).hexdigest(),
        "referrer": form.get("referrer", "")[:2000], "form": FORM_ID,
        "fingerprint": hashlib.sha256(canonical.encode()).hexdigest(),
        "data": json.dumps(values), "ip": environ.get("REMOTE_ADDR"), "wording": WORDING,
        "source": f"form {FORM_ID}: Bench", "name": f"{first} {last}".strip() or email,
        "consent": f"form {FORM_ID}: Bench: {WORDING}",
        **{k: form.get(k, "")[:200] for k in UTM},
    }  # fmt: skip
    created = _connection().execute(SQL, params).fetchone()  # one statement, its own transaction
    if created is None:
        return _respond(start_response, "409 Conflict", {"ok": False})
    return _respond(start_response, "200 OK", {"ok": True, "message": "Thank you."})
