"""Shared pieces of the REST API: paging envelope and resolving referenced ids."""

from django.db import IntegrityError, transaction
from ninja import Schema, Status
from ninja.errors import ValidationError
from ninja.parser import Parser

from tandem.core.errors import Conflict, Invalid, NotFound
from tandem.core.listing import Page
from tandem.core.models import IdempotencyKey


class PageMeta(Schema):
    page: int
    size: int
    total: int
    total_exact: bool
    has_next: bool


def page_out(page: Page) -> dict:
    return {
        "items": page.items,
        "meta": {
            "page": page.number,
            "size": page.size,
            "total": page.total,
            "total_exact": page.total_exact,
            "has_next": page.has_next,
        },
    }


def resolve_refs(data: dict, resolvers: dict) -> dict:
    """Turn `<name>_id` inputs into objects through the caller's scoped getters."""
    for name, getter in resolvers.items():
        key = f"{name}_id"
        if key not in data:
            continue
        raw = data.pop(key)
        if raw is None:
            data[name] = None
            continue
        try:
            data[name] = getter(raw)
        except NotFound:
            raise Invalid(f"No {name} with id {raw} that you can see.", field=key) from None
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NulFreeParser(Parser):
    """JSON bodies with a NUL character are refused alike on SQLite and PostgreSQL."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _has_nul(data):
            raise ValidationError(
                [{"loc": ["body"], "msg": "Text may not contain NUL.", "type": "invalid"}]
            )
        return data


def idempotent_create(request, create, fetch):
    """Create once per `Idempotency-Key` header: a retry with the same key answers 200 with
    the record the first call created, instead of creating another."""
    key = (request.headers.get("Idempotency-Key") or "").strip()[:64]
    if not key:
        return Status(201, create())
    done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if done is not None:
        return Status(200, fetch(_same_request(done, request)))
    try:
        with transaction.atomic():
            obj = create()
            IdempotencyKey.objects.create(
                user=request.user, key=key, result_url=request.path, target_id=obj.pk
            )
    except IntegrityError:
        done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if done is None:
            raise
        return Status(200, fetch(_same_request(done, request)))
    return Status(201, obj)


def _same_request(done: IdempotencyKey, request) -> int:
    if done.result_url != request.path or done.target_id is None:
        raise Conflict(
            "That Idempotency-Key was used for another request.", field="Idempotency-Key"
        )
    return done.target_id
