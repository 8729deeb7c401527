"""Tandem settings: one module, every deployment choice read from the environment."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
INSECURE_KEY_PREFIX = "insecure-dev-only-"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def mailers(url: str) -> dict:
    """EMAIL_URL to MAILERS: smtp://user:pass@host:port[?tls=1], smtps://…, console:, locmem:."""
    parsed = urlparse(url)
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parsed.scheme in simple:
        return {"default": {"BACKEND": simple[parsed.scheme]}}
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be smtp, smtps, console or locmem: {url!r}"
        )
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    try:
        port = parsed.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL has a bad port: {url!r}") from exc
    options = {
        "host": parsed.hostname or "127.0.0.1",
        "port": port or (465 if parsed.scheme == "smtps" else 25),
        "username": unquote(parsed.username or ""),
        "password": unquote(parsed.password or ""),
        "use_ssl": parsed.scheme == "smtps",
        "use_tls": query.get("tls") == "1",
        "timeout": 10,
    }
    return {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }


def caches(url: str) -> dict:
    """CACHE_URL to CACHES: redis://[:password@]host:port/db (Django's RedisCache, one count
    shared by every process), or locmem: (each process its own; the default)."""
    parsed = urlparse(url)
    if parsed.scheme == "locmem":
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if parsed.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"CACHE_URL scheme must be redis, rediss or locmem: {url!r}")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tandem",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def database_settings(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                " PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
                # statement journals in memory: with a trigger on a table, each row written
                # opened one on disk (insights_reach's triggers cost 45 µs a row, now 14)
                " PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT compiling costs more than it saves on the reports' sub-second queries
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        # Django turns psycopg's preparing off (threshold None), which also ignores a cursor's
        # prepare=True. A threshold no query reaches keeps the ORM's queries unprepared, as
        # Django wants, and lets core.chain's hot statements be parsed and planned once per
        # connection (a form submission's: 1.2 ms less of the database's time).
        config["OPTIONS"]["prepare_threshold"] = 2**31 - 1
    else:
        raise ImproperlyConfigured("DATABASE_URL must be sqlite:// or postgresql://")
    return config


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (len(SECRET_KEY) < 32 or SECRET_KEY.startswith(INSECURE_KEY_PREFIX)):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing, too short or a default: set a random value of 50+ characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))') or run with DEBUG=1."
    )
if not SECRET_KEY:
    SECRET_KEY = INSECURE_KEY_PREFIX + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
