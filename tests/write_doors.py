"""How each door of the write matrix (tests/test_write_matrix.py) attempts a write, and how
a write's effect is read: the personas, the UI, API and import attempts, the effect functions."""

import json
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from tandem.contacts.models import LifecycleTransition, Person
from tandem.core.errors import Forbidden
from tandem.core.models import TimelineEntry
from tandem.sales.models import Opportunity, Stage, StageHistory
from tandem.transfer import engine
from tests import factories as f
from tests.conftest import PERSONAS

JSON = "application/json"
ALL = frozenset(PERSONAS)
SALES = frozenset({"owner", "teammate", "outsider", "sales_manager"})
HOLDERS = frozenset({"owner", "sales_manager", "admin"})  # who may write the owner's records
MANAGERS = frozenset({"sales_manager", "admin"})
MARKETING = frozenset({"marketer", "marketing_manager"})


# --- how each door attempts a write ---------------------------------------------------------
# An attempt gets (ctx) and returns nothing; the effect function tells what happened.


@dataclass
class Ctx:
    world: object
    who: str
    client: object
    lead: Person
    tmp: object

    @property
    def user(self):
        return getattr(self.world, self.who)


def _api(method, url, body=None):
    def attempt(ctx):
        call = getattr(ctx.client, method)
        response = call(url(ctx), body(ctx) if body else {}, content_type=JSON)
        assert response.status_code in (200, 201, 202, 403, 404, 409, 422), response.content
        ctx.status = response.status_code

    return attempt


def _ui(url, body=None):
    def attempt(ctx):
        response = ctx.client.post(url(ctx), body(ctx) if body else {})
        assert response.status_code in (200, 302, 400, 403, 404), response.status_code
        ctx.status = response.status_code

    return attempt


def _import(kind, csv_text, policy="update", options=None):
    """Upload, read, map and run the file as the persona, as the worker would."""

    def attempt(ctx):
        try:
            job = f.uploaded(
                actor=ctx.user,
                kind=kind,
                upload=SimpleUploadedFile("m.csv", csv_text(ctx).encode()),
                filename="m.csv",
            )
        except Forbidden:
            ctx.status = 403
            return
        extra = options(ctx) if options else None
        engine.job_configure(
            actor=ctx.user, job=job, mapping=job.mapping, policy=policy, options=extra
        )
        engine.job_start(actor=ctx.user, job=job)
        job = engine.run(job.pk)
        assert job.status == "done", job.error
        row = job.rows.get()
        ctx.status = row.action
        ctx.message = row.message

    return attempt


def _stage(name):
    return Stage.objects.get(name=name).pk


def _person_form(ctx, person, **changes):
    data = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "owner": person.owner_id or "",
        "organization": person.organization_id or "",
        "idempotency_key": f"k-{ctx.who}",
    }
    return {**data, **changes}


# --- effects ----------------------------------------------------------------------------------


def _state(obj):
    """A record as stored, with its history and timeline."""
    obj = type(obj).objects.get(pk=obj.pk)
    rows = json.dumps(model_to_dict(obj), default=str, sort_keys=True)
    timeline = TimelineEntry.objects.filter(target_id=obj.pk).count()
    return rows, timeline, _history(obj)


def _history(obj):
    if isinstance(obj, Person):
        return LifecycleTransition.objects.filter(person=obj).count(), obj.touches.count()
    if isinstance(obj, Opportunity):
        return StageHistory.objects.filter(opportunity=obj).count(), obj.activities.count()
    return 0


def record(name):
    return lambda ctx: _state(getattr(ctx.world, name) if name != "lead" else ctx.lead)


def exists(model, **lookup):
    return lambda ctx: model.objects.filter(**lookup).count()


@dataclass
class Write:
    name: str
    allowed: frozenset
    effect: object
    doors: dict = field(default_factory=dict)


ORG_ROW = "Name,Industry,Domain\nOwner Org,Changed industry,owner.example\n"
