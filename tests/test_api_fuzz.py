"""Schemathesis against /api/openapi.json: every operation, a bounded number of generated
requests each (a fixed seed, so CI repeats the same run), as an admin. No request may answer
500, and every answer's status and body must be the ones the document gives."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tandem.accounts import services

EXAMPLES = 12
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def token(world):
    _, raw = services.api_token_create(actor=world.admin, name="fuzz")
    return raw


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_document_says(case, token, settings_for_fuzz):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


@pytest.fixture
def settings_for_fuzz(settings, tmp_path, db):
    """As Django's test client does: requests must not close the test's connection."""
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"
    settings.ALLOWED_HOSTS = ["*"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