TANDEM_POSTAL_ADDRESS = os.environ.get("TANDEM_POSTAL_ADDRESS", "")
TANDEM_DEFAULT_CURRENCY = os.environ.get("TANDEM_DEFAULT_CURRENCY", "USD")
TANDEM_PAGE_SIZE = env_int("TANDEM_PAGE_SIZE", 50)
TANDEM_FOLLOWUP_DAYS = env_int("TANDEM_FOLLOWUP_DAYS", 14)
# Where recipients reach Tandem: tracked links, the open pixel, unsubscribe and confirm pages.
TANDEM_BASE_URL = os.environ.get("TANDEM_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
TANDEM_MAIL_DOMAIN = os.environ.get("TANDEM_MAIL_DOMAIN", "tandem.localhost")
TANDEM_UNSUBSCRIBE_MAILTO = os.environ.get("TANDEM_UNSUBSCRIBE_MAILTO", "")
# Hosts a form may redirect to after a submission.
TANDEM_REDIRECT_HOSTS = env_list("TANDEM_REDIRECT_HOSTS", [])
# Form submissions per window (a minute by default): per client address, and for the whole site.
TANDEM_FORM_RATE_PER_IP = env_int("TANDEM_FORM_RATE_PER_IP", 20)
TANDEM_FORM_RATE_GLOBAL = env_int("TANDEM_FORM_RATE_GLOBAL", 20000)
TANDEM_FORM_RATE_WINDOW = env_int("TANDEM_FORM_RATE_WINDOW", 60)
# How often the incremental scoring sweep looks for new touches.
TANDEM_RESCORE_EVERY_SECONDS = env_int("TANDEM_RESCORE_EVERY_SECONDS", 15)
TANDEM_RETRAIN_EVERY_DAYS = env_int("TANDEM_RETRAIN_EVERY_DAYS", 7)
# Where uploaded import files are kept until their job is done.
TANDEM_IMPORT_DIR = Path(os.environ.get("TANDEM_IMPORT_DIR", BASE_DIR / "var" / "imports"))
TANDEM_IMPORT_MAX_BYTES = env_int("TANDEM_IMPORT_MAX_BYTES", 500 * 1024 * 1024)
# Limits on what a file may hold: a workbook's size unpacked, rows, columns (named in the error).
TANDEM_IMPORT_MAX_UNPACKED_BYTES = env_int("TANDEM_IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)
TANDEM_IMPORT_MAX_ROWS = env_int("TANDEM_IMPORT_MAX_ROWS", 5_000_000)
TANDEM_IMPORT_MAX_COLUMNS = env_int("TANDEM_IMPORT_MAX_COLUMNS", 500)
# An upload is deleted when its import finishes or is undone, or this long after its last
# activity when it never finishes (never started, cancelled, failed).
TANDEM_IMPORT_KEEP_HOURS = env_int("TANDEM_IMPORT_KEEP_HOURS", 24)
# A running import on another machine that shows no progress for this long has lost its worker.
TANDEM_IMPORT_STALL_SECONDS = env_int("TANDEM_IMPORT_STALL_SECONDS", 300)

DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'tandem.sqlite3'}")
    )
}
# A PostgreSQL streaming replica for report and export reads (tandem/core/replica.py). A user's
# reads stay on the primary for TANDEM_READ_YOUR_WRITES_SECONDS after they write, and every
# read does while the replica lags more than TANDEM_REPLICA_MAX_LAG_SECONDS or cannot be reached.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_settings(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["OPTIONS"]["connect_timeout"] = 2
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["tandem.core.replica.Router"]
TANDEM_REPLICA_MAX_LAG_SECONDS = env_int("TANDEM_REPLICA_MAX_LAG_SECONDS", 10)
TANDEM_READ_YOUR_WRITES_SECONDS = env_int("TANDEM_READ_YOUR_WRITES_SECONDS", 15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks_db",
    "anymail",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "tandem.core",
    "tandem.accounts",
    "tandem.contacts",
    "tandem.marketing",
    "tandem.sales",
    "tandem.handoff",
    "tandem.transfer",
    "tandem.insights",
    "tandem.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "tandem.accounts.middleware.AdminsUseTwoFactors",
    "tandem.accounts.middleware.UserTimeZone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tandem.core.middleware.ApiErrorsAsJson",
    "tandem.core.replica.ReadYourWrites",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "account_login"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts (django-allauth): log in by username or email; nobody signs up (admins invite);
# password reset by email with a single-use link; failed logins limited per address and per
# account; TOTP and recovery codes, required for admins (TANDEM_ADMIN_MFA_REQUIRED).
ACCOUNT_ADAPTER = "tandem.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("TANDEM_LOGIN_FAILED_LIMIT", "10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Tandem] "
ACCOUNT_SESSION_REMEMBER = None
PASSWORD_RESET_TIMEOUT = env_int("TANDEM_PASSWORD_RESET_SECONDS", 2 * 3600)
TANDEM_INVITE_DAYS = env_int("TANDEM_INVITE_DAYS", 7)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("TANDEM_MFA_ISSUER", "Tandem")
MFA_TOTP_TOLERANCE = 1  # a phone whose clock is one step (30 s) off still signs in
TANDEM_ADMIN_MFA_REQUIRED = env_bool("TANDEM_ADMIN_MFA_REQUIRED", True)
USERSESSIONS_TRACK_ACTIVITY = False  # a session is recorded at sign-in; no query per request
# A session ends after this many hours, or at once with "Log out everywhere".
SESSION_COOKIE_AGE = env_int("TANDEM_SESSION_HOURS", 12) * 3600

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.core.context.navigation",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None  # only for collectstatic
# The app serves its own assets (htmx, the form embed script) in every deployment.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Rate limits and throttles count in this cache: with several web processes, point CACHE_URL at
# Redis so they share one count.
CACHES = caches(os.environ.get("CACHE_URL", "locmem:"))
# How long a dashboard card (a report over 90 days) is kept in the cache for its reader.
TANDEM_CARD_CACHE_SECONDS = env_int("TANDEM_CARD_CACHE_SECONDS", 60)
# A campaign batch whose claim has not moved for this long lost its worker: it is sent on by
# another. A live worker renews its claim every 10 messages, so this must be longer than 10
# messages can take on the slowest SMTP server (each command may wait its 10 s timeout).
TANDEM_SEND_STALL_SECONDS = env_int("TANDEM_SEND_STALL_SECONDS", 600)
# Task workers (`manage.py db_worker`) a deployment runs; they claim tasks with SKIP LOCKED.
TANDEM_WORKERS = env_int("TANDEM_WORKERS", 1)
# Bounces and complaints arrive at /e/webhooks/mailgun/tracking/, signed with the webhook key.
ANYMAIL = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
    "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", ""),
}

MAILERS = mailers(os.environ.get("EMAIL_URL", "console:" if DEBUG else "smtp://127.0.0.1:25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Behind a load balancer that terminates TLS and sets X-Forwarded-Proto (and strips any the
# client sent), say so; served directly, a client could claim https with that header.
if env_bool("TANDEM_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
