"""Builders for test records. They go through the ORM directly: services are what we test."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from tandem.accounts.models import Team, User
from tandem.contacts.models import Organization, Person
from tandem.marketing.models import Campaign, LeadForm, Program, Segment
from tandem.sales.models import Activity, Opportunity, Pipeline, Stage, StageHistory

_seq = itertools.count(1)
STAGES = (
    ("Qualify", 10, "open"),
    ("Present", 25, "open"),
    ("Handle objections", 50, "open"),
    ("Negotiate", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
)


def user(role: str, team: Team | None = None, username: str | None = None) -> User:
    n = next(_seq)
    u = User.objects.create_user(
        username=username or f"{role}{n}",
        password="pw-test-123",
        role=role,
        team=team,
        first_name=role.title(),
        last_name=str(n),
    )
    return u


def team(name: str, function: str = "sales") -> Team:
    return Team.objects.create(name=name, function=function)


def pipeline() -> Pipeline:
    """The workspace's default pipeline: a migration creates it with these stages."""
    p = Pipeline.objects.filter(is_default=True).first()
    if p is None:
        p = Pipeline.objects.create(name=f"Pipeline {next(_seq)}", is_default=True)
    for order, (name, prob, kind) in enumerate(STAGES, start=1):
        Stage.objects.update_or_create(pipeline=p, name=name, defaults={
            "order": order, "probability": prob, "kind": kind})  # fmt: skip
    return p


def organization(owner=None, **kw) -> Organization:
    n = next(_seq)
    kw.setdefault("name", f"Org {n}")
    org = Organization.objects.create(owner=owner, domain=kw.pop("domain", f"org{n}.test"), **kw)
    org.search_text = org.name.lower()
    org.save(update_fields=["search_text"])
    return org


def person(owner=None, organization=None, **kw) -> Person:
    n = next(_seq)
    email = kw.pop("email", f"person{n}@example.test")
    p = Person.objects.create(
        email=email,
        email_normalized=email.lower(),
        owner=owner,
        organization=organization,
        first_name=kw.pop("first_name", "Pat"),
        last_name=kw.pop("last_name", f"Person{n}"),
        **kw,
    )
    p.search_text = f"{p.first_name} {p.last_name} {p.email_normalized}".lower()
    p.save(update_fields=["search_text"])
    return p


def program(owner=None, **kw) -> Program:
    kw.setdefault("name", f"Program {next(_seq)}")
    kw.setdefault("channel", "web")
    kw.setdefault("start_date", date.today() - timedelta(days=30))
    kw.setdefault("budget", Decimal("1000"))
    return Program.objects.create(owner=owner, **kw)


def opportunity(owner, organization=None, stage: Stage | None = None, **kw) -> Opportunity:
    stage = stage or Stage.objects.filter(pipeline__is_default=True).order_by("order").first()
    organization = organization or globals()["organization"](owner=owner)
    kw.setdefault("name", f"Deal {next(_seq)}")
    kw.setdefault("amount", Decimal("5000"))
    kw.setdefault("expected_close", date.today() + timedelta(days=30))
    opp = Opportunity.objects.create(
        owner=owner,
        organization=organization,
        pipeline=stage.pipeline,
        stage=stage,
        search_text=f"{kw['name']} {organization.name}".lower(),
        **kw,
    )
    StageHistory.objects.create(opportunity=opp, stage=stage)
    return opp


def activity(owner, **kw) -> Activity:
    kw.setdefault("kind", "call")
    kw.setdefault("subject", f"Call {next(_seq)}")
    kw.setdefault("due_at", timezone.now() + timedelta(hours=2))
    return Activity.objects.create(owner=owner, **kw)


def lead_form(program, owner=None, **kw):
    from tandem.marketing import capture

    kw.setdefault("name", f"Form {next(_seq)}")
    kw.setdefault(
        "fields",
        [
            {"name": "email", "label": "Email", "required": True},
            {"name": "first_name", "label": "First name", "required": False},
            {"name": "last_name", "label": "Last name", "required": False},
            {"name": "custom:company", "label": "Company", "required": False},
        ],
    )
    kw["fields"] = capture.clean_fields(kw["fields"])
    return LeadForm.objects.create(program=program, owner=owner, key=f"k{next(_seq)}x", **kw)


def segment(owner=None, conditions=(), **kw):
    kw.setdefault("name", f"Segment {next(_seq)}")
    return Segment.objects.create(owner=owner, conditions=list(conditions), **kw)


def campaign(program, segment=None, owner=None, **kw):
    kw.setdefault("name", f"Campaign {next(_seq)}")
    kw.setdefault("subject", "Hello {{ first_name }}")
    kw.setdefault(
        "body",
        'Hi **{{ first_name | default:"there" }}**, see [our site](https://example.com/a?x=1&y=2).',
    )
    c = Campaign(program=program, segment=segment, owner=owner, **kw)
    from tandem.marketing import mailer

    c.links = mailer.compile_body(c.body, c.body_format).links
    c.save()
    return c


def uploaded(**kw):
    """An import job whose file a worker has read (engine.inspect, as the task runs it)."""
    from tandem.transfer import engine

    job = engine.job_create(**kw)
    return engine.inspect(job.pk)
