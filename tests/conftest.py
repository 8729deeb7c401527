import socket
from dataclasses import dataclass
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests import factories as f


@dataclass
class World:
    """Personas of the authorization matrix, and one record of each kind owned by `owner`."""

    owner: object
    teammate: object
    outsider: object
    sales_manager: object
    marketer: object
    marketing_manager: object
    admin: object
    org: object
    person: object
    opportunity: object
    activity: object
    program: object


# The World's people, in the order the matrices list them.
PERSONAS = (
    "owner",
    "teammate",
    "outsider",
    "sales_manager",
    "marketer",
    "marketing_manager",
    "admin",
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite tests run on a file, not Django's shared in-memory database: there, the live
    server's request threads and the test share one connection, and a page whose panels load
    in parallel could leave the run waiting on itself. On a file each thread has its own
    connection and SQLite's locks and busy timeout, as in production."""
    import os
    from pathlib import Path

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not db.get("TEST", {}).get("NAME"):
        # one file per run, so two runs in one checkout do not delete each other's
        db.setdefault("TEST", {})["NAME"] = str(
            Path(db["NAME"]).with_name(f"test-{os.getpid()}.sqlite3")
        )


@pytest.fixture
def world(db):
    east, west = f.team("East"), f.team("West")
    mkt = f.team("Marketing", "marketing")
    owner = f.user("sales_rep", east, "owner")
    teammate = f.user("sales_rep", east, "teammate")
    outsider = f.user("sales_rep", west, "outsider")
    manager = f.user("sales_manager", east, "salesboss")
    marketer = f.user("marketer", mkt, "marketer")
    mm = f.user("marketing_manager", mkt, "mktboss")
    admin = f.user("admin", None, "root")
    f.pipeline()
    org = f.organization(owner=owner, name="Owner Org")
    person = f.person(owner=owner, organization=org, first_name="Olive", last_name="Owned")
    opp = f.opportunity(owner, organization=org, person=person, name="Owner Deal")
    act = f.activity(owner, opportunity=opp, subject="Owner call")
    prog = f.program(owner=marketer, name="Marketer Webinar", channel="event")
    return World(
        owner, teammate, outsider, manager, marketer, mm, admin, org, person, opp, act, prog
    )


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Password hashing is slow on purpose; tests need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Nothing a test cached (a dashboard card, a rate-limit count) reaches the next one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_workspace_cache():
    from tandem.contacts import custom_fields
    from tandem.core import webhooks, workspace

    workspace.forget()
    webhooks.forget_endpoints()
    custom_fields.forget_recent()
    yield
    workspace.forget()
    webhooks.forget_endpoints()
    custom_fields.forget_recent()


@pytest.fixture(autouse=True)
def _admins_without_second_factor(settings):
    """Admins must set up two-factor sign-in before anything else (test_accounts.py tests
    that); the other tests sign admins in with force_login, so they are spared it here."""
    settings.TANDEM_ADMIN_MFA_REQUIRED = False


class Inbox:
    """Keeps every message; refuses any recipient whose address starts with "refused"."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def parsed(self):
        """The messages as email objects: headers decoded, parts reachable."""
        return [message_from_bytes(e.content, policy=policy.default) for e in self.messages]

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def shared_dataset(relative: str):
    """A file of ../shared/datasets, wherever this checkout is (CI clones it elsewhere)."""
    import os
    from pathlib import Path

    roots = [
        os.environ.get("TANDEM_DATASETS", ""),
        str(Path(__file__).resolve().parents[2] / "shared" / "datasets"),
        "/work/shared/datasets",
    ]
    for root in filter(None, roots):
        path = Path(root) / relative
        if path.exists():
            return path
    pytest.skip(f"the shared data set {relative} is not on this machine")
