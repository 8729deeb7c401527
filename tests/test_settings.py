"""Production safety: the app refuses weak secrets and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import settings as s

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 20 + "-production-secret-0123456789-abcdefgh"


def manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT", "EMAIL_URL"}
    }
    base.update(DATABASE_URL=f"sqlite:///{ROOT}/var/deploycheck.sqlite3", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("key", [None, "", "short", "insecure-dev-only-" + "x" * 40])
def test_refuses_to_start_without_a_real_secret_key(key):
    env = {"DEBUG": "0"} | ({"SECRET_KEY": key} if key is not None else {})
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is missing, too short or a default" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG,
        ALLOWED_HOSTS="crm.example.com",
        TANDEM_POSTAL_ADDRESS="Example Ltd, 1 High Street, Leeds",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_requires_postal_address():
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=STRONG,
        ALLOWED_HOSTS="crm.example.com",
        TANDEM_POSTAL_ADDRESS="",
    )
    assert result.returncode != 0 and "tandem.E001" in result.stderr


def test_debug_runs_without_a_key():
    assert manage("check", DEBUG="1").returncode == 0


@pytest.mark.parametrize(
    ("url", "options"),
    [
        (
            "smtp://u:p%40ss@mail.example.com:2525?tls=1",
            {
                "host": "mail.example.com",
                "port": 2525,
                "username": "u",
                "password": "p@ss",
                "use_tls": True,
                "use_ssl": False,
            },
        ),
        ("smtps://mail.example.com", {"host": "mail.example.com", "port": 465, "use_ssl": True}),
    ],
)
def test_email_url(url, options):
    parsed = s.mailers(url)["default"]["OPTIONS"]
    assert {k: parsed[k] for k in options} == options


def test_email_url_rejects_unknown_scheme():
    with pytest.raises(ImproperlyConfigured):
        s.mailers("pigeon://coop")
    assert s.mailers("locmem:")["default"]["BACKEND"].endswith("locmem.EmailBackend")


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("true", True), ("off", False), ("", False)]
)
def test_env_bool(monkeypatch, raw, value):
    monkeypatch.setenv("X_FLAG", raw)
    assert s.env_bool("X_FLAG", False) is value


def test_env_bool_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        s.env_bool("X_FLAG", False)


def test_database_url_must_be_sqlite_or_postgres():
    with pytest.raises(ImproperlyConfigured):
        s.database_settings("mysql://root@localhost/x")
    sqlite = s.database_settings(f"sqlite:///{ROOT}/var/x.sqlite3")
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]


def _proxy_header(**env) -> str:
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
        DEBUG="0",
        SECRET_KEY=STRONG,
        ALLOWED_HOSTS="crm.example.com",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_forwarded_proto_is_trusted_only_when_behind_a_proxy():
    assert _proxy_header() == "None"
    assert _proxy_header(TANDEM_BEHIND_PROXY="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_client_cannot_claim_https_with_a_header(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")
